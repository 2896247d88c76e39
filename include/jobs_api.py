"""The Scheduled Jobs screen's JSON API, mounted inside Airflow's api-server by a plugin.

Every route needs Airflow's own login (the ``_token`` cookie or a bearer token) and asks
Airflow's auth manager: reading needs DAG read access (role viewer and above), changing a job
or running it needs DAG edit access (role user and above).
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import nh3
import requests
import sqlalchemy as sa
from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.core_api.security import GetUserDep, get_user, requires_access_dag
from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials

from include.api_guards import (
    YAML_TYPES,
    JsonBody,
    SameOrigin,
    airflow_base_url,
    content_type,
)
from include.cli import valid_documents
from include.config import settings
from include.definitions import (
    EARLIEST_DATE,
    LATEST_DATE,
    FieldError,
    InvalidDefinition,
    JobDefinition,
    district_timezone_error,
    parse_definition,
    quote_value,
    row_to_document,
)
from include.district_config import class_status, retention_warning, run_refusal
from include.focus_db.engine import get_engine
from include.job_order import check_order, dependents, last_runs
from include.jobs_file import MAX_IMPORT_BYTES, ImportFileError, dump_jobs, read_jobs_file
from include.platform_api import router as platform_router
from include.repository import (
    JobTable,
    delete,
    get_timezone,
    read_table,
    upsert,
    validate_documents,
)
from include.save_checks import save_errors
from include.school_calendar import (
    DistrictCalendar,
    describe_skips,
    job_schedule,
    next_run_and_skips,
    read_district_calendar,
    uses_school_days,
)
from job_library.defaults import default_title
from job_library.registry import catalog, get_job_class
from job_library.schema import job_output
from job_library.site import SiteProfile, read_site_profile, unavailable_reason

log = logging.getLogger(__name__)

CanRead = Depends(requires_access_dag("GET"))
CanEdit = Depends(requires_access_dag("PUT"))
# Creating a job creates a DAG: the permission to edit DAGs. (POST on DAGs is "create DAGs",
# which the FAB auth manager gives no role: DAGs normally come from files.)
CanCreate = Depends(requires_access_dag("PUT"))
CanDelete = Depends(requires_access_dag("DELETE"))
SORTABLE = (
    "title",
    "job_time",
    "priority",
    "weekdays",
    "start_date",
    "end_date",
    "class",
    "kind",
    "next_run",
    "id",
)

# No interactive /docs page: FastAPI's loads Swagger UI from a CDN, which an offline
# district server cannot reach. The OpenAPI document itself is /focus-jobs/openapi.json.
app = FastAPI(
    title="Focus Scheduled Jobs",
    description="The Jobs and Execution History screens of Focus, on Airflow.",
    version="1.0",
    docs_url=None,
    redoc_url=None,
)

MISSING_CLASS_HINT = "allow_missing_class=true"


async def yaml_upload(request: Request) -> bytes:
    """The uploaded YAML file, refused early when too large or not YAML."""
    if content_type(request) not in YAML_TYPES:
        raise HTTPException(415, "send the file as YAML (Content-Type: application/yaml)")
    limit = f"the file is larger than the {MAX_IMPORT_BYTES // 2**20} MB an import may hold"
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES:
        raise HTTPException(413, limit)
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_IMPORT_BYTES:
            raise HTTPException(413, limit)
    return bytes(data)


app.include_router(platform_router)  # site profile and System Preferences

PAGE = Path(__file__).with_name("jobs_screen.html")


async def _page(request: Request) -> Response:
    """The screen itself; without a login, Airflow's login page first."""
    token = _caller_token(request)
    bearer = request.headers.get("authorization", "").lower().startswith("bearer ")
    credentials = (
        HTTPAuthorizationCredentials(scheme="Bearer", credentials=token) if bearer else None
    )
    try:
        await get_user(request, None, credentials)
    except HTTPException:
        return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)))
    return HTMLResponse(PAGE.read_text())


@app.get("/", include_in_schema=False)
async def jobs_screen(request: Request) -> Response:
    """The Jobs and Execution History tabs."""
    return await _page(request)


@app.get("/output/{dag_id}/{run_id:path}", include_in_schema=False)
async def output_screen(request: Request) -> Response:
    """One run's output: the external view on Airflow's DAG-run and task-instance pages."""
    return await _page(request)


@app.get("/api/me", dependencies=[CanRead])
def me(user: GetUserDep) -> dict[str, Any]:
    """Who is logged in and whether the screen shows create, edit, delete, run and import."""
    can_edit = get_auth_manager().is_authorized_dag(method="PUT", user=user)
    return {"username": user.get_name(), "can_edit": can_edit}


def _engine() -> sa.Engine:
    return get_engine(settings().db_url)


def _errors(errors: list[FieldError]) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={
            "errors": [
                {
                    "row": e.row,
                    "job_id": e.job_id,
                    "field": e.field,
                    "value": _jsonable(e.value),
                    "message": e.message,
                    "text": str(e),
                }
                for e in errors
            ]
        },
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, str) and len(value) <= 120:
        return value
    return quote_value(value)


def job_time(d: JobDefinition) -> str:
    """The Job Time column: ``2:00 AM``, ``Every 15 min`` for a repeating job, ``After …`` for
    one that runs after others (the list names their titles)."""
    if d.run_after:
        after = "After " + ", ".join(d.run_after)
        return after + (f", not before {_clock_time(d.not_before)}" if d.not_before else "")
    if d.run_time is None:
        return f"Every {d.repeat_minutes} min"
    return _clock_time(d.run_time)


def _flagged(raw: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """The Jobs list entry of a row that cannot be used, whatever is wrong with it."""
    if isinstance(exc, InvalidDefinition):
        errors = [str(e) for e in exc.errors]
    else:
        errors = [f"cannot be read ({type(exc).__name__}: {str(exc)[:200]})"]
    return {
        "id": _jsonable(raw.get("id")),
        "title": _jsonable(raw.get("title")),
        "class": _jsonable(raw.get("job_class")),
        "kind": _jsonable(raw.get("kind")),
        "invalid": True,
        "errors": errors,
        "missing_class": get_job_class(str(raw.get("job_class"))) is None,
        "job_time": "",
        "priority": _jsonable(raw.get("priority")),
        "weekdays": _jsonable(raw.get("weekdays")),
        "start_date": _jsonable(raw.get("start_date")),
        "end_date": _jsonable(raw.get("end_date")),
        "next_run": None,
        "active": _jsonable(raw.get("active")),
        "unavailable": None,
        "run_refused": None,
    }


def _entry(
    raw: dict[str, Any],
    timezone: str,
    now: dt.datetime,
    site: SiteProfile | None,
    calendar: DistrictCalendar,
    runs: dict[str, dict[str, Any]],
    titles: dict[str, Any],
) -> dict[str, Any]:
    """One row's Jobs-list entry; the row is read once, whatever it holds."""
    try:  # whatever one row holds, the other rows are still listed
        if bad_zone := district_timezone_error(str(raw.get("id"))[:100], timezone):
            raise bad_zone
        d = parse_definition(row_to_document(raw))
        entry = _valid_listing(d, timezone, now, site)
    except Exception as exc:
        return _flagged(raw, exc)
    return entry | _order_and_days(d, timezone, now, calendar, runs, titles)


def _valid_listing(
    d: JobDefinition, timezone: str, now: dt.datetime, site: SiteProfile | None
) -> dict[str, Any]:
    schedule = d.schedule(timezone)
    nxt = schedule.next_fire(now) if d.active else None
    job_class = get_job_class(d.job_class)
    return {
        "id": d.id,
        "title": d.title,
        "job_time": job_time(d),
        "priority": d.priority,
        "weekdays": ",".join(d.weekdays),
        "start_date": d.start_date.isoformat() if d.start_date else None,
        "end_date": d.end_date.isoformat() if d.end_date else None,
        "class": d.job_class,
        "class_title": job_class.title if job_class else None,
        "kind": str(d.kind),
        "next_run": nxt.astimezone(schedule.tz).isoformat() if nxt else None,
        "active": d.active,
        "missing_class": job_class is None,
        "invalid": False,
        "errors": [],
        # A class this site may not run (state, add-on) is flagged like a missing one.
        **class_status(job_class, site),
    }


def _entries(conn: sa.Connection) -> tuple[JobTable, list[dict[str, Any]]]:
    """Every row and its Jobs-list entry, as shown (the list and the export filter on it)."""
    table = read_table(conn, active_only=False)
    calendar = _calendar(conn)
    upstream = {j for r in table.rows for j in str(r.get("run_after") or "").split(",") if j}
    runs = last_runs(conn, upstream)
    site = read_site_profile(conn)
    now = dt.datetime.now(dt.UTC)
    titles = {r["id"]: r["title"] for r in table.rows}
    entries = [_entry(r, table.timezone, now, site, calendar, runs, titles) for r in table.rows]
    return table, entries


def _calendar(conn: sa.Connection) -> DistrictCalendar:
    return read_district_calendar(conn, dt.date.today())


def _order_and_days(
    d: JobDefinition,
    timezone: str,
    now: dt.datetime,
    calendar: DistrictCalendar,
    runs: dict[str, dict[str, Any]],
    titles: dict[str, Any],
) -> dict[str, Any]:
    """School days and run-after of a listed job: its next run by the calendar, the holidays
    skipped before it, and each job it runs after with that job's last run."""
    try:  # without the calendar's view, the entry keeps its plain next run
        schedule = job_schedule(d, timezone, lambda: calendar)
        nxt, skipped = next_run_and_skips(schedule, now) if d.active else (None, [])
    except Exception:
        return {}
    details: dict[str, Any] = {
        "school_days_only": uses_school_days(d),
        "skipped_days": [day.isoformat() for day in skipped],
        "skipped_text": describe_skips(skipped),
        "next_run": nxt.astimezone(ZoneInfo(timezone)).isoformat() if nxt else None,
        "not_before": f"{d.not_before:%H:%M}" if d.not_before else None,
        "run_after": [],
    }
    if d.run_after:
        details["job_time"] = "After " + ", ".join(str(titles.get(j, j)) for j in d.run_after)
        if d.not_before:
            details["job_time"] += f", not before {_clock_time(d.not_before)}"
    for upstream in d.run_after:
        last = runs.get(upstream)
        details["run_after"].append(
            {
                "id": upstream,
                "title": titles.get(upstream, upstream),
                "last_run": last["finished_at"].astimezone(ZoneInfo(timezone)).isoformat()
                if last
                else None,
                "last_success": last["success"] if last else None,
            }
        )
    return details


def _clock_time(at: dt.time) -> str:
    return dt.datetime.combine(dt.date.today(), at).strftime("%I:%M %p").lstrip("0")


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers by value, text case-blind, blanks last (ascending)."""
    if value is None or value == "":
        return (2, "")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    return (1, str(value).lower())


def _matches(job: dict[str, Any], filters: list[str]) -> bool:
    """Each filter is ``column:text``; a job matches when every column contains its text."""
    for f in filters:
        column, _, text = f.partition(":")
        if text.lower() not in str(job.get(column) or "").lower():
            return False
    return True


@app.get("/api/catalog", dependencies=[CanRead])
def get_catalog() -> list[dict[str, Any]]:
    """Job classes for the Create Job pull-down, with each one's parameter form schema;
    ``available`` false (with ``unavailable``, the reason) for a class this site may not run."""
    with _engine().connect() as conn:
        site = read_site_profile(conn)
    entries = catalog()
    for entry in entries:
        job_class = get_job_class(entry["key"])
        entry.update(class_status(job_class, site))
        entry["available"] = entry["unavailable"] is None
        entry["default_title"] = default_title(job_class)
    return entries


@app.get("/api/jobs", dependencies=[CanRead])
def list_jobs(
    sort: Annotated[str, Query(description=f"one of {', '.join(SORTABLE)}")] = "title",
    desc: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 25,
    filter: Annotated[list[str] | None, Query(description="column:text, repeatable")] = None,
) -> dict[str, Any]:
    """The Jobs tab: every job (all three kinds), sorted, filtered and paged."""
    if sort not in SORTABLE:
        raise HTTPException(400, f"sort {sort!r} is not one of {', '.join(SORTABLE)}")
    with _engine().connect() as conn:
        table, entries = _entries(conn)
    jobs = [j for j in entries if _matches(j, filter or [])]
    jobs.sort(key=lambda j: _sort_key(j.get(sort)), reverse=desc)
    pages = max(1, math.ceil(len(jobs) / page_size))
    start = (page - 1) * page_size
    return {
        "jobs": jobs[start : start + page_size],
        "total": len(jobs),
        "page": page,
        "pages": pages,
        "timezone": table.timezone,
        "retention_warning": retention_warning(table.rows),
    }


@app.get("/api/jobs/{dag_id}", dependencies=[CanRead])
def get_job(dag_id: str) -> dict[str, Any]:
    """One job as the edit form shows it (the YAML document's fields)."""
    with _engine().connect() as conn:
        rows = read_table(conn, job_id=dag_id, active_only=False).rows
    if not rows:
        raise HTTPException(404, f"no job with id {dag_id[:100]!r}")
    document: dict[str, Any] = dict(rows[0])  # the raw columns, when even converting fails
    try:
        document = row_to_document(rows[0])
        return {"job": parse_definition(document).to_document(), "errors": []}
    except Exception as exc:
        return {
            "job": {k: _jsonable(v) for k, v in document.items()},
            "errors": _flagged(rows[0], exc)["errors"],
        }


def _reparse(request: Request) -> None:
    """Ask Airflow to parse the jobs' DAG file now, so a saved change shows without waiting.

    Only ever at the configured Airflow base URL (the caller's token goes nowhere else), and
    never fails the request: the change is saved, the dag-processor picks it up anyway.
    """
    try:
        token = _caller_token(request)
        base = airflow_base_url()
        with _engine().connect() as conn:
            ids = [r["id"] for r in read_table(conn).rows]
        headers = {"Authorization": f"Bearer {token}"}
        for dag_id in ids[:5]:  # any of our DAGs names the one file they all come from
            details = requests.get(
                f"{base}/api/v2/dags/{quote(str(dag_id), safe='')}/details",
                headers=headers,
                timeout=10,
                allow_redirects=False,
            )
            if details.status_code == 200:
                file_token = quote(str(details.json()["file_token"]), safe="")
                requests.put(
                    f"{base}/api/v2/parseDagFile/{file_token}",
                    headers=headers,
                    timeout=10,
                    allow_redirects=False,
                )
                return
    except Exception as exc:
        log.warning("could not ask Airflow to re-parse the DAG file: %s", exc)


def _caller_token(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:]
    return request.cookies.get("_token", "")


def _save(
    request: Request,
    document: dict[str, Any],
    user: str,
    *,
    create: bool,
    allow_missing_class: bool,
) -> Response:
    """All or nothing: the response is built before the commit, and nothing after it fails."""
    try:
        definition = parse_definition(document)
    except InvalidDefinition as exc:
        return _errors(exc.errors)
    with _engine().begin() as conn:
        stored = read_table(conn, active_only=False).rows
        exists = any(r.get("id") == definition.id for r in stored)
        if create and exists:
            return _errors(
                [
                    FieldError(
                        definition.id,
                        "id",
                        definition.id,
                        "is taken by another job: choose another id",
                    )
                ]
            )
        if not create and not exists:
            raise HTTPException(404, f"no job with id {definition.id!r}")
        job_class = get_job_class(definition.job_class)
        unavailable = job_class and unavailable_reason(job_class, read_site_profile(conn))
        if create and unavailable:
            return _errors([FieldError(definition.id, "class", definition.job_class, unavailable)])
        errors = save_errors(
            [definition],
            stored,
            allow_missing_class=allow_missing_class,
            missing_class_hint=MISSING_CLASS_HINT,
        ) or check_order(conn, [definition])
        if errors:
            return _errors(errors)
        response = JSONResponse(
            status_code=201 if create else 200, content={"job": definition.to_document()}
        )
        upsert(conn, [definition], user=user)
    _reparse(request)
    return response


AllowMissingClass = Annotated[
    bool, Query(description="keep a class that is not in the catalog (a Missing Class job)")
]


@app.post("/api/jobs", dependencies=[CanCreate, SameOrigin, JsonBody], status_code=201)
def create_job(
    request: Request,
    user: GetUserDep,
    document: Annotated[dict, Body()],
    allow_missing_class: AllowMissingClass = False,
) -> Response:
    """Create Job: validates every field; on any error nothing is saved."""
    return _save(
        request,
        document,
        user.get_name(),
        create=True,
        allow_missing_class=allow_missing_class,
    )


@app.put("/api/jobs/{dag_id}", dependencies=[CanEdit, SameOrigin, JsonBody])
def update_job(
    request: Request,
    dag_id: str,
    user: GetUserDep,
    document: Annotated[dict, Body()],
    allow_missing_class: AllowMissingClass = False,
) -> Response:
    """Save an edited job (its id cannot change)."""
    if document.get("id") not in (None, dag_id):
        return _errors([FieldError(dag_id, "id", document.get("id"), "cannot be changed")])
    return _save(
        request,
        {**document, "id": dag_id},
        user.get_name(),
        create=False,
        allow_missing_class=allow_missing_class,
    )


@app.delete("/api/jobs/{dag_id}", dependencies=[CanDelete, SameOrigin], status_code=204)
def delete_job(request: Request, dag_id: str) -> Response:
    with _engine().begin() as conn:
        if waiting := dependents(conn, dag_id):
            raise HTTPException(
                409, f"job {dag_id!r} cannot be deleted: {', '.join(waiting)} run(s) after it"
            )
        if not delete(conn, dag_id):
            raise HTTPException(404, f"no job with id {dag_id!r}")
    _reparse(request)
    return Response(status_code=204)


@app.post("/api/preview", dependencies=[CanRead, SameOrigin, JsonBody])
def preview(document: Annotated[dict, Body()]) -> Response:
    """The next 10 run times the given settings produce (district local time)."""
    try:
        definition = parse_definition({"id": "preview", "title": "preview", **document})
        with _engine().connect() as conn:
            timezone = get_timezone(conn)
        if bad_zone := district_timezone_error("preview", timezone):
            raise bad_zone
    except InvalidDefinition as exc:
        return _errors(exc.errors)
    with _engine().connect() as conn:
        calendar = _calendar(conn) if uses_school_days(definition) else None
    now = dt.datetime.now(dt.UTC)
    try:
        schedule = job_schedule(definition, timezone, lambda: calendar)
        runs = schedule.upcoming(now, 10) if schedule else []
        if runs and schedule is not None:
            skipped = schedule.skipped_days(now, runs[-1])
        else:  # nothing due in the calendar: the first holidays it skips say why
            skipped = next_run_and_skips(schedule, now)[1][:10]
    except (OverflowError, ValueError) as exc:
        raise HTTPException(
            422, f"no run times can be computed for these settings: {exc}"
        ) from None
    return JSONResponse(
        {
            "timezone": timezone,
            "runs": [r.astimezone(ZoneInfo(timezone)).isoformat() for r in runs],
            # The holidays among them: days the weekdays would run on that are not school days.
            "skipped": [day.isoformat() for day in skipped],
            "run_after": list(definition.run_after),
        }
    )


@app.post("/api/jobs/{dag_id}/run", dependencies=[CanEdit, SameOrigin])
def run_now(request: Request, dag_id: str, user: GetUserDep) -> Response:
    """Run Job: a manual run through Airflow's REST API v2, naming who ran it and from where.

    409 when this site may not run the job's class, or refuses manual runs of it."""
    with _engine().connect() as conn:
        rows = read_table(conn, job_id=dag_id, active_only=False).rows
        if not rows:
            raise HTTPException(404, f"no job with id {dag_id[:100]!r}")
        refused = run_refusal(conn, str(rows[0]["job_class"]))
    if refused:
        raise HTTPException(409, refused)
    ip = request.client.host if request.client else None
    conf = {"triggered_by": user.get_name(), "ip": ip}
    base = airflow_base_url()
    try:
        response = requests.post(
            f"{base}/api/v2/dags/{quote(dag_id, safe='')}/dagRuns",
            json={"logical_date": None, "conf": conf},
            headers={"Authorization": f"Bearer {_caller_token(request)}"},
            timeout=30,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise HTTPException(
            502, f"Airflow did not answer at {base}: {type(exc).__name__}"
        ) from None
    if response.status_code != 200:
        status = response.status_code if 400 <= response.status_code < 500 else 502
        raise HTTPException(status, f"Airflow refused the run: {response.text[:300]}")
    run = response.json()
    return JSONResponse({"dag_run_id": run["dag_run_id"], "conf": run.get("conf", conf)})


@app.get("/api/export", dependencies=[CanRead])
def export_jobs(
    filter: Annotated[list[str] | None, Query(description="column:text, repeatable")] = None,
) -> PlainTextResponse:
    """All (or filtered) jobs as the YAML file of the CLI; invalid rows are named in comments
    at the top and counted in the ``X-Focus-Left-Out`` header."""
    with _engine().connect() as conn:
        table, entries = _entries(conn)
    # The same column filters as the list, over every row (the list pages; export does not).
    rows = [r for r, j in zip(table.rows, entries, strict=True) if _matches(j, filter or [])]
    documents, left_out = valid_documents(rows)
    return PlainTextResponse(
        dump_jobs(documents, left_out),
        media_type="application/yaml",
        headers={
            "Content-Disposition": 'attachment; filename="scheduled-jobs.yaml"',
            "X-Focus-Left-Out": str(len(left_out)),
        },
    )


@app.post(
    "/api/import",
    dependencies=[CanCreate, SameOrigin],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
def import_jobs(
    request: Request,
    user: GetUserDep,
    data: Annotated[bytes, Depends(yaml_upload)],
    allow_missing_class: AllowMissingClass = False,
) -> Response:
    """Upload a YAML file: all or nothing; every error listed with row, field and value."""
    try:
        entries = read_jobs_file(data, "upload")
    except ImportFileError as exc:
        return JSONResponse(status_code=422, content={"errors": [{"text": str(exc)}]})
    definitions, errors = validate_documents(entries)
    with _engine().begin() as conn:
        if not errors:
            errors = save_errors(
                definitions,
                read_table(conn, active_only=False).rows,
                allow_missing_class=allow_missing_class,
                missing_class_hint=MISSING_CLASS_HINT,
            )
        if not errors:
            errors = check_order(conn, definitions, rows=True)
        if errors:
            return _errors(errors)
        created, updated = upsert(conn, definitions, user=user.get_name())
    _reparse(request)
    return JSONResponse({"created": created, "updated": updated})


@app.get("/api/history", dependencies=[CanRead])
def history(
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Execution History: runs of every job in the date range, newest first."""
    for name, day in (("from", date_from), ("to", date_to)):
        if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise HTTPException(
                422, f"{name} {day}: must be between {EARLIEST_DATE} and {LATEST_DATE}"
            )
    with _engine().connect() as conn:
        table = read_table(conn, active_only=False)
        # A broken district time zone still shows the history, in UTC.
        zone = table.timezone if district_timezone_error("", table.timezone) is None else "UTC"
        tz = ZoneInfo(zone)
        query = sa.select(
            job_output.c.job_id,
            job_output.c.run_id,
            job_output.c.started_at,
            job_output.c.finished_at,
            job_output.c.success,
            job_output.c.summary,
        )
        if date_from:
            start = dt.datetime.combine(date_from, dt.time(0), tz).astimezone(dt.UTC)
            query = query.where(job_output.c.started_at >= start)
        if date_to:
            end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tz)
            query = query.where(job_output.c.started_at < end.astimezone(dt.UTC))
        rows = conn.execute(query.order_by(job_output.c.started_at.desc())).all()
    titles = {r["id"]: r["title"] for r in table.rows}
    runs = []
    for r in rows:
        started = r.started_at.replace(tzinfo=r.started_at.tzinfo or dt.UTC)
        finished = r.finished_at.replace(tzinfo=r.finished_at.tzinfo or dt.UTC)
        runs.append(
            {
                "job_id": r.job_id,
                "run_id": r.run_id,
                "title": titles.get(r.job_id, r.job_id),
                "time": started.astimezone(tz).isoformat(),
                "duration_seconds": round((finished - started).total_seconds(), 3),
                "success": r.success,
                "summary": r.summary,
            }
        )
    return {"runs": runs, "timezone": zone}


@app.get("/api/history/{dag_id}/{run_id}", dependencies=[CanRead])
def output(dag_id: str, run_id: str) -> dict[str, Any]:
    """One run's output: sanitised HTML (scripts and event handlers removed) and text."""
    with _engine().connect() as conn:
        row = conn.execute(
            sa.select(
                job_output.c.summary,
                job_output.c.success,
                job_output.c.text_output,
                job_output.c.html_output,
            ).where(job_output.c.job_id == dag_id, job_output.c.run_id == run_id)
        ).one_or_none()
    if row is None:
        raise HTTPException(404, f"no stored output for job {dag_id!r} run {run_id!r}")
    return {
        "job_id": dag_id,
        "run_id": run_id,
        "success": row.success,
        "summary": row.summary,
        "html": nh3.clean(row.html_output),
        "text": row.text_output,
    }
