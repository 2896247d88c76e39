"""SAP Alert on SQLite and Postgres: each minimum at, just past and just short of its limit.

Fall 2026 calculations (20 Nov, program length 120 credits): 1 has GPA 2.00 and 67 of 100
credits (both limits exactly: meets); 2 GPA 1.99; 3 66.99 of 100 credits; 4 180 credits
attempted (150% exactly: meets); 5 180.5 attempted; 6 has no GPA. Older calculations: 2 was
below in Spring 2026, 1 below in Summer 2026 (neither is their latest).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from job_library.jobs.erp import sap_alert as module
from job_library.jobs.erp.sap_alert import SapAlert, SapAlertParams
from job_library.schemas.erp_hr import sap_academic_progress
from job_library.schemas.finance import finance_audit
from tests.job_library.district import alerts, load, load_users
from tests.job_library.jobs_context import run_in_transaction

D = dt.date
FALL = D(2026, 11, 20)
# progress id: (student, term, calculated on, gpa, attempted, earned)
ROWS = {
    1: (1, "Fall 2026", FALL, "2.00", "100", "67"),
    2: (2, "Fall 2026", FALL, "1.99", "100", "67"),
    3: (3, "Fall 2026", FALL, "3.00", "100", "66.99"),
    4: (4, "Fall 2026", FALL, "3.00", "180", "180"),
    5: (5, "Fall 2026", FALL, "3.00", "180.5", "180.5"),
    6: (6, "Fall 2026", FALL, None, "100", "100"),
    7: (2, "Spring 2026", D(2026, 5, 1), "1.50", "10", "2"),
    8: (1, "Summer 2026", D(2026, 8, 1), "1.00", "10", "10"),
}


def _district(engine) -> None:
    load(engine)
    load_users(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(sap_academic_progress),
            [
                dict(
                    progress_id=i,
                    student_id=s,
                    school_id=1,
                    term=term,
                    calculated_on=on,
                    gpa=None if gpa is None else Decimal(gpa),
                    attempted_credits=Decimal(att),
                    earned_credits=Decimal(earned),
                    program_credits=Decimal("120"),
                )
                for i, (s, term, on, gpa, att, earned) in ROWS.items()
            ],
        )


def _status(engine) -> dict[int, tuple]:
    p = sap_academic_progress
    with engine.connect() as conn:
        rows = conn.execute(sa.select(p.c.progress_id, p.c.sap_status, p.c.sap_reasons)).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _run(engine, users=(101, 102), **params):
    return run_in_transaction(engine, SapAlert(), SapAlertParams(users=list(users), **params))


STATUS = {
    1: ("meets", None),
    2: ("below", "GPA below minimum"),
    3: ("below", "completion rate below minimum"),
    4: ("meets", None),
    5: ("below", "past maximum time frame"),
    6: (None, None),
    7: ("below", "GPA below minimum; completion rate below minimum"),
    8: ("below", "GPA below minimum"),
}


def _message(term: str, reasons: str) -> str:
    return f"Satisfactory Academic Progress: below the minimum requirements for {term} ({reasons})."


def test_status_is_judged_and_the_users_alerted_about_latest_shortfalls(db):
    _district(db)
    result = _run(db)
    assert _status(db) == STATUS
    assert alerts(db, "sap") == {
        (s, u): _message("Fall 2026", why)
        for s, why in (
            (2, "GPA below minimum"),
            (3, "completion rate below minimum"),
            (5, "past maximum time frame"),
        )
        for u in (101, 102)
    }
    assert result.success
    assert dict(result.counts) == {
        "students": 3,
        "alerts": 6,
        "checked": 8,
        "below": 5,
        "status_changed": 7,
        "incomplete": 1,
    }
    assert result.summary.startswith(
        "Judged 8 calculation(s): 5 below the minimums, 7 status(es) changed, 1 incomplete. "
        "Created 6 portal alert(s) about 3 student(s)"
    )
    assert "  not judged: calculation 6 (student 6, Last6, First6, Fall 2026): no GPA" in (
        result.text
    )
    with db.connect() as conn:
        log = conn.execute(
            sa.select(
                finance_audit.c.record_id,
                finance_audit.c.new_values,
                finance_audit.c.changed_by,
                finance_audit.c.job_key,
            ).where(
                finance_audit.c.table_name == "sap_academic_progress",
                finance_audit.c.record_id.in_([1, 7]),
            )
        ).all()
    assert sorted((r, json.loads(v), who, key) for r, v, who, key in log) == [
        (1, {"sap_status": "meets", "sap_reasons": None}, "job test-job", "sap_alert"),
        (
            7,
            {
                "sap_status": "below",
                "sap_reasons": "GPA below minimum; completion rate below minimum",
            },
            "job test-job",
            "sap_alert",
        ),
    ]


def test_second_run_changes_nothing_and_alerts_nobody_again(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert again.counts["alerts"] == 0 and again.counts["status_changed"] == 0
    assert len(alerts(db, "sap")) == 6


def test_a_lower_minimum_gpa_lets_the_student_pass(db):
    _district(db)
    _run(db)
    result = _run(db, min_gpa=Decimal("1.99"))
    assert _status(db)[2] == ("meets", None)
    assert result.counts["status_changed"] == 1


def test_unknown_users_are_refused(db):
    _district(db)
    result = _run(db, users=(101, 999))
    assert not result.success
    assert result.summary == (
        "users [999]: no such user id; pick the users to alert from the Users list. "
        "Nothing changed."
    )
    assert _status(db)[1] == (None, None)


def test_bad_limits_are_refused_by_the_form():
    with pytest.raises(ValueError, match="min_completion_percent"):
        SapAlertParams(users=[1], min_completion_percent=Decimal("101"))


def test_a_failure_midway_leaves_everything_as_it_was(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "report", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert alerts(db, "sap") == {}
    assert set(_status(db).values()) == {(None, None)}


def test_the_not_judged_listing_is_capped(db):
    """Two calculations miss a figure; with one listed, the count still says two."""
    _district(db)
    with db.begin() as conn:
        conn.execute(
            sa.update(sap_academic_progress)
            .where(sap_academic_progress.c.progress_id == 8)
            .values(earned_credits=None)
        )
    result = _run(db, max_listed=1)
    assert result.counts["incomplete"] == 2
    assert result.text.count("  not judged: calculation") == 1
    assert "  ... and 1 more not judged (listing capped at 1)." in result.text
    assert "  not judged: calculation 6 (student 6" in result.text
    assert result.html.count("Why it was not judged") == 1
    assert result.html.count("no attempted or earned credits") == 0
