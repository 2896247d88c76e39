"""The web-API jobs' HTTP client: endpoint, OAuth2 tokens, time-outs, retries and paging.

Only the run of a web-API job imports this module (it imports httpx); the job classes name
the Airflow connection and the runner hands the job its endpoint (``JobContext.http``).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from job_library.base import HttpEndpoint

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def pause(seconds: float) -> None:
    """How a client waits between tries unless it is given another way (tests replace it)."""
    time.sleep(seconds)


class ApiError(RuntimeError):
    """A call that failed for good: the message names the method, the URL and the answer.

    :param status: the HTTP status of the last answer (None when no answer came).
    :param body: the start of the last answer's body, for the run's output.
    """

    def __init__(
        self, method: str, url: str, status: int | None, reason: str, body: str = ""
    ) -> None:
        self.method, self.url, self.status, self.reason, self.body = (
            method,
            url,
            status,
            reason,
            body,
        )
        answer = f"HTTP {status}" if status is not None else "no answer"
        super().__init__(f"{method} {url} failed ({answer}): {reason}")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a call is retried.

    :param attempts: tries per call, the first included.
    :param backoff: seconds before the second try, doubled before each further one.
    :param max_wait: the longest wait between tries, whatever ``Retry-After`` asks for.
    :param timeout: seconds to connect, and seconds between bytes of an answer.
    """

    attempts: int = 5
    backoff: float = 1.0
    max_wait: float = 120.0
    timeout: float = 30.0


def retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


@dataclass
class OAuth2ClientCredentials:
    """An OAuth2 client-credentials token, fetched when missing or expired and on a 401.

    :param token_url: the token endpoint (absolute, or relative to the API's base URL).
    :param client_id: the connection's login.
    :param client_secret: the connection's password.
    :param scope: the scope asked for, when the API wants one.
    """

    token_url: str
    client_id: str
    client_secret: str
    scope: str | None = None
    clock: Callable[[], float] = time.monotonic
    _token: str | None = field(default=None, repr=False)
    _expires: float = 0.0
    fetched: int = 0  # how many tokens were fetched (the tests count refreshes)

    def header(
        self, client: httpx.Client, policy: RetryPolicy, sleep: Callable[[float], None]
    ) -> str:
        # 30 s of margin: a token that expires while the request travels is refreshed first.
        if self._token is None or self.clock() >= self._expires - 30:
            self._fetch(client, policy, sleep)
        return f"Bearer {self._token}"

    def invalidate(self) -> None:
        self._token = None

    def _fetch(
        self, client: httpx.Client, policy: RetryPolicy, sleep: Callable[[float], None]
    ) -> None:
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        response = _send(
            client,
            "POST",
            self.token_url,
            policy,
            sleep,
            data=data,
            auth=(self.client_id, self.client_secret),
        )
        if response.status_code != 200:
            raise ApiError(
                "POST",
                str(response.request.url),
                response.status_code,
                "the token endpoint refused the client id and secret of the connection",
                response.text[:300],
            )
        try:
            body = response.json()
            self._token = str(body["access_token"])
            self._expires = self.clock() + float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ApiError(
                "POST",
                str(response.request.url),
                200,
                "the token answer has no access_token",
                response.text[:300],
            ) from None
        self.fetched += 1


def _send(
    client: httpx.Client,
    method: str,
    url: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    **kwargs: Any,
) -> httpx.Response:
    """One call with retries on 429, 5xx and network errors, waiting as ``Retry-After`` says."""
    last: httpx.Response | None = None
    for attempt in range(1, policy.attempts + 1):
        try:
            last = client.request(method, url, **kwargs)
        except httpx.TransportError as exc:  # refused, reset, timed out: worth another try
            if attempt == policy.attempts:
                raise ApiError(method, url, None, f"{type(exc).__name__}: {exc}") from exc
            sleep(_backoff(policy, attempt))
            continue
        if last.status_code not in RETRY_STATUSES or attempt == policy.attempts:
            return last
        asked = retry_after(last.headers.get("Retry-After"))
        wait = asked if asked is not None else _backoff(policy, attempt)
        sleep(min(wait, policy.max_wait))
    assert last is not None  # the loop returns or raises on its last attempt
    return last


def _backoff(policy: RetryPolicy, attempt: int) -> float:
    # Exponential, with a little jitter so that retrying jobs do not call in step.
    return min(policy.backoff * 2 ** (attempt - 1) * (1 + random.random() / 10), policy.max_wait)


class ApiClient:
    """Calls to one API through its endpoint (base URL and credentials of an Airflow connection).

    :param endpoint: the API's base URL and credentials.
    :param auth: ``oauth2`` (client credentials, token URL from the connection's extra
        ``token_url``), ``bearer`` (the password is an access token), ``basic`` (login and
        password) or ``none``.
    :param policy: retries and time-outs.
    :param sleep: how to wait between tries (the tests pass one that records the waits).
    :param transport: an httpx transport (tests only).
    """

    def __init__(
        self,
        endpoint: HttpEndpoint,
        *,
        auth: str = "oauth2",
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.policy = policy or RetryPolicy(
            attempts=int(endpoint.extra.get("attempts", 5)),
            backoff=float(endpoint.extra.get("backoff_seconds", 1.0)),
            timeout=float(endpoint.extra.get("timeout_seconds", 30.0)),
        )
        self.sleep = sleep
        self.waits: list[float] = []
        self.oauth: OAuth2ClientCredentials | None = None
        basic = None
        if auth == "oauth2":
            self.oauth = OAuth2ClientCredentials(
                token_url=str(endpoint.extra.get("token_url", "oauth/token")),
                client_id=endpoint.login or "",
                client_secret=endpoint.password or "",
                scope=endpoint.extra.get("scope"),
            )
        elif auth == "basic":
            basic = (endpoint.login or "", endpoint.password or "")
        elif auth == "bearer":  # a long-lived access token, kept as the connection's password
            headers = {**(headers or {}), "Authorization": f"Bearer {endpoint.password or ''}"}
        elif auth != "none":
            raise ValueError(f"auth {auth!r}: use oauth2, bearer, basic or none")
        base = endpoint.base_url.rstrip("/") + "/"
        self._client = httpx.Client(
            base_url=base,
            auth=basic,
            timeout=httpx.Timeout(self.policy.timeout),
            headers=dict(headers or {}),
            follow_redirects=False,
        )

    def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        (self.sleep or pause)(seconds)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The answer to ``method path`` after retries; a 401 fetches a new token once.

        Statuses other than 429 and 5xx come back as they are, for the job to judge (a 400
        naming a bad record is a business outcome); ApiError when retries ran out.
        """
        path = path.lstrip("/")
        extra = dict(kwargs.pop("headers", None) or {})
        refreshed = False
        while True:
            headers = dict(extra)
            if self.oauth is not None:
                headers["Authorization"] = self.oauth.header(self._client, self.policy, self._wait)
            response = _send(
                self._client, method, path, self.policy, self._wait, headers=headers, **kwargs
            )
            if response.status_code == 401 and self.oauth is not None and not refreshed:
                # The token was revoked or expired early: one new token, one more try.
                self.oauth.invalidate()
                refreshed = True
                continue
            if response.status_code in RETRY_STATUSES or response.status_code == 401:
                raise ApiError(
                    method,
                    str(response.request.url),
                    response.status_code,
                    "gave up after retries"
                    if response.status_code != 401
                    else "unauthorized with a fresh token: check the connection's credentials",
                    response.text[:300],
                )
            return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a 2xx answer; ApiError for any other status."""
        response = self.request(method, path, **kwargs)
        if not response.is_success:
            raise ApiError(
                method,
                str(response.request.url),
                response.status_code,
                "refused",
                response.text[:300],
            )
        return response.json()

    def offset_pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        limit: int = 100,
        start: int = 0,
    ) -> Iterator[list[Any]]:
        """The pages of a list resource paged with ``offset`` and ``limit`` (a JSON array each);
        stops at the first page shorter than ``limit``."""
        offset = start
        while True:
            page = self.json(
                "GET", path, params={**(params or {}), "offset": offset, "limit": limit}
            )
            if not isinstance(page, list):
                raise ApiError("GET", path, 200, "the answer is not a list")
            yield page
            if len(page) < limit:
                return
            offset += limit
