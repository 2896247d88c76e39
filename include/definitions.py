"""A scheduled job's definition: validated from a table row or a YAML entry, with clear errors."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import re
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from include.job_rows import SLUG
from include.schedule import WEEKDAYS, FocusSchedule, timezone_problem
from job_library.base import JobKind
from job_library.registry import get_job_class

__all__ = ["SLUG"]  # kept in include/job_rows.py, which a worker's parse imports alone
_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # bytes the database driver could not decode
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
# Start and end dates beyond these are typing mistakes, and would overflow date arithmetic.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)

# Focus's Store Execution History pull-down (job_library.retention.RETENTION_DAYS); None
# means the job follows the Daily Maintenance job's default.
HistoryRetention = Literal[
    "1 week", "2 weeks", "1 month", "3 months", "6 months", "1 year", "forever"
]


@functools.cache
def _email_adapter() -> TypeAdapter:
    # Built on first use: pydantic.networks and email-validator cost a noticeable part of
    # a one-DAG parse on the worker, and most jobs have no addresses.
    from pydantic import EmailStr

    return TypeAdapter(EmailStr)


# Plain ASCII addresses (dot-atom local part of common characters, a domain of at least two
# LDH labels ending in a letters-only TLD) that email-validator always accepts. A worker's
# one-DAG parse checks them without importing it (about 40 ms); anything else, and any domain
# with a label that may be special-use, gets the full check. tests/include/
# test_definitions_and_import.py compares both verdicts.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.IGNORECASE,
)
_MAYBE_SPECIAL = frozenset(
    {"arpa", "invalid", "local", "localhost", "onion", "test", "example", "internal", "alt"}
)


def _plain_email(address: str) -> bool:
    """Whether ``address`` is certainly valid without email-validator (False: not known)."""
    if len(address) > 254 or not _PLAIN_EMAIL.fullmatch(address):
        return False
    local, _, domain = address.rpartition("@")
    labels = domain.lower().split(".")
    return len(local) <= 64 and len(domain) <= 253 and _MAYBE_SPECIAL.isdisjoint(labels)


@functools.lru_cache(maxsize=4096)
def _is_email(address: str) -> bool:
    # The same few addresses recur on many jobs; a parse validates each once.
    if _plain_email(address):
        return True
    try:
        _email_adapter().validate_python(address)
    except ValidationError:
        return False
    return True


# A value quoted in an error is cut to a readable length and depth, whatever was given.
_QUOTE = reprlib.Repr()
_QUOTE.maxlevel, _QUOTE.maxlist, _QUOTE.maxdict = 3, 5, 5
_QUOTE.maxstring, _QUOTE.maxother, _QUOTE.maxlong = 80, 80, 40


def quote_value(value: Any) -> str:
    """``repr(value)`` cut to a sane length: never an expanded structure or a megabyte."""
    if isinstance(value, dt.date | dt.time):  # as it was typed, not datetime.date(...)
        value = value.isoformat()
    try:
        text = _QUOTE.repr(value)
    except Exception:  # a value whose repr itself fails
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 120 else text[:117] + "..."


FIELDS = (
    "id",
    "title",
    "class",
    "kind",
    "run_time",
    "repeat_minutes",
    "timeframe_start",
    "timeframe_end",
    "weekdays",
    "priority",
    "store_history",
    "start_date",
    "end_date",
    "emails",
    "params",
    "active",
)
# Written to YAML only when set, so files of jobs that use neither feature stay as they were.
SCHEDULING_FIELDS = ("school_days_only", "calendar_schools", "run_after", "not_before")


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with one job definition.

    :param job_id: the job's id as given (may itself be the bad value).
    :param field: the field, dotted for nested values (``params.enrollment_date``).
    :param value: the value found.
    :param message: what is wrong and how to fix it.
    :param row: the 1-based position in an import file, when there is one.
    """

    job_id: str
    field: str
    value: Any
    message: str
    row: int | None = None

    def __str__(self) -> str:
        where = f"row {self.row}, " if self.row is not None else ""
        return f"{where}job '{self.job_id}': {self.field} {quote_value(self.value)}: {self.message}"


class InvalidDefinition(ValueError):
    """A definition with one or more field errors."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class JobDefinition(BaseModel):
    """Everything the Focus Jobs / Edit / Create screens hold about one job."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    id: str = Field(pattern=SLUG.pattern, description="Stable id (slug), the Airflow dag_id.")
    title: str = Field(min_length=1, max_length=200)
    job_class: str = Field(alias="class", min_length=1, max_length=100)
    kind: JobKind = JobKind.BUILT_IN
    run_time: dt.time | None = Field(default=None, description="Daily run time, HH:MM (24 h).")
    repeat_minutes: int | None = Field(default=None, ge=1, le=1440)
    timeframe_start: dt.time | None = None
    timeframe_end: dt.time | None = None
    weekdays: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = WEEKDAYS
    priority: int = Field(default=500, ge=0, le=1_000_000, strict=False)
    store_history: HistoryRetention | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    emails: tuple[str, ...] = ()
    params: dict[str, Any] = Field(default_factory=dict)
    active: bool = True
    school_days_only: bool | None = Field(
        default=None, description="Run only on school days; null: the job class's default."
    )
    calendar_schools: tuple[int, ...] = Field(
        default=(), description="Schools whose calendars count; empty: every school's."
    )
    run_after: tuple[str, ...] = Field(default=(), description="Ids of jobs this one runs after.")
    not_before: dt.time | None = Field(
        default=None, description="With run_after: the earliest local time a run starts."
    )

    @field_validator("calendar_schools", "run_after", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str | int):
            value = str(value).split(",")
        if isinstance(value, list | tuple):
            items = [str(v).strip() for v in value if str(v).strip()]
            return tuple(dict.fromkeys(items))  # a repeated entry counts once
        return value

    @field_validator("not_before", mode="before")
    @classmethod
    def _sexagesimal_time(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 22:00 as the base-60 number 1320: that is the time meant.
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return dt.time(value // 60, value % 60)
        return value

    @field_validator("run_after")
    @classmethod
    def _job_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for job_id in value:
            if not SLUG.fullmatch(job_id):
                raise ValueError(f"{job_id!r} is not a job id (see focus-jobs list)")
        return value

    @field_validator("weekdays", mode="before")
    @classmethod
    def _split_weekdays(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [v for v in value.split(",") if v.strip()]
        if isinstance(value, list | tuple):
            return tuple(str(v).strip().lower() for v in value)
        return value

    @field_validator("emails", mode="before")
    @classmethod
    def _split_emails(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(str(v).strip() for v in value if str(v).strip())
        return value

    @field_validator("run_time", "timeframe_start", "timeframe_end", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        # YAML 1.1 reads an unquoted 14:30 as the number 870 (base 60): never guess a time
        # from a number, say how to write it.
        if isinstance(value, bool | int | float):
            raise ValueError(
                'is a number, not a time: write it quoted as "HH:MM", e.g. "14:30" '
                "(unquoted, YAML reads 14:30 as the number 870)"
            )
        if isinstance(value, str) and (clock := _CLOCK.fullmatch(value.strip())):
            return f"{int(clock[1]):02d}:{clock[2]}"
        return value

    @field_validator("start_date", "end_date")
    @classmethod
    def _within_horizon(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise ValueError(f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
        return value

    @field_validator("priority", mode="before")
    @classmethod
    def _whole_priority(cls, value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("priority must be a whole number")
        return value

    def schedule(self, timezone: str) -> FocusSchedule:
        return FocusSchedule(
            timezone=timezone,
            weekdays=frozenset(WEEKDAYS.index(d) for d in self.weekdays),
            run_time=self.run_time,
            repeat_minutes=self.repeat_minutes,
            window_start=self.timeframe_start,
            window_end=self.timeframe_end,
            start_date=self.start_date,
            end_date=self.end_date,
        )

    def to_document(self) -> dict[str, Any]:
        """The YAML form of the CLI's export and import (see README)."""
        doc = self.model_dump(mode="json", by_alias=True)
        for key in ("run_time", "timeframe_start", "timeframe_end"):
            if doc[key]:
                doc[key] = doc[key][:5]
        doc["weekdays"] = list(doc["weekdays"])
        doc["emails"] = list(doc["emails"])
        extra = {
            "school_days_only": doc["school_days_only"],
            "calendar_schools": list(doc["calendar_schools"]) or None,
            "run_after": list(doc["run_after"]) or None,
            "not_before": doc["not_before"][:5] if doc["not_before"] else None,
        }
        return {k: doc[k] for k in FIELDS} | {
            k: extra[k] for k in SCHEDULING_FIELDS if extra[k] is not None
        }


def _field_errors(
    exc: ValidationError, job_id: str, row: int | None, prefix: tuple[str, ...] = ()
) -> list[FieldError]:
    """Pydantic's errors as FieldErrors; a missing field has no value to quote."""
    found = []
    for e in exc.errors():
        field = ".".join([*prefix, *(str(p) for p in e["loc"])]) or "definition"
        if e["type"] == "missing":
            found.append(FieldError(job_id, field, None, "is required", row))
        else:
            message = e["msg"].removeprefix("Value error, ")  # our own validators' sentences
            found.append(FieldError(job_id, field, e.get("input"), message, row))
    return found


def _cross_field_errors(
    d: JobDefinition, params_known: Callable[[str, dict[str, Any]], bool] | None = None
) -> list[FieldError]:
    errors = []

    def err(field: str, value: Any, message: str) -> None:
        errors.append(FieldError(d.id, field, value, message))

    if d.run_time is None and d.repeat_minutes is None and not d.run_after:
        err("run_time", None, "set a run time (HH:MM) or repeat_minutes")
    if d.run_time is not None and d.repeat_minutes is not None:
        err("repeat_minutes", d.repeat_minutes, "set either run_time or repeat_minutes, not both")
    if not d.weekdays:
        err("weekdays", [], "choose at least one weekday")
    if d.timeframe_start and d.timeframe_end and d.timeframe_end < d.timeframe_start:
        err(
            "timeframe_end",
            f"{d.timeframe_end:%H:%M}",
            f"is before timeframe_start {d.timeframe_start:%H:%M}",
        )
    if d.run_time is not None:
        lo = d.timeframe_start or dt.time(0, 0)
        if d.run_time < lo or (d.timeframe_end is not None and d.run_time > d.timeframe_end):
            err(
                "run_time",
                f"{d.run_time:%H:%M}",
                "is outside the scheduled timeframe, so every run would be skipped",
            )
    if d.start_date and d.end_date and d.end_date < d.start_date:
        err("end_date", d.end_date.isoformat(), f"is before start_date {d.start_date}")
    for address in d.emails:
        if not _is_email(address):
            err("emails", address, "is not a valid e-mail address (separate several with commas)")
    errors.extend(_run_after_errors(d))
    if params_known is not None and params_known(d.job_class, d.params):
        return errors
    job_class = get_job_class(d.job_class)
    if job_class is not None:
        try:
            job_class.params_model.model_validate(d.params)
        except ValidationError as exc:
            errors.extend(_field_errors(exc, d.id, None, ("params",)))
    return errors


def _run_after_errors(d: JobDefinition) -> list[FieldError]:
    """A job that runs after others has no clock of its own, only an earliest time."""
    errors = []
    if not d.run_after:
        if d.not_before is not None:
            errors.append(
                FieldError(
                    d.id, "not_before", f"{d.not_before:%H:%M}", "applies only with run_after"
                )
            )
        return errors
    if d.id in d.run_after:
        errors.append(FieldError(d.id, "run_after", d.id, "a job cannot run after itself"))
    if d.not_before is not None and d.not_before.tzinfo is not None:
        errors.append(
            FieldError(
                d.id,
                "not_before",
                d.not_before.isoformat(),
                "give a local time (HH:MM) without a zone: the district's time zone applies",
            )
        )
    own_time = {
        "run_time": f"{d.run_time:%H:%M}" if d.run_time else None,
        "repeat_minutes": d.repeat_minutes,
        "timeframe_start": f"{d.timeframe_start:%H:%M}" if d.timeframe_start else None,
        "timeframe_end": f"{d.timeframe_end:%H:%M}" if d.timeframe_end else None,
    }
    for field, value in own_time.items():
        if value is not None:
            errors.append(
                FieldError(
                    d.id,
                    field,
                    value,
                    "a job that runs after other jobs starts when they succeed: remove it "
                    "(not_before sets the earliest time)",
                )
            )
    return errors


def parse_definition(
    data: Mapping[str, Any],
    row: int | None = None,
    *,
    params_known: Callable[[str, dict[str, Any]], bool] | None = None,
) -> JobDefinition:
    """Validate one definition (YAML entry or decoded table row).

    :param data: the fields, keyed as in the YAML format.
    :param row: its 1-based position in a file, for error messages.
    :param params_known: tells whether a class's parameters are known to be valid, so they
        are not validated again (the dag-processor's memo, include/class_memo.py).
    :raises InvalidDefinition: listing every field that is wrong.
    """
    raw_id = data.get("id", "?")
    job_id = (raw_id if isinstance(raw_id, str) else quote_value(raw_id))[:100]
    try:
        definition = JobDefinition.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidDefinition(_field_errors(exc, job_id, row)) from None
    errors = _cross_field_errors(definition, params_known)
    if errors:
        raise InvalidDefinition(
            [FieldError(e.job_id, e.field, e.value, e.message, row) for e in errors]
        )
    return definition


def district_timezone_error(job_id: str, timezone: Any) -> InvalidDefinition | None:
    """The error every job gets when the district time zone is unusable, else None."""
    if timezone_problem(timezone) is None:
        return None
    return InvalidDefinition(
        [
            FieldError(
                job_id,
                "district setting timezone",
                timezone,
                "is not an IANA time zone, so no job can be scheduled: set one with "
                "`focus-jobs settings timezone America/New_York`",
            )
        ]
    )


def row_to_document(row: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a raw ``scheduled_jobs`` row into the YAML-shaped mapping parse_definition takes.

    Values are taken as the database gave them (text on SQLite), so that a bad value is
    reported by validation instead of breaking the read of the whole table.
    """
    for name, value in row.items():
        if isinstance(value, str) and _NOT_UTF8.search(value):
            raise InvalidDefinition(
                [
                    FieldError(
                        str(row.get("id")).encode("utf-8", "backslashreplace").decode(),
                        name,
                        value,
                        "holds bytes that are not UTF-8 text: re-enter the value",
                    )
                ]
            )
    hour, minute = row.get("run_hour"), row.get("run_minute")
    run_time: Any = None
    if hour is not None or minute is not None:
        try:
            run_time = f"{int(hour):02d}:{int(minute):02d}"
        except (TypeError, ValueError):
            run_time = f"{hour}:{minute}"
    params = row.get("params")
    if isinstance(params, str):
        # Text that is not JSON stays text, for validation to report.
        with contextlib.suppress(json.JSONDecodeError):
            params = json.loads(params)
    active = row.get("active")
    if isinstance(active, str) and active in ("0", "1"):
        active = active == "1"
    return {
        "id": row.get("id"),
        "title": row.get("title"),
        "class": row.get("job_class"),
        "kind": row.get("kind"),
        "run_time": run_time,
        "repeat_minutes": row.get("repeat_minutes"),
        "timeframe_start": row.get("timeframe_start") or None,
        "timeframe_end": row.get("timeframe_end") or None,
        "weekdays": row.get("weekdays") or "",
        "priority": row.get("priority"),
        "store_history": row.get("store_history"),
        "start_date": row.get("start_date"),
        "end_date": row.get("end_date"),
        "emails": row.get("emails") or "",
        "params": params if params is not None else {},
        "active": active,
    } | _scheduling_document(row)


def _scheduling_document(row: Mapping[str, Any]) -> dict[str, Any]:
    """The school-day and run-after columns (migration 0008) of a raw row; absent: unset."""
    only = row.get("school_days_only")
    if isinstance(only, str) and only in ("0", "1", "true", "false"):
        only = only in ("1", "true")
    return {
        "school_days_only": only,
        "calendar_schools": row.get("calendar_schools") or (),
        "run_after": row.get("run_after") or (),
        "not_before": row.get("not_before") or None,
    }


def document_to_row(d: JobDefinition) -> dict[str, Any]:
    """The ``scheduled_jobs`` column values of a valid definition (audit columns excluded)."""
    return {
        "id": d.id,
        "title": d.title,
        "job_class": d.job_class,
        "kind": str(d.kind),
        "run_hour": d.run_time.hour if d.run_time else None,
        "run_minute": d.run_time.minute if d.run_time else None,
        "repeat_minutes": d.repeat_minutes,
        "timeframe_start": f"{d.timeframe_start:%H:%M}" if d.timeframe_start else None,
        "timeframe_end": f"{d.timeframe_end:%H:%M}" if d.timeframe_end else None,
        "weekdays": ",".join(d.weekdays),
        "priority": d.priority,
        "store_history": d.store_history,
        "start_date": d.start_date,
        "end_date": d.end_date,
        "emails": ",".join(d.emails),
        "params": d.params,
        "active": d.active,
        "school_days_only": d.school_days_only,
        "calendar_schools": ",".join(str(s) for s in d.calendar_schools),
        "run_after": ",".join(d.run_after),
        "not_before": f"{d.not_before:%H:%M}" if d.not_before else None,
    }
