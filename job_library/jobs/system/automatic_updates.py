"""Automatic Updates: installs the newest release of this project from the district's index."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule

if TYPE_CHECKING:
    from job_library.jobs.system._update_work import UpdateTarget

_ADDRESS = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


class AutomaticUpdatesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bug_fix_only: bool = Field(
        default=False,
        title="Install latest bug fix release?",
        description="Yes: only releases of the installed major.minor version (11.0.x).",
    )
    confirmation_emails: list[str] = Field(
        default_factory=list,
        max_length=20,
        title="Confirmation e-mail",
        description="Addresses told the outcome of each update that was tried.",
    )
    index_connection: str = Field(
        default="focus_package_index",
        pattern=r"^[A-Za-z0-9_.-]{1,250}$",
        title="Package index connection",
        description="The Airflow connection of the district's package index.",
        json_schema_extra={"x-focus-lookup": "connections"},
    )
    wait_minutes: int = Field(
        default=60,
        ge=0,
        le=720,
        title="Wait for running jobs (minutes)",
        description="How long to wait for other jobs to finish before putting the update off.",
    )

    @field_validator("confirmation_emails")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not _ADDRESS.fullmatch(address):
                raise ValueError(f"{address!r} is not an e-mail address")
        return value


class AutomaticUpdates(Job):
    key = "automatic_updates"
    title = "Automatic Updates"
    description = (
        "Brings this installation up to the newest release published on the district's "
        "package index (an Airflow connection), e.g. from 11.0.48 to 11.0.50. With Install "
        "latest bug fix release? set to Yes it stays on the installed major.minor line and "
        "takes its newest bug fix only (11.0.56, never 11.1.0); otherwise it takes the newest "
        "release of all. Pre-releases and yanked files are never taken. It never installs "
        "while another job is running: it waits for them, checking again and again, up to the "
        "set number of minutes, and otherwise puts the update off to its next run without "
        "touching anything. If the install fails the installed version stays as it was "
        "(pip restores it), and the output says which version is running. The addresses "
        "given get a confirmation e-mail with the outcome of every update tried. The "
        "services pick up the new version when they restart."
    )
    module = "System"
    params_model = AutomaticUpdatesParams
    uses_run_history = True
    default_schedule = DefaultSchedule(run_time="04:00", priority=100)

    def __init__(
        self,
        target: UpdateTarget | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.target = target
        self.sleep = sleep

    def run(self, context: JobContext, params: AutomaticUpdatesParams) -> JobResult:
        from job_library.jobs.system._update_work import UpdateTarget, update

        return update(context, params, self.target or UpdateTarget.from_environment(), self.sleep)
