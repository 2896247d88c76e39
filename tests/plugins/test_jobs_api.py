"""The Scheduled Jobs API inside a real Airflow api-server, for each role of Airflow's auth."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
import sqlalchemy as sa
import yaml

from include.jobs_file import dump_jobs
from include.local_airflow import airflow_env, prepare
from job_library.schema import job_output
from tests.e2e.conftest import _free_port
from tests.e2e.test_history_retention import _wait_for_token
from tests.rows import good_row, insert_rows

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

NEW_JOB = {
    "id": "nightly-addresses",
    "title": "Nightly Address Corrections",
    "class": "address_corrections",
    "run_time": "03:15",
    "weekdays": ["mon", "wed"],
    "priority": 650,
    "emails": ["registrar@district.org"],
}


class Api:
    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def __getattr__(self, method: str):
        def call(path: str, **kwargs) -> requests.Response:
            return self.session.request(method.upper(), f"{self.url}{path}", timeout=60, **kwargs)

        return call


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    home = tmp_path_factory.mktemp("jobs-api")
    port = _free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_"))}
    env = airflow_env(focus_home=home / "focus", port=port, base=base)
    env["FOCUS_UI_DIST"] = str(_bundle(home / "ui-dist"))
    passwords = prepare(env)
    subprocess.run(["airflow", "dags", "reserialize"], env=env, check=True, capture_output=True)
    log_path = home / "api-server.log"
    proc = subprocess.Popen(
        ["airflow", "api-server"],
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        tokens = {}
        for role in ("admin", "op", "user", "viewer"):
            tokens[role] = _wait_for_token_as(url, role, passwords[role], log_path)
        yield {
            "url": url,
            "tokens": tokens,
            "focus_db": f"sqlite:///{home / 'focus' / 'focus.db'}",
            "airflow_db": env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"],
        }
    finally:
        os.killpg(os.getpgid(proc.pid), signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(os.getpgid(proc.pid), signal.SIGKILL)


def _bundle(folder: Path) -> Path:
    """A stand-in for the built screen (ui/ builds the real one): what the plugin serves."""
    (folder / "assets").mkdir(parents=True)
    (folder / "main.js").write_text('globalThis["Scheduled Jobs"] = () => null;\n')
    (folder / "assets" / "chunk.css").write_text("body { color: inherit; }\n")
    return folder


def _wait_for_token_as(url: str, user: str, password: str, log: Path) -> str:
    if user == "admin":
        return _wait_for_token(url, password, log)
    r = requests.post(
        f"{url}/auth/token", json={"username": user, "password": password}, timeout=10
    )
    assert r.status_code in (200, 201), r.text
    return r.json()["access_token"]


def api(server: dict, role: str | None) -> Api:
    return Api(f"{server['url']}/focus-jobs", server["tokens"].get(role) if role else None)


def test_anonymous_requests_get_401_and_old_addresses_lead_to_airflows_pages(server):
    anonymous = api(server, None)
    for path in ("/api/jobs", "/api/history", "/api/lookups/schools", "/api/me", "/api/catalog"):
        refused = anonymous.get(path)
        assert refused.status_code == 401, path
        assert isinstance(refused.json()["detail"], str)
    assert anonymous.post("/api/jobs", json=NEW_JOB).status_code == 401
    # The iframe screen is gone: its addresses now open Airflow's own pages (which log in).
    page = anonymous.get("/", allow_redirects=False)
    assert page.status_code == 307 and page.headers["location"] == "/plugin/scheduled-jobs"
    out = anonymous.get("/output/address-corrections/manual__2026-01-01T00:00:00+00:00",
                        allow_redirects=False)  # fmt: skip
    assert out.headers["location"] == (
        "/dags/address-corrections/runs/manual__2026-01-01T00%3A00%3A00%2B00%3A00/plugin/job-output"
    )


def test_each_role_gets_the_screen_it_may_use(server):
    for role, can_edit in (("admin", True), ("op", True), ("user", True), ("viewer", False)):
        me = api(server, role).get("/api/me").json()
        assert me == {"username": role, "can_edit": can_edit}


def test_the_screen_is_a_react_app_of_airflows_own_page(server):
    plugins = requests.get(
        f"{server['url']}/api/v2/plugins",
        headers={"Authorization": f"Bearer {server['tokens']['admin']}"},
        timeout=30,
    ).json()["plugins"]
    ours = next(p for p in plugins if p["name"] == "focus_jobs")
    assert ours["external_views"] == []  # no iframe remains
    apps = {a["url_route"]: a for a in ours["react_apps"]}
    assert {(r, a["destination"], a["name"]) for r, a in apps.items()} == {
        ("scheduled-jobs", "nav", "Scheduled Jobs"),
        ("job-output", "dag_run", "Job output"),
        ("task-job-output", "task_instance", "Job output"),
    }
    for entry in apps.values():
        assert entry["bundle_url"] == "focus-jobs/ui/main.js"
        for key in ("icon", "icon_dark_mode"):
            icon = requests.get(f"{server['url']}/{entry[key]}", timeout=30)
            assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
            assert icon.text.startswith("<svg")
    # The bundle: no login needed (it is code), revalidated by its ETag, nothing outside it.
    bundle = requests.get(f"{server['url']}/focus-jobs/ui/main.js", timeout=30)
    assert bundle.status_code == 200 and bundle.headers["content-type"].startswith(
        "text/javascript"
    )
    assert 'globalThis["Scheduled Jobs"]' in bundle.text
    assert bundle.headers["cache-control"] == "no-cache"
    again = requests.get(
        f"{server['url']}/focus-jobs/ui/main.js",
        headers={"If-None-Match": bundle.headers["etag"]},
        timeout=30,
    )
    assert again.status_code == 304
    css = requests.get(f"{server['url']}/focus-jobs/ui/assets/chunk.css", timeout=30)
    assert css.headers["content-type"].startswith("text/css")
    for bad in ("../main.js", "..%2F..%2Fetc%2Fpasswd", "assets/../../ui-dist/main.js", "nope.js"):
        assert requests.get(f"{server['url']}/focus-jobs/ui/{bad}", timeout=30).status_code == 404
    assert (
        requests.get(f"{server['url']}/focus-jobs/icons/..%2Fjobs_api.py", timeout=30).status_code
        == 404
    )


def test_op_may_edit_a_job(server):
    op = api(server, "op")
    job = op.get("/api/jobs/address-corrections").json()["job"]
    changed = op.put("/api/jobs/address-corrections", json={**job, "priority": 510})
    assert changed.status_code == 200
    assert op.get("/api/jobs/address-corrections").json()["job"]["priority"] == 510
    assert op.put("/api/jobs/address-corrections", json=job).status_code == 200


def test_viewer_reads_but_cannot_change_anything(server):
    viewer = api(server, "viewer")
    listing = viewer.get("/api/jobs")
    assert listing.status_code == 200
    jobs = {j["id"]: j for j in listing.json()["jobs"]}
    assert {"address-corrections", "daily-maintenance", "legacy-php-export"} <= set(jobs)
    assert jobs["legacy-php-export"]["missing_class"] is True
    assert jobs["address-corrections"]["missing_class"] is False
    assert viewer.get("/api/history").status_code == 200
    assert viewer.post("/api/jobs", json=NEW_JOB).status_code == 403
    assert viewer.put("/api/jobs/address-corrections", json={}).status_code == 403
    assert viewer.delete("/api/jobs/address-corrections").status_code == 403
    assert viewer.post("/api/jobs/address-corrections/run").status_code == 403
    assert (
        viewer.post(
            "/api/import", data="jobs: []", headers={"content-type": "application/yaml"}
        ).status_code
        == 403
    )


def test_listing_sorts_filters_and_pages(server):
    user = api(server, "user")
    by_priority = user.get("/api/jobs", params={"sort": "priority", "desc": "true"}).json()["jobs"]
    priorities = [j["priority"] for j in by_priority]
    assert priorities == sorted(priorities, reverse=True) and priorities[0] == 900
    first = user.get("/api/jobs", params={"sort": "title", "page_size": 2, "page": 1}).json()
    second = user.get("/api/jobs", params={"sort": "title", "page_size": 2, "page": 2}).json()
    # The demo's five jobs and the Communication Queue that seed-defaults installs.
    assert first["pages"] == 3 and first["total"] == 6
    titles = [j["title"] for j in first["jobs"] + second["jobs"]]
    assert titles == sorted(titles, key=str.lower)
    only = user.get("/api/jobs", params=[("filter", "class:maintenance")]).json()["jobs"]
    assert [j["id"] for j in only] == ["daily-maintenance"]
    listing = user.get("/api/jobs", params=[("filter", "class_title:equals:daily maintenance")])
    body = listing.json()
    assert [j["id"] for j in body["jobs"]] == ["daily-maintenance"]
    maintenance = body["jobs"][0]
    assert body["timezone"] == "America/New_York"
    assert body["timezone_abbreviation"] in ("EST", "EDT")
    summer = maintenance["next_run"].endswith("-04:00")
    assert maintenance["job_time"] == f"1:00 AM {'EDT' if summer else 'EST'}"
    assert maintenance["class_title"] == "Daily Maintenance"
    assert maintenance["next_run_display"].endswith(f"1:00 AM {'EDT' if summer else 'EST'}")
    assert user.get("/api/jobs", params={"sort": "colour"}).status_code == 400
    early = user.get("/api/jobs", params=[("filter", "job_time:before:1:30 AM")]).json()["jobs"]
    assert "daily-maintenance" in {j["id"] for j in early}
    assert all(j["run_time"] < "01:30" for j in early)
    bad = user.get("/api/jobs", params=[("filter", "priority:before:noon")])
    assert bad.status_code == 400
    assert bad.json() == {
        "detail": "filter 'priority:before:noon': before works on job_time, start_date, "
        "end_date, next_run"
    }
    zero = user.get("/api/jobs", params={"page": 0})
    assert zero.status_code == 422 and zero.json()["detail"].startswith("page: ")


def test_user_creates_edits_previews_and_a_bad_save_changes_nothing(server):
    user = api(server, "user")
    bad = user.post("/api/jobs", json={**NEW_JOB, "weekdays": ["someday"], "priority": "top"})
    assert bad.status_code == 422
    fields = {(e["field"], e["value"]) for e in bad.json()["errors"]}
    assert fields == {("weekdays.0", "someday"), ("priority", "top")}
    assert user.get(f"/api/jobs/{NEW_JOB['id']}").status_code == 404
    created = user.post("/api/jobs", json=NEW_JOB)
    assert created.status_code == 201, created.text
    # The save asked Airflow to re-parse the jobs' DAG file (no restart, no 30 s wait).
    meta = sa.create_engine(server["airflow_db"])
    with meta.connect() as conn:
        requested = (
            conn.execute(sa.text("SELECT relative_fileloc FROM dag_priority_parsing_request"))
            .scalars()
            .all()
        )
    meta.dispose()
    assert "focus_jobs.py" in requested
    assert user.post("/api/jobs", json=NEW_JOB).status_code == 422  # the id is taken
    edited = user.put(f"/api/jobs/{NEW_JOB['id']}", json={**NEW_JOB, "priority": 700})
    assert edited.status_code == 200
    assert user.get(f"/api/jobs/{NEW_JOB['id']}").json()["job"]["priority"] == 700
    preview = user.post("/api/preview", json=NEW_JOB).json()
    assert len(preview["runs"]) == 10
    for at in map(dt.datetime.fromisoformat, preview["runs"]):
        assert at.strftime("%a %H:%M") in ("Mon 03:15", "Wed 03:15")
    assert api(server, "admin").delete(f"/api/jobs/{NEW_JOB['id']}").status_code == 204
    assert user.get(f"/api/jobs/{NEW_JOB['id']}").status_code == 404


def test_run_now_records_who_and_from_where(server):
    user = api(server, "user")
    response = user.post("/api/jobs/address-corrections/run")
    assert response.status_code == 200, response.text
    run_id = response.json()["dag_run_id"]
    airflow = requests.get(
        f"{server['url']}/api/v2/dags/address-corrections/dagRuns/{run_id}",
        headers={"Authorization": f"Bearer {server['tokens']['admin']}"},
        timeout=30,
    ).json()
    assert airflow["run_type"] == "manual"
    assert airflow["conf"] == {"triggered_by": "user", "ip": "127.0.0.1"}
    assert response.json()["run_url"] == (
        f"/dags/address-corrections/runs/{quote(run_id, safe='')}"
    )


def test_export_then_import_all_or_nothing(server):
    user = api(server, "user")
    exported = yaml.safe_load(user.get("/api/export").text)["jobs"]
    assert {j["id"] for j in exported} >= {"address-corrections", "daily-maintenance"}
    filtered = yaml.safe_load(user.get("/api/export", params=[("filter", "id:daily")]).text)
    assert [j["id"] for j in filtered["jobs"]] == ["daily-maintenance"]
    broken = dump_jobs(
        [
            {**NEW_JOB, "id": "import-ok"},
            {
                **NEW_JOB,
                "id": "import-bad",
                "end_date": "2020-01-01",
                "start_date": "2021-01-01",
            },
        ]
    )
    refused = user.post("/api/import", data=broken, headers={"content-type": "application/yaml"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["text"] == (
        "row 2, job 'import-bad': end_date '2020-01-01': is before start_date 2021-01-01"
    )
    assert user.get("/api/jobs/import-ok").status_code == 404
    good = dump_jobs([{**NEW_JOB, "id": "import-ok"}])
    accepted = user.post("/api/import", data=good, headers={"content-type": "application/yaml"})
    assert accepted.json() == {"created": 1, "updated": 0}


def _airflow_tables(server: dict) -> tuple[sa.Engine, sa.Table, sa.Table]:
    from airflow.models import import_all_models

    import_all_models()
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance

    return sa.create_engine(server["airflow_db"]), DagRun.__table__, TaskInstance.__table__


def _finish(server: dict, run_id: str, run_state: str, task_state: str, seconds: float) -> None:
    """Record in Airflow's database what its scheduler and worker would have: the run's end
    and its job task with the task's own duration."""
    engine, dag_run, ti = _airflow_tables(server)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    with engine.begin() as conn:
        conn.execute(
            dag_run.update()
            .where(dag_run.c.dag_id == "address-corrections", dag_run.c.run_id == run_id)
            .values(state=run_state, start_date=start, end_date=start + dt.timedelta(minutes=1))
        )
        # Airflow created the run's task instances when the run was triggered.
        done = conn.execute(
            ti.update()
            .where(
                ti.c.dag_id == "address-corrections",
                ti.c.run_id == run_id,
                ti.c.task_id == "run_job",
            )
            .values(
                state=task_state,
                start_date=start + dt.timedelta(seconds=2),
                end_date=start + dt.timedelta(seconds=2 + seconds),
                duration=seconds,
            )
        )
        assert done.rowcount == 1
    engine.dispose()


def test_history_reads_airflows_runs_and_shows_output_sanitised(server):
    user, viewer = api(server, "user"), api(server, "viewer")
    ran = [user.post("/api/jobs/address-corrections/run").json()["dag_run_id"] for _ in range(3)]
    queued = viewer.get("/api/history", params={"job": "address-corrections", "page_size": 500})
    body = queued.json()
    mine = {r["run_id"]: r for r in body["runs"] if r["run_id"] in ran}
    assert set(mine) == set(ran) and body["live"] is True
    first = mine[ran[0]]
    assert (first["state"], first["duration_seconds"], first["ran_by"]) == (
        "queued",
        None,
        "user (127.0.0.1)",
    )
    assert first["title"] == "Address Corrections" and first["has_output"] is False
    assert first["run_url"] == f"/dags/address-corrections/runs/{quote(ran[0], safe='')}"
    assert first["log_url"] == first["run_url"] + "/tasks/run_job"
    assert first["time_display"].endswith(("EST", "EDT"))

    _finish(server, ran[0], "success", "success", 42.0)
    _finish(server, ran[1], "failed", "failed", 3.0)
    _finish(server, ran[2], "success", "skipped", 0.0)
    engine = sa.create_engine(server["focus_db"])
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(job_output),
            {
                "job_id": "address-corrections",
                "run_id": ran[0],
                "started_at": now - dt.timedelta(minutes=5),
                "finished_at": now - dt.timedelta(minutes=4),
                "success": True,
                "summary": "3 addresses corrected",
                "text_output": "new text",
                "html_output": "<p>Hi</p><script>alert(1)</script><img src=x onerror=alert(2)>",
            },
        )
    engine.dispose()
    done = viewer.get(
        "/api/history",
        params={"job": "address-corrections", "sort": "duration", "desc": "true", "page_size": 500},
    ).json()["runs"]
    finished = [
        (r["run_id"], r["state"], r["duration_seconds"]) for r in done if r["run_id"] in ran
    ]
    assert finished == [
        (ran[0], "success", 42.0),
        (ran[1], "failed", 3.0),
        (ran[2], "skipped", 0.0),
    ]
    shown = next(r for r in done if r["run_id"] == ran[0])
    assert (shown["summary"], shown["success"], shown["has_output"]) == (
        "3 addresses corrected",
        True,
        True,
    )
    out = viewer.get(f"/api/history/address-corrections/{quote(ran[0], safe='')}").json()
    assert out["text"] == "new text" and out["state"] == "success"
    assert "<p>Hi</p>" in out["html"]
    assert "<script" not in out["html"] and "onerror" not in out["html"]
    assert out["run_url"] == shown["run_url"] and out["log_url"] == shown["log_url"]
    none = viewer.get(f"/api/history/address-corrections/{quote(ran[1], safe='')}")
    assert none.status_code == 404 and "has stored no output" in none.json()["detail"]
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).date().isoformat()
    later = viewer.get("/api/history", params={"from": tomorrow}).json()
    assert later["runs"] == [] and later["total"] == 0 and later["live"] is False
    assert viewer.get("/api/history", params={"sort": "colour"}).status_code == 400


def test_openapi_document_describes_the_api(server):
    spec = requests.get(f"{server['url']}/focus-jobs/openapi.json", timeout=30).json()
    assert {"/api/jobs", "/api/jobs/{dag_id}", "/api/history", "/api/import"} <= set(spec["paths"])


# --- The district's configuration: site profile, System Preferences, availability ---------

ALL_ADD_ONS = [
    "communication",
    "document_management",
    "medical",
    "attendance_scanner",
    "fps",
    "sss",
    "erp",
]


def _focus(server: dict) -> sa.Engine:
    return sa.create_engine(server["focus_db"])


def test_the_demo_site_profile_is_shown_read_only(server):
    site = api(server, "viewer").get("/api/site")
    assert site.status_code == 200
    assert site.json() == {
        "set": True,
        "state": "FL",
        "kind": "production",
        "add_ons": ALL_ADD_ONS,
        "add_on_titles": [
            "Communication / Call Out",
            "Document Management",
            "Medical",
            "Attendance Scanner",
            "FPS (postsecondary and adult education)",
            "SSS (student support services)",
            "ERP",
        ],
    }
    assert api(server, "admin").put("/api/site", json={}).status_code == 405


def test_everyone_reads_preferences_and_only_an_admin_changes_them(server):
    viewer = api(server, "viewer").get("/api/prefs").json()
    assert viewer["can_edit"] is False
    prefs = {p["key"]: p for p in viewer["preferences"]}
    assert prefs["mtss_enrollment_alert_profile"]["district"] == "Counselor"
    assert prefs["class_rank_by"]["schools"] == {"6": "weighted", "7": "unweighted"}
    assert api(server, "admin").get("/api/prefs").json()["can_edit"] is True
    for role in ("op", "user", "viewer"):
        refused = api(server, role).put("/api/prefs/email_unsuccessful_only", json={"value": "on"})
        assert refused.status_code == 403, role
        assert refused.json()["detail"] == "only an administrator may change System Preferences"
        assert api(server, role).delete("/api/prefs/timezone").status_code == 403
    admin = api(server, "admin")
    bad = admin.put("/api/prefs/timezone", json={"value": "Mars/Olympus"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["text"] == (
        "preference timezone: 'Mars/Olympus' is not an IANA time zone (e.g. America/Chicago)"
    )
    assert admin.put("/api/prefs/timezone", json={"value": 5}).status_code == 422
    with _focus(server).connect() as conn:
        stored = conn.execute(
            sa.text("SELECT value FROM system_preferences WHERE key = 'timezone'")
        ).scalar_one()
    assert stored == "America/New_York"  # the demo's, unchanged
    ok = admin.put("/api/prefs/class_rank_by", json={"value": "Unweighted", "school_id": 5})
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"key": "class_rank_by", "school_id": 5, "value": "unweighted"}
    again = api(server, "viewer").get("/api/prefs").json()["preferences"]
    assert next(p for p in again if p["key"] == "class_rank_by")["schools"]["5"] == "unweighted"
    gone = admin.delete("/api/prefs/class_rank_by", params={"school_id": 5})
    assert gone.json() == {"key": "class_rank_by", "school_id": 5, "removed": True}


def test_a_class_the_site_may_not_run_is_disabled_flagged_and_refused(server):
    from job_library.site import SiteProfile, write_site_profile
    from tests.rows import good_row, insert_rows

    engine = _focus(server)
    admin = api(server, "admin")
    with engine.begin() as conn:
        write_site_profile(conn, SiteProfile(state="GA", add_ons={"sss"}), user="test")
    insert_rows(engine, good_row("fl-ids", job_class="florida_test_id_assignment"))
    reason = (
        "Florida Test ID Assignment is for FL districts; this site's state is GA "
        "(focus-jobs site --state)"
    )
    try:
        entries = {e["key"]: e for e in admin.get("/api/catalog").json()}
        assert entries["florida_test_id_assignment"]["available"] is False
        assert entries["florida_test_id_assignment"]["unavailable"] == reason
        assert entries["frontline_leave"]["unavailable"] == (
            "Frontline Leave needs the ERP add-on, which this site has not purchased"
        )
        assert entries["address_corrections"]["available"] is True
        assert entries["attendance_summary_calculation"]["default_title"] == (
            "Attendance Summary Calculation"
        )
        assert entries["daily_maintenance"]["default_schedule"]["run_time"] == "01:00"
        created = admin.post(
            "/api/jobs", json={**NEW_JOB, "id": "more-ids", "class": "florida_test_id_assignment"}
        )
        assert created.status_code == 422
        assert created.json()["errors"][0]["field"] == "class"
        assert created.json()["errors"][0]["message"] == reason
        assert admin.get("/api/jobs/more-ids").status_code == 404
        listed = admin.get("/api/jobs", params=[("filter", "id:fl-ids")]).json()["jobs"]
        assert [(j["id"], j["unavailable"], j["missing_class"]) for j in listed] == [
            ("fl-ids", reason, False)
        ]
        refused = admin.post("/api/jobs/fl-ids/run")
        assert refused.status_code == 409
        assert refused.json()["detail"] == reason
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM scheduled_jobs WHERE id = 'fl-ids'"))
            write_site_profile(conn, SiteProfile(state="FL", add_ons=ALL_ADD_ONS), user="test")


def test_the_jobs_list_says_when_retention_is_not_enforced(server):
    engine = _focus(server)
    user = api(server, "user")
    assert user.get("/api/jobs").json()["retention_warning"] is None
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE scheduled_jobs SET active = false WHERE id = 'daily-maintenance'")
        )
    try:
        warning = user.get("/api/jobs").json()["retention_warning"]
        assert warning.startswith("Retention is not enforced: no active Daily Maintenance job")
    finally:
        with engine.begin() as conn:
            conn.execute(
                sa.text("UPDATE scheduled_jobs SET active = true WHERE id = 'daily-maintenance'")
            )


class Recorder:
    """A loopback HTTP server that records every request it gets (and answers 200)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str | None]] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _record(self) -> None:
                recorder.requests.append(
                    (self.command, self.path, self.headers.get("Authorization"))
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"dag_run_id": "stolen", "file_token": "x"}')

            do_GET = do_POST = do_PUT = _record

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_calls_to_airflow_never_follow_the_host_header(server):
    recorder = Recorder()
    try:
        user = api(server, "user")
        elsewhere = {"Host": f"127.0.0.1:{recorder.port}"}
        ran = user.post("/api/jobs/address-corrections/run", headers=elsewhere)
        assert ran.status_code == 200, ran.text
        assert ran.json()["dag_run_id"] != "stolen"
        job = user.get("/api/jobs/address-corrections").json()["job"]
        assert user.put("/api/jobs/address-corrections", json=job, headers=elsewhere).ok
        assert recorder.requests == []  # neither the calls nor the caller's token went there
    finally:
        recorder.close()


def test_state_changing_routes_refuse_cross_origin_requests(server):
    user = api(server, "user")
    evil = {"Origin": "http://evil.example"}
    cross = {"Sec-Fetch-Site": "cross-site"}
    assert user.post("/api/jobs", json=NEW_JOB, headers=evil).status_code == 403
    assert user.post("/api/jobs", json=NEW_JOB, headers=cross).status_code == 403
    assert user.put("/api/jobs/address-corrections", json={}, headers=evil).status_code == 403
    assert user.delete("/api/jobs/address-corrections", headers=cross).status_code == 403
    run = user.post("/api/jobs/address-corrections/run", headers={"Sec-Fetch-Site": "same-site"})
    assert run.status_code == 403
    yaml_null = {"content-type": "application/yaml", "Origin": "null"}
    assert user.post("/api/import", data="jobs: []", headers=yaml_null).status_code == 403
    assert user.get(f"/api/jobs/{NEW_JOB['id']}").status_code == 404
    assert user.get("/api/jobs/address-corrections").status_code == 200
    same = {"Origin": server["url"], "Sec-Fetch-Site": "same-origin"}
    assert user.post("/api/preview", json=NEW_JOB, headers=same).status_code == 200
    # System Preferences too: an administrator's browser cannot be made to change them.
    admin = api(server, "admin")
    flag = "/api/prefs/email_unsuccessful_only"

    def stored() -> object:
        prefs = {p["key"]: p for p in admin.get("/api/prefs").json()["preferences"]}
        return prefs["email_unsuccessful_only"]["district"]

    before = stored()
    for headers in (evil, cross):
        assert admin.put(flag, json={"value": "on"}, headers=headers).status_code == 403
        assert admin.delete(flag, headers=headers).status_code == 403
    as_text = {"content-type": "text/plain"}
    assert admin.put(flag, data='{"value": "on"}', headers=as_text).status_code == 415
    assert stored() == before


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/jobs", "text/plain"),
        ("/api/jobs", "application/x-www-form-urlencoded"),
        ("/api/preview", "text/plain"),
        ("/api/import", "text/plain"),
        ("/api/import", "application/json"),
        ("/api/import", "multipart/form-data; boundary=x"),
    ],
)
def test_bodies_need_a_json_or_yaml_content_type(server, path, content_type):
    user = api(server, "user")
    body = json.dumps(NEW_JOB) if path != "/api/import" else "jobs: []"
    response = user.post(path, data=body, headers={"content-type": content_type})
    assert response.status_code == 415
    assert user.get(f"/api/jobs/{NEW_JOB['id']}").status_code == 404


ALIAS_BOMB = "a: &a [x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(25)
)


@pytest.mark.parametrize(
    ("data", "status", "fragment"),
    [
        (ALIAS_BOMB + "jobs: []\n", 422, "anchors (&a) are not allowed"),
        ("jobs:\n  - <<: {id: x}\n", 422, "merge keys (<<) are not allowed"),
        ("jobs: " + "[" * 5000 + "]" * 5000, 422, "nested deeper than 20 levels"),
        ("jobs:\n  - id: caf\xe9\n".encode("latin-1"), 422, "not UTF-8: byte 0xe9"),
        ("jobs: [\n", 422, "not valid YAML"),
        ("jobs: []\n" + "#" * (5 * 2**20), 413, "larger than the 5 MB"),
    ],
)
def test_a_bad_import_file_gets_a_short_4xx_quickly(server, data, status, fragment):
    user = api(server, "user")
    started = time.monotonic()
    response = user.post("/api/import", data=data, headers={"content-type": "application/yaml"})
    assert time.monotonic() - started < 1.0
    assert response.status_code == status
    assert fragment in response.text and len(response.text) < 400


def test_unquoted_times_and_missing_classes_through_the_api(server):
    user = api(server, "user")
    text = "jobs:\n  - {id: api-times, title: T, class: address_corrections, run_time: 14:30}\n"
    imported = user.post("/api/import", data=text, headers={"content-type": "application/yaml"})
    assert imported.json() == {"created": 1, "updated": 0}
    assert user.get("/api/jobs/api-times").json()["job"]["run_time"] == "14:30"
    assert 'run_time: "14:30"' in user.get("/api/export", params=[("filter", "id:api-times")]).text
    assert user.delete("/api/jobs/api-times").status_code == 204
    lost = {**NEW_JOB, "id": "api-lost", "class": "php_thing"}
    refused = user.post("/api/jobs", json=lost)
    assert refused.status_code == 422
    assert [(e["field"], e["value"]) for e in refused.json()["errors"]] == [("class", "php_thing")]
    assert "allow_missing_class=true" in refused.json()["errors"][0]["message"]
    allowed = user.post("/api/jobs", json=lost, params={"allow_missing_class": "true"})
    assert allowed.status_code == 201
    assert user.put("/api/jobs/api-lost", json={**lost, "priority": 9}).status_code == 200
    assert user.delete("/api/jobs/api-lost").status_code == 204


@pytest.mark.parametrize(
    ("path", "kwargs", "fragment"),
    [
        ("/api/preview", {"json": {**NEW_JOB, "start_date": "2150-01-01"}}, "start_date"),
        ("/api/preview", {"json": {**NEW_JOB, "end_date": "9999-12-31"}}, "end_date"),
        ("/api/preview", {"json": {**NEW_JOB, "run_time": 870}}, "quoted"),
        ("/api/jobs", {"json": {**NEW_JOB, "start_date": "2100-01-01"}}, "2099-12-31"),
        ("/api/history?from=9999-12-31", {}, "from 9999-12-31"),
        ("/api/history?to=0001-01-01", {}, "to 0001-01-01"),
        ("/api/history?from=2026-13-45", {}, "date"),
    ],
)
def test_out_of_range_input_gets_4xx_never_500(server, path, kwargs, fragment):
    user = api(server, "user")
    method = user.post if kwargs else user.get
    response = method(path, **kwargs)
    assert response.status_code == 422, response.text
    assert fragment in response.text
    assert user.get(f"/api/jobs/{NEW_JOB['id']}").status_code == 404


def test_the_jobs_list_and_export_survive_bad_rows_and_flag_them(server):
    engine = sa.create_engine(server["focus_db"])
    insert_rows(
        engine,
        good_row("api-deep", params="[" * 3000 + "]" * 3000),
        good_row("api-weekday", weekdays="someday"),
        good_row("Api Not A Slug!"),
    )
    try:
        viewer = api(server, "viewer")
        listing = viewer.get("/api/jobs", params={"page_size": 100})
        assert listing.status_code == 200
        jobs = {j["id"]: j for j in listing.json()["jobs"]}
        assert jobs["address-corrections"]["invalid"] is False
        for bad in ("api-deep", "api-weekday", "Api Not A Slug!"):
            assert jobs[bad]["invalid"] is True and jobs[bad]["errors"]
        assert "RecursionError" in jobs["api-deep"]["errors"][0]
        one = viewer.get("/api/jobs/api-deep")
        assert one.status_code == 200 and "RecursionError" in one.json()["errors"][0]
        exported = viewer.get("/api/export")
        assert exported.status_code == 200
        assert exported.headers["X-Focus-Left-Out"] == "3"
        assert exported.text.count("# left out, invalid: ") == 3
        ids = {j["id"] for j in yaml.safe_load(exported.text)["jobs"]}
        assert "address-corrections" in ids and "api-deep" not in ids
    finally:
        with engine.begin() as conn:
            conn.execute(
                sa.text("DELETE FROM scheduled_jobs WHERE id LIKE 'api-%' OR id LIKE 'Api%'")
            )
        engine.dispose()


def test_the_docs_page_needs_no_cdn(server):
    assert requests.get(f"{server['url']}/focus-jobs/docs", timeout=30).status_code == 404
    spec = requests.get(f"{server['url']}/focus-jobs/openapi.json", timeout=30)
    assert spec.status_code == 200 and "cdn" not in spec.text.lower()


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"id": "caf\xe9"}', b'{"id": ', b"\xff\xfe{}"],
)
def test_a_json_body_that_cannot_be_read_gets_4xx(server, body):
    user = api(server, "user")
    for path in ("/api/jobs", "/api/preview"):
        response = user.post(path, data=body, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, (path, response.status_code)
        assert len(response.text) < 1000


def test_export_filters_on_what_the_list_shows_for_a_run_after_job(server):
    """The demo chain: Rollover's Job Time reads "After Set Next School for …" in the list,
    and the export's filter matches that same text, never an internal "Every None min"."""
    viewer = api(server, "viewer")
    after = [("filter", "job_time:after set next school")]
    listed = viewer.get("/api/jobs", params=after).json()["jobs"]
    assert [j["class"] for j in listed] == ["rollover"]
    exported = yaml.safe_load(viewer.get("/api/export", params=after).text)["jobs"]
    assert [j["id"] for j in exported] == [listed[0]["id"]]
    # Only the seeded Communication Queue repeats ("Every 15 min"); Rollover never matches.
    every = [("filter", "job_time:every")]
    repeating = viewer.get("/api/jobs", params=every).json()["jobs"]
    assert [(j["id"], j["job_time"]) for j in repeating] == [
        ("communication-queue", "Every 15 min")
    ]
    exported = yaml.safe_load(viewer.get("/api/export", params=every).text)["jobs"]
    assert [j["id"] for j in exported] == ["communication-queue"]


# --- The native screen's additions: lookups, Run Job per role, preview before an id ---------


def test_lookups_for_every_role_and_a_sentence_for_an_unknown_one(server):
    viewer = api(server, "viewer")
    assert set(viewer.get("/api/lookups").json()["lookups"]) >= {
        "schools",
        "users",
        "profiles",
        "attendance_codes",
        "drop_codes",
        "connections",
        "student_fields",
    }
    schools = viewer.get("/api/lookups/schools", params={"q": "oak"}).json()
    assert schools["name"] == "schools" and schools["truncated"] is False
    assert [s["label"] for s in schools["items"]] == ["Oak Ridge Elementary"]
    oak = schools["items"][0]["value"]
    picked = viewer.get("/api/lookups/schools", params=[("value", str(oak)), ("value", "999")])
    assert picked.json()["items"] == schools["items"]
    connections = viewer.get("/api/lookups/connections").json()["items"]
    by_id = {c["value"]: c for c in connections}
    assert by_id["frontline_sftp"]["group"] == "sftp"  # from airflow_settings.yaml
    assert by_id["focus_airflow_api"]["group"] == "http"  # from the environment
    codes = viewer.get("/api/lookups/attendance_codes").json()["items"]
    assert {"A", "P"} <= {c["value"] for c in codes}
    unknown = viewer.get("/api/lookups/colours")
    assert unknown.status_code == 404
    assert unknown.json()["detail"].startswith("there is no lookup named 'colours' (lookups: ")
    assert viewer.get("/api/lookups/schools", params={"limit": 0}).status_code == 422
    catalog = {c["key"]: c for c in viewer.get("/api/catalog").json()}
    schema = catalog["recalculate_daily_attendance"]["params_schema"]
    assert schema["properties"]["schools"]["x-focus-lookup"] == "schools"
    assert catalog["recalculate_daily_attendance"]["module_title"] == "SIS"


def test_run_job_is_offered_by_role_and_a_refusal_is_a_sentence(server):
    viewer_jobs = api(server, "viewer").get("/api/jobs", params={"page_size": 500}).json()["jobs"]
    assert not any(j["can_run"] for j in viewer_jobs)
    user = api(server, "user")
    jobs = {j["id"]: j for j in user.get("/api/jobs", params={"page_size": 500}).json()["jobs"]}
    assert jobs["address-corrections"]["can_run"] is True
    engine = sa.create_engine(server["focus_db"])
    insert_rows(engine, good_row("api-asleep", active=False), good_row("api-unknown-dag"))
    try:
        asleep = user.get("/api/jobs", params=[("filter", "id:equals:api-asleep")]).json()
        assert asleep["jobs"][0]["can_run"] is False and asleep["jobs"][0]["active"] is False
        refused = user.post("/api/jobs/api-asleep/run")
        assert refused.status_code == 409
        assert refused.json() == {
            "detail": "Job 'api-asleep' is inactive: activate it (Edit, Active) before running it."
        }
        # Airflow has not parsed this job's DAG yet: its refusal, as a sentence.
        unknown = user.post("/api/jobs/api-unknown-dag/run")
        assert unknown.status_code == 409
        detail = unknown.json()["detail"]
        assert detail.startswith("Airflow refused the run: ") and detail.endswith(".")
        assert "{" not in detail and "api-unknown-dag" in detail
        missing = user.post("/api/jobs/api-never/run")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "There is no job with id 'api-never'."}
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM scheduled_jobs WHERE id LIKE 'api-%'"))
        engine.dispose()


def test_preview_works_before_an_id_or_title_and_suggests_the_id(server):
    user = api(server, "user")
    schedule = {"run_time": "03:15", "weekdays": ["mon", "wed"], "class": "address_corrections"}
    bare = user.post("/api/preview", json=schedule)
    assert bare.status_code == 200, bare.text
    body = bare.json()
    assert len(body["runs"]) == 10 and body["suggested_id"] is None
    assert body["runs_display"][0].endswith(("3:15 AM EST", "3:15 AM EDT"))
    assert body["timezone_abbreviation"] in ("EST", "EDT")
    # Parameters the form has not filled yet do not stop the preview.
    titled = user.post(
        "/api/preview",
        json={**schedule, "class": "cte_consecutive_absences", "params": {}, "id": "",
              "title": "Élan: Nightly  Address Corrections!"},
    )  # fmt: skip
    assert titled.status_code == 200, titled.text
    assert titled.json()["suggested_id"] == "elan-nightly-address-corrections"
    bad = user.post("/api/preview", json={"run_time": "25:00", "weekdays": []})
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert "run_time" in fields


def test_a_save_lists_every_error_at_once_beside_its_field(server):
    user = api(server, "user")
    taken = {**NEW_JOB, "id": "address-corrections", "weekdays": ["someday"], "priority": "top"}
    refused = user.post("/api/jobs", json=taken)
    assert refused.status_code == 422
    assert [(e["field"], e["value"]) for e in refused.json()["errors"]] == [
        ("id", "address-corrections"),
        ("weekdays.0", "someday"),
        ("priority", "top"),
    ]
    # Valid fields, but the id is taken and the class is not in the catalog: both at once.
    both = user.post("/api/jobs", json={**NEW_JOB, "id": "address-corrections", "class": "php"})
    assert [e["field"] for e in both.json()["errors"]] == ["id", "class"]
    assert all(e["message"] and e["text"] for e in both.json()["errors"])


def test_five_thousand_jobs_are_sorted_filtered_and_paged_on_the_server(server):
    engine = sa.create_engine(server["focus_db"])
    insert_rows(
        engine,
        *[
            good_row(f"bulk-{i:04d}", title=f"Bulk {i:04d}", priority=i % 1000, run_hour=i % 24)
            for i in range(5000)
        ],
    )
    try:
        viewer = api(server, "viewer")
        third = viewer.get(
            "/api/jobs",
            params=[
                ("filter", "title:starts_with:bulk"),
                ("sort", "priority"),
                ("desc", "true"),
                ("page", "3"),
                ("page_size", "100"),
            ],
        ).json()
        assert (third["total"], third["pages"], third["page"]) == (5000, 50, 3)
        # Priorities 999 down: 5 jobs each, so page 3 (jobs 201-300) holds 959 down to 940.
        priorities = [j["priority"] for j in third["jobs"]]
        assert priorities == sorted(priorities, reverse=True)
        assert (priorities[0], priorities[-1]) == (959, 940)
        evening = viewer.get(
            "/api/jobs",
            params=[
                ("filter", "title:starts_with:bulk"),
                ("filter", "job_time:after:9:59 PM"),
                ("filter", "priority:at_most:100"),
                ("page_size", "500"),
            ],
        ).json()
        expected = {f"bulk-{i:04d}" for i in range(5000) if i % 24 >= 22 and i % 1000 <= 100}
        assert {j["id"] for j in evening["jobs"]} == expected
        assert evening["total"] == len(expected)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM scheduled_jobs WHERE id LIKE 'bulk-%'"))
        engine.dispose()
