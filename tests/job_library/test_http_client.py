"""The web-API jobs' HTTP client against a real loopback server: retries, tokens, time-outs."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import socket
import time

import pytest

import job_library.http_client as http_client
from job_library.base import HttpEndpoint
from job_library.http_client import ApiClient, ApiError, RetryPolicy, retry_after
from tests.http_server import Answer, LoopbackHttpServer, Request

FAST = RetryPolicy(attempts=3, backoff=0.5, max_wait=60, timeout=2)


class Api:
    """A token endpoint and one resource that needs its bearer token."""

    def __init__(self) -> None:
        self.issued: list[str] = []
        self.valid: set[str] = set()
        self.server = LoopbackHttpServer(self.answer).start()

    def answer(self, request: Request) -> Answer:
        if request.path == "/token":
            token = f"t{len(self.issued) + 1}"
            self.issued.append(token)
            self.valid.add(token)
            body = {"access_token": token, "expires_in": 300, "token_type": "bearer"}
            return Answer(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        if request.headers.get("authorization", "")[7:] not in self.valid:
            return Answer(401, b'{"message": "expired"}')
        return Answer(200, b'{"ok": true}', {"Content-Type": "application/json"})

    def endpoint(self) -> HttpEndpoint:
        return HttpEndpoint("api", self.server.url, "id", "secret", {"token_url": "/token"})


@pytest.fixture
def api():
    a = Api()
    yield a
    a.server.stop()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(http_client, "pause", waited.append)
    return waited


def test_retry_after_reads_seconds_and_http_dates():
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    later = email.utils.format_datetime(now + dt.timedelta(seconds=90), usegmt=True)
    earlier = email.utils.format_datetime(now - dt.timedelta(seconds=90), usegmt=True)
    assert retry_after("120", now) == 120.0
    assert retry_after(later, now) == 90.0
    assert retry_after(earlier, now) == 0.0
    assert retry_after("soon", now) is None and retry_after(None, now) is None


def test_a_token_is_reused_until_it_nearly_expires(api, waits):
    ticks = [1000.0]
    with ApiClient(api.endpoint(), policy=FAST) as client:
        client.oauth.clock = lambda: ticks[0]
        assert client.json("GET", "things") == {"ok": True}
        ticks[0] += 260  # 300 s tokens are renewed 30 s early: not yet
        client.json("GET", "things")
        ticks[0] += 20
        client.json("GET", "things")
    assert api.issued == ["t1", "t2"]


def test_a_401_with_a_fresh_token_is_not_retried_forever(api, waits):
    with ApiClient(api.endpoint(), policy=FAST) as client:
        client.json("GET", "things")
        api.valid.clear()
        api.server.fail_next(2, 401, path="/things")  # the old token, then the new one
        with pytest.raises(ApiError, match="unauthorized with a fresh token"):
            client.request("GET", "things")
    assert api.issued == ["t1", "t2"]


def test_5xx_backs_off_and_the_retry_after_of_a_429_is_capped(api, waits):
    api.server.fail_next(1, 503)
    api.server.fail_next(1, 429, {"Retry-After": "3600"})
    with ApiClient(api.endpoint(), policy=FAST) as client:
        assert client.json("GET", "things") == {"ok": True}
    assert waits[0] == pytest.approx(0.5, rel=0.11) and waits[1] == 60


def test_retries_run_out_with_the_last_status_named(api, waits):
    api.server.fail_next(4, 502, path="/things")
    with (
        ApiClient(api.endpoint(), policy=FAST) as client,
        pytest.raises(ApiError, match=r"GET .*/things failed \(HTTP 502\): gave up after retries"),
    ):
        client.request("GET", "things")
    assert len(waits) == 2


def test_a_server_that_is_not_there_is_named(waits):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = HttpEndpoint("gone", f"http://127.0.0.1:{port}")
    with (
        ApiClient(endpoint, auth="none", policy=FAST) as client,
        pytest.raises(ApiError, match="no answer"),
    ):
        client.request("GET", "x")
    assert len(waits) == 2


def test_a_slow_answer_times_out(waits):
    def slow(request: Request) -> Answer:
        time.sleep(1.0)
        return Answer(200, b"late")

    server = LoopbackHttpServer(slow).start()
    try:
        policy = RetryPolicy(attempts=2, backoff=0.1, timeout=0.2)
        endpoint = HttpEndpoint("slow", server.url)
        with (
            ApiClient(endpoint, auth="none", policy=policy) as client,
            pytest.raises(ApiError, match="ReadTimeout"),
        ):
            client.request("GET", "x")
    finally:
        server.stop()


def test_an_unknown_auth_is_refused():
    with pytest.raises(ValueError, match="auth 'digest': use oauth2, bearer, basic or none"):
        ApiClient(HttpEndpoint("x", "http://127.0.0.1:1"), auth="digest")


def test_endpoints_come_from_airflow_connections(monkeypatch):
    from include.http_connections import airflow_endpoint

    monkeypatch.setenv(
        "AIRFLOW_CONN_EDFI_API",
        json.dumps(
            {
                "conn_type": "http",
                "host": "edfi.example.org",
                "schema": "https",
                "port": 8443,
                "login": "client",
                "password": "secret-value",
                "extra": {
                    "base_path": "/api/data/v3",
                    "token_url": "https://edfi.example.org/oauth/token",
                },
            }
        ),
    )
    endpoint = airflow_endpoint("edfi_api")
    assert endpoint.base_url == "https://edfi.example.org:8443/api/data/v3"
    assert (endpoint.login, endpoint.password) == ("client", "secret-value")
    assert endpoint.extra == {"token_url": "https://edfi.example.org/oauth/token"}
    assert "secret-value" not in repr(endpoint)
    with pytest.raises(LookupError, match="no Airflow connection 'nowhere_api'"):
        airflow_endpoint("nowhere_api")
