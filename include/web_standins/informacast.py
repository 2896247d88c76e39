"""A local stand-in for InformaCast Fusion's scenarios listing (tests and make run; loopback
only): GET /api/v1/scenarios with a Bearer token, paged by ``start`` tokens, each page checked
against the contract in specs/informacast-scenarios-contract.json."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from include.web_standins.loopback import Answer, LoopbackHttpServer, Request

# jsonschema is imported on the first request (make run's long-lived process starts this
# stand-in whether or not a job calls it).

CONTRACT = Path(__file__).parent / "specs" / "informacast-scenarios-contract.json"
TOKEN = "informacast-service-token"
PAGE = 2  # two scenarios a page, so even a small account is read over several pages


@cache
def contract() -> dict:
    return json.loads(CONTRACT.read_text())


class InformaCastStandIn:
    """The account's scenarios, ``scenario_ids`` in that order.

    :param scenario_ids: the ids the account holds (each named "Scenario <id>").
    :param root: the server's address when another server (make run's) routes to this one;
        None starts a server of its own on a free loopback port.
    """

    def __init__(self, scenario_ids: list[str], root: str | None = None) -> None:
        self.scenarios = [{"id": i, "name": f"Scenario {i}"} for i in scenario_ids]
        self.invalid: list[str] = []
        self.fail_at: dict[str, list[Answer]] = {}  # page start -> answers to give first
        self.server = None if root else LoopbackHttpServer(self.answer).start()
        self.root = root or self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def answer(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return Answer(401, b'{"status": 401, "message": "Unauthorized"}')
        if request.path != "/api/v1/scenarios" or request.method != "GET":
            return Answer(404)
        unknown = set(request.query) - {"limit", "start"}
        if unknown:
            self.invalid.append(f"unknown parameters {sorted(unknown)}")
        limit = min(int(request.query.get("limit", [PAGE])[0]), PAGE)
        start = int(request.query.get("start", ["0"])[0])
        if self.fail_at.get(str(start)):  # a test's injected failures for that page
            return self.fail_at[str(start)].pop(0)
        page = self.scenarios[start : start + limit]
        more = start + limit < len(self.scenarios)
        body = {
            "total": len(self.scenarios),
            "data": page,
            "next": str(start + limit) if more else None,
            "previous": None,
        }
        import jsonschema

        checker = jsonschema.Draft7Validator(contract())
        self.invalid += [e.message for e in checker.iter_errors(body)]
        return Answer(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
