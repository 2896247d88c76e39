"""Focus schedule semantics as pure functions: when a job is due, in UTC instants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
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
    """

    timezone: str
    weekdays: frozenset[int]
    run_time: dt.time | None = None
    repeat_minutes: int | None = None
    window_start: dt.time | None = None
    window_end: dt.time | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None

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
        for _ in range(_SEARCH_DAYS + 1):
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
        return f"{when} {days} ({self.timezone})"
