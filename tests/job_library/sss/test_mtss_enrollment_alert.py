"""Alert when existing MTSS students enroll, on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.sss import mtss_enrollment_alert as module
from job_library.jobs.sss.mtss_enrollment_alert import (
    MtssEnrollmentAlert,
    MtssEnrollmentAlertParams,
)
from job_library.preferences import Preferences
from job_library.schemas.enrollment import student_enrollment, student_enrollment_codes
from job_library.schemas.sss import mtss_events, portal_alerts
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

SATURDAY = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))
PROFILE = "ESE Specialist"


def _district(engine) -> None:
    """Student 4 left school 1 on 6 Nov (two inactive events there) and enrolled at school
    2 on 9 Nov with a code; student 6 enrolls at school 1 on 20 Nov with a code and has an
    inactive event at school 2; student 2's enrollment has no code; student 1 is still at
    the school of its inactive event; student 5 has only an active event."""
    load(engine)
    se = student_enrollment
    with engine.begin() as conn:
        conn.execute(
            sa.insert(student_enrollment_codes),
            [dict(code_id=1, syear=2026, short_name="E01", title="Enter", type="Add")],
        )
        conn.execute(sa.update(se).where(se.c.id.in_([5, 8])).values(enrollment_code=1))
        conn.execute(
            sa.insert(mtss_events),
            [
                dict(student_id=s, school_id=school, title=title, start_date=start, active=act)
                for s, school, title, start, act in (
                    (4, 1, "Tier 2 reading", dt.date(2026, 9, 1), False),
                    (4, 1, "Tier 3 behavior", dt.date(2026, 9, 15), False),
                    (4, 2, "Tier 2 math", dt.date(2026, 11, 9), True),
                    (6, 2, "Tier 2 reading", dt.date(2025, 9, 1), False),
                    (2, 2, "Tier 2 reading", dt.date(2025, 9, 1), False),
                    (1, 1, "Tier 2 reading", dt.date(2026, 9, 1), False),
                    (5, 2, "Tier 2 reading", dt.date(2026, 9, 1), True),
                )
            ],
        )


def _alerts(engine) -> dict[tuple[int, int], tuple]:
    t = portal_alerts
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.student_id, t.c.school_id, t.c.profile, t.c.message).where(
                t.c.alert_type == "sss_event"
            )
        ).all()
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


def _run(engine, now=SATURDAY, profile=PROFILE, **params):
    with engine.begin() as conn:
        Preferences(conn).set("mtss_enrollment_alert_profile", profile)
    return run_in_transaction(
        engine, MtssEnrollmentAlert(), MtssEnrollmentAlertParams(**params), now=now
    )


EXPECTED = {
    (4, 2): (
        PROFILE,
        "SSS event alert: the student has 2 inactive MTSS event(s) for review (enrolled at "
        "Test Middle from 2026-11-09).",
    ),
    (6, 1): (
        PROFILE,
        "SSS event alert: the student has 1 inactive MTSS event(s) for review (enrolled at "
        "Test Elementary from 2026-11-20).",
    ),
}


def test_alerts_the_profile_about_mtss_students_at_a_new_school(db):
    _district(db)
    result = _run(db)
    assert _alerts(db) == EXPECTED
    assert result.success
    assert dict(result.counts) == {"alerts": 2}
    assert result.summary == (
        "Created 2 SSS event alert(s) for profile ESE Specialist about students with "
        "inactive MTSS events who enrolled at a new school, as of 2026-11-14."
    )
    assert (
        "student 4 (Last4, First4): enrolled at Test Middle from 2026-11-09, 2 inactive MTSS "
        "event(s)"
    ) in result.text
    assert (
        "<tr><td>6</td><td>Last6, First6</td><td>Test Elementary</td><td>2026-11-20</td>"
        "<td>1</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    again = _run(db, profile="Guidance")
    assert _alerts(db) == EXPECTED
    assert dict(again.counts) == {"alerts": 0}
    assert again.summary == (
        "No student with inactive MTSS events has newly enrolled at another school as of "
        "2026-11-14; nothing changed."
    )
    assert "<table>" not in again.html


def test_still_enrolled_at_the_old_school_means_no_alert(db):
    _district(db)
    # On 5 Nov student 4 is still at school 1 (until 6 Nov): not yet dropped.
    result = _run(db, now=dt.datetime(2026, 11, 5, 9, 0, tzinfo=ZoneInfo("America/New_York")))
    assert set(_alerts(db)) == {(6, 1)}
    assert result.counts == {"alerts": 1}


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("<tr><td>") == 1
    assert "... and 1 more (listing capped at 1)." in result.text


def test_a_failure_midway_creates_no_alert(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("crashed while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="crashed while reporting"):
        _run(db)
    assert _alerts(db) == {}
    monkeypatch.undo()
    assert _run(db).counts == {"alerts": 2}


def test_the_profile_is_a_preference_not_a_parameter(db):
    props = MtssEnrollmentAlertParams.model_json_schema()["properties"]
    assert "profile" not in props
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        MtssEnrollmentAlertParams(profile="Counselor")
    _district(db)
    result = run_in_transaction(
        db, MtssEnrollmentAlert(), MtssEnrollmentAlertParams(), now=SATURDAY
    )
    assert not result.success
    assert result.summary.startswith(
        "The mtss_enrollment_alert_profile System Preference is not set"
    )
    assert _alerts(db) == {}
