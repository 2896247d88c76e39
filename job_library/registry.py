"""The job catalog: stable snake_case keys to job classes, imported only when asked for.

A task's DAG parse builds one DAG and so needs one job class: importing every module (and
the SIS schema behind them) there would cost more than the rest of the parse.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from job_library.base import Job

# key -> "module:Class" under job_library.jobs
_LOCATIONS: dict[str, str] = {
    "address_corrections": "sis.address_corrections:AddressCorrections",
    "alert_when_existing_mtss_students_enroll": "sss.mtss_enrollment_alert:MtssEnrollmentAlert",
    "attendance_daily_triggers": (
        "communications.attendance_daily_triggers:AttendanceDailyTriggers"
    ),
    "attendance_sms": "communications.attendance_sms:AttendanceSms",
    "attendance_summary_calculation": "attendance.attendance_summary:AttendanceSummaryCalculation",
    "automatic_course_requests": "scheduling.automatic_course_requests:AutomaticCourseRequests",
    "auto_withdraw": "fps.auto_withdraw:AutoWithdraw",
    "automated_emails": "communications.automated_emails:AutomatedEmails",
    "communication_email_replies": "communications.email_replies:CommunicationEmailReplies",
    "communication_queue": "communications.communication_queue:CommunicationQueue",
    "communication_status_update": (
        "communications.communication_status_update:CommunicationStatusUpdate"
    ),
    "communication_status_updates": (
        "communications.communication_status_update:CommunicationStatusUpdates"
    ),
    "create_detentions_from_tardies": (
        "attendance.detentions_from_tardies:CreateDetentionsFromTardies"
    ),
    "calculate_class_rank_and_gpa": "sis.class_rank_gpa:CalculateClassRankAndGpa",
    "class_size_averages": "florida.class_size_averages:ClassSizeAverages",
    "cte_consecutive_absences": "fps.cte_consecutive_absences:CteConsecutiveAbsences",
    "cte_pay_period_2": "fps.cte_pay_period_2:CtePayPeriod2",
    "daily_maintenance": "system.daily_maintenance:DailyMaintenance",
    "deactivate_mtss_events_for_withdrawn_students": (
        "sss.deactivate_mtss_events:DeactivateMtssEvents"
    ),
    "email_notifications": "communications.email_notifications:EmailNotifications",
    "eoy_attendance_calculation": "florida.eoy_attendance:EoyAttendanceCalculation",
    "florida_test_id_assignment": "florida.florida_test_id:FloridaTestIdAssignment",
    "field_trip_notifications": "erp.field_trip_notifications:FieldTripNotifications",
    "focus_chat_alerts": "communications.focus_chat_alerts:FocusChatAlerts",
    "frontline_leave": "erp.frontline_leave:FrontlineLeave",
    "metlife_incoming": "erp.metlife_incoming:MetLifeIncoming",
    "missing_class": "system.missing_class:MissingClass",
    "neogov_new_hires": "erp.neogov:NeoGovNewHires",
    "neogov_user_data": "erp.neogov:NeoGovUserData",
    "pcard_email_reminder": "erp.pcard_email_reminder:PcardEmailReminder",
    "parse_addresses": "sis.parse_addresses:ParseAddresses",
    "phone_communication_processing": (
        "communications.communication_queue:PhoneCommunicationProcessing"
    ),
    "nightly_immunization_compliance": "sis.immunization_compliance:NightlyImmunizationCompliance",
    "process_trial_balance_subscriptions": (
        "erp.trial_balance_subscriptions:ProcessTrialBalanceSubscriptions"
    ),
    "recalculate_daily_attendance": (
        "attendance.recalculate_daily_attendance:RecalculateDailyAttendance"
    ),
    "remove_fefp_code_from_dismissed_students": "sss.remove_fefp_code:RemoveFefpCode",
    "remove_scheduled_students_from_waitlist": (
        "scheduling.remove_scheduled_from_waitlist:RemoveScheduledFromWaitlist"
    ),
    "retitle_sections": "scheduling.retitle_sections:RetitleSections",
    "rollover": "sis.rollover:Rollover",
    "scheduled_import": "integrations.scheduled_import:ScheduledImport",
    "sss_parent_portal_notifications": (
        "communications.sss_parent_notifications:SssParentNotifications"
    ),
    "set_next_school": "sis.set_next_school:SetNextSchool",
    "set_zoned_school": "sis.set_zoned_school:SetZonedSchool",
    "worker_check": "system.worker_check:WorkerCheck",
}


def _load(key: str) -> type[Job]:
    module, name = _LOCATIONS[key].split(":")
    return getattr(importlib.import_module(f"job_library.jobs.{module}"), name)


class _Registry(Mapping[str, type[Job]]):
    """A read-only mapping of the catalog that imports a class on first use."""

    def __init__(self) -> None:
        self._loaded: dict[str, type[Job]] = {}

    def __getitem__(self, key: str) -> type[Job]:
        if key not in self._loaded:
            self._loaded[key] = _load(key)  # KeyError for a key not in the catalog
        return self._loaded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(_LOCATIONS)

    def __len__(self) -> int:
        return len(_LOCATIONS)

    def __contains__(self, key: object) -> bool:
        return key in _LOCATIONS


REGISTRY: Mapping[str, type[Job]] = _Registry()


def get_job_class(key: str) -> type[Job] | None:
    """The job class registered under ``key``, or None when there is none."""
    return REGISTRY.get(key)


def catalog() -> list[dict[str, object]]:
    """Every class with its metadata and parameter JSON schema (for forms and the CLI)."""
    return [
        {
            "key": cls.key,
            "title": cls.title,
            "description": cls.description,
            "module": cls.module,
            "kind": str(cls.kind),
            "implemented": cls.implemented,
            "school_days_only_default": cls.school_days_only_default,
            "params_schema": cls.params_model.model_json_schema(),
            # What the site profile must have, and the defaults a new job starts with.
            "needs_state": cls.needs_state,
            "needs_add_ons": sorted(str(a) for a in cls.needs_add_ons),
            "manual_run_refused_on": sorted(str(k) for k in cls.manual_run_refused_on),
            "title_template": cls.title_template,
            "installed_by_default": cls.installed_by_default,
            "default_schedule": (
                cls.default_schedule.to_document() if cls.default_schedule else None
            ),
        }
        for cls in sorted(REGISTRY.values(), key=lambda c: c.title)
    ]
