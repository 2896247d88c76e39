"""Every SIS job on the demo district: it succeeds, acts on the cases the demo holds for it,
and a second run (later the same evening) changes nothing."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from include.demo_district import REFERENCE_DAY, DemoYear, generate
from job_library.registry import REGISTRY
from tests.job_library.district import USERS, fingerprint, load_users
from tests.job_library.jobs_context import run_in_transaction

N = 260  # five adult students: one stopped coming
EVENING = dt.datetime(2026, 1, 21, 23, 0, tzinfo=dt.UTC)  # the demo's "today", 18:00 in Florida
LATER = EVENING + dt.timedelta(minutes=30)

# (job, parameters, jobs run before it, whether the demo holds work for it). Where the demo
# holds work, it was put there on purpose (include/demo_district.py): unzoned enrollments,
# empty attendance fields, dismissed ESE students, waitlisted students already scheduled,
# queued course requests, last year's course history, missing immunization doses, MTSS
# events of withdrawn and transferred students, tardies past the thresholds, adult tests
# without a Florida test id, an adult student who stopped coming, CTE absences and pay
# periods, section titles in another style. Recalculate Daily Attendance has nothing to do: the
# demo's daily attendance is calculated from its period attendance by the same SQL.
ALERT_USERS = sorted(USERS)
CASES = [
    ("parse_addresses", {}, [], True),
    ("set_zoned_school", {}, ["parse_addresses"], True),
    ("set_next_school", {}, ["parse_addresses"], True),
    ("rollover", {"enrollment_date": "2026-08-12", "enrollment_code": "E01"}, [], True),
    ("attendance_summary_calculation", {}, [], True),
    ("recalculate_daily_attendance", {"past_days": 10}, [], False),
    ("eoy_attendance_calculation", {}, [], True),
    ("auto_withdraw", {"drop_code": "W26", "absences": 5}, [], True),
    ("cte_consecutive_absences", {"users": ALERT_USERS, "codes": ["A"], "days": 2}, [], True),
    ("cte_pay_period_2", {"users": ALERT_USERS}, [], True),
    ("create_detentions_from_tardies", {}, [], True),
    ("remove_scheduled_students_from_waitlist", {}, [], True),
    ("automatic_course_requests", {}, [], True),
    ("retitle_sections", {}, [], True),
    ("class_size_averages", {}, [], True),
    ("calculate_class_rank_and_gpa", {}, [], True),
    ("florida_test_id_assignment", {}, [], True),
    ("nightly_immunization_compliance", {}, [], True),
    ("deactivate_mtss_events_for_withdrawn_students", {}, [], True),
    (
        "alert_when_existing_mtss_students_enroll",
        {},  # the profile is the demo's System Preference
        ["deactivate_mtss_events_for_withdrawn_students"],
        True,
    ),
    ("remove_fefp_code_from_dismissed_students", {}, [], True),
    ("update_cost_factor_from_matrix_of_services", {}, [], True),
    # Writes Student Fields (not in the fingerprint); test_sss_push_jobs_on_the_demo_district
    # checks what it wrote.
    ("synchronize_schedule_of_services", {}, [], False),
    ("refresh_choice_data", {}, [], True),
    ("medical", {}, [], True),
    ("recalc_dt_grades_fix", {}, [], True),
    ("assign_lcps", {}, [], True),
    ("recalculate_lcps", {"start_date": "2025-08-01"}, [], True),
    ("basic_skills_assessment", {}, [], True),
    (  # the FSA ELA process writes Student Fields, which the fingerprint does not cover
        "create_process_assessments",
        {
            "process": "eoc",
            "eoc_exam": "ALG1",
            "eoc_administration_start": "2025-08-01",
            "eoc_administration_end": "2026-06-30",
        },
        [],
        True,
    ),
    ("process_assessments", {}, [], True),
    ("district_assessments_rescoring", {}, [], True),
    ("district_assessment_dynamic_scheduling", {}, [], True),
    # The communication jobs queue here; their sending (after the commit) is run against a
    # real SMTP server in tests/job_library/communications/test_demo_communications.py.
    ("email_notifications", {}, [], True),
    ("automated_emails", {}, [], True),
    ("communication_queue", {}, [], True),  # queues the day's attendance messages
    ("phone_communication_processing", {}, [], True),
    ("sss_parent_portal_notifications", {}, [], True),
    ("pcard_email_reminder", {}, [], True),
    ("communication_status_update", {}, [], True),
    ("attendance_daily_triggers", {}, [], True),
    ("process_trial_balance_subscriptions", {}, [], True),
    ("field_trip_notifications", {}, [], True),
    ("communication_status_updates", {}, [], True),
    ("focus_chat_alerts", {}, [], True),
    ("attendance_sms", {}, [], True),
    ("attended_hours", {}, [], True),
    ("update_attended_hours", {}, [], True),
    ("wdis_total_hours", {}, [], True),
    ("attendance_scanner_absences", {}, [], True),
    ("sync_recent_course_period_changes", {}, [], True),
    # Student finance (#18, include/demo_finance.py): overdue AR invoices, a monthly
    # Automatic Invoices set-up, a payment plan, a district fee template pushed before two
    # adult programs were built, deferred adult course fees.
    ("void_overdue_ar_invoices", {}, [], True),
    ("automatic_billing_invoices", {}, [], True),
    ("outstanding_student_invoices", {}, [], True),
    ("create_payment_plan_invoices", {}, [], True),
    ("automatic_application_of_district_template_fees", {}, [], True),
    ("calculate_adult_fees", {}, [], True),
    ("master_schedule_snapshots", {}, [], True),
    ("update_teacher_certification", {}, [], True),
    ("populate_graduation_requirements_summary", {}, [], True),
    # Writes only a Student Field, which the fingerprint does not cover: checked below.
    ("online_course_req_populate_student_field", {}, [], False),
    ("florida_arms_student_field_tracker", {}, [], True),
    ("outgoing_msix_faster_responses", {}, [], True),
    ("florida_doe_extracts_and_verification_reports", {}, [], True),
    # ERP finance and HR (#18): every change also lands in finance_audit.
    ("benefits_rates_update", {}, [], True),
    ("retiree_benefits_rates_update", {}, [], True),
    ("update_student_financial_data", {}, [], True),
    ("database_object_report", {}, [], False),  # a report: changes nothing
    ("update_employee_agreements", {"agreement_id": 1}, [], True),
    ("sap_alert", {"users": ALERT_USERS}, [], True),
    # Student Billing (#18): the demo's point-of-sale invoices and receipts.
    ("delete_stale_pos_invoices", {}, [], True),
    ("pos_invoice_table_update", {}, [], True),
    ("power_bi_postsecondary_receipt_report", {}, [], True),
]


def _run(engine: sa.Engine, key: str, params: dict, now: dt.datetime):
    job = REGISTRY[key]()
    return run_in_transaction(engine, job, job.params_model(**params), now=now)


def test_every_sis_job_of_the_issue_is_covered():
    covered = {key for key, *_ in CASES}
    sis = {k for k, cls in REGISTRY.items() if cls.__module__.split(".")[-1] != "scheduled_import"}
    others = {
        "address_corrections",
        "daily_maintenance",
        "missing_class",
        "worker_check",
        "frontline_leave",
        "metlife_incoming",
        # file jobs of issue #19: tests/job_library/florida and erp, on a real SFTP server
        "import_peer_data",
        "florida_peer_nightly_import",
        "regions_bank_import",
        "pcard_imports",
        # FTP submissions: tests/job_library/florida, against a real FTP/FTPS server
        "submit_dmv_attendance_via_ftp",
        "submit_learnfare_via_ftp",
        # writes CSV files to the file store: tests/job_library/erp/test_generate_erp_extracts.py
        "generate_erp_extracts",
        "acelo_integration",  # a web API: tests/job_library/erp/test_acelo_integration.py
        "neogov_new_hires",
        "neogov_user_data",
        "scheduled_import",
        # The system jobs run on the demo district in their own tests below.
        *SYSTEM_KEYS,
        "import_assessments",  # file jobs: tests/job_library/assessments, on a real SFTP server
        "import_assessment_question_count",
        "fleid_export_import",  # tests/job_library/florida/test_fleid_exchange.py, on SFTP
        # The web-API jobs: run on the demo district below, against their loopback servers.
        "import_ics_file",
        "edfi_data_sync",
        "portal_payments_automatched_cashout",
        "store_automated_cashout",
        "transfer_blackboard_api_data",
        "load_data_from_blackboard_api",
        "emergency_services_health_check",
        # Reads a mailbox over IMAP: tests/job_library/communications/test_email_replies.py.
        "communication_email_replies",
    }
    assert covered == sis - others
    # The first issue's twenty (CTE Pay Period 2 being a job of its own), seven of the adult
    # education and assessment jobs (the two imports read files), thirteen of Communications
    # (#21), then the later packages' jobs that run on the district's own data.
    assert len(covered) == (
        41
        + 5  # #16: attendance hours, WDIS hours, scanner absences, course period changes
        + 6  # #18: student finance
        + 5  # #16: master schedule, certification, graduation, online course, ARMS
        + 2  # #19: MSIX FASTER responses, DOE extracts
        + 6  # #18: ERP finance and HR
        + 5  # #16: SSS pushes, Refresh Choice Data, Medical, Recalc DT Grades Fix
        + 3  # #18: point of sale and the receipt report
    )


@pytest.mark.parametrize(("key", "params", "before", "has_work"), CASES, ids=[c[0] for c in CASES])
def test_job_on_the_demo_district(db, key, params, before, has_work):
    generate(db, N, today=REFERENCE_DAY)
    load_users(db)
    for earlier in before:
        assert _run(db, earlier, {}, EVENING).success
    start = fingerprint(db)
    first = _run(db, key, params, EVENING)
    assert first.success, first.summary
    after_first = fingerprint(db)
    if has_work:
        assert after_first != start, f"{key} found nothing to do: {first.summary}"
    second = _run(db, key, params, LATER)
    assert second.success, second.summary
    assert fingerprint(db) == after_first, f"{key} changed data again: {second.summary}"


def test_database_object_report_finds_the_demos_two_mismatched_allocations(db):
    """The demo seeds two allocations whose dates disagree with their position's (one
    starting before the position, one left open under a position that ends)."""
    generate(db, N, today=REFERENCE_DAY)
    result = _run(db, "database_object_report", {}, EVENING)
    assert result.success, result.summary
    assert result.counts["mismatched"] == 2, result.summary
    assert result.counts["checked"] == 5, result.summary


def test_online_course_requirement_on_the_demo_district(db):
    generate(db, N, today=REFERENCE_DAY)
    first = _run(db, "online_course_req_populate_student_field", {}, EVENING)
    assert first.success, first.summary
    assert first.counts["changed"] > 0, first.summary
    assert min(first.counts["yes"], first.counts["exempt"], first.counts["no"]) > 0
    second = _run(db, "online_course_req_populate_student_field", {}, LATER)
    assert second.counts["changed"] == 0, second.summary


@pytest.mark.timeout(600)
def test_sss_push_jobs_on_the_demo_district(db):
    """Synchronize Schedule of Services writes the ESE tab's fields of the demo's locked
    IEPs and rejects the forms with more time with non-disabled peers than the week."""
    from job_library.student_fields import StudentFields

    generate(db, N, today=REFERENCE_DAY)
    first = _run(db, "synchronize_schedule_of_services", {}, EVENING)
    assert first.success and first.counts["updated"] > 0 and first.counts["rejected"] > 0
    with db.connect() as conn:
        written = StudentFields(conn, changed_by="test").read("ese_time_total_week")
    assert len(written) == first.counts["updated"]
    assert set(written.values()) == {1800}
    second = _run(db, "synchronize_schedule_of_services", {}, LATER)
    assert second.counts["updated"] == 0


@pytest.mark.parametrize(
    "today",
    [
        dt.date.today(),  # the day `make run` seeds it
        dt.date(2027, 7, 15),  # summer: the year about to start, nothing taken yet
        dt.date(2027, 8, 10),  # the second school day of that year
        dt.date(2028, 6, 20),  # after the last school day
    ],
    ids=["today", "july", "first-week", "june"],
)
def test_every_sis_job_succeeds_on_the_district_of_any_day(db, today):
    """The demo year follows the date it is built for, so the jobs find a current year."""
    year = DemoYear(today)
    generate(db, 60, today=today)
    load_users(db)
    evening = dt.datetime.combine(today, dt.time(18, 0), ZoneInfo("America/New_York"))
    next_first_day = DemoYear(dt.date(year.syear + 1, 7, 1)).first_day.isoformat()
    failed = []
    for key, params, *_ in CASES:
        if key == "rollover":
            params = {**params, "enrollment_date": next_first_day}
        result = _run(db, key, params, evening)
        if not result.success:
            failed.append(f"{key}: {result.summary}")
    assert failed == []


# The system jobs on the demo district, its files written to the district's files folder.
# Automatic Updates needs a package index and is run against one in its own tests.
SYSTEM_CASES = [
    ("sql_triggers", {}),
    ("purge_old_files", {}),
    ("document_management", {}),
    ("symlink_photos", {}),
    ("generate_test_score_report_records", {}),  # reads the district's report files
    # Student Billing's receipt PDFs go to the same folder (receipts/<date>/).
    ("generate_pdfs_from_receipts", {}),
]
SYSTEM_KEYS = {key for key, _ in SYSTEM_CASES} | {"survey_site_maintenance", "automatic_updates"}


def _tree(root) -> list[tuple[str, str]]:
    """Every file and link under ``root`` (links with their targets)."""
    import os

    return sorted(
        (str(p.relative_to(root)), os.readlink(p) if p.is_symlink() else "file")
        for p in root.rglob("*")
        if p.is_symlink() or p.is_file()
    )


@pytest.mark.parametrize(("key", "params"), SYSTEM_CASES, ids=[c[0] for c in SYSTEM_CASES])
def test_system_job_on_the_demo_district(db, tmp_path, key, params):
    files = tmp_path / "_district"
    generate(db, N, today=REFERENCE_DAY, files=files)
    job = REGISTRY[key]()

    def run(now):
        return run_in_transaction(
            db, job, job.params_model(**params), now=now, tmp=tmp_path, district_files=files
        )

    start = (fingerprint(db), _tree(files))
    first = run(EVENING)
    assert first.success, first.summary
    after_first = (fingerprint(db), _tree(files))
    assert after_first != start, f"{key} found nothing to do: {first.summary}"
    second = run(LATER)
    assert second.success, second.summary
    assert (fingerprint(db), _tree(files)) == after_first, f"{key} changed again: {second.text}"


def test_survey_site_maintenance_on_the_demo_district(db, tmp_path):
    from include.focus_db.engine import create_focus_engine, migrate
    from job_library.base import ConnectionInfo
    from job_library.schemas.system import two_factor_auth
    from job_library.site import SiteKind, SiteProfile, write_site_profile

    survey = create_focus_engine(f"sqlite:///{tmp_path / 'survey.db'}")
    migrate(survey)
    with survey.begin() as conn:
        write_site_profile(conn, SiteProfile(kind=SiteKind.SURVEY), user="test")
    generate(db, N, today=REFERENCE_DAY)
    job = REGISTRY["survey_site_maintenance"]()
    info = ConnectionInfo("demo_survey", "sqlite", host=str(tmp_path / "survey.db"))

    def run(now):
        return run_in_transaction(
            db,
            job,
            job.params_model(survey_sites=["demo_survey"]),
            now=now,
            connections=lambda conn_id: info,
        )

    first = run(EVENING)
    assert first.success, first.text
    assert first.counts["rows_added"] == 5
    assert run(LATER).counts["rows_added"] == 0
    with survey.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(two_factor_auth)).scalar() == 2
    survey.dispose()


@pytest.fixture
def web_apis(monkeypatch: pytest.MonkeyPatch):
    """make run's stand-ins (include/web_standins) on a free loopback port: an iCalendar
    feed, Ed-Fi, Authorize.net, Blackboard Learn and InformaCast, holding the demo's data."""
    import warnings

    import job_library.http_client as http_client
    from include.web_standins import WebStandIns
    from include.web_standins.authorize_net import KEY, LOGIN
    from include.web_standins.blackboard import KEY as BB_KEY
    from include.web_standins.blackboard import SECRET as BB_SECRET
    from include.web_standins.edfi import CLIENT_ID, CLIENT_SECRET
    from include.web_standins.ics_feed import demo_feed
    from include.web_standins.informacast import TOKEN
    from job_library.base import HttpEndpoint

    monkeypatch.setattr(http_client, "pause", lambda seconds: None)
    warnings.simplefilter("ignore", UserWarning)  # openapi-core's note on OAuth2 schemes
    standins = WebStandIns(keep=True)
    standins.ics.body = lambda: demo_feed(REFERENCE_DAY)  # the month of the demo's "today"
    root = standins.server.url

    def endpoints(conn_id: str) -> HttpEndpoint:
        if conn_id == "edfi_api":
            token = {"token_url": standins.edfi.root + "/oauth/token"}
            return HttpEndpoint(conn_id, standins.edfi.url, CLIENT_ID, CLIENT_SECRET, token)
        if conn_id == "blackboard_learn":
            return HttpEndpoint(conn_id, standins.blackboard.url, BB_KEY, BB_SECRET)
        if conn_id == "informacast":
            return HttpEndpoint(conn_id, f"{root}/informacast/api/v1", None, TOKEN)
        assert conn_id == "authorize_net"
        return HttpEndpoint(conn_id, standins.authorize_net.root, LOGIN, KEY)

    yield standins, endpoints
    standins.stop()


def test_the_web_api_jobs_on_the_demo_district(db, web_apis):
    standins, endpoints = web_apis
    feed, edfi, anet, blackboard = (
        standins.ics,
        standins.edfi,
        standins.authorize_net,
        standins.blackboard,
    )
    generate(db, N, today=REFERENCE_DAY)
    cases = [
        ("import_ics_file", {"ics_url": feed.url}),
        ("edfi_data_sync", {}),
        ("portal_payments_automatched_cashout", {}),
        ("store_automated_cashout", {}),
        ("transfer_blackboard_api_data", {}),
        ("load_data_from_blackboard_api", {}),
    ]
    for key, params in cases:
        job = REGISTRY[key]()
        start = fingerprint(db)
        first = run_in_transaction(db, job, job.params_model(**params), now=EVENING, http=endpoints)
        assert first.success, first.text
        after_first = fingerprint(db)
        assert after_first != start, f"{key} found nothing to do: {first.summary}"
        second = run_in_transaction(db, job, job.params_model(**params), now=LATER, http=endpoints)
        assert second.success, second.summary
        assert fingerprint(db) == after_first, f"{key} changed data again: {second.summary}"
    assert edfi.invalid_answers == [] and anet.invalid == [] and blackboard.invalid == []
    assert edfi.accepted, "Ed-Fi received nothing"


def test_the_health_check_on_the_demo_district_names_the_school_not_ready(db, web_apis):
    standins, endpoints = web_apis
    generate(db, N, today=REFERENCE_DAY)
    with db.connect() as conn:
        ids = list(
            conn.execute(sa.text("SELECT school_id FROM schools ORDER BY school_id")).scalars()
        )
    job = REGISTRY["emergency_services_health_check"]()
    before = fingerprint(db)
    result = run_in_transaction(db, job, job.params_model(), now=EVENING, http=endpoints)
    assert not result.success
    assert result.counts == {"schools": len(ids), "ready": len(ids) - 1, "not_ready": 1}
    assert "no InformaCast scenario is chosen for request assistance" in result.text
    assert fingerprint(db) == before and standins.informacast.invalid == []
