"""SQL Triggers on SQLite and Postgres: rules apply only when the job runs, set-based, checked."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.system import _sql_trigger_work
from job_library.jobs.system.sql_triggers import SqlTriggers, SqlTriggersParams
from job_library.schemas.enrollment import student_enrollment, students
from job_library.schemas.system import sql_trigger_rules
from tests.job_library.jobs_context import run_in_transaction
from tests.job_library.system.files_district import base, enroll

D = dt.date


def rule(conn, rule_id, table, conditions, column, value, active=True, title=None):
    conn.execute(
        sa.insert(sql_trigger_rules).values(
            rule_id=rule_id,
            title=title or f"Rule {rule_id}",
            table_name=table,
            conditions=conditions,
            set_column=column,
            set_value=value,
            active=active,
        )
    )


@pytest.fixture
def district(db):
    """Students 1-4: 1 and 2 lost their ESE code but keep a McKay value; 3 has both; 4 has
    neither. Enrollments ended 4, 5 and 6 Nov, and one open."""
    with db.begin() as conn:
        base(conn, [1, 2, 3, 4])
        for sid, ese, mckay in [(1, None, "M1"), (2, None, "M2"), (3, "K", "M3"), (4, None, None)]:
            conn.execute(
                sa.update(students)
                .where(students.c.student_id == sid)
                .values(ese_code=ese, charter_mckay=mckay)
            )
        enroll(conn, 1, D(2026, 8, 10), D(2026, 11, 4))
        enroll(conn, 2, D(2026, 8, 10), D(2026, 11, 5))
        enroll(conn, 3, D(2026, 8, 10), D(2026, 11, 6))
        enroll(conn, 4, D(2026, 8, 10), None)
        rule(
            conn,
            1,
            "students",
            [
                {"column": "ese_code", "op": "empty"},
                {"column": "charter_mckay", "op": "not_empty"},
            ],
            "charter_mckay",
            None,
            title="No McKay without ESE",
        )
        rule(
            conn,
            2,
            "student_enrollment",
            [
                {"column": "end_date", "op": "<", "value": "2026-11-06"},
                {"column": "grade_id", "op": "in", "value": [1, "2"]},
            ],
            "rolling_retention",
            "do_not_enroll",
            title="Left early",
        )
        rule(
            conn,
            3,
            "students",
            [{"column": "student_id", "op": ">", "value": 0}],
            "gender",
            "F",
            active=False,
        )
    return db


def _run(db, **params):
    return run_in_transaction(db, SqlTriggers(), SqlTriggersParams(**params))


def _state(db) -> tuple[dict, dict]:
    with db.connect() as conn:
        mckay = dict(conn.execute(sa.select(students.c.student_id, students.c.charter_mckay)).all())
        rr = dict(
            conn.execute(
                sa.select(student_enrollment.c.student_id, student_enrollment.c.rolling_retention)
            ).all()
        )
        genders = set(conn.execute(sa.select(students.c.gender)).scalars())
    assert genders == {None}  # the inactive rule never applies
    return mckay, rr


BEFORE = ({1: "M1", 2: "M2", 3: "M3", 4: None}, {1: None, 2: None, 3: None, 4: None})


def test_nothing_happens_without_the_job(district):
    assert _state(district) == BEFORE


def test_rules_apply_to_every_matching_row_when_the_job_runs(district):
    result = _run(district)
    assert _state(district) == (
        {1: None, 2: None, 3: "M3", 4: None},
        {1: "do_not_enroll", 2: "do_not_enroll", 3: None, 4: None},
    )
    assert result.success
    assert dict(result.counts) == {"rules_applied": 2, "rules_failed": 0, "rows_changed": 4}
    assert result.summary == "Applied 2 rule(s): 4 row(s) changed."
    assert "  rule 1 (No McKay without ESE): 2 row(s) changed: 1, 2" in result.text


def test_second_run_changes_nothing_and_a_row_matching_later_waits_for_the_next_run(district):
    _run(district)
    assert _run(district).counts["rows_changed"] == 0
    with district.begin() as conn:  # a new match after the run: no trigger fires
        conn.execute(sa.update(students).where(students.c.student_id == 3).values(ese_code=None))
    assert _state(district)[0][3] == "M3"
    assert _run(district).counts["rows_changed"] == 1
    assert _state(district)[0][3] is None


def test_listing_is_capped_per_rule(district):
    result = _run(district, max_listed=1)
    assert "  rule 1 (No McKay without ESE): 2 row(s) changed: 1 and 1 more" in result.text


@pytest.mark.parametrize(
    ("table", "conditions", "column", "value", "reason"),
    [
        (
            "scheduled_jobs",
            [{"column": "id", "op": "=", "value": "x"}],
            "title",
            "y",
            "table 'scheduled_jobs' is not a table rules may change",
        ),
        (
            "students",
            [{"column": "nope", "op": "=", "value": 1}],
            "gender",
            "F",
            "condition 1: column 'nope' is not a column of students",
        ),
        (
            "students",
            [{"column": "gender", "op": "like", "value": "F"}],
            "gender",
            "F",
            "condition 1: operator 'like' is not one of",
        ),
        (
            "student_enrollment",
            [{"column": "end_date", "op": "<", "value": "soon"}],
            "rolling_retention",
            "x",
            "value 'soon' is not a date as column end_date needs",
        ),
        ("students", [], "gender", "F", "a rule needs at least one condition"),
        (
            "students",
            [{"column": "gender", "op": "empty"}],
            "gender",
            "FF",
            "value 'FF' is longer than the 1 characters gender holds",
        ),
        (
            "students",
            [{"column": "gender", "op": "empty"}],
            "student_id",
            "9",
            "the action may not change the key column student_id",
        ),
        (
            "students",
            [{"column": "gender", "op": "empty"}],
            "fleid",
            "SAME",
            "the database refused it",
        ),
    ],
)
def test_a_bad_rule_is_listed_and_the_others_still_apply(
    district, table, conditions, column, value, reason
):
    with district.begin() as conn:
        rule(conn, 0, table, conditions, column, value, title="Bad")
    result = _run(district)
    assert not result.success
    assert dict(result.counts) == {"rules_applied": 2, "rules_failed": 1, "rows_changed": 4}
    assert f"  rule 0 (Bad): not applied: {reason}" in result.text
    with district.connect() as conn:
        assert set(conn.execute(sa.select(students.c.fleid)).scalars()) == {None}


def test_a_failure_midway_changes_nothing(district, monkeypatch):
    real = _sql_trigger_work._apply
    calls = []

    def apply_then_fail(conn, rule, cap):
        calls.append(rule.rule_id)
        if len(calls) == 2:
            raise RuntimeError("connection lost")
        return real(conn, rule, cap)

    monkeypatch.setattr(_sql_trigger_work, "_apply", apply_then_fail)
    with pytest.raises(RuntimeError, match="connection lost"):
        _run(district)
    assert _state(district) == BEFORE


def test_no_rules_no_change(db):
    assert _run(db).summary == "No active rule is defined; nothing changed."
