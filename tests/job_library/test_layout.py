"""The catalog's keys and titles are fixed, and each class lives in the package of its module."""

from __future__ import annotations

from pathlib import Path

import job_library.jobs
from job_library.registry import REGISTRY, catalog

# Every key a saved job may name, with its title: renaming either breaks districts' jobs.
KEYS_AND_TITLES = {
    "acelo_integration": "Acelo Integration",
    "address_corrections": "Address Corrections",
    "alert_when_existing_mtss_students_enroll": "Alert when existing MTSS students enroll",
    "assign_lcps": "Assign LCPs",
    "attendance_daily_triggers": "Attendance Daily Triggers",
    "attendance_scanner_absences": "Attendance Scanner Absences",
    "attendance_sms": "Attendance SMS",
    "attendance_summary_calculation": "Attendance Summary Calculation",
    "attended_hours": "Attended Hours",
    "auto_withdraw": "AutoWithdraw",
    "automated_emails": "Automated Emails",
    "automatic_application_of_district_template_fees": (
        "Automatic Application of District Template Fees"
    ),
    "automatic_billing_invoices": "Automatic Billing Invoices",
    "automatic_course_requests": "Automatic Course Requests",
    "automatic_updates": "Automatic Updates",
    "basic_skills_assessment": "Basic Skills Assessment",
    "benefits_rates_update": "Benefits Rates Update",
    "calculate_adult_fees": "Calculate Adult Fees",
    "calculate_class_rank_and_gpa": "Calculate Class Rank and GPA",
    "class_size_averages": "Class Size Averages",
    "communication_email_replies": "Communication Email Replies",
    "communication_queue": "Communication Queue",
    "communication_status_update": "Communication Status Update",
    "communication_status_updates": "Communication Status Updates",
    "create_detentions_from_tardies": "Create Detentions from Tardies",
    "create_payment_plan_invoices": "Create Payment Plan Invoices",
    "create_process_assessments": "Create Process Assessments",
    "cte_consecutive_absences": "CTE Consecutive Absences",
    "cte_pay_period_2": "CTE Pay Period 2 Students",
    "daily_maintenance": "Daily Maintenance",
    "database_object_report": "Database Object Report",
    "deactivate_mtss_events_for_withdrawn_students": (
        "Deactivate MTSS events for withdrawn students"
    ),
    "delete_stale_pos_invoices": "Delete Stale POS Invoices",
    "district_assessment_dynamic_scheduling": "District Assessment Dynamic Scheduling",
    "district_assessments_rescoring": "District Assessments Re-scoring",
    "document_management": "Document Management",
    "edfi_data_sync": "Ed-Fi Data Sync",
    "email_notifications": "Email Notifications",
    "emergency_services_health_check": "Emergency Services Health Check",
    "eoy_attendance_calculation": "EOY Attendance Calculation",
    "field_trip_notifications": "Field Trip Notifications",
    "fleid_export_import": "FLEID Export/Import",
    "florida_arms_student_field_tracker": "Florida ARMS Student Field Tracker",
    "florida_doe_extracts_and_verification_reports": (
        "Florida DOE Extracts and Verification Reports"
    ),
    "florida_peer_nightly_import": "Florida Peer Nightly Import",
    "florida_test_id_assignment": "Florida Test ID Assignment",
    "focus_chat_alerts": "Focus Chat Alerts",
    "frontline_leave": "Frontline Leave",
    "generate_erp_extracts": "Generate ERP Extracts",
    "generate_pdfs_from_receipts": "Generate PDFs from Receipts",
    "generate_test_score_report_records": (
        "Generate Test Score Report records based on report files"
    ),
    "import_assessment_question_count": "Import Assessment Question Count",
    "import_assessments": "Import Assessments",
    "import_ics_file": "Import ICS File",
    "import_peer_data": "Import Peer Data",
    "load_data_from_blackboard_api": "Load Data From Blackboard API",
    "master_schedule_snapshots": "Master Schedule Snapshots",
    "medical": "Medical",
    "metlife_incoming": "MetLife Incoming",
    "missing_class": "Missing Class CRON Job",
    "neogov_new_hires": "NeoGov New Hires",
    "neogov_user_data": "NeoGov User Data",
    "nightly_immunization_compliance": "Nightly Immunization Compliance Job",
    "online_course_req_populate_student_field": "Online Course Req. Populate Student Field",
    "outgoing_msix_faster_responses": "Outgoing MSIX FASTER Responses",
    "outstanding_student_invoices": "Outstanding Student Invoices",
    "parse_addresses": "Parse Addresses",
    "pcard_email_reminder": "PCard Email Reminder",
    "pcard_imports": "Pcard Imports",
    "phone_communication_processing": "Phone Communication Processing",
    "populate_graduation_requirements_summary": "Populate Graduation Requirements Summary",
    "portal_payments_automatched_cashout": "Portal Payments Automatched Cashout",
    "pos_invoice_table_update": "POS Invoice Table Update",
    "power_bi_postsecondary_receipt_report": "Power BI Postsecondary Receipt Report",
    "process_assessments": "Process Assessments",
    "process_trial_balance_subscriptions": "Process Trial Balance Subscriptions",
    "purge_old_files": "Purge Old Files",
    "recalc_dt_grades_fix": "Recalc DT Grades Fix",
    "recalculate_daily_attendance": "Recalculate Daily Attendance",
    "recalculate_lcps": "Recalculate LCPs",
    "refresh_choice_data": "Refresh Choice Data",
    "regions_bank_import": "Regions Bank Import",
    "remove_fefp_code_from_dismissed_students": "Remove FEFP code from dismissed students",
    "remove_scheduled_students_from_waitlist": "Remove Scheduled Students from Waitlist",
    "retiree_benefits_rates_update": "Retiree Benefits Rates Update",
    "retitle_sections": "Retitle Sections",
    "rollover": "Rollover",
    "sap_alert": "SAP Alert",
    "scheduled_import": "Scheduled Import",
    "set_next_school": "Set Next School",
    "set_zoned_school": "Set Zoned School",
    "sql_triggers": "SQL Triggers",
    "sss_parent_portal_notifications": "SSS Parent Portal Notifications",
    "store_automated_cashout": "Store Automated Cashout",
    "submit_dmv_attendance_via_ftp": "Submit DMV Attendance via FTP",
    "submit_learnfare_via_ftp": "Submit LearnFare via FTP",
    "survey_site_maintenance": "Survey Site Maintenance",
    "symlink_photos": "Symlink Photos",
    "sync_recent_course_period_changes": "Sync Recent Course Period Changes",
    "synchronize_schedule_of_services": "Synchronize Schedule of Services",
    "transfer_blackboard_api_data": "Transfer Blackboard API Data",
    "update_attended_hours": "Update Attended Hours",
    "update_cost_factor_from_matrix_of_services": "Update Cost Factor From Matrix of Services",
    "update_employee_agreements": "Update Employee Agreements",
    "update_student_financial_data": "Update Student Financial Data",
    "update_teacher_certification": "Update Teacher Certification",
    "void_overdue_ar_invoices": "Void Overdue AR Invoices",
    "wdis_total_hours": "WDIS Total Hours",
    "worker_check": "Worker Check",
}

# The Focus module a class names -> the packages of job_library/jobs/ that may hold it. The
# SIS is one module in Focus but three menus (attendance, scheduling, the rest).
PACKAGES_OF_MODULE = {
    "Assessments": {"assessments"},
    "Communication": {"communications"},
    "ERP": {"erp"},
    "FPS": {"fps"},
    "Florida State Reporting": {"florida"},
    "Importer": {"integrations"},
    "Integrations": {"integrations"},
    "Medical": {"sis"},
    "Phone Communication": {"communications"},
    "SIS": {"sis", "attendance", "scheduling"},
    "SSS": {"sss"},
    "Student Billing": {"billing"},
    "System": {"system"},
}


def test_the_catalog_has_exactly_the_known_keys_and_titles():
    assert {key: cls.title for key, cls in REGISTRY.items()} == KEYS_AND_TITLES
    assert sorted(e["key"] for e in catalog()) == sorted(KEYS_AND_TITLES)


def test_every_class_lives_in_the_package_of_its_module():
    misplaced = []
    for key, cls in REGISTRY.items():
        parts = cls.__module__.split(".")
        # job_library.jobs.<package>.<module>: never straight under jobs/, never deeper.
        package = parts[2] if len(parts) == 4 and parts[:2] == ["job_library", "jobs"] else None
        if package not in PACKAGES_OF_MODULE.get(cls.module, set()):
            misplaced.append(f"{key}: {cls.__module__} ({cls.module})")
    assert misplaced == []


def test_no_job_module_is_left_outside_a_package():
    jobs = Path(job_library.jobs.__file__).parent
    assert sorted(p.name for p in jobs.glob("*.py")) == ["__init__.py"]
    packages = {p.parent.name for p in jobs.glob("*/__init__.py")}
    assert packages <= set().union(*PACKAGES_OF_MODULE.values())


# Job modules whose tests share one file.
SHARED_TEST_FILE = {
    "assign_lcps": "test_lcps.py",
    "create_process_assessments": "test_process_assessments.py",
    "daily_maintenance": "test_maintenance_and_missing_class.py",
    "import_peer_data": "test_peer_imports.py",
    "missing_class": "test_maintenance_and_missing_class.py",
    "pcard_imports": "test_pcard_imports.py",
    "peer_nightly_import": "test_peer_imports.py",
    "recalculate_lcps": "test_lcps.py",
    "regions_bank_import": "test_pcard_imports.py",
}


def test_the_tests_mirror_the_packages():
    # tests/job_library/<package>/ holds the tests of job_library/jobs/<package>/.
    here = Path(__file__).parent
    jobs = Path(job_library.jobs.__file__).parent
    missing = []
    for module in jobs.glob("*/[!_]*.py"):
        name = SHARED_TEST_FILE.get(module.stem, f"test_{module.stem}.py")
        if not (here / module.parent.name / name).is_file():
            missing.append(f"{module.parent.name}/{name}")
    assert missing == []
