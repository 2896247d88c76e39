"""District Assessment Dynamic Scheduling on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from job_library.jobs.assessments import _dynamic_scheduling_work
from job_library.jobs.assessments.district_assessment_dynamic_scheduling import (
    DistrictAssessmentDynamicScheduling,
    DynamicSchedulingParams,
)
from tests.job_library.assessments.district import listing, load_assessments
from tests.job_library.district import fingerprint
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))


def _run(engine, now=NOW):
    return run_in_transaction(
        engine, DistrictAssessmentDynamicScheduling(), DynamicSchedulingParams(), now=now
    )


def test_listing_follows_the_classes_and_text_to_speech_the_field(db):
    load_assessments(db)
    result = _run(db)
    assert result.success, result.summary
    assert listing(db, 1) == {
        1: ("dynamic", True),  # scheduled in class 1, Text-to-Speech checked
        4: ("dynamic", False),  # not in class 1 but has a result: kept
        5: ("manual", True),  # Text-to-Speech checked
        6: ("manual", False),  # added by hand: kept; "(paper)" is another item
    }  # 2 left class 1 on 20 Nov: removed; 3 joins on 1 Dec: not yet
    assert listing(db, 2) == {2: ("dynamic", False)}  # closed on 1 Nov: untouched
    assert listing(db, 3) == {}  # not dynamic
    assert dict(result.counts) == {
        "assessments": 1,
        "added": 1,
        "removed": 1,
        "text_to_speech": 2,
    }
    assert "assessment 1, student 2: removed" in result.text


def test_listing_is_capped_but_every_change_is_made_and_counted(db):
    load_assessments(db)
    result = run_in_transaction(
        db, DistrictAssessmentDynamicScheduling(), DynamicSchedulingParams(max_listed=2), now=NOW
    )
    # Four changes (student 1 added, 2 removed, Text to Speech for 1 and 5): the first two
    # are listed, in that order, and all four are made.
    assert result.text.count("  assessment 1, student") == 2
    assert "assessment 1, student 1: added" in result.text
    assert "assessment 1, student 2: removed" in result.text
    assert ": Use Text to Speech selected" not in result.text
    assert "... and 2 more (listing capped at 2)." in result.text
    assert result.counts["text_to_speech"] == 2
    assert listing(db, 1)[5] == ("manual", True)


def test_a_student_joining_later_is_added_then(db):
    load_assessments(db)
    _run(db)
    _run(db, now=dt.datetime(2026, 12, 1, 2, 0, tzinfo=ZoneInfo("America/New_York")))
    assert listing(db, 1)[3] == ("dynamic", False)


def test_second_run_changes_nothing(db):
    load_assessments(db)
    _run(db)
    before = fingerprint(db)
    again = _run(db)
    assert dict(again.counts) == {
        "assessments": 1,
        "added": 0,
        "removed": 0,
        "text_to_speech": 0,
    }
    assert fingerprint(db) == before


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    load_assessments(db)
    before = fingerprint(db)

    def broken(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(_dynamic_scheduling_work, "listed_result", broken)
    with pytest.raises(RuntimeError, match="injected failure"):
        _run(db)
    assert fingerprint(db) == before
