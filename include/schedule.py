"""Focus schedule semantics as pure functions: when a job is due, in UTC instants."""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ONE_DAY = dt.timedelta(days=1)
# A job due on none of the next 8 local dates (a week plus a DST day) is never due again.
_SEARCH_DAYS = 8


def timezone_problem(name: object) -> str | None:
    """Why ``name`` is not a usable IANA time zone, or None when it is one."""
    if not isinstance(name, str) or not name:
        return f"{str(name)[:60]!r} is not an IANA time zone (e.g. America/Chicago)"
    try:
        ZoneInfo(name)
    except Exception:  # unknown key, a path, a name too long for the file system...
        return f"{name[:60]!r} is not an IANA time zone (e.g. America/Chicago)"
    return None


def _local(day: dt.date, at: dt.time, tz: ZoneInfo) -> dt.datetime:
    """The UTC instant of wall-clock ``at`` on ``day`` in ``tz``.

    A wall-clock time that does not exist (spring forward) is shifted forward by the
    gap, 02:30 becoming 03:30 daylight time; a time that happens twice (fall back) means
    its first occurrence. Both follow from ``fold=0``, which is forced: a wall-clock time
    handed in with ``fold=1`` would otherwise mean the second occurrence (or the gap's far side).
    """
    return dt.datetime.combine(day, at.replace(fold=0), tzinfo=tz).astimezone(dt.UTC)


@dataclass(frozen=True)
class SchoolDays:
    """The school days of a bounded horizon; a date outside ``first..last`` is not one.

    :param first: first date the calendar was read for.
    :param last: last date the calendar was read for.
    :param days: the school days, ascending, each within ``first..last``.
    """

    first: dt.date
    last: dt.date
    days: tuple[dt.date, ...]

    @classmethod
    def of(cls, first: dt.date, last: dt.date, days: Iterable[dt.date]) -> SchoolDays:
        return cls(first, last, tuple(sorted({d for d in days if first <= d <= last})))

    def __contains__(self, day: object) -> bool:
        i = bisect.bisect_left(self.days, day)
        return i < len(self.days) and self.days[i] == day

    def next_on_or_after(self, day: dt.date) -> dt.date | None:
        i = bisect.bisect_left(self.days, day)
        return self.days[i] if i < len(self.days) else None

    def to_ranges(self) -> list[str]:
        """Runs of consecutive days as ISO 8601 intervals (``2026-08-10/2026-08-14``)."""
        return [a.isoformat() if a == b else f"{a}/{b}" for a, b in date_ranges(self.days)]

    @classmethod
    def from_ranges(cls, first: str, last: str, ranges: Iterable[str]) -> SchoolDays:
        days: list[dt.date] = []
        for text in ranges:
            lo, _, hi = text.partition("/")
            day, end = dt.date.fromisoformat(lo), dt.date.fromisoformat(hi or lo)
            while day <= end:
                days.append(day)
                day += _ONE_DAY
        return cls.of(dt.date.fromisoformat(first), dt.date.fromisoformat(last), days)


def date_ranges(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Ascending dates as (first, last) runs of consecutive days."""
    runs: list[tuple[dt.date, dt.date]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] + _ONE_DAY == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


@dataclass(frozen=True)
class FocusSchedule:
    """When a Focus job runs.

    :param timezone: the district's IANA time zone; all times below are local to it.
    :param weekdays: indexes of the weekdays it runs on (0 = Monday).
    :param run_time: the daily run time, or None for a repeating job.
    :param repeat_minutes: for a repeating job, minutes between runs.
    :param window_start: start of the scheduled timeframe (repeating jobs start here).
    :param window_end: end of the scheduled timeframe, inclusive.
    :param start_date: first local date it may run on.
    :param end_date: last local date it may run on.
    :param school_days: when set, it runs only on these dates (school days only).
    """

    timezone: str
    weekdays: frozenset[int]
    run_time: dt.time | None = None
    repeat_minutes: int | None = None
    window_start: dt.time | None = None
    window_end: dt.time | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    school_days: SchoolDays | None = None

    def problems(self) -> list[str]:
        """What makes this schedule unusable, as sentences; empty when it is fine."""
        found = []
        if timezone_problem(self.timezone):
            found.append(f"timezone {self.timezone!r} is not an IANA time zone")
        if not self.weekdays:
            found.append("weekdays is empty: choose at least one day")
        if any(d not in range(7) for d in self.weekdays):
            found.append(f"weekdays {sorted(self.weekdays)} must be 0 (Monday) to 6 (Sunday)")
        if (self.run_time is None) == (self.repeat_minutes is None):
            found.append("set exactly one of run_time and repeat_minutes")
        if self.repeat_minutes is not None and not 1 <= self.repeat_minutes <= 1440:
            found.append(f"repeat_minutes {self.repeat_minutes} must be 1 to 1440")
        if self.window_start and self.window_end and self.window_end < self.window_start:
            found.append(
                f"timeframe end {self.window_end:%H:%M} is before start {self.window_start:%H:%M}"
            )
        if self.start_date and self.end_date and self.end_date < self.start_date:
            found.append(f"end_date {self.end_date} is before start_date {self.start_date}")
        return found

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def runs_on(self, day: dt.date) -> bool:
        """Whether ``day`` (a local date) is one the job may run on."""
        if self.start_date and day < self.start_date:
            return False
        if self.end_date and day > self.end_date:
            return False
        if self.school_days is not None and day not in self.school_days:
            return False
        return day.weekday() in self.weekdays

    def window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime, bool]:
        """The timeframe of ``day`` as UTC instants, and whether its end is inclusive."""
        tz = self.tz
        start = _local(day, self.window_start or dt.time(0, 0), tz)
        if self.window_end is not None:
            return start, _local(day, self.window_end, tz), True
        return start, _local(day + _ONE_DAY, dt.time(0, 0), tz), False

    def fires_on(self, day: dt.date) -> Iterator[dt.datetime]:
        """Every instant the job is due on local date ``day``, ascending."""
        if not self.runs_on(day):
            return
        if self.run_time is not None:
            yield _local(day, self.run_time, self.tz)
            return
        start, end, inclusive = self.window(day)
        step = dt.timedelta(minutes=self.repeat_minutes or 1)
        # Steps are in elapsed time, so a DST change neither doubles nor skips a run.
        at = start
        while at < end or (inclusive and at == end):
            yield at
            at += step

    def next_fire(self, after: dt.datetime, *, inclusive: bool = False) -> dt.datetime | None:
        """The first instant the job is due after ``after`` (or at it, when inclusive)."""
        after = after.astimezone(dt.UTC)
        day = after.astimezone(self.tz).date() - _ONE_DAY
        if self.start_date and day < self.start_date:
            day = self.start_date
        searches = _SEARCH_DAYS + 1
        if self.school_days is not None:
            searches += len(self.school_days.days)
        for _ in range(searches):
            if self.school_days is not None:
                # Holidays and breaks can be weeks long: jump to the next school day.
                school_day = self.school_days.next_on_or_after(day)
                if school_day is None:
                    return None
                day = school_day
            if self.end_date and day > self.end_date:
                return None
            for at in self.fires_on(day):
                if at > after or (inclusive and at == after):
                    return at
            day += _ONE_DAY
        return None

    def upcoming(self, after: dt.datetime, count: int) -> list[dt.datetime]:
        """The next ``count`` due instants after ``after`` (fewer when the job ends)."""
        found: list[dt.datetime] = []
        at: dt.datetime | None = after
        while len(found) < count and at is not None:
            at = self.next_fire(at)
            if at is not None:
                found.append(at)
        return found

    def in_timeframe(self, due: dt.datetime, started: dt.datetime) -> bool:
        """Whether a run due at ``due`` that started at ``started`` is inside its timeframe."""
        if self.window_start is None and self.window_end is None:
            return True
        start, end, inclusive = self.window(due.astimezone(self.tz).date())
        started = started.astimezone(dt.UTC)
        return start <= started and (started < end or (inclusive and started == end))

    def describe(self) -> str:
        """A short human summary, such as ``02:00 mon-fri (America/New_York)``."""
        days = ",".join(WEEKDAYS[d] for d in sorted(self.weekdays))
        if days == "mon,tue,wed,thu,fri":
            days = "mon-fri"
        elif len(self.weekdays) == 7:
            days = "daily"
        if self.run_time is not None:
            when = f"{self.run_time:%H:%M}"
        else:
            when = f"every {self.repeat_minutes} min"
        if self.window_start or self.window_end:
            lo = f"{self.window_start:%H:%M}" if self.window_start else "00:00"
            hi = f"{self.window_end:%H:%M}" if self.window_end else "24:00"
            when += f" within {lo}-{hi}"
        if self.school_days is not None:
            days += " school days"
        return f"{when} {days} ({self.timezone})"

    def skipped_days(self, after: dt.datetime, until: dt.datetime) -> list[dt.date]:
        """Local dates in ``(after, until]`` the job would run on but are not school days."""
        if self.school_days is None:
            return []
        plain = dataclasses.replace(self, school_days=None)
        tz = self.tz
        first, last = after.astimezone(tz).date(), until.astimezone(tz).date()
        found = []
        day = first
        while day <= last:
            if day not in self.school_days and plain.runs_on(day):
                fires = plain.fires_on(day)
                if first < day < last:  # a whole day inside the span: any run at all counts
                    due = next(fires, None) is not None
                else:
                    due = any(after < at <= until for at in fires)
                if due:
                    found.append(day)
            day += _ONE_DAY
        return found
