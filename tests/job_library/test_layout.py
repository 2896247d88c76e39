"""The catalog's keys and titles are fixed, and each class lives in the package of its module."""

from __future__ import annotations

from pathlib import Path

import job_library.jobs
from job_library.registry import REGISTRY, catalog

# Every key a saved job may name, with its title: renaming either breaks districts' jobs.
KEYS_AND_TITLES = {
    "address_corrections": "Address Corrections",
    "alert_when_existing_mtss_students_enroll": "Alert when existing MTSS students enroll",
    "assign_lcps": "Assign LCPs",
    "attendance_daily_triggers": "Attendance Daily Triggers",
    "attendance_sms": "Attendance SMS",
    "attendance_summary_calculation": "Attendance Summary Calculation",
    "auto_withdraw": "AutoWithdraw",
    "automated_emails": "Automated Emails",
    "automatic_course_requests": "Automatic Course Requests",
    "automatic_updates": "Automatic Updates",
    "basic_skills_assessment": "Basic Skills Assessment",
    "calculate_class_rank_and_gpa": "Calculate Class Rank and GPA",
    "class_size_averages": "Class Size Averages",
    "communication_email_replies": "Communication Email Replies",
    "communication_queue": "Communication Queue",
    "communication_status_update": "Communication Status Update",
    "communication_status_updates": "Communication Status Updates",
    "create_detentions_from_tardies": "Create Detentions from Tardies",
    "create_process_assessments": "Create Process Assessments",
    "cte_consecutive_absences": "CTE Consecutive Absences",
    "cte_pay_period_2": "CTE Pay Period 2 Students",
    "daily_maintenance": "Daily Maintenance",
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
    "florida_test_id_assignment": "Florida Test ID Assignment",
    "focus_chat_alerts": "Focus Chat Alerts",
    "frontline_leave": "Frontline Leave",
    "generate_pdfs_from_receipts": "Generate PDFs from Receipts",
    "import_assessment_question_count": "Import Assessment Question Count",
    "import_assessments": "Import Assessments",
    "import_ics_file": "Import ICS File",
    "load_data_from_blackboard_api": "Load Data From Blackboard API",
    "metlife_incoming": "MetLife Incoming",
    "missing_class": "Missing Class CRON Job",
    "neogov_new_hires": "NeoGov New Hires",
    "neogov_user_data": "NeoGov User Data",
    "nightly_immunization_compliance": "Nightly Immunization Compliance Job",
    "parse_addresses": "Parse Addresses",
    "pcard_email_reminder": "PCard Email Reminder",
    "phone_communication_processing": "Phone Communication Processing",
    "portal_payments_automatched_cashout": "Portal Payments Automatched Cashout",
    "pos_invoice_table_update": "POS Invoice Table Update",
    "power_bi_postsecondary_receipt_report": "Power BI Postsecondary Receipt Report",
    "process_assessments": "Process Assessments",
    "process_trial_balance_subscriptions": "Process Trial Balance Subscriptions",
    "purge_old_files": "Purge Old Files",
    "recalculate_daily_attendance": "Recalculate Daily Attendance",
    "recalculate_lcps": "Recalculate LCPs",
    "remove_fefp_code_from_dismissed_students": "Remove FEFP code from dismissed students",
    "remove_scheduled_students_from_waitlist": "Remove Scheduled Students from Waitlist",
    "retitle_sections": "Retitle Sections",
    "rollover": "Rollover",
    "scheduled_import": "Scheduled Import",
    "set_next_school": "Set Next School",
    "set_zoned_school": "Set Zoned School",
    "sql_triggers": "SQL Triggers",
    "sss_parent_portal_notifications": "SSS Parent Portal Notifications",
    "store_automated_cashout": "Store Automated Cashout",
    "survey_site_maintenance": "Survey Site Maintenance",
    "symlink_photos": "Symlink Photos",
    "transfer_blackboard_api_data": "Transfer Blackboard API Data",
    "worker_check": "Worker Check",
}

# The Focus module a class names -> the packages of job_library/jobs/ that may hold it. The
# SIS is one module in Focus but three menus (attendance, scheduling, the rest).
PACKAGES_OF_MODULE = {
    "SIS": {"sis", "attendance", "scheduling"},
    "FPS": {"fps"},
    "SSS": {"sss"},
    "Florida State Reporting": {"florida"},
    "Assessments": {"assessments"},
    "ERP": {"erp"},
    "Importer": {"integrations"},
    # Web APIs of other systems (Ed-Fi, Blackboard, InformaCast, calendar feeds).
    "Integrations": {"integrations"},
    "Student Billing": {"billing"},
    "System": {"system"},
    "Communication": {"communications"},
    "Phone Communication": {"communications"},
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
    "daily_maintenance": "test_maintenance_and_missing_class.py",
    "missing_class": "test_maintenance_and_missing_class.py",
    "assign_lcps": "test_lcps.py",
    "recalculate_lcps": "test_lcps.py",
    "create_process_assessments": "test_process_assessments.py",
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
