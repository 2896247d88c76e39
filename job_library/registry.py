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
    "assign_lcps": "fps.assign_lcps:AssignLcps",
    "attendance_daily_triggers": "communications.attendance_daily_triggers:AttendanceDailyTriggers",
    "attendance_sms": "communications.attendance_sms:AttendanceSms",
    "attendance_summary_calculation": "attendance.attendance_summary:AttendanceSummaryCalculation",
    "auto_withdraw": "fps.auto_withdraw:AutoWithdraw",
    "automated_emails": "communications.automated_emails:AutomatedEmails",
    "automatic_course_requests": "scheduling.automatic_course_requests:AutomaticCourseRequests",
    "automatic_updates": "system.automatic_updates:AutomaticUpdates",
    "basic_skills_assessment": "fps.basic_skills_assessment:BasicSkillsAssessment",
    "calculate_class_rank_and_gpa": "sis.class_rank_gpa:CalculateClassRankAndGpa",
    "class_size_averages": "florida.class_size_averages:ClassSizeAverages",
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
    "create_process_assessments": "florida.create_process_assessments:CreateProcessAssessments",
    "cte_consecutive_absences": "fps.cte_consecutive_absences:CteConsecutiveAbsences",
    "cte_pay_period_2": "fps.cte_pay_period_2:CtePayPeriod2",
    "daily_maintenance": "system.daily_maintenance:DailyMaintenance",
    "deactivate_mtss_events_for_withdrawn_students": (
        "sss.deactivate_mtss_events:DeactivateMtssEvents"
    ),
    "delete_stale_pos_invoices": "billing.delete_stale_pos_invoices:DeleteStalePosInvoices",
    "district_assessment_dynamic_scheduling": (
        "assessments.district_assessment_dynamic_scheduling:DistrictAssessmentDynamicScheduling"
    ),
    "district_assessments_rescoring": (
        "assessments.district_assessments_rescoring:DistrictAssessmentsRescoring"
    ),
    "document_management": "system.document_management:DocumentManagement",
    "edfi_data_sync": "integrations.edfi_sync:EdFiDataSync",
    "email_notifications": "communications.email_notifications:EmailNotifications",
    "emergency_services_health_check": (
        "integrations.emergency_health_check:EmergencyServicesHealthCheck"
    ),
    "eoy_attendance_calculation": "florida.eoy_attendance:EoyAttendanceCalculation",
    "field_trip_notifications": "erp.field_trip_notifications:FieldTripNotifications",
    "florida_test_id_assignment": "florida.florida_test_id:FloridaTestIdAssignment",
    "focus_chat_alerts": "communications.focus_chat_alerts:FocusChatAlerts",
    "frontline_leave": "erp.frontline_leave:FrontlineLeave",
    "generate_pdfs_from_receipts": "billing.generate_receipt_pdfs:GenerateReceiptPdfs",
    "import_assessment_question_count": (
        "assessments.import_assessment_question_count:ImportAssessmentQuestionCount"
    ),
    "import_assessments": "assessments.import_assessments:ImportAssessments",
    "import_ics_file": "integrations.import_ics:ImportIcsFile",
    "load_data_from_blackboard_api": "integrations.blackboard_load:LoadDataFromBlackboardApi",
    "metlife_incoming": "erp.metlife_incoming:MetLifeIncoming",
    "missing_class": "system.missing_class:MissingClass",
    "neogov_new_hires": "erp.neogov:NeoGovNewHires",
    "neogov_user_data": "erp.neogov:NeoGovUserData",
    "nightly_immunization_compliance": "sis.immunization_compliance:NightlyImmunizationCompliance",
    "parse_addresses": "sis.parse_addresses:ParseAddresses",
    "pcard_email_reminder": "erp.pcard_email_reminder:PcardEmailReminder",
    "phone_communication_processing": (
        "communications.communication_queue:PhoneCommunicationProcessing"
    ),
    "portal_payments_automatched_cashout": "billing.portal_payments_cashout:PortalPaymentsCashout",
    "pos_invoice_table_update": "billing.pos_invoice_table_update:PosInvoiceTableUpdate",
    "power_bi_postsecondary_receipt_report": (
        "billing.power_bi_receipt_report:PowerBiReceiptReport"
    ),
    "process_assessments": "florida.process_assessments:ProcessAssessments",
    "process_trial_balance_subscriptions": (
        "erp.trial_balance_subscriptions:ProcessTrialBalanceSubscriptions"
    ),
    "purge_old_files": "system.purge_old_files:PurgeOldFiles",
    "recalculate_daily_attendance": (
        "attendance.recalculate_daily_attendance:RecalculateDailyAttendance"
    ),
    "recalculate_lcps": "fps.recalculate_lcps:RecalculateLcps",
    "remove_fefp_code_from_dismissed_students": "sss.remove_fefp_code:RemoveFefpCode",
    "remove_scheduled_students_from_waitlist": (
        "scheduling.remove_scheduled_from_waitlist:RemoveScheduledFromWaitlist"
    ),
    "retitle_sections": "scheduling.retitle_sections:RetitleSections",
    "rollover": "sis.rollover:Rollover",
    "scheduled_import": "integrations.scheduled_import:ScheduledImport",
    "set_next_school": "sis.set_next_school:SetNextSchool",
    "set_zoned_school": "sis.set_zoned_school:SetZonedSchool",
    "sql_triggers": "system.sql_triggers:SqlTriggers",
    "sss_parent_portal_notifications": (
        "communications.sss_parent_notifications:SssParentNotifications"
    ),
    "store_automated_cashout": "billing.store_cashout:StoreAutomatedCashout",
    "survey_site_maintenance": "system.survey_site_maintenance:SurveySiteMaintenance",
    "symlink_photos": "system.symlink_photos:SymlinkPhotos",
    "transfer_blackboard_api_data": "integrations.blackboard_transfer:TransferBlackboardApiData",
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
