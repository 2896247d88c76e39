"""The Airflow timetable of a Focus job: run time or repeat interval, weekdays, timeframe."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pendulum
from airflow.exceptions import AirflowTimetableInvalid
from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable

if TYPE_CHECKING:
    from include.schedule import FocusSchedule, SchoolDays

# include.schedule is imported where a timetable is read back: every Airflow process loads
# this module with the plugins (a worker before each task too), and only those that read a
# serialized DAG need the schedule.


def _time(value: str | None) -> dt.time | None:
    return dt.time.fromisoformat(value) if value else None


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _utc(at: dt.datetime) -> pendulum.DateTime:
    return pendulum.instance(at.astimezone(dt.UTC))


def _serialize_school_days(days: SchoolDays | None) -> dict[str, Any]:
    """The school days as runs of dates; no key at all without them (older form unchanged)."""
    if days is None:
        return {}
    return {
        "school_days": {
            "first": days.first.isoformat(),
            "last": days.last.isoformat(),
            "ranges": days.to_ranges(),
        }
    }


def _deserialize_school_days(data: dict[str, Any] | None) -> SchoolDays | None:
    from include.schedule import SchoolDays

    if data is None:
        return None
    return SchoolDays.from_ranges(data["first"], data["last"], data["ranges"])


# How long a due run that has not been created yet still counts as due (catchup off).
CATCHUP_GRACE = dt.timedelta(minutes=15)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FocusJobTimetable(Timetable):
    """Runs at a daily time, or every N minutes inside a timeframe, on chosen weekdays.

    All times are wall-clock times in the district's time zone. Catchup off means a
    missed run is not made up: the next run is the next due instant from now, except that
    a run due less than CATCHUP_GRACE ago and not created yet still runs.

    :param schedule: the job's schedule.
    """

    def __init__(self, schedule: FocusSchedule) -> None:
        self.schedule = schedule
        self.description = schedule.describe()

    @property
    def summary(self) -> str:
        return self.schedule.describe()

    def validate(self) -> None:
        if problems := self.schedule.problems():
            raise AirflowTimetableInvalid("; ".join(problems))

    def serialize(self) -> dict[str, Any]:
        s = self.schedule
        return {
            "timezone": s.timezone,
            "weekdays": sorted(s.weekdays),
            "run_time": s.run_time.isoformat("minutes") if s.run_time else None,
            "repeat_minutes": s.repeat_minutes,
            "window_start": s.window_start.isoformat("minutes") if s.window_start else None,
            "window_end": s.window_end.isoformat("minutes") if s.window_end else None,
            "start_date": s.start_date.isoformat() if s.start_date else None,
            "end_date": s.end_date.isoformat() if s.end_date else None,
        } | _serialize_school_days(s.school_days)

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> FocusJobTimetable:
        from include.schedule import FocusSchedule

        return cls(
            FocusSchedule(
                timezone=data["timezone"],
                weekdays=frozenset(data["weekdays"]),
                run_time=_time(data["run_time"]),
                repeat_minutes=data["repeat_minutes"],
                window_start=_time(data["window_start"]),
                window_end=_time(data["window_end"]),
                start_date=_date(data["start_date"]),
                end_date=_date(data["end_date"]),
                # Absent from timetables serialized before school days existed.
                school_days=_deserialize_school_days(data.get("school_days")),
            )
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FocusJobTimetable) and other.schedule == self.schedule

    def __hash__(self) -> int:
        return hash(self.schedule)

    def infer_manual_data_interval(self, *, run_after: dt.datetime) -> DataInterval:
        return DataInterval.exact(_utc(run_after))

    def next_dagrun_info(
        self,
        *,
        last_automated_data_interval: DataInterval | None,
        restriction: TimeRestriction,
    ) -> DagRunInfo | None:
        if last_automated_data_interval is not None:
            after, inclusive = last_automated_data_interval.end, False
        elif restriction.earliest is not None:
            after, inclusive = restriction.earliest, True
        else:
            after, inclusive = _now(), True
        if not restriction.catchup:
            return self._without_catchup(after, inclusive, restriction)
        due = self.schedule.next_fire(after, inclusive=inclusive)
        if due is None or (restriction.latest is not None and due > restriction.latest):
            return None
        return DagRunInfo.exact(_utc(due))

    def _without_catchup(
        self, after: dt.datetime, inclusive: bool, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        """The latest run due within the grace period, else the next one from now.

        At a busy minute the scheduler creates runs a few at a time, and the dag-processor
        recomputes every DAG's next run in between: a run due seconds ago must not be
        skipped for tomorrow's. Runs due longer ago (Airflow was down) are not made up.
        """
        now = _now()
        floor = now - CATCHUP_GRACE
        start, start_inclusive = (after, inclusive) if after >= floor else (floor, True)
        latest = None
        fire = self.schedule.next_fire(start, inclusive=start_inclusive)
        while fire is not None and fire <= now:
            latest = fire
            fire = self.schedule.next_fire(fire, inclusive=False)
        due = latest if latest is not None else fire
        if due is None or (restriction.latest is not None and due > restriction.latest):
            return None
        return DagRunInfo.exact(_utc(due))
