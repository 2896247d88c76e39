"""Per-class defaults: the schedule and title a new job of a class starts with."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from job_library.base import Job

EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@dataclass(frozen=True)
class DefaultSchedule:
    """The schedule fields a new job of a class gets (a job definition's own fields).

    :param run_time: daily run time ``HH:MM``, or None for a repeating job.
    :param repeat_minutes: run every N minutes instead of at ``run_time``.
    :param weekdays: the days it runs.
    :param timeframe_start: start of the scheduled timeframe, ``HH:MM``.
    :param timeframe_end: end of the scheduled timeframe, ``HH:MM``.
    :param priority: its priority (500 is the screen's default).
    :param store_history: its Store Execution History choice (None: Daily Maintenance's).
    """

    run_time: str | None = None
    repeat_minutes: int | None = None
    weekdays: tuple[str, ...] = EVERY_DAY
    timeframe_start: str | None = None
    timeframe_end: str | None = None
    priority: int = 500
    store_history: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {
            "run_time": self.run_time,
            "repeat_minutes": self.repeat_minutes,
            "weekdays": list(self.weekdays),
            "timeframe_start": self.timeframe_start,
            "timeframe_end": self.timeframe_end,
            "priority": self.priority,
            "store_history": self.store_history,
        }


def default_title(job_class: type[Job], params: Mapping[str, Any] | None = None) -> str:
    """The class's title template filled from ``params``; the class title when a field the
    template names is missing or empty (``"{title} for {syear}"`` without a year)."""
    template = job_class.title_template
    if not template:
        return job_class.title
    values = {"title": job_class.title, **(params or {})}
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    if any(values.get(name) in (None, "", []) for name in names):
        return job_class.title
    return template.format(**values)


def default_document(job_class: type[Job], job_id: str) -> dict[str, Any]:
    """A job definition document of ``job_class`` with its defaults, for seeding or a form."""
    schedule = job_class.default_schedule or DefaultSchedule(run_time="02:00", weekdays=WEEKDAYS)
    return {
        "id": job_id,
        "title": default_title(job_class),
        "class": job_class.key,
        "kind": str(job_class.kind),
        **schedule.to_document(),
        "params": {},
        "active": True,
    }
