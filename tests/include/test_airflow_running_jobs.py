"""AirflowRunHistory.running_jobs against a loopback server that checks each request with
Airflow's own published OpenAPI document (the one shipped in the installed Airflow)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import airflow.api_fastapi.core_api as core_api
import pytest
import yaml
from airflow.utils.state import DagRunState

from include.airflow_history import AirflowRunHistory

SPEC = yaml.safe_load(
    (Path(core_api.__file__).parent / "openapi" / "v2-rest-api-generated.yaml").read_text()
)
LIST_RUNS = SPEC["paths"]["/api/v2/dags/{dag_id}/dagRuns"]["get"]
RUN_FIELDS = SPEC["components"]["schemas"]["DAGRunResponse"]["required"]


def _run(dag_id: str, n: int) -> dict:
    run = dict.fromkeys(RUN_FIELDS)
    run.update(dag_id=dag_id, dag_run_id=f"scheduled__{n}", state="running", conf={})
    return run


RUNS = [_run(f"job-{n % 7}", n) for n in range(101)] + [_run("daily-maintenance", 999)]


class _Airflow(BaseHTTPRequestHandler):
    seen: list[dict] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._json(201, {"access_token": "token"})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        declared = {p["name"]: p for p in LIST_RUNS["parameters"] if p["in"] == "query"}
        problems = [f"undeclared parameter {k}" for k in query if k not in declared]
        problems += [f"state {s!r}" for s in query.get("state", []) if s not in set(DagRunState)]
        for name in ("limit", "offset"):
            if name in query and int(query[name][0]) < declared[name]["schema"]["minimum"]:
                problems.append(f"{name} below its minimum")
        if self.headers.get("Authorization") != "Bearer token":
            problems.append("no bearer token")
        if url.path != "/api/v2/dags/~/dagRuns" or problems:
            self._json(422, {"detail": problems or [url.path]})
            return
        type(self).seen.append(query)
        offset, limit = int(query["offset"][0]), int(query["limit"][0])
        states = set(query["state"])
        matching = [r for r in RUNS if r["state"] in states]
        page = matching[offset : offset + limit]
        self._json(200, {"dag_runs": page, "total_entries": len(matching)})


@pytest.fixture
def airflow_api():
    _Airflow.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Airflow)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_running_jobs_lists_every_dag_with_a_queued_or_running_run(airflow_api):
    history = AirflowRunHistory(airflow_api, "admin", "secret")
    assert history.running_jobs() == sorted({f"job-{n}" for n in range(7)} | {"daily-maintenance"})
    assert [q["offset"] for q in _Airflow.seen] == [["0"], ["100"]]  # every page read
    assert all(q["state"] == ["queued", "running"] for q in _Airflow.seen)
