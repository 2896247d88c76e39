"""The district's school days, read once for every job, and a job's schedule that uses them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from include.definitions import JobDefinition
from include.schedule import FocusSchedule, SchoolDays, date_ranges
from job_library.registry import get_job_class

# Plain SQL on the Focus table names: the SIS schema module may move, the tables do not.
# A school day is a date of a school's default calendar with minutes of instruction; a
# teacher workday is kept in the calendar with 0 minutes and is not one.
_YEARS = sa.text("SELECT syear, start_date, end_date FROM school_years ORDER BY start_date")
_DAYS = sa.text(
    "SELECT cs.school_id, c.school_date FROM attendance_calendar c "
    "JOIN attendance_calendars cs ON cs.calendar_id = c.calendar_id "
    "WHERE cs.is_default = :yes AND c.minutes > 0 "
    "AND c.school_date >= :first AND c.school_date <= :last"
).bindparams(
    sa.bindparam("yes", type_=sa.Boolean),
    sa.bindparam("first", type_=sa.Date),
    sa.bindparam("last", type_=sa.Date),
)


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])  # SQLite gives text


@dataclass(frozen=True)
class DistrictCalendar:
    """Every school's school days over a bounded horizon (the current and next school year).

    :param first: first date read.
    :param last: last date read; later dates are not known to be school days.
    :param days_by_school: each school's school days.
    """

    first: dt.date
    last: dt.date
    days_by_school: Mapping[int, frozenset[dt.date]] = field(default_factory=dict)
    # Many jobs share a choice of schools (most: all of them): each union is built once.
    _unions: dict[tuple[int, ...], SchoolDays] = field(
        default_factory=dict, compare=False, repr=False
    )

    def school_days(self, schools: Iterable[int] = ()) -> SchoolDays:
        """The days school is in session at any of ``schools`` (none given: any school)."""
        key = tuple(sorted(set(schools)))
        if key not in self._unions:
            days: set[dt.date] = set()
            for school in key or self.days_by_school:
                days |= self.days_by_school.get(school, frozenset())
            self._unions[key] = SchoolDays.of(self.first, self.last, days)
        return self._unions[key]


def horizon(
    years: Iterable[tuple[int, dt.date, dt.date]], today: dt.date
) -> tuple[dt.date, dt.date]:
    """From the start of the school year under way (or the next one) to the end of the year after.

    Between years (summer) the coming year counts as current. Without a school year ahead
    the horizon is empty (``today..today`` minus a day), so no date is a school day.
    """
    ordered = sorted(years, key=lambda y: y[1])
    for i, (_, start, end) in enumerate(ordered):
        if end >= today:
            last = ordered[i + 1][2] if i + 1 < len(ordered) else end
            return start, last
    return today, today - dt.timedelta(days=1)


def read_district_calendar(conn: sa.Connection, today: dt.date) -> DistrictCalendar:
    """Every school's default-calendar school days over :func:`horizon`, in one query."""
    years = [
        (int(y), _as_date(start), _as_date(end)) for y, start, end in conn.execute(_YEARS).all()
    ]
    first, last = horizon(years, today)
    days: dict[int, set[dt.date]] = {}
    if first <= last:
        for school, day in conn.execute(_DAYS, {"yes": True, "first": first, "last": last}):
            days.setdefault(int(school), set()).add(_as_date(day))
    return DistrictCalendar(first, last, {s: frozenset(d) for s, d in days.items()})


def uses_school_days(definition: JobDefinition, class_default: bool | None = None) -> bool:
    """The definition's own choice, else its class's default (attendance classes: yes).

    :param class_default: the class's default when the caller knows it (the class is not
        looked up then).
    """
    if definition.school_days_only is not None:
        return definition.school_days_only
    if class_default is not None:
        return class_default
    job_class = get_job_class(definition.job_class)
    return bool(job_class is not None and job_class.school_days_only_default)


def day_rule(
    definition: JobDefinition,
    timezone: str,
    calendar: Callable[[], DistrictCalendar],
    school_days_default: bool | None = None,
) -> FocusSchedule:
    """The job's schedule for telling which days it may run on (weekdays, dates, school days).

    For a job that only runs after others, its time fields are not used.

    :param school_days_default: see uses_school_days.
    """
    schedule = job_schedule(definition, timezone, calendar, school_days_default)
    if schedule is not None:
        return schedule
    plain = FocusSchedule(
        timezone=timezone,
        weekdays=definition.schedule(timezone).weekdays,
        run_time=dt.time(0, 0),
        start_date=definition.start_date,
        end_date=definition.end_date,
    )
    if uses_school_days(definition, school_days_default):
        days = calendar().school_days(definition.calendar_schools)
        plain = dataclasses.replace(plain, school_days=days)
    return plain


def job_schedule(
    definition: JobDefinition,
    timezone: str,
    calendar: Callable[[], DistrictCalendar],
    school_days_default: bool | None = None,
) -> FocusSchedule | None:
    """When the job is due by the clock, school days included; None when it only runs after others.

    A job that runs after other jobs with a "not before" time is also due at that time (the
    timed half of its asset-or-time schedule).

    :param calendar: gives the district calendar; called only when the job needs it.
    :param school_days_default: see uses_school_days.
    """
    schedule = definition.schedule(timezone)
    if definition.run_after:
        if definition.not_before is None:
            return None
        schedule = FocusSchedule(
            timezone=timezone,
            weekdays=schedule.weekdays,
            run_time=definition.not_before,
            start_date=definition.start_date,
            end_date=definition.end_date,
        )
    if uses_school_days(definition, school_days_default):
        days = calendar().school_days(definition.calendar_schools)
        schedule = dataclasses.replace(schedule, school_days=days)
    return schedule


def calendar_to_json(calendar: DistrictCalendar) -> str:
    schools = {
        str(school): SchoolDays.of(calendar.first, calendar.last, days).to_ranges()
        for school, days in sorted(calendar.days_by_school.items())
    }
    return json.dumps(
        {
            "first": calendar.first.isoformat(),
            "last": calendar.last.isoformat(),
            "schools": schools,
        },
        sort_keys=True,
    )


def calendar_from_json(text: str) -> DistrictCalendar:
    data = json.loads(text)
    days = {
        int(school): frozenset(SchoolDays.from_ranges(data["first"], data["last"], ranges).days)
        for school, ranges in data["schools"].items()
    }
    return DistrictCalendar(
        dt.date.fromisoformat(data["first"]), dt.date.fromisoformat(data["last"]), days
    )


def write_calendar_snapshot(path: Path, calendar: DistrictCalendar) -> None:
    """Keep the last good calendar for when the database cannot be read; only when it changed."""
    text = calendar_to_json(calendar)
    try:
        if path.read_text() == text:
            return
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError:  # a read-only disk must not break the parse; the next one tries again
        pass


def next_run_and_skips(
    schedule: FocusSchedule | None, now: dt.datetime
) -> tuple[dt.datetime | None, list[dt.date]]:
    """The next due instant and the holidays skipped before it (all skipped when none is due).

    When nothing is due within the calendar, the skipped days run to the calendar's end.
    """
    if schedule is None:
        return None, []
    nxt = schedule.next_fire(now)
    if schedule.school_days is None:
        return nxt, []
    until = nxt
    if until is None:
        end = max(schedule.school_days.last, now.astimezone(schedule.tz).date())
        until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=schedule.tz)
    return nxt, schedule.skipped_days(now, until)


def describe_skips(days: list[dt.date], limit: int = 3) -> str:
    """``2026-11-23..2026-11-27, 2026-12-03``: runs of days, the first ``limit`` of them."""
    runs = date_ranges(days)
    text = ", ".join(a.isoformat() if a == b else f"{a}..{b}" for a, b in runs[:limit])
    if len(runs) > limit:
        text += f", … ({len(days)} days in all)"
    return text


def describe_order(definition: JobDefinition, timed: FocusSchedule | None) -> str:
    """``after set-next-school, not before 22:00 sat (America/New_York)``."""
    text = "after " + ", ".join(definition.run_after)
    if timed is not None:
        text += ", not before " + timed.describe()
    return text
