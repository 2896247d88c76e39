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
    ("field_trip_notifications", {}, [], False),  # the demo has no Focus users to notify
    ("communication_status_updates", {}, [], True),
    ("focus_chat_alerts", {}, [], False),  # the demo has no Focus users to chat
    ("attendance_sms", {}, [], False),  # no mobile-alert codes: `make run` sends no texts
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
        "neogov_new_hires",
        "neogov_user_data",
        "scheduled_import",
        # Reads a mailbox over IMAP: tests/job_library/communications/test_email_replies.py.
        "communication_email_replies",
    }
    assert covered == sis - others
    # The first issue's twenty (CTE Pay Period 2 being a job of its own) and thirteen of
    # Communications (#21).
    assert len(covered) == 34


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


@pytest.mark.timeout(600)
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
