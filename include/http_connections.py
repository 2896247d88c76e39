"""Web APIs' endpoints and credentials from Airflow HTTP connections."""

from __future__ import annotations

from typing import Any

from job_library.base import HttpEndpoint


def endpoint_of(conn: Any) -> HttpEndpoint:
    """The endpoint of an Airflow connection, read as the HTTP provider's hook reads it.

    ``host`` may carry the scheme (``https://api.example.org``); otherwise ``schema`` is the
    scheme (``http`` by default). A base path goes in the extra field ``base_path``.
    """
    extra = dict(conn.extra_dejson or {})
    host = (conn.host or "").rstrip("/")
    if not host:
        raise LookupError(f"Airflow connection {conn.conn_id!r} has no host: set the API's address")
    base = host if "://" in host else f"{conn.schema or 'http'}://{host}"
    if conn.port:
        base = f"{base}:{conn.port}"
    path = str(extra.pop("base_path", "") or "").strip("/")
    return HttpEndpoint(
        conn_id=conn.conn_id,
        base_url=f"{base}/{path}" if path else base,
        login=conn.login or None,
        password=conn.password or None,
        extra=extra,
    )


def airflow_endpoint(conn_id: str) -> HttpEndpoint:
    """The endpoint of the Airflow connection ``conn_id``; LookupError naming it when missing."""
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:  # AirflowNotFoundException and the secrets backends' errors
        raise LookupError(
            f"no Airflow connection {conn_id!r} ({type(exc).__name__}): add it with "
            f"`airflow connections add {conn_id} --conn-type http --conn-host ...`"
        ) from exc
    return endpoint_of(conn)
