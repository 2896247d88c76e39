"""The Scheduled Jobs screen's JSON API, its bundle and icons, mounted inside Airflow's api-server.

Every API route needs Airflow's own login (the ``_token`` cookie or a bearer token) and asks
Airflow's auth manager: reading needs DAG read access (role viewer and above), changing a job
or running it needs DAG edit access (role user and above). The contract the screen codes
against is docs/screen-api.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import re
import unicodedata
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import nh3
import requests
import sqlalchemy as sa
from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse

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
    SLUG,
    FieldError,
    InvalidDefinition,
    district_timezone_error,
    parse_definition,
    quote_value,
    row_to_document,
)
from include.district_config import class_status, run_refusal
from include.focus_db.engine import get_engine
from include.job_order import check_order, dependents
from include.jobs_file import MAX_IMPORT_BYTES, ImportFileError, dump_jobs, read_jobs_file
from include.jobs_listing import (
    COLUMNS,
    HIDDEN_COLUMNS,
    FilterError,
    ListingCache,
    flagged_entry,
    moment_display,
    select,
    zone_abbreviation,
)
from include.lookups import UnknownLookup
from include.lookups import items as lookup_items
from include.lookups import names as lookup_names
from include.platform_api import router as platform_router
from include.repository import (
    delete,
    get_timezone,
    is_active,
    read_table,
    upsert,
    validate_documents,
)
from include.run_history import (
    LIVE_STATES,
    Window,
    airflow_links,
    read_runs,
    run_state,
    with_outputs,
)
from include.run_history import SORTS as HISTORY_SORTS
from include.save_checks import save_errors
from include.school_calendar import (
    job_schedule,
    next_run_and_skips,
    read_district_calendar,
    uses_school_days,
)
from include.screen_routes import NAV_ROUTE, OUTPUT_ROUTE
from job_library.defaults import default_title
from job_library.registry import catalog, get_job_class
from job_library.schema import job_output
from job_library.site import read_site_profile, unavailable_reason

log = logging.getLogger(__name__)

CanRead = Depends(requires_access_dag("GET"))
CanEdit = Depends(requires_access_dag("PUT"))
# Creating a job creates a DAG: the permission to edit DAGs. (POST on DAGs is "create DAGs",
# which the FAB auth manager gives no role: DAGs normally come from files.)
CanCreate = Depends(requires_access_dag("PUT"))
CanDelete = Depends(requires_access_dag("DELETE"))
SORTABLE = (*COLUMNS, *HIDDEN_COLUMNS)
# The React screen's built bundle (ui/ builds it; committed) and the nav icons.
UI_DIST = Path(
    os.environ.get("FOCUS_UI_DIST") or Path(__file__).resolve().parent.parent / "ui" / "dist"
)
ICONS = Path(__file__).with_name("screen_icons")
_MEDIA_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".map": "application/json",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}

# No interactive /docs page: FastAPI's loads Swagger UI from a CDN, which an offline
# district server cannot reach. The OpenAPI document itself is /focus-jobs/openapi.json.
app = FastAPI(
    title="Focus Scheduled Jobs",
    description="The Jobs and Execution History screens of Focus, on Airflow.",
    version="2.0",
    docs_url=None,
    redoc_url=None,
)
_listings = ListingCache()


@app.exception_handler(RequestValidationError)
async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A query or path value FastAPI cannot read: one sentence in ``detail``, never a list."""
    parts = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body"))
        parts.append(f"{where or 'request'}: {error.get('msg', 'is not valid')}")
    return JSONResponse(status_code=422, content={"detail": "; ".join(parts) or "invalid request"})


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


def _airflow_path() -> str:
    """Airflow's base path (``/airflow`` behind a proxy, usually empty)."""
    return urlsplit(airflow_base_url()).path.rstrip("/")


@app.get("/", include_in_schema=False)
def jobs_screen() -> RedirectResponse:
    """The old address of the screen: now a page of Airflow's own UI."""
    return RedirectResponse(f"{_airflow_path()}/plugin/{NAV_ROUTE}", status_code=307)


@app.get("/output/{dag_id}/{run_id:path}", include_in_schema=False)
def output_screen(dag_id: str, run_id: str) -> RedirectResponse:
    """The old output view: now the "Job output" tab of the run's page."""
    run_url = airflow_links(_airflow_path(), dag_id, run_id)["run_url"]
    return RedirectResponse(f"{run_url}/plugin/{OUTPUT_ROUTE}", status_code=307)


def _static(folder: Path, relative: str, request: Request, missing: str) -> Response:
    """A file of ``folder`` (never outside it), revalidated on every load by its ETag."""
    base = folder.resolve()
    target = (base / relative).resolve()
    if base not in target.parents or not target.is_file():
        raise HTTPException(404, missing)
    data = target.read_bytes()
    etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    media = _MEDIA_TYPES.get(target.suffix.lower(), "application/octet-stream")
    return Response(data, media_type=media, headers=headers)


@app.get("/ui/{relative:path}", include_in_schema=False)
def bundle(relative: str, request: Request) -> Response:
    """The screen's bundle, loaded by Airflow's page (code, not data: no login needed)."""
    missing = f"no file {relative[:100]!r} in the screen's bundle"
    if relative == "main.js" and not (UI_DIST / "main.js").is_file():
        missing = f"the screen's bundle is not built: run `make ui` (looked in {UI_DIST})"
    return _static(UI_DIST, relative, request, missing)


@app.get("/icons/{name}", include_in_schema=False)
def icon(name: str, request: Request) -> Response:
    """The nav icons, light and dark."""
    if not re.fullmatch(r"[a-z0-9-]{1,40}\.svg", name):
        raise HTTPException(404, f"no icon {name[:50]!r}")
    return _static(ICONS, name, request, f"no icon {name!r}")


@app.get("/api/me", dependencies=[CanRead])
def me(user: GetUserDep) -> dict[str, Any]:
    """Who is logged in and whether the screen shows create, edit, delete, run and import."""
    return {"username": user.get_name(), "can_edit": _can_edit(user)}


def _can_edit(user: Any) -> bool:
    return bool(get_auth_manager().is_authorized_dag(method="PUT", user=user))


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


def _zone(name: str) -> ZoneInfo:
    """The district's zone; a broken one (named in each job's errors) shows times in UTC."""
    return ZoneInfo(name) if district_timezone_error("", name) is None else ZoneInfo("UTC")


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
        entry["module_title"] = entry["module"]  # the Focus module, as its menus name it
    return entries


def _caller_can_edit(user: GetUserDep) -> bool:
    return _can_edit(user)


FILTER_HELP = "column:operator:value (or column:text for contains), repeatable"


@app.get("/api/jobs", dependencies=[CanRead])
def list_jobs(
    sort: Annotated[str, Query(description=f"one of {', '.join(SORTABLE)}")] = "title",
    desc: bool = False,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 25,
    filter: Annotated[list[str] | None, Query(description=FILTER_HELP)] = None,
    can_edit: Annotated[bool, Depends(_caller_can_edit)] = False,
) -> dict[str, Any]:
    """The Jobs tab: every job (all three kinds), filtered on what each column shows, sorted
    and paged on the server; ``can_run`` says whether the caller gets Run Job for a row."""
    if sort not in SORTABLE:
        raise HTTPException(400, f"sort {sort!r} is not one of {', '.join(SORTABLE)}")
    with _engine().connect() as conn:
        listing = _listings.listing(conn)
    try:
        rows = select(listing, filter or [], sort, desc)
    except FilterError as exc:
        raise HTTPException(400, str(exc)) from None
    start = (page - 1) * page_size
    zone = listing.zone
    return {
        "jobs": [
            r.entry | {"can_run": can_edit and r.runnable} for r in rows[start : start + page_size]
        ],
        "total": len(rows),
        "page": page,
        "pages": max(1, math.ceil(len(rows) / page_size)),
        "page_size": page_size,
        "timezone": listing.timezone,
        "timezone_abbreviation": zone_abbreviation(zone),
        "now": dt.datetime.now(zone).isoformat(timespec="seconds"),
        "retention_warning": listing.retention_warning,
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
            "errors": flagged_entry(rows[0], exc)["errors"],
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


def _id_taken(job_id: Any) -> FieldError:
    return FieldError(str(job_id)[:100], "id", job_id, "is taken by another job: choose another id")


def _save(
    request: Request,
    document: dict[str, Any],
    user: str,
    *,
    create: bool,
    allow_missing_class: bool,
) -> Response:
    """All or nothing, and every error of the save at once (each beside its field): the
    response is built before the commit, and nothing after it fails."""
    try:
        definition = parse_definition(document)
    except InvalidDefinition as exc:
        errors = list(exc.errors)
        raw_id = document.get("id")
        if create and isinstance(raw_id, str) and raw_id:
            with _engine().connect() as conn:
                if read_table(conn, job_id=raw_id, active_only=False).rows:
                    errors.insert(0, _id_taken(raw_id))
        return _errors(errors)
    with _engine().begin() as conn:
        stored = read_table(conn, active_only=False).rows
        exists = any(r.get("id") == definition.id for r in stored)
        if not create and not exists:
            raise HTTPException(404, f"no job with id {definition.id!r}")
        errors = [_id_taken(definition.id)] if create and exists else []
        job_class = get_job_class(definition.job_class)
        unavailable = job_class and unavailable_reason(job_class, read_site_profile(conn))
        if create and unavailable:
            errors.append(FieldError(definition.id, "class", definition.job_class, unavailable))
        errors += save_errors(
            [definition],
            stored,
            allow_missing_class=allow_missing_class,
            missing_class_hint=MISSING_CLASS_HINT,
        )
        errors += check_order(conn, [definition])
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


# The fields that decide when a job runs: all a preview reads.
PREVIEW_FIELDS = (
    "run_time",
    "repeat_minutes",
    "timeframe_start",
    "timeframe_end",
    "weekdays",
    "start_date",
    "end_date",
    "school_days_only",
    "calendar_schools",
    "run_after",
    "not_before",
)


def suggest_id(title: Any) -> str | None:
    """The job id a title gives: ``Nightly Address Corrections`` gives
    ``nightly-address-corrections``; None when nothing usable is left."""
    if not isinstance(title, str):
        return None
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:100].rstrip("-")
    return slug if SLUG.fullmatch(slug) else None


@app.post("/api/preview", dependencies=[CanRead, SameOrigin, JsonBody])
def preview(document: Annotated[dict, Body()]) -> Response:
    """The next 10 run times the form's schedule fields give (district local time), before
    the job has an id or a title; parameters and e-mails are not checked here."""
    job_class = get_job_class(str(document.get("class") or ""))
    fields = {k: document[k] for k in PREVIEW_FIELDS if k in document}
    if fields.get("school_days_only") is None:
        fields["school_days_only"] = bool(job_class and job_class.school_days_only_default)
    try:
        # A class key no job has: its parameters are not checked, the schedule is.
        definition = parse_definition(
            {**fields, "id": "preview", "title": "preview", "class": "preview"}
        )
        with _engine().connect() as conn:
            timezone = get_timezone(conn)
        if bad_zone := district_timezone_error("preview", timezone):
            raise bad_zone
    except InvalidDefinition as exc:
        return _errors(exc.errors)
    with _engine().connect() as conn:
        calendar = (
            read_district_calendar(conn, dt.date.today()) if uses_school_days(definition) else None
        )
    now = dt.datetime.now(dt.UTC)
    zone = ZoneInfo(timezone)
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
            "timezone_abbreviation": zone_abbreviation(zone),
            "runs": [r.astimezone(zone).isoformat() for r in runs],
            "runs_display": [moment_display(r, zone) for r in runs],
            # The holidays among them: days the weekdays would run on that are not school days.
            "skipped": [day.isoformat() for day in skipped],
            "run_after": list(definition.run_after),
            "suggested_id": suggest_id(document.get("title")),
        }
    )


def _refusal(raw: dict[str, Any], conn: sa.Connection) -> str | None:
    """Why Run Job is refused for this row, as a sentence, or None."""
    job_id = str(raw.get("id"))[:100]
    if not is_active(raw.get("active")):
        return f"Job {job_id!r} is inactive: activate it (Edit, Active) before running it."
    try:
        parse_definition(row_to_document(raw))
    except Exception as exc:
        first = flagged_entry(raw, exc)["errors"][0]
        return f"Job {job_id!r} cannot run until its definition is fixed: {first}"
    return run_refusal(conn, str(raw["job_class"]))


def _airflow_refusal(response: requests.Response) -> str:
    """Airflow's answer as a sentence (its JSON ``detail``, never the raw body)."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, list):
        detail = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    elif isinstance(detail, dict):
        detail = detail.get("reason") or detail.get("message") or None
    if not detail:
        detail = f"HTTP {response.status_code}"
    return f"Airflow refused the run: {str(detail)[:300].rstrip('.')}."


@app.post("/api/jobs/{dag_id}/run", dependencies=[CanEdit, SameOrigin])
def run_now(request: Request, dag_id: str, user: GetUserDep) -> Response:
    """Run Job: a manual run through Airflow's REST API v2, naming who ran it and from where.

    409 with the reason when the job is inactive or invalid, this site may not run its class
    or refuses manual runs of it, or Airflow refuses the run."""
    with _engine().connect() as conn:
        rows = read_table(conn, job_id=dag_id, active_only=False).rows
        if not rows:
            raise HTTPException(404, f"There is no job with id {dag_id[:100]!r}.")
        refused = _refusal(rows[0], conn)
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
            502, f"Airflow did not answer at {base} ({type(exc).__name__}): try again shortly."
        ) from None
    if response.status_code != 200:
        status = 409 if 400 <= response.status_code < 500 else 502
        if response.status_code in (401, 403):
            status = response.status_code
        raise HTTPException(status, _airflow_refusal(response))
    run = response.json()
    return JSONResponse(
        {
            "dag_run_id": run["dag_run_id"],
            "run_url": airflow_links(_airflow_path(), dag_id, run["dag_run_id"])["run_url"],
            "state": run.get("state"),
            "conf": run.get("conf", conf),
        }
    )


@app.get("/api/export", dependencies=[CanRead])
def export_jobs(
    filter: Annotated[list[str] | None, Query(description=FILTER_HELP)] = None,
) -> PlainTextResponse:
    """All (or filtered) jobs as the YAML file of the CLI; invalid rows are named in comments
    at the top and counted in the ``X-Focus-Left-Out`` header."""
    with _engine().connect() as conn:
        listing = _listings.listing(conn)
    # The same column filters as the list, over every row (the list pages; export does not).
    try:
        rows = [r.raw for r in select(listing, filter or [], "id", False)]
    except FilterError as exc:
        raise HTTPException(400, str(exc)) from None
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
        whole_file = {"row": None, "job_id": None, "field": None, "value": None}
        return JSONResponse(
            status_code=422,
            content={"errors": [whole_file | {"message": str(exc), "text": str(exc)}]},
        )
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


def _day_in_range(name: str, day: dt.date | None) -> None:
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise HTTPException(422, f"{name} {day}: must be between {EARLIEST_DATE} and {LATEST_DATE}")


@app.get("/api/history", dependencies=[CanRead])
def history(
    session: SessionDep,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    job: Annotated[str | None, Query(description="a job id: only its runs")] = None,
    sort: Annotated[str, Query(description=f"one of {', '.join(HISTORY_SORTS)}")] = "time",
    desc: Annotated[bool | None, Query(description="default: true for time")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 25,
) -> dict[str, Any]:
    """Execution History: every run Airflow has of the jobs (queued and running ones too),
    with Airflow's state and the job task's duration, and the summary the job stored."""
    _day_in_range("from", date_from)
    _day_in_range("to", date_to)
    if sort not in HISTORY_SORTS:
        raise HTTPException(400, f"sort {sort[:50]!r} is not one of {', '.join(HISTORY_SORTS)}")
    with _engine().connect() as conn:
        table = read_table(conn, active_only=False)
    zone = _zone(table.timezone)
    titles = {str(r["id"]): str(r["title"]) for r in table.rows}
    window = Window(
        zone=zone,
        job_ids=(job,) if job else tuple(titles),
        date_from=date_from,
        date_to=date_to,
    )
    now = dt.datetime.now(dt.UTC)
    entries, total = read_runs(
        session,
        window,
        sort=sort,
        desc=(sort == "time") if desc is None else desc,
        page=page,
        page_size=page_size,
        titles=titles,
        now=now,
    )
    with _engine().connect() as conn:
        runs = with_outputs(conn, entries, _airflow_path())
    return {
        "runs": runs,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / page_size)),
        "page_size": page_size,
        "timezone": str(zone),
        "timezone_abbreviation": zone_abbreviation(zone),
        "live": any(r["state"] in LIVE_STATES for r in runs),
    }


@app.get("/api/history/{dag_id}/{run_id}", dependencies=[CanRead])
def output(session: SessionDep, dag_id: str, run_id: str) -> dict[str, Any]:
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
        titles = {
            r["id"]: r["title"] for r in read_table(conn, job_id=dag_id, active_only=False).rows
        }
    if row is None:
        raise HTTPException(
            404, f"Run {run_id[:200]!r} of job {dag_id[:100]!r} has stored no output (yet)."
        )
    return {
        "job_id": dag_id,
        "run_id": run_id,
        "title": titles.get(dag_id, dag_id),
        "success": row.success,
        "summary": row.summary,
        "html": nh3.clean(row.html_output or ""),
        "text": row.text_output,
        "state": run_state(session, dag_id, run_id, dt.datetime.now(dt.UTC)),
        **airflow_links(_airflow_path(), dag_id, run_id),
    }


def _airflow_connections(session: Any) -> list[tuple[str, str]]:
    """Airflow's connections (id, type): those in its database and those from AIRFLOW_CONN_*."""
    from airflow.models.connection import Connection

    found = {
        str(conn_id): str(conn_type or "")
        for conn_id, conn_type in session.execute(
            sa.select(Connection.conn_id, Connection.conn_type)
        ).all()
    }
    for key, value in os.environ.items():
        if key.startswith("AIRFLOW_CONN_") and len(key) > len("AIRFLOW_CONN_"):
            found.setdefault(key[len("AIRFLOW_CONN_") :].lower(), _conn_type(value))
    return list(found.items())


def _conn_type(value: str) -> str:
    """The type of a connection given in the environment, as a URI or as JSON."""
    if value.lstrip().startswith("{"):
        try:
            return str(json.loads(value).get("conn_type") or "")
        except (ValueError, AttributeError):
            return ""
    return value.split("://", 1)[0].replace("-", "_") if "://" in value else ""


@app.get("/api/lookups", dependencies=[CanRead])
def lookups() -> dict[str, Any]:
    """The names a parameter's ``x-focus-lookup`` may give."""
    return {"lookups": lookup_names()}


@app.get("/api/lookups/{name}", dependencies=[CanRead])
def lookup(
    session: SessionDep,
    name: str,
    q: Annotated[str | None, Query(max_length=200, description="contains, case-blind")] = None,
    value: Annotated[list[str] | None, Query(description="exactly these values")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    """The district records a parameter names (schools, users, codes ...) as value and label."""
    try:
        with _engine().connect() as conn:
            found, truncated = lookup_items(
                conn,
                name,
                q=q,
                values=value or [],
                limit=limit,
                connections=lambda: _airflow_connections(session),
            )
    except UnknownLookup as exc:
        raise HTTPException(404, str(exc)) from None
    return {"name": name, "items": found, "truncated": truncated}
