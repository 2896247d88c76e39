"""Florida Test ID Assignment on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.florida import florida_test_id as module
from job_library.jobs.florida.florida_test_id import (
    FloridaTestIdAssignment,
    FloridaTestIdParams,
    to_base36,
)
from job_library.schemas.assessments import (
    standardized_tests,
    student_test_scores,
    student_tests,
    test_parts,
    test_score_types,
)
from tests.job_library.district import d, load
from tests.job_library.jobs_context import run_in_transaction

RDG, MATH, ELA = 1, 2, 3  # parts
CAG_SS, FLTESTID, FAST_SS = 1, 2, 3  # score types

# (student test, part, score type) -> score before the run
SCORES = {
    (1, RDG, CAG_SS): "230",
    (1, RDG, FLTESTID): None,  # a FLTESTID row without a value: filled in
    (1, MATH, CAG_SS): "220",  # no FLTESTID row yet: one is added
    (2, RDG, CAG_SS): "236",
    (3, RDG, CAG_SS): "210",
    (3, RDG, FLTESTID): "000Z",  # student 2 already has 35
    (3, MATH, CAG_SS): "205",
    (4, ELA, FAST_SS): "340",  # FAST has no FLTESTID score type: untouched
    (5, RDG, FLTESTID): "",  # empty counts as no value
}


def _district(engine) -> None:
    """CAG (CASAS GOALS) has the FLTESTID score type, FAST has not. Student 1 took CAG on
    2 Nov (reading and math) and 3 Nov (reading); student 2 CAG on 2 Nov and FAST; student
    3 CAG on 4 Nov."""
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(standardized_tests),
            [
                dict(test_id=1, short_name="CAG", title="CASAS GOALS"),
                dict(test_id=2, short_name="FAST", title="FAST"),
            ],
        )
        conn.execute(
            sa.insert(test_parts),
            [
                dict(part_id=RDG, test_id=1, short_name="RDG", title="Reading"),
                dict(part_id=MATH, test_id=1, short_name="MATH", title="Math"),
                dict(part_id=ELA, test_id=2, short_name="ELA", title="ELA"),
            ],
        )
        conn.execute(
            sa.insert(test_score_types),
            [
                dict(score_type_id=CAG_SS, test_id=1, short_name="SS"),
                dict(score_type_id=FLTESTID, test_id=1, short_name="FLTESTID"),
                dict(score_type_id=FAST_SS, test_id=2, short_name="SS"),
            ],
        )
        conn.execute(
            sa.insert(student_tests),
            [
                dict(student_test_id=i, student_id=s, test_id=t, syear=2026, test_date=day)
                for i, s, t, day in (
                    (1, 1, 1, d(2)),
                    (2, 1, 1, d(3)),
                    (3, 2, 1, d(2)),
                    (4, 2, 2, d(2)),
                    (5, 3, 1, d(4)),
                )
            ],
        )
        conn.execute(
            sa.insert(student_test_scores),
            [
                dict(student_test_id=st, part_id=p, score_type_id=ty, score=v)
                for (st, p, ty), v in SCORES.items()
            ],
        )


def _scores(engine) -> dict[tuple[int, int, int], str | None]:
    t = student_test_scores
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.student_test_id, t.c.part_id, t.c.score_type_id, t.c.score)
        ).all()
    return {(r[0], r[1], r[2]): r[3] for r in rows}


def _run(engine, **params):
    return run_in_transaction(engine, FloridaTestIdAssignment(), FloridaTestIdParams(**params))


EXPECTED = {
    **SCORES,
    (1, RDG, FLTESTID): "0001",
    (1, MATH, FLTESTID): "0002",
    (2, RDG, FLTESTID): "0003",
    (3, MATH, FLTESTID): "0010",  # 36 follows 000Z
    (5, RDG, FLTESTID): "0001",  # numbered per student
}


def test_assigns_base36_values_per_student(db):
    _district(db)
    result = _run(db)
    assert _scores(db) == EXPECTED
    assert result.success
    assert dict(result.counts) == {"assigned": 5}
    assert result.summary == (
        "Assigned 5 FLTESTID value(s) (every test with the FLTESTID score type)."
    )
    assert "student 2 (Last2, First2): CAG MATH 2026-11-02 -> 0010" in result.text
    assert (
        "<tr><td>1</td><td>Last1, First1</td><td>CAG</td><td>MATH</td><td>2026-11-02</td>"
        "<td>0002</td></tr>"
    ) in result.html


def test_second_run_changes_nothing_and_a_new_test_continues_the_numbers(db):
    _district(db)
    _run(db)
    again = _run(db, tests=["CAG"])
    assert _scores(db) == EXPECTED
    assert dict(again.counts) == {"assigned": 0}
    assert (
        again.summary == "Every test/part already has its FLTESTID (test(s) CAG); nothing changed."
    )
    assert "<table>" not in again.html
    with db.begin() as conn:
        conn.execute(
            sa.insert(student_tests),
            [dict(student_test_id=6, student_id=2, test_id=1, syear=2026, test_date=d(9))],
        )
        conn.execute(
            sa.insert(student_test_scores),
            [dict(student_test_id=6, part_id=RDG, score_type_id=CAG_SS, score="240")],
        )
    third = _run(db)
    assert third.counts == {"assigned": 1}
    assert _scores(db)[(6, RDG, FLTESTID)] == "0011"


def test_bad_tests_are_named_and_nothing_changes(db):
    _district(db)
    unknown = _run(db, tests=["CAG", "TABE"])
    assert not unknown.success
    assert unknown.summary == (
        "tests ['TABE']: no standardized test with that short name; pick tests from "
        "Standardized Tests. No value was assigned."
    )
    assert _run(db, tests=["FAST"]).summary.startswith("tests ['FAST']: no FLTESTID score type")
    assert _scores(db) == SCORES
    # Student 2 already has the last value: the next one would not fit in four digits.
    with db.begin() as conn:
        t = student_test_scores
        conn.execute(
            sa.update(t)
            .where(t.c.student_test_id == 3, t.c.part_id == RDG, t.c.score_type_id == FLTESTID)
            .values(score="zzzz")
        )
    full = _run(db)
    assert not full.success
    assert full.summary == (
        "student 2: needs a FLTESTID beyond ZZZZ (four base-36 digits); clear unused values "
        "for the student. No value was assigned."
    )
    assert _scores(db) == {**SCORES, (3, RDG, FLTESTID): "zzzz"}


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.html.count("<tr><td>") == 2
    assert "... and 3 more (listing capped at 2)." in result.text


def test_a_failure_midway_leaves_the_scores_as_they_were(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("server restarted while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="server restarted"):
        _run(db)
    assert _scores(db) == SCORES
    monkeypatch.undo()
    assert _run(db).counts == {"assigned": 5}


def test_base36_form():
    assert [to_base36(n) for n in (0, 1, 35, 36, 1295, 1296, 36**4 - 1)] == [
        "0000",
        "0001",
        "000Z",
        "0010",
        "00ZZ",
        "0100",
        "ZZZZ",
    ]
    with pytest.raises(ValueError, match=r"FLTESTID 1679616: outside 0\.\.1679615"):
        to_base36(36**4)


def test_params_form():
    props = FloridaTestIdParams.model_json_schema()["properties"]
    assert props["tests"]["items"] == {"type": "string"}
