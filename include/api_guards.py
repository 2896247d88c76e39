"""Guards every state-changing route of the plugin shares: same origin, JSON or YAML bodies,
and the one address the plugin calls Airflow at."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
JSON_TYPES = frozenset({"application/json"})


def _origin_host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def same_origin(request: Request) -> None:
    """Refuse a state-changing request a browser sent from another site (CSRF).

    The screen's own requests carry ``Sec-Fetch-Site: same-origin`` (or no Origin at all, as
    from curl); another site's page cannot hide that it is cross-site.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise HTTPException(403, f"cross-site request refused (Sec-Fetch-Site: {site[:20]})")
    origin = request.headers.get("origin")
    if origin is None:
        return
    allowed = {_origin_host(airflow_base_url()), request.headers.get("host", "").lower()}
    if origin == "null" or _origin_host(origin) not in allowed:
        raise HTTPException(403, f"cross-origin request refused (Origin: {origin[:100]})")


SameOrigin = Depends(same_origin)


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def json_body(request: Request) -> None:
    if content_type(request) not in JSON_TYPES:
        raise HTTPException(415, "send the job as JSON (Content-Type: application/json)")


JsonBody = Depends(json_body)


def airflow_base_url() -> str:
    """Airflow's api-server as configured (``[api] base_url``), never the request's Host."""
    from airflow.configuration import conf

    base = (conf.get("api", "base_url", fallback=None) or "").rstrip("/")
    if base.startswith(("http://", "https://")):
        return base
    # Not set (or only a path): the api-server's own address on this machine.
    host = conf.get("api", "host", fallback=None) or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{host}:{conf.get('api', 'port', fallback='8080')}{base}"
