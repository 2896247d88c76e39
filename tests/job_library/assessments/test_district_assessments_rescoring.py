"""District Assessments Re-scoring on SQLite and Postgres: hand-worked scores, a re-score
equal to a fresh scoring, the queue, a second run and an injected failure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.assessments import _rescoring_work, _scoring
from job_library.jobs.assessments.district_assessments_rescoring import (
    DistrictAssessmentsRescoring,
    RescoringParams,
)
from job_library.schemas.district_assessments import (
    district_assessment_items,
    district_assessment_rescore_queue,
    district_assessment_results,
)
from tests.job_library.assessments.district import load_assessments, queue, results
from tests.job_library.district import fingerprint
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))


def _run(engine, **params):
    return run_in_transaction(
        engine, DistrictAssessmentsRescoring(), RescoringParams(**params), now=NOW
    )


def _change_key(engine):
    """Question 3's answer was wrong: A, not D."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(district_assessment_items)
            .where(district_assessment_items.c.item_no == 3)
            .values(correct_answer="A")
        )


def _queue_state(engine):
    q = district_assessment_rescore_queue
    with engine.connect() as conn:
        return sorted(
            (a, p is not None)
            for a, p in conn.execute(sa.select(q.c.assessment_id, q.c.processed_at))
        )


def test_rescores_the_queue_after_a_key_change(db):
    load_assessments(db)
    _change_key(db)
    queue(db, 1, 1, 4)
    result = _run(db)
    assert result.success, result.summary
    # 1: b, C , A -> 1 + 2 + 1 = 4; 4: B, X, blank -> 1; 5: A only -> 0 (a first result).
    assert results(db) == {(1, 1): (4, 4), (1, 4): (1, 4), (1, 5): (0, 4)}
    assert _queue_state(db) == [(1, True), (1, True), (4, False)]
    assert dict(result.counts) == {
        "queued": 2,
        "rescored": 1,
        "results": 3,
        "changed": 3,
        "no_answer_key": 1,
    }
    assert "assessment 1 (Math benchmark), student 4: 2/4 -> 1/4" in result.text
    assert "assessment 1 (Math benchmark), student 5: no result -> 0/4" in result.text
    assert "assessment 4 (Draft quiz): no questions in its answer key" in result.text


def test_changed_results_listing_is_capped(db):
    load_assessments(db)
    _change_key(db)
    queue(db, 1)
    result = _run(db, max_listed=1)
    # The three changes of test_rescores_the_queue_after_a_key_change: student 1 listed,
    # students 4 and 5 counted, and all three written.
    assert result.counts["changed"] == 3
    assert result.text.count("assessment 1 (Math benchmark), student") == 1
    assert "student 1: " in result.text
    assert "... and 2 more (listing capped at 1)." in result.text
    assert results(db) == {(1, 1): (4, 4), (1, 4): (1, 4), (1, 5): (0, 4)}


def test_rescored_results_equal_a_fresh_scoring(db):
    load_assessments(db)
    _change_key(db)
    queue(db, 1)
    _run(db)
    rescored = results(db)
    with db.begin() as conn:
        conn.execute(sa.delete(district_assessment_results))
        pairs = _scoring.pairs_table(conn)
        conn.execute(
            sa.text(
                f"INSERT INTO {pairs.name} (assessment_id, student_id) SELECT DISTINCT "
                "assessment_id, student_id FROM district_assessment_responses"
            )
        )
        _scoring.score(conn, pairs, NOW, 0)
    assert results(db) == rescored


def test_second_run_changes_nothing(db):
    load_assessments(db)
    _change_key(db)
    queue(db, 1, 4)
    _run(db)
    before = fingerprint(db)
    again = _run(db)
    assert again.success
    assert again.counts["changed"] == 0
    assert fingerprint(db) == before
    empty = _run(db)
    assert empty.counts["rescored"] == 0


def test_an_empty_queue(db):
    load_assessments(db)
    result = _run(db)
    assert result.summary == "No assessment is queued for re-scoring."
    assert results(db)[(1, 4)] == (2, 4)  # not queued: not re-scored


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    load_assessments(db)
    _change_key(db)
    queue(db, 1)
    before = fingerprint(db)
    real = _rescoring_work.score

    def score_then_fail(*args):
        real(*args)
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_rescoring_work, "score", score_then_fail)
    with pytest.raises(RuntimeError, match="injected failure"):
        _run(db)
    assert fingerprint(db) == before
