"""Airflow connections handed to jobs as plain ConnectionInfo (jobs never import Airflow)."""

from __future__ import annotations

from job_library.base import ConnectionInfo, ConnectionNotFound


def airflow_connection(conn_id: str) -> ConnectionInfo:
    """The Airflow connection ``conn_id``: an ``AIRFLOW_CONN_*`` variable, a secrets backend
    or Airflow's metadata database, whichever Airflow's hooks find first.

    :param conn_id: the connection id.
    :raises ConnectionNotFound: naming the id, when Airflow has no such connection.
    """
    from airflow.sdk.bases.hook import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception as exc:  # Airflow raises its own not-found error, by version
        raise ConnectionNotFound(
            f"no Airflow connection {conn_id!r} ({type(exc).__name__}: {exc}); add it with "
            "`airflow connections add` or an AIRFLOW_CONN_* variable"
        ) from exc
    return ConnectionInfo(
        conn_id=conn_id,
        conn_type=conn.conn_type or "",
        host=conn.host or None,
        port=conn.port,
        login=conn.login or None,
        password=conn.password or None,
        schema=conn.schema or None,
        extra=conn.extra_dejson,
    )
