"""Remove FEFP code from dismissed students on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.sss import remove_fefp_code as module
from job_library.jobs.sss.remove_fefp_code import RemoveFefpCode, RemoveFefpCodeParams
from job_library.schemas.enrollment import students
from job_library.schemas.sss import ese_records
from tests.job_library.district import d, load
from tests.job_library.jobs_context import run_in_transaction

CODES = {1: ("K", "M1"), 2: ("L", None), 3: ("K", None), 4: ("P", None), 5: (None, "C9")}


def _district(engine) -> None:
    """1: dismissed from its only exceptionality; 2: one of two still served; 3: service
    type D without a dismissal date; 4: dismissed, plus an inactive record still served;
    5: dismissed, only a Charter/McKay value; 6: codes but no ESE record."""
    load(engine)
    records = [
        (1, "K", "D", d(1), True),
        (2, "L", "D", d(2), True),
        (2, "G", "S", None, True),
        (3, "K", "D", None, True),
        (4, "P", "D", d(3), True),
        (4, "K", "S", None, False),
        (5, "J", "D", d(4), True),
    ]
    with engine.begin() as conn:
        for student, (code, mckay) in {**CODES, 6: ("K", "M6")}.items():
            conn.execute(
                sa.update(students)
                .where(students.c.student_id == student)
                .values(ese_code=code, charter_mckay=mckay)
            )
        conn.execute(
            sa.insert(ese_records),
            [
                dict(
                    student_id=s,
                    exceptionality=x,
                    service_type=t,
                    dismissal_date=day,
                    active=active,
                )
                for s, x, t, day, active in records
            ],
        )


def _codes(engine) -> dict[int, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(students.c.student_id, students.c.ese_code, students.c.charter_mckay)
        ).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def _run(engine, **params):
    return run_in_transaction(engine, RemoveFefpCode(), RemoveFefpCodeParams(**params))


BEFORE = {**CODES, 6: ("K", "M6")}


def test_clears_the_codes_of_fully_dismissed_students(db):
    _district(db)
    result = _run(db)
    assert _codes(db) == {**BEFORE, 1: (None, None), 4: (None, None), 5: (None, None)}
    assert result.success
    assert dict(result.counts) == {"cleared": 3}
    assert result.summary == (
        "Cleared the ESE FEFP code and Charter/McKay of 3 dismissed ESE student(s)."
    )
    assert "student 1 (Last1, First1): ESE FEFP code K -> -; Charter/McKay M1 -> -" in (result.text)
    assert "<tr><td>5</td><td>Last5, First5</td><td></td><td>C9</td><td></td></tr>" in (result.html)


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert dict(again.counts) == {"cleared": 0}
    assert again.summary == (
        "No dismissed ESE student still had an ESE FEFP code and Charter/McKay; nothing changed."
    )
    assert "<table>" not in again.html


def test_the_charter_mckay_field_can_be_kept(db):
    _district(db)
    result = _run(db, clear_charter_mckay=False)
    assert _codes(db) == {**BEFORE, 1: (None, "M1"), 4: (None, None)}
    assert result.counts == {"cleared": 2}
    assert "Charter/McKay M1 -> M1" in result.text


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("<tr><td>") == 1
    assert "... and 2 more (listing capped at 1)." in result.text


def test_a_failure_midway_leaves_the_codes_as_they_were(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _codes(db) == BEFORE
    monkeypatch.undo()
    assert _run(db).counts["cleared"] == 3


def test_params_form():
    props = RemoveFefpCodeParams.model_json_schema()["properties"]
    assert props["clear_charter_mckay"] == {
        "default": True,
        "description": "The Charter/McKay field set up in SSS > General.",
        "title": "Also clear the Charter/McKay field",
        "type": "boolean",
    }
