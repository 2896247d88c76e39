"""Import ICS File: a school calendar kept in step with an outside iCalendar feed."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from job_library.base import Job, JobContext, JobKind, JobResult

# Days before today and after it whose events the feed governs: older events the job made
# stay as they are (a feed that drops last month's events does not erase the history).
DAYS_BACK = 31
DAYS_AHEAD = 366


class ImportIcsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ics_url: str = Field(
        title="ICS URL",
        description="The address of the calendar feed (https://, http:// or webcal://), e.g. a "
        "Google calendar's public iCal address or a file the district publishes nightly.",
        max_length=1000,
    )
    school_id: int | None = Field(
        default=None,
        title="School",
        description="The school whose calendar receives the events; empty for every school.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed events listed")

    @field_validator("ics_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        value = value.strip()
        if value.lower().startswith("webcal://"):
            value = "https://" + value[len("webcal://") :]
        if not value.lower().startswith(("https://", "http://")) or len(value) < 12:
            raise ValueError(f"{value!r} is not a web address (https://, http:// or webcal://)")
        return value


class ImportIcsFile(Job):
    key = "import_ics_file"
    title = "Import ICS File"
    description = (
        "Reads an iCalendar (.ics) feed from a web address and copies its events onto one "
        "school's calendar, or every school's. Repeating events become one calendar event per "
        "date they fall on. Events the job placed earlier are changed when the feed changes "
        "them and removed when the feed drops them; events typed into Focus, or placed by a "
        "different feed, are never touched. The feed decides the 31 days before today and the "
        "366 after it (both ends included); older events stay. An event the feed marks "
        "cancelled (STATUS:CANCELLED, for the whole series or one date of it) is left off "
        "the calendar, or taken off it. An event spanning more than 62 days is refused and "
        "listed. Each event is remembered by the feed, the school, the feed's event id and the "
        "date; an event id longer than 200 characters is remembered by its SHA-256 instead. A "
        "feed that cannot be read changes nothing."
    )
    module = "Integrations"
    kind = JobKind.INTEGRATION
    params_model = ImportIcsParams
    example_params = {"ics_url": "https://calendar.example.org/district.ics"}

    def run(self, context: JobContext, params: ImportIcsParams) -> JobResult:
        from job_library.jobs.integrations._import_ics_work import import_feed

        return import_feed(context, params, DAYS_BACK, DAYS_AHEAD)
