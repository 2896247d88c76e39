"""The Jobs tab's listing: each row's entry as shown, its filters on what is shown, sorting, paging.

Building the entries of 5,000 rows means validating each row and computing its next run, so
the listing is kept between requests and rebuilt only when a row, the time zone, the site
profile, the calendar or an upstream job's last run changes, or when a listed next run passes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from include.definitions import (
    InvalidDefinition,
    JobDefinition,
    district_timezone_error,
    parse_definition,
    quote_value,
    row_to_document,
)
from include.district_config import class_status, retention_warning
from include.job_order import last_runs
from include.repository import JobTable, is_active, read_table
from include.schedule import WEEKDAYS
from include.school_calendar import (
    DistrictCalendar,
    describe_skips,
    job_schedule,
    next_run_and_skips,
    read_district_calendar,
    uses_school_days,
)
from job_library.registry import get_job_class
from job_library.site import SiteProfile, read_site_profile

COLUMNS = (
    "title",
    "job_time",
    "priority",
    "weekdays",
    "start_date",
    "end_date",
    "class_title",
    "kind",
    "next_run",
)
# Also sortable and filterable, though no column shows them.
HIDDEN_COLUMNS = ("id", "class")
OPERATORS = (
    "contains",
    "equals",
    "starts_with",
    "before",
    "after",
    "at_least",
    "at_most",
    "is_empty",
)
TIME_COLUMNS = ("job_time", "start_date", "end_date", "next_run")
NUMBER_COLUMNS = ("priority",)
# A listing is rebuilt at least this often, for what no fingerprint sees (the clock's date).
MAX_AGE_SECONDS = 60.0
_DAY_NAMES = {d: d.capitalize() for d in WEEKDAYS}
_CLOCK_12H = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s*m?\.?\s*$", re.IGNORECASE)
_CLOCK_24H = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


class FilterError(ValueError):
    """A filter the list cannot apply; the message is the sentence to show."""


# --- Shown values ---------------------------------------------------------------------------


def clock_time(at: dt.time) -> str:
    """``2:00 AM``: Focus's 12-hour clock."""
    hour = at.hour % 12 or 12
    return f"{hour}:{at.minute:02d} {'AM' if at.hour < 12 else 'PM'}"


def zone_abbreviation(zone: ZoneInfo, at: dt.datetime | None = None) -> str:
    """The zone's abbreviation at ``at`` (now by default): ``EST`` in winter, ``EDT`` in summer."""
    moment = (at or dt.datetime.now(dt.UTC)).astimezone(zone)
    return moment.tzname() or str(zone)


def moment_display(at: dt.datetime, zone: ZoneInfo, *, weekday: bool = True) -> str:
    """``Mon, Nov 30, 2026, 2:00 AM EST`` (or without the weekday)."""
    local = at.astimezone(zone)
    day = f"{local:%a}, " if weekday else ""
    return f"{day}{local:%b} {local.day}, {local.year}, {clock_time(local.time())} {local.tzname()}"


def weekdays_display(days: Iterable[str]) -> str:
    chosen = set(days)
    return ", ".join(_DAY_NAMES[d] for d in WEEKDAYS if d in chosen)


def job_time(d: JobDefinition, abbreviation: str, titles: dict[str, Any] | None = None) -> str:
    """The Job Time column: ``2:00 AM EST``; ``Every 15 min`` for a repeating job; ``After …``
    for one that runs after others (named by their titles when known)."""
    if d.run_after:
        names = ", ".join(str((titles or {}).get(j, j)) for j in d.run_after)
        later = f", not before {clock_time(d.not_before)} {abbreviation}" if d.not_before else ""
        return f"After {names}{later}"
    if d.run_time is None:
        return f"Every {d.repeat_minutes} min"
    return f"{clock_time(d.run_time)} {abbreviation}"


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, int | float | bool):
        return value
    if isinstance(value, str) and len(value) <= 120:
        return value
    return quote_value(value)


# --- Entries --------------------------------------------------------------------------------


@dataclass
class Listed:
    """One row of the list: its JSON entry, its shown text per column and its sort keys."""

    entry: dict[str, Any]
    shown: dict[str, str]
    run_time: str | None  # "HH:MM" of a daily clock time, for before/after on job_time
    next_run_utc: float | None  # the next run as a timestamp, for sorting and before/after
    runnable: bool  # Run Job is offered (the caller's role aside)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the row (export reads it)


def flagged_entry(raw: dict[str, Any], exc: Exception) -> dict[str, Any]:
    """The entry of a row that cannot be used, whatever is wrong with it."""
    if isinstance(exc, InvalidDefinition):
        errors = [str(e) for e in exc.errors]
    else:
        errors = [f"cannot be read ({type(exc).__name__}: {str(exc)[:200]})"]
    job_class = get_job_class(str(raw.get("job_class")))
    weekdays = raw.get("weekdays")
    return {
        "id": _jsonable(raw.get("id")),
        "title": _jsonable(raw.get("title")),
        "job_time": "",
        "run_time": None,
        "priority": _jsonable(raw.get("priority")),
        "weekdays": _jsonable(weekdays),
        "start_date": _jsonable(raw.get("start_date")),
        "end_date": _jsonable(raw.get("end_date")),
        "class": _jsonable(raw.get("job_class")),
        "class_title": job_class.title if job_class else _jsonable(raw.get("job_class")),
        "kind": _jsonable(raw.get("kind")),
        "next_run": None,
        "next_run_display": "",
        "active": is_active(raw.get("active")),
        "missing_class": job_class is None,
        "unavailable": None,
        "run_refused": None,
        "invalid": True,
        "errors": errors,
        "school_days_only": False,
        "skipped_days": [],
        "skipped_text": "",
        "not_before": None,
        "run_after": [],
    }


@dataclass(frozen=True)
class _Context:
    timezone: str
    zone: ZoneInfo
    now: dt.datetime
    site: SiteProfile | None
    calendar: DistrictCalendar
    runs: dict[str, dict[str, Any]]
    titles: dict[str, Any]


Parsed = dict[tuple[Any, ...], "JobDefinition | Exception"]


def _parse(raw: dict[str, Any], before: Parsed, now: Parsed) -> JobDefinition:
    """The row's definition, validated once per content of the row (a rebuilt listing
    validates only the rows that changed); raises what validating it raised."""
    key = tuple(raw.values())
    found = before.get(key)
    if found is None:
        try:
            found = parse_definition(row_to_document(raw))
        except Exception as exc:
            found = exc
    now[key] = found
    if isinstance(found, Exception):
        raise found.with_traceback(None)
    return found


def _entry(raw: dict[str, Any], ctx: _Context, before: Parsed, now: Parsed) -> Listed:
    """One row's entry; the row is parsed once, whatever it holds."""
    try:  # whatever one row holds, the other rows are still listed
        if bad_zone := district_timezone_error(str(raw.get("id"))[:100], ctx.timezone):
            raise bad_zone
        d = _parse(raw, before, now)
        plain = d.schedule(ctx.timezone).next_fire(ctx.now) if d.active else None
    except Exception as exc:
        entry = flagged_entry(raw, exc)
        return Listed(entry, _shown(entry), None, None, runnable=False, raw=raw)
    try:  # without the calendar's view, the entry keeps its plain next run
        schedule = job_schedule(d, ctx.timezone, lambda: ctx.calendar)
        nxt, skipped = next_run_and_skips(schedule, ctx.now) if d.active else (None, [])
    except Exception:
        nxt, skipped = plain, []
    job_class = get_job_class(d.job_class)
    abbreviation = zone_abbreviation(ctx.zone, nxt)
    status = class_status(job_class, ctx.site)
    entry = {
        "id": d.id,
        "title": d.title,
        "job_time": job_time(d, abbreviation, ctx.titles),
        "run_time": f"{d.run_time:%H:%M}" if d.run_time and not d.run_after else None,
        "priority": d.priority,
        "weekdays": weekdays_display(d.weekdays),
        "start_date": d.start_date.isoformat() if d.start_date else None,
        "end_date": d.end_date.isoformat() if d.end_date else None,
        "class": d.job_class,
        "class_title": job_class.title if job_class else d.job_class,
        "kind": str(d.kind),
        "next_run": nxt.astimezone(ctx.zone).isoformat() if nxt else None,
        "next_run_display": moment_display(nxt, ctx.zone) if nxt else "",
        "active": d.active,
        "missing_class": job_class is None,
        # A class this site may not run (state, add-on) is flagged like a missing one.
        **status,
        "invalid": False,
        "errors": [],
        "school_days_only": uses_school_days(d),
        "skipped_days": [day.isoformat() for day in skipped],
        "skipped_text": describe_skips(skipped),
        "not_before": f"{d.not_before:%H:%M}" if d.not_before else None,
        "run_after": [_upstream(j, ctx) for j in d.run_after],
    }
    runnable = d.active and status["unavailable"] is None and status["run_refused"] is None
    return Listed(
        entry,
        _shown(entry),
        entry["run_time"],
        nxt.timestamp() if nxt else None,
        runnable,
        raw,
    )


def _upstream(job_id: str, ctx: _Context) -> dict[str, Any]:
    last = ctx.runs.get(job_id)
    return {
        "id": job_id,
        "title": ctx.titles.get(job_id, job_id),
        "last_run": last["finished_at"].astimezone(ctx.zone).isoformat() if last else None,
        "last_success": last["success"] if last else None,
    }


def _shown(entry: dict[str, Any]) -> dict[str, str]:
    """The text each column shows (filters match it)."""
    shown = {c: "" if entry.get(c) is None else str(entry[c]) for c in (*COLUMNS, "id", "class")}
    shown["next_run"] = entry.get("next_run_display") or ""
    return shown


@dataclass
class Listing:
    """Every row's entry, as shown, with what the response needs beside them."""

    timezone: str
    rows: list[dict[str, Any]]  # the raw rows (export uses them)
    listed: list[Listed]
    retention_warning: str | None
    built_at: float = field(default_factory=time.monotonic)
    expires_at: float = math.inf  # the earliest next run: the list changes then

    @property
    def zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except Exception:  # a broken district zone still lists the jobs (each one flagged)
            return ZoneInfo("UTC")


def _fingerprint(
    table: JobTable,
    site: SiteProfile | None,
    calendar: DistrictCalendar,
    runs: dict[str, dict[str, Any]],
) -> tuple[Any, ...]:
    # read_table gives every row its columns in one order: the values alone identify it.
    rows = tuple(tuple(r.values()) for r in table.rows)
    profile = site.model_dump_json() if site is not None else None
    done = tuple(sorted((k, str(v.get("finished_at")), v.get("success")) for k, v in runs.items()))
    return (table.timezone, rows, profile, calendar, done)


class ListingCache:
    """The last listing built, per database URL; rebuilt when anything it shows changes."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._lock = threading.Lock()
        self._kept: dict[str, tuple[tuple[Any, ...], Listing]] = {}
        self._parsed: dict[str, Parsed] = {}
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.builds = 0  # how many times a listing was built (tests read it)

    def listing(self, conn: sa.Connection) -> Listing:
        table = read_table(conn, active_only=False)
        upstream = {j for r in table.rows for j in str(r.get("run_after") or "").split(",") if j}
        runs = last_runs(conn, upstream)
        site = read_site_profile(conn)
        now = self._clock()
        calendar = read_district_calendar(conn, now.date())
        key = _fingerprint(table, site, calendar, runs)
        url = str(conn.engine.url)
        with self._lock:
            kept = self._kept.get(url)
        if kept is not None:
            kept_key, listing = kept
            fresh = time.monotonic() - listing.built_at < MAX_AGE_SECONDS
            if kept_key == key and fresh and now.timestamp() < listing.expires_at:
                return listing
        ctx = _Context(
            timezone=table.timezone,
            zone=_zone(table.timezone),
            now=now,
            site=site,
            calendar=calendar,
            runs=runs,
            titles={r["id"]: r["title"] for r in table.rows},
        )
        before, parsed = self._parsed.get(url, {}), {}
        listed = [_entry(r, ctx, before, parsed) for r in table.rows]
        upcoming = [row.next_run_utc for row in listed if row.next_run_utc is not None]
        listing = Listing(
            timezone=table.timezone,
            rows=table.rows,
            listed=listed,
            retention_warning=retention_warning(table.rows),
            expires_at=min(upcoming, default=math.inf),
        )
        self.builds += 1
        with self._lock:
            self._kept[url] = (key, listing)
            self._parsed[url] = parsed  # only the rows there are now
        return listing


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("UTC")


# --- Filters --------------------------------------------------------------------------------


Predicate = Callable[[Listed], bool]


def _parse_clock(text: str) -> str | None:
    """``14:30`` or ``2:30 PM`` as ``"14:30"``; None when it is not a time of day."""
    if m := _CLOCK_24H.fullmatch(text):
        hour, minute = int(m[1]), int(m[2])
    elif m := _CLOCK_12H.fullmatch(text):
        hour, minute = int(m[1]) % 12, int(m[2] or 0)
        if not 1 <= int(m[1]) <= 12:
            return None
        hour += 12 if m[3].lower() == "p" else 0
    else:
        return None
    if hour > 23 or minute > 59:
        return None
    return f"{hour:02d}:{minute:02d}"


def parse_filter(text: str, zone: ZoneInfo) -> Predicate:
    """``column:operator:value`` (or the older ``column:text``, meaning contains) as a test of
    one listed row; FilterError with the sentence to show when it cannot be applied."""
    column, _, rest = text.partition(":")
    operator, sep, value = rest.partition(":")
    if rest == "is_empty":  # needs no value, so no second colon either
        operator = "is_empty"
    elif not sep or operator not in OPERATORS:  # column:text
        operator, value = "contains", rest
    if column not in (*COLUMNS, *HIDDEN_COLUMNS):
        raise FilterError(
            f"filter {text[:100]!r}: {column[:50]!r} is not a column "
            f"(columns: {', '.join(COLUMNS)})"
        )
    wanted = value.strip().lower()
    where = f"filter {text[:100]!r}"
    if operator == "contains":
        return lambda row: wanted in row.shown[column].lower()
    if operator == "equals":
        return lambda row: row.shown[column].strip().lower() == wanted
    if operator == "starts_with":
        return lambda row: row.shown[column].lower().startswith(wanted)
    if operator == "is_empty":
        return lambda row: not row.shown[column].strip()
    if operator in ("at_least", "at_most"):
        if column not in NUMBER_COLUMNS:
            raise FilterError(f"{where}: {operator} works on {', '.join(NUMBER_COLUMNS)}")
        try:
            number = float(wanted)
        except ValueError:
            raise FilterError(f"{where}: {value[:50]!r} is not a number") from None
        if operator == "at_least":
            return lambda row: _number(row.entry.get(column), lambda n: n >= number)
        return lambda row: _number(row.entry.get(column), lambda n: n <= number)
    if column not in TIME_COLUMNS:  # before / after
        raise FilterError(f"{where}: {operator} works on {', '.join(TIME_COLUMNS)}")
    later = operator == "after"
    if column == "job_time":
        clock = _parse_clock(wanted)
        if clock is None:
            raise FilterError(f"{where}: {value[:50]!r} is not a time (write 14:30 or 2:30 PM)")
        return lambda row: (
            row.run_time is not None and (row.run_time > clock if later else row.run_time < clock)
        )
    if column in ("start_date", "end_date"):
        day = _parse_date(wanted, where)
        return lambda row: (
            bool(row.entry.get(column))
            and (row.entry[column] > day if later else row.entry[column] < day)
        )
    return _next_run_predicate(wanted, zone, later, where)


def _number(value: Any, test: Callable[[float], bool]) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        return test(float(value))
    except (TypeError, ValueError):
        return False


def _parse_date(text: str, where: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise FilterError(f"{where}: {text[:50]!r} is not a date (write YYYY-MM-DD)") from None


def _next_run_predicate(text: str, zone: ZoneInfo, later: bool, where: str) -> Predicate:
    """Before a day: before it starts; after a day: after it ends; a moment: strictly."""
    try:
        if len(text) <= 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time(0), zone)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
            bound, inclusive = (end, True) if later else (start, False)
        else:
            moment = dt.datetime.fromisoformat(text.upper().replace(" ", "T"))
            bound = moment if moment.tzinfo else moment.replace(tzinfo=zone)
            inclusive = False
    except ValueError:
        raise FilterError(
            f"{where}: {text[:50]!r} is not a date or time (write YYYY-MM-DD or YYYY-MM-DDTHH:MM)"
        ) from None
    at = bound.timestamp()
    if later:
        return lambda row: (
            row.next_run_utc is not None
            and (row.next_run_utc >= at if inclusive else row.next_run_utc > at)
        )
    return lambda row: row.next_run_utc is not None and row.next_run_utc < at


# --- Sorting and paging ---------------------------------------------------------------------


def _sort_value(row: Listed, column: str) -> Any:
    """The value a column sorts by, or None for a blank (blanks always come last)."""
    if column == "priority":
        value = row.entry.get("priority")
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if column == "next_run":
        return row.next_run_utc
    if column == "job_time":
        if not row.shown["job_time"]:
            return None
        # Clock times first, in the order of the day; then "After …" and "Every …" by text.
        return (0, row.run_time, "") if row.run_time else (1, "", row.shown["job_time"].lower())
    if column == "weekdays":
        days = [d.strip().lower() for d in row.shown["weekdays"].split(",") if d.strip()]
        order = [WEEKDAYS.index(d) for d in days if d in WEEKDAYS]
        return tuple(order) if order else (row.shown["weekdays"].lower() or None)
    text = row.shown[column].strip().lower()
    return text or None


def sort_rows(rows: list[Listed], column: str, desc: bool) -> list[Listed]:
    keyed = [(_sort_value(r, column), r) for r in rows]
    filled = [(k, r) for k, r in keyed if k is not None]
    blanks = [r for k, r in keyed if k is None]
    try:
        filled.sort(key=lambda kr: kr[0], reverse=desc)
    except TypeError:  # mixed kinds from a hand-edited row: compare as text
        filled.sort(key=lambda kr: str(kr[0]), reverse=desc)
    return [r for _, r in filled] + blanks


def select(
    listing: Listing,
    filters: Iterable[str],
    sort: str,
    desc: bool,
) -> list[Listed]:
    """The rows every filter matches, sorted; FilterError for a filter that cannot apply."""
    predicates = [parse_filter(f, listing.zone) for f in filters]
    rows = [r for r in listing.listed if all(p(r) for p in predicates)]
    return sort_rows(rows, sort, desc)
