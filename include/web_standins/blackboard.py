"""A local stand-in for Blackboard Learn's REST API (tests and make run; loopback only) whose
requests and answers are validated against the published Learn swagger
(specs/blackboard-learn-3900.123.0-subset.json)."""

from __future__ import annotations

import base64
import itertools
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from include.web_standins.loopback import Answer, LoopbackHttpServer, Request

if TYPE_CHECKING:
    import jsonschema

# jsonschema is imported on the first request (make run's long-lived process starts this
# stand-in whether or not a job calls it).

SPEC = Path(__file__).parent / "specs" / "blackboard-learn-3900.123.0-subset.json"
KEY, SECRET = "focus-app-key", "focus-app-secret"
PUBLIC = "/learn/api/public"
USER = "blackboard.webapps.blackboard.publicapi.v1.users.User"
COURSE = "blackboard.webapps.blackboard.publicapi.v2.courses.CourseV2"
ERROR = "blackboard.platform.restspring.exception.RestException"
TOKEN = "blackboard.plugins.apigateway.b2.rest.OAuth2AccessToken"


@cache
def swagger() -> dict:
    return json.loads(SPEC.read_text())


def _validator(schema: dict) -> jsonschema.Draft4Validator:
    import jsonschema

    return jsonschema.Draft4Validator({**schema, "definitions": swagger()["definitions"]})


def body_schema(path: str, method: str) -> dict:
    op = swagger()["paths"][path][method]
    return next(p["schema"] for p in op["parameters"] if p.get("in") == "body")


def query_names(path: str, method: str) -> set[str]:
    names = set()
    for p in swagger()["paths"][path][method]["parameters"]:
        p = swagger()["parameters"][p["$ref"].split("/")[-1]] if "$ref" in p else p
        if p.get("in") == "query":
            names.add(p["name"])
    return names


class BlackboardStandIn:
    """Keeps its users and courses in memory.

    :param root: the server's address when another server (make run's) routes to this
        one; None starts a server of its own on a free loopback port.
    """

    def __init__(self, root: str | None = None) -> None:
        self.tokens: set[str] = set()
        self.issued = 0
        self.users: dict[str, dict] = {}  # by Blackboard id
        self.courses: dict[str, dict] = {}
        self.invalid: list[str] = []  # what the swagger refused, requests and answers
        self.calls: list[tuple[str, str]] = []  # (method, path)
        self._ids = itertools.count(100)
        self.server = None if root else LoopbackHttpServer(self.answer).start()
        self.root = root or self.server.url

    @property
    def url(self) -> str:
        return self.root

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def add_user(self, **fields) -> str:
        ident = f"_{next(self._ids)}_1"
        self.users[ident] = {"id": ident, **fields}
        return ident

    def add_course(self, **fields) -> str:
        ident = f"_{next(self._ids)}_1"
        self.courses[ident] = {"id": ident, **fields}
        return ident

    # --- the server --------------------------------------------------------------------

    def answer(self, request: Request) -> Answer:
        self.calls.append((request.method, request.path))
        if request.path == f"{PUBLIC}/v1/oauth2/token" and request.method == "POST":
            return self._token(request)
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
            return self._error(401, "Bearer token is invalid")
        path = unquote(request.path)
        for prefix, store, kind, schema in (
            (f"{PUBLIC}/v1/users", self.users, "/learn/api/public/v1/users", USER),
            (f"{PUBLIC}/v3/courses", self.courses, "/learn/api/public/v3/courses", COURSE),
        ):
            if path == prefix and request.method == "GET":
                return self._list(request, store, kind, schema)
            if path == prefix and request.method == "POST":
                return self._create(request, store, kind, schema)
            if path.startswith(prefix + "/") and request.method == "PATCH":
                item = "/{userId}" if "users" in kind else "/{courseId}"
                return self._update(request, store, kind + item, schema, path[len(prefix) + 1 :])
        return self._error(404, "No such resource")

    def _check(self, what: str, schema: dict, value: object) -> list[str]:
        errors = [f"{what}: {e.message}" for e in _validator(schema).iter_errors(value)]
        self.invalid += errors
        return errors

    def _json(self, status: int, body: object, schema: str | None = None) -> Answer:
        if schema:
            self._check(f"answer {status}", {"$ref": f"#/definitions/{schema}"}, body)
        return Answer(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def _error(self, status: int, message: str) -> Answer:
        return self._json(status, {"status": str(status), "message": message}, ERROR)

    def _token(self, request: Request) -> Answer:
        expected = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        grant = parse_qs(request.body.decode()).get("grant_type") or request.query.get("grant_type")
        if request.headers.get("authorization") != expected or grant != ["client_credentials"]:
            return self._error(401, "Invalid client credentials")
        self.issued += 1
        token = f"bb-token-{self.issued}"
        self.tokens.add(token)
        return self._json(
            200, {"access_token": token, "token_type": "bearer", "expires_in": 3599}, TOKEN
        )

    def _list(self, request: Request, store: dict, path: str, schema: str) -> Answer:
        unknown = set(request.query) - query_names(path, "get")
        if unknown:
            self.invalid.append(f"GET {path}: unknown parameters {sorted(unknown)}")
            return self._error(400, f"Unknown parameters {sorted(unknown)}")
        offset = int(request.query.get("offset", ["0"])[0])
        limit = int(request.query.get("limit", ["100"])[0])
        rows = list(store.values())
        body: dict = {"results": rows[offset : offset + limit]}
        if offset + limit < len(rows):
            body["paging"] = {"nextPage": f"{path}?offset={offset + limit}&limit={limit}"}
        for row in body["results"]:
            self._check(f"GET {path} item", {"$ref": f"#/definitions/{schema}"}, row)
        return self._json(200, body)

    def _create(self, request: Request, store: dict, path: str, schema: str) -> Answer:
        body = json.loads(request.body)
        errors = self._check(f"POST {path}", body_schema(path, "post"), body)
        if errors:
            return self._error(400, errors[0])
        for row in store.values():
            for unique in ("externalId", "userName", "courseId"):
                if unique in body and row.get(unique) == body[unique]:
                    return self._error(409, f"A record with this {unique} already exists")
        ident = f"_{next(self._ids)}_1"
        record = {k: v for k, v in body.items() if k != "password"}
        store[ident] = {"id": ident, **record}
        return self._json(201, store[ident], schema)

    def _update(self, request: Request, store: dict, path: str, schema: str, ref: str) -> Answer:
        body = json.loads(request.body)
        errors = self._check(f"PATCH {path}", body_schema(path, "patch"), body)
        if errors:
            return self._error(400, errors[0])
        key, _, value = ref.partition(":") if ":" in ref else ("id", "", ref)
        row = next((r for r in store.values() if r.get(key) == value), None)
        if row is None:
            return self._error(404, f"No record with {key} {value}")
        row.update(body)
        return self._json(200, row, schema)
