"""Communication Status Update(s): unreachable numbers get a contact form; returned forms are
published to the staff who update the records."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import EVERY_DAY, DefaultSchedule
from job_library.site import AddOn


class CommunicationStatusUpdateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Forms listed")


class CommunicationStatusUpdate(Job):
    key = "communication_status_update"
    title = "Communication Status Update"
    module = "Communication"
    description = (
        "Follows up on calls and texts that could not reach a number. For each call or "
        "text the provider refused as undeliverable, the person behind the number is asked "
        "for new contact details: a parent or guardian whose number it was gets the parent "
        "contact form, a student whose own number it was gets the student form (the two "
        "forms chosen in System Preferences: callout_parent_form and "
        "callout_student_form). A person gets one form per failure, never a "
        "second while one is open. Each form returned since the last run is then published "
        "to the profile of callout_form_review_profile (Registrar unless set) as a portal "
        "alert at the student's school, with the new number and e-mail, once. Failures that "
        "name no student are listed. Without both forms chosen the run fails and changes "
        "nothing."
    )
    params_model = CommunicationStatusUpdateParams
    needs_add_ons = frozenset({AddOn.COMMUNICATION})
    default_schedule = DefaultSchedule(run_time="05:00", weekdays=EVERY_DAY)

    def run(self, context: JobContext, params: CommunicationStatusUpdateParams) -> JobResult:
        from job_library.jobs.communications._status_work import update_status

        return update_status(context, params.max_listed)


class CommunicationStatusUpdates(CommunicationStatusUpdate):
    key = "communication_status_updates"
    title = "Communication Status Updates"
    description = (
        "The same job as Communication Status Update under the name some districts have: "
        "calls and texts from the Communication module that could not reach a number get "
        "the chosen contact form published to the parent or student, and returned forms "
        "are shown to the reviewing profile. A district needs only one of the two."
    )
