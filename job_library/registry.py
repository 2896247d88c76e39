"""The job catalog: stable snake_case keys to job classes, imported only when asked for.

A task's DAG parse builds one DAG and so needs one job class: importing every module (and
the SIS schema behind them) there would cost more than the rest of the parse.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from job_library.base import Job

# key -> "module:Class" under job_library.jobs
_LOCATIONS: dict[str, str] = {
    "acelo_integration": "erp.acelo_integration:AceloIntegration",
    "address_corrections": "sis.address_corrections:AddressCorrections",
    "alert_when_existing_mtss_students_enroll": "sss.mtss_enrollment_alert:MtssEnrollmentAlert",
    "assign_lcps": "fps.assign_lcps:AssignLcps",
    "attendance_daily_triggers": "communications.attendance_daily_triggers:AttendanceDailyTriggers",
    "attendance_scanner_absences": (
        "attendance.attendance_scanner_absences:AttendanceScannerAbsences"
    ),
    "attendance_sms": "communications.attendance_sms:AttendanceSms",
    "attendance_summary_calculation": "attendance.attendance_summary:AttendanceSummaryCalculation",
    "attended_hours": "attendance.attended_hours:AttendedHours",
    "auto_withdraw": "fps.auto_withdraw:AutoWithdraw",
    "automated_emails": "communications.automated_emails:AutomatedEmails",
    "automatic_application_of_district_template_fees": (
        "fps.district_template_fees:AutomaticApplicationOfDistrictTemplateFees"
    ),
    "automatic_billing_invoices": "billing.automatic_billing_invoices:AutomaticBillingInvoices",
    "automatic_course_requests": "scheduling.automatic_course_requests:AutomaticCourseRequests",
    "automatic_updates": "system.automatic_updates:AutomaticUpdates",
    "basic_skills_assessment": "fps.basic_skills_assessment:BasicSkillsAssessment",
    "benefits_rates_update": "erp.benefits_rates:BenefitsRatesUpdate",
    "calculate_adult_fees": "fps.calculate_adult_fees:CalculateAdultFees",
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
    "create_payment_plan_invoices": "erp.create_payment_plan_invoices:CreatePaymentPlanInvoices",
    "create_process_assessments": "florida.create_process_assessments:CreateProcessAssessments",
    "cte_consecutive_absences": "fps.cte_consecutive_absences:CteConsecutiveAbsences",
    "cte_pay_period_2": "fps.cte_pay_period_2:CtePayPeriod2",
    "daily_maintenance": "system.daily_maintenance:DailyMaintenance",
    "database_object_report": "erp.database_object_report:DatabaseObjectReport",
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
    "fleid_export_import": "florida.fleid_exchange:FleidExportImport",
    "florida_arms_student_field_tracker": "sis.florida_arms_tracker:FloridaArmsStudentFieldTracker",
    "florida_doe_extracts_and_verification_reports": "florida.doe_extracts:FloridaDoeExtracts",
    "florida_peer_nightly_import": "florida.peer_nightly_import:FloridaPeerNightlyImport",
    "florida_test_id_assignment": "florida.florida_test_id:FloridaTestIdAssignment",
    "focus_chat_alerts": "communications.focus_chat_alerts:FocusChatAlerts",
    "frontline_leave": "erp.frontline_leave:FrontlineLeave",
    "generate_erp_extracts": "erp.generate_erp_extracts:GenerateErpExtracts",
    "generate_pdfs_from_receipts": "billing.generate_receipt_pdfs:GenerateReceiptPdfs",
    "generate_test_score_report_records": (
        "florida.test_score_reports:GenerateTestScoreReportRecords"
    ),
    "import_assessment_question_count": (
        "assessments.import_assessment_question_count:ImportAssessmentQuestionCount"
    ),
    "import_assessments": "assessments.import_assessments:ImportAssessments",
    "import_ics_file": "integrations.import_ics:ImportIcsFile",
    "import_peer_data": "florida.import_peer_data:ImportPeerData",
    "load_data_from_blackboard_api": "integrations.blackboard_load:LoadDataFromBlackboardApi",
    "master_schedule_snapshots": "scheduling.master_schedule_snapshots:MasterScheduleSnapshots",
    "medical": "sis.medical:Medical",
    "metlife_incoming": "erp.metlife_incoming:MetLifeIncoming",
    "missing_class": "system.missing_class:MissingClass",
    "neogov_new_hires": "erp.neogov:NeoGovNewHires",
    "neogov_user_data": "erp.neogov:NeoGovUserData",
    "nightly_immunization_compliance": "sis.immunization_compliance:NightlyImmunizationCompliance",
    "online_course_req_populate_student_field": (
        "sis.online_course_requirement:OnlineCourseReqPopulateStudentField"
    ),
    "outgoing_msix_faster_responses": "florida.msix_faster_responses:OutgoingMsixFasterResponses",
    "outstanding_student_invoices": (
        "billing.outstanding_student_invoices:OutstandingStudentInvoices"
    ),
    "parse_addresses": "sis.parse_addresses:ParseAddresses",
    "pcard_email_reminder": "erp.pcard_email_reminder:PcardEmailReminder",
    "pcard_imports": "erp.pcard_imports:PcardImports",
    "phone_communication_processing": (
        "communications.communication_queue:PhoneCommunicationProcessing"
    ),
    "populate_graduation_requirements_summary": (
        "sis.graduation_requirements_summary:PopulateGraduationRequirementsSummary"
    ),
    "portal_payments_automatched_cashout": "billing.portal_payments_cashout:PortalPaymentsCashout",
    "pos_invoice_table_update": "billing.pos_invoice_table_update:PosInvoiceTableUpdate",
    "power_bi_postsecondary_receipt_report": "billing.power_bi_receipt_report:PowerBiReceiptReport",
    "process_assessments": "florida.process_assessments:ProcessAssessments",
    "process_trial_balance_subscriptions": (
        "erp.trial_balance_subscriptions:ProcessTrialBalanceSubscriptions"
    ),
    "purge_old_files": "system.purge_old_files:PurgeOldFiles",
    "recalc_dt_grades_fix": "sis.recalc_dt_grades:RecalcDtGrades",
    "recalculate_daily_attendance": (
        "attendance.recalculate_daily_attendance:RecalculateDailyAttendance"
    ),
    "recalculate_lcps": "fps.recalculate_lcps:RecalculateLcps",
    "refresh_choice_data": "sis.refresh_choice_data:RefreshChoiceData",
    "regions_bank_import": "erp.regions_bank_import:RegionsBankImport",
    "remove_fefp_code_from_dismissed_students": "sss.remove_fefp_code:RemoveFefpCode",
    "remove_scheduled_students_from_waitlist": (
        "scheduling.remove_scheduled_from_waitlist:RemoveScheduledFromWaitlist"
    ),
    "retiree_benefits_rates_update": "erp.benefits_rates:RetireeBenefitsRatesUpdate",
    "retitle_sections": "scheduling.retitle_sections:RetitleSections",
    "rollover": "sis.rollover:Rollover",
    "sap_alert": "erp.sap_alert:SapAlert",
    "scheduled_import": "integrations.scheduled_import:ScheduledImport",
    "set_next_school": "sis.set_next_school:SetNextSchool",
    "set_zoned_school": "sis.set_zoned_school:SetZonedSchool",
    "sql_triggers": "system.sql_triggers:SqlTriggers",
    "sss_parent_portal_notifications": (
        "communications.sss_parent_notifications:SssParentNotifications"
    ),
    "store_automated_cashout": "billing.store_cashout:StoreAutomatedCashout",
    "submit_dmv_attendance_via_ftp": "florida.submit_dmv_attendance:SubmitDmvAttendance",
    "submit_learnfare_via_ftp": "florida.submit_learnfare:SubmitLearnFare",
    "survey_site_maintenance": "system.survey_site_maintenance:SurveySiteMaintenance",
    "symlink_photos": "system.symlink_photos:SymlinkPhotos",
    "sync_recent_course_period_changes": (
        "scheduling.sync_recent_course_period_changes:SyncRecentCoursePeriodChanges"
    ),
    "synchronize_schedule_of_services": (
        "sss.synchronize_schedule_of_services:SynchronizeScheduleOfServices"
    ),
    "transfer_blackboard_api_data": "integrations.blackboard_transfer:TransferBlackboardApiData",
    "update_attended_hours": "attendance.update_attended_hours:UpdateAttendedHours",
    "update_cost_factor_from_matrix_of_services": (
        "sss.update_cost_factor:UpdateCostFactorFromMatrix"
    ),
    "update_employee_agreements": "erp.employee_agreements:UpdateEmployeeAgreements",
    "update_student_financial_data": "erp.student_financial_data:UpdateStudentFinancialData",
    "update_teacher_certification": (
        "scheduling.update_teacher_certification:UpdateTeacherCertification"
    ),
    "void_overdue_ar_invoices": "billing.void_overdue_ar_invoices:VoidOverdueArInvoices",
    "wdis_total_hours": "attendance.wdis_total_hours:WdisTotalHours",
    "worker_check": "system.worker_check:WorkerCheck",
}


# The classes whose DAG waits for a file before the job runs (a wait_for_file task): what a
# worker's build needs to know of a class without importing it (include/worker_dag.py).
# tests/dags/test_worker_dag.py fails when it disagrees with the classes themselves.
WAITS_FOR_FILE = frozenset(
    {
        "frontline_leave",
        "import_assessment_question_count",
        "import_assessments",
        "metlife_incoming",
        "neogov_new_hires",
        "neogov_user_data",
        "regions_bank_import",
        "scheduled_import",
    }
)


def _load(key: str) -> type[Job]:
    module, name = _LOCATIONS[key].split(":")
    return getattr(importlib.import_module(f"job_library.jobs.{module}"), name)


class _Registry(Mapping[str, "type[Job]"]):
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


def _sample(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A value of a JSON-schema type (the first enum member, the minimum, a date)."""
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].split("/")[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return _sample(option, defs)
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if kind == "array":
        return [_sample(schema.get("items", {}), defs)] * max(1, schema.get("minItems", 1))
    return "2027-08-10" if schema.get("format") == "date" else "A"


def example_params(key: str) -> dict[str, Any]:
    """Parameters a job of class ``key`` validates with: the class's ``example_params``, or
    its model's required fields filled in from their types."""
    cls = REGISTRY[key]
    if cls.example_params is not None:
        return dict(cls.example_params)
    schema = cls.params_model.model_json_schema()
    props, defs = schema.get("properties", {}), schema.get("$defs", {})
    return {name: _sample(props[name], defs) for name in schema.get("required", [])}
