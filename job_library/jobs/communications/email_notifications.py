"""Email Notifications: queue e-mails of student notifications to the contacts who want them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import EVERY_DAY, DefaultSchedule

Category = Literal["attendance", "billing", "grades", "discipline", "assignments", "events"]
ALL_CATEGORIES: tuple[Category, ...] = (
    "attendance",
    "billing",
    "grades",
    "discipline",
    "assignments",
    "events",
)


class EmailNotificationsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[Category] = Field(
        default_factory=lambda: list(ALL_CATEGORIES),
        min_length=1,
        title="Notification types",
        description="Attendance, Billing Fees, Grades, Discipline, Assignments, Events.",
    )
    max_age_days: int = Field(
        default=7,
        ge=1,
        le=365,
        title="Notifications at most this many days old",
        description="Older notifications are never e-mailed (a new subscriber does not get "
        "the whole history).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Queued e-mails listed")


class EmailNotifications(Job):
    key = "email_notifications"
    title = "Email Notifications"
    module = "Communication"
    description = (
        "Turns the notifications Focus raises about students (attendance, billing fees, "
        "grades, discipline, assignments and events: the Parent Notification alerts) into "
        "e-mails for their parents and for students. A contact gets a notification when "
        "their own settings ask for that kind by e-mail and they have an e-mail address; "
        "one e-mail per notification and contact is queued, never twice, and the "
        "Communication Queue sends it. Notifications older than the chosen number of days "
        "(7 unless set; exactly that old still counts) are left alone. Only the chosen "
        "types are queued (all six unless set)."
    )
    params_model = EmailNotificationsParams
    default_schedule = DefaultSchedule(repeat_minutes=60, weekdays=EVERY_DAY)

    def run(self, context: JobContext, params: EmailNotificationsParams) -> JobResult:
        from job_library.jobs.communications._notifications_work import queue_notifications

        return queue_notifications(
            context, list(params.categories), params.max_age_days, params.max_listed
        )
