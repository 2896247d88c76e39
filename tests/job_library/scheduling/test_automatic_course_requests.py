"""Automatic Course Requests on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.scheduling import automatic_course_requests as module
from job_library.jobs.scheduling.automatic_course_requests import (
    AutomaticCourseRequests,
    AutomaticCourseRequestsParams,
)
from job_library.schemas.district import school_years
from job_library.schemas.scheduling import automatic_course_requests, courses, schedule_requests
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

# Saturday 28 Nov 2026: active on that day (see district.load) are, at school 1, students 1,
# 2, 5 and 6 (6 from 20 Nov); at school 2, student 4 (from 9 Nov) and student 5 (second
# school). Student 3 was withdrawn from school 1 on 10 Nov, student 4 left it on 6 Nov.
NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))
SATURDAY = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))
LATER = dt.datetime(2026, 11, 29, 2, 0, tzinfo=ZoneInfo("America/New_York"))
QUEUED_AT = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
EARLIER = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)

# Courses: 1 MA5 and 2 RD5 are school 1's for 2026, 3 SC6 school 2's for 2026, 4 MA5
# school 1's for 2025. Student 2 already has a manual request for 2 RD5 in 2026.
# Queue record id -> (student, year, school, course, processed_at).
QUEUE = {
    1: (1, 2026, 1, 1, None),  # creates (1, MA5)
    2: (1, 2026, 1, 2, None),  # creates (1, RD5)
    3: (2, 2026, 1, 2, None),  # 2 already requested RD5: nothing created, processed
    4: (5, 2026, 1, 1, None),  # creates (5, MA5)
    5: (5, 2026, 1, 1, None),  # duplicate of 4: processed, no second request
    6: (1, 2026, 1, 3, None),  # SC6 is school 2's: left in the queue
    7: (2, 2026, 1, 4, None),  # course 4 is last year's: left in the queue
    8: (3, 2026, 1, 1, None),  # 3 withdrawn 10 Nov: left in the queue
    9: (4, 2026, 1, 2, None),  # 4 left school 1 on 6 Nov: left in the queue
    10: (4, 2026, 2, 3, None),  # 4 is at school 2: creates (4, SC6)
    11: (6, 2026, 1, 2, None),  # 6 enrolled 20 Nov: creates (6, RD5)
    12: (2, 2026, 1, 1, EARLIER),  # already processed: untouched, creates nothing
    13: (1, 2025, 1, 4, None),  # last year's queue: untouched by a 2026 run
    14: (5, 2026, 2, 3, None),  # 5's second-school enrollment counts: creates (5, SC6)
    15: (6, 2026, 2, 3, None),  # 6 has no enrollment at school 2: left in the queue
}
MANUAL = (2, 2026, 1, 2, "manual")
# (student, year, school, course, source) created by a run for every school.
CREATED = {
    (1, 2026, 1, 1, "automatic"),
    (1, 2026, 1, 2, "automatic"),
    (5, 2026, 1, 1, "automatic"),
    (6, 2026, 1, 2, "automatic"),
    (4, 2026, 2, 3, "automatic"),
    (5, 2026, 2, 3, "automatic"),
}
PROCESSED = {1, 2, 3, 4, 5, 10, 11, 14}  # stamped by that run
LEFT = [6, 7, 8, 9, 15]  # stay queued (and listed) on every run


def _district(engine) -> None:
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(courses),
            [
                dict(course_id=c, school_id=school, syear=year, title=title, short_name=name)
                for c, school, year, title, name in (
                    (1, 1, 2026, "Math 5", "MA5"),
                    (2, 1, 2026, "Reading 5", "RD5"),
                    (3, 2, 2026, "Science 6", "SC6"),
                    (4, 1, 2025, "Math 5", "MA5"),
                )
            ],
        )
        # No request_id: Postgres' sequence must hand out the ids the job's rows get.
        conn.execute(
            sa.insert(schedule_requests),
            [dict(student_id=2, syear=2026, school_id=1, course_id=2, source="manual")],
        )
        conn.execute(
            sa.insert(automatic_course_requests),
            [
                dict(
                    id=i,
                    student_id=s,
                    syear=y,
                    school_id=school,
                    course_id=c,
                    queued_at=QUEUED_AT,
                    processed_at=done,
                )
                for i, (s, y, school, c, done) in QUEUE.items()
            ],
        )


def _requests(engine) -> set[tuple]:
    sr = schedule_requests
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(sr.c.student_id, sr.c.syear, sr.c.school_id, sr.c.course_id, sr.c.source)
        ).all()
    assert len(rows) == len(set(rows))
    return {tuple(r) for r in rows}


def _stamps(engine) -> dict[int, dt.datetime | None]:
    acr = automatic_course_requests
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(acr.c.id, acr.c.processed_at)).all())


def _at(stored: dt.datetime | None, expected: dt.datetime | None) -> bool:
    """SQLite keeps an aware time's wall clock without its zone; Postgres the instant."""
    if stored is None or expected is None:
        return stored is expected
    return stored == (expected if stored.tzinfo else expected.replace(tzinfo=None))


def _stamped(engine, expected: dict[int, dt.datetime | None]) -> bool:
    stamps = _stamps(engine)
    return stamps.keys() == expected.keys() and all(_at(stamps[i], expected[i]) for i in expected)


def _queue_after(processed: set[int], at: dt.datetime) -> dict[int, dt.datetime | None]:
    return {i: at if i in processed else row[4] for i, row in QUEUE.items()}


BEFORE = {i: row[4] for i, row in QUEUE.items()}


def _run(engine, now=NOW, **params):
    return run_in_transaction(
        engine, AutomaticCourseRequests(), AutomaticCourseRequestsParams(**params), now=now
    )


def test_creates_requests_from_the_queue_and_leaves_invalid_records(db):
    _district(db)
    result = _run(db, syear=2026)
    assert _requests(db) == {MANUAL} | CREATED
    assert _stamped(db, _queue_after(PROCESSED, NOW))
    assert result.success
    # Queued: 1-11, 14, 15 (13; not 12, processed, nor 13, 2025). Left: 6, 7, 8, 9, 15.
    # Processed 8 = 6 created + 1 already requested (3) + 1 duplicate (5).
    assert dict(result.counts) == {
        "queued": 13,
        "processed": 8,
        "created": 6,
        "already_requested": 1,
        "duplicates": 1,
        "left_in_queue": 5,
    }
    assert result.summary == (
        "Processed 8 of 13 queued automatic course request(s): created 6 schedule "
        "request(s), 1 already requested, 1 duplicate(s); 5 left in the queue (every "
        "school, school year 2026)."
    )
    # Created, by school then student: school 1: 1 MA5, 1 RD5, 5 MA5, 6 RD5; school 2:
    # 4 SC6, 5 SC6.
    assert result.text.splitlines()[1:8] == [
        "  student 1 (Last1, First1), school 1: requested MA5 (Math 5)",
        "  student 1 (Last1, First1), school 1: requested RD5 (Reading 5)",
        "  student 5 (Last5, First5), school 1: requested MA5 (Math 5)",
        "  student 6 (Last6, First6), school 1: requested RD5 (Reading 5)",
        "  student 4 (Last4, First4), school 2: requested SC6 (Science 6)",
        "  student 5 (Last5, First5), school 2: requested SC6 (Science 6)",
        "Left in the queue on 2026-11-28: 5 request(s).",
    ]
    assert result.text.splitlines()[8:] == [
        "  queue record 6: student 1 (Last1, First1), school 1, course 3 (SC6): course not "
        "offered by school 1 in 2026 (course 3 is school 2's for 2026); queue a course of "
        "school 1 for 2026 or delete the record",
        "  queue record 7: student 2 (Last2, First2), school 1, course 4 (MA5): course not "
        "offered by school 1 in 2026 (course 4 is school 1's for 2025); queue a course of "
        "school 1 for 2026 or delete the record",
        "  queue record 8: student 3 (Last3, First3), school 1, course 1 (MA5): student not "
        "enrolled at school 1 in 2026 (no enrollment record there open on the run date); "
        "enroll the student or delete the record",
        "  queue record 9: student 4 (Last4, First4), school 1, course 2 (RD5): student not "
        "enrolled at school 1 in 2026 (no enrollment record there open on the run date); "
        "enroll the student or delete the record",
        "  queue record 15: student 6 (Last6, First6), school 2, course 3 (SC6): student not "
        "enrolled at school 2 in 2026 (no enrollment record there open on the run date); "
        "enroll the student or delete the record",
    ]
    assert (
        "<tr><td>4</td><td>Last4, First4</td><td>2</td><td>SC6</td><td>Science 6</td></tr>"
    ) in result.html
    assert "<p>Left in the queue on 2026-11-28: 5 request(s).</p>" in result.html
    assert "<tr><td>15</td><td>6</td><td>Last6, First6</td><td>2</td><td>3</td>" in result.html


def test_second_run_changes_nothing_and_still_lists_the_queue(db):
    _district(db)
    _run(db)
    again = _run(db, now=LATER)
    assert _requests(db) == {MANUAL} | CREATED
    assert _stamped(db, _queue_after(PROCESSED, NOW))  # not restamped
    assert dict(again.counts) == {
        "queued": 5,
        "processed": 0,
        "created": 0,
        "already_requested": 0,
        "duplicates": 0,
        "left_in_queue": 5,
    }
    assert again.summary == (
        "None of the 5 queued automatic course request(s) can be processed: all stay in "
        "the queue (every school, school year 2026); nothing changed."
    )
    assert "Left in the queue on 2026-11-29: 5 request(s)." in again.text
    assert again.html.count("<table>") == 1  # the queue's, no created requests


def test_an_empty_queue_says_so(db):
    _district(db)
    acr = automatic_course_requests
    with db.begin() as conn:
        conn.execute(sa.delete(acr).where(acr.c.id.in_(LEFT)))
    _run(db)
    again = _run(db)
    assert again.summary == (
        "No automatic course request is queued (every school, school year 2026); nothing changed."
    )
    assert again.counts["queued"] == 0
    assert "<table>" not in again.html


def test_an_enrollment_starting_later_counts(db):
    _district(db)
    # On 14 Nov student 6's enrollment (from 20 Nov) has not started yet; record 11 is
    # processed all the same. The rest is as on 28 Nov: 3 and 4 had left school 1 by then.
    result = _run(db, now=SATURDAY)
    assert _requests(db) == {MANUAL} | CREATED
    assert _stamped(db, _queue_after(PROCESSED, SATURDAY))
    assert result.counts["left_in_queue"] == 5
    assert "Left in the queue on 2026-11-14: 5 request(s)." in result.text


def test_the_default_year_is_the_districts(db):
    _district(db)
    result = _run(db)  # no syear: 2026 is the default
    assert result.counts["created"] == 6
    assert _requests(db) == {MANUAL} | CREATED
    with db.begin() as conn:
        conn.execute(sa.update(school_years).values(is_default=False))
    bad = _run(db)
    assert not bad.success
    assert bad.summary == (
        "school year: none given and no default school year is set; set a school year on "
        "the job or mark one as the default. Nothing was changed."
    )


def test_only_the_chosen_school_and_year(db):
    _district(db)
    result = _run(db, schools=[1])
    # School 1's queue: 1-9, 11 (10 records); left 6-9; processed 1-5, 11: created
    # (1, MA5), (1, RD5), (5, MA5), (6, RD5), 3 already requested, 5 a duplicate.
    assert dict(result.counts) == {
        "queued": 10,
        "processed": 6,
        "created": 4,
        "already_requested": 1,
        "duplicates": 1,
        "left_in_queue": 4,
    }
    assert result.summary.endswith("4 left in the queue (school(s) 1, school year 2026).")
    assert _requests(db) == {MANUAL} | {r for r in CREATED if r[2] == 1}
    assert _stamped(db, _queue_after({1, 2, 3, 4, 5, 11}, NOW))
    # 2025: record 13's course is school 1's for 2025, but student 1's 2025 enrollment
    # ended 28 May 2026, so it stays queued.
    last_year = _run(db, syear=2025)
    assert dict(last_year.counts) == {
        "queued": 1,
        "processed": 0,
        "created": 0,
        "already_requested": 0,
        "duplicates": 0,
        "left_in_queue": 1,
    }
    assert "queue record 13: student 1 (Last1, First1), school 1, course 4 (MA5): " in (
        last_year.text
    )
    assert _stamped(db, _queue_after({1, 2, 3, 4, 5, 11}, NOW))


def test_bad_values_are_named_and_change_nothing(db):
    _district(db)
    bad = _run(db, schools=[77])
    assert not bad.success
    assert bad.summary == (
        "schools [77]: no such school id; pick ids from the Schools list. Nothing was changed."
    )
    assert _run(db, syear=2030).summary.startswith("school year 2030: no such school year")
    assert _requests(db) == {MANUAL}
    assert _stamped(db, BEFORE)


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.counts["created"] == 6
    assert result.html.count("<tr><td>") == 4  # 2 created + 2 left in the queue
    assert "  ... and 4 more (listing capped at 2)." in result.text
    assert "  ... and 3 more (listing capped at 2)." in result.text
    assert "<p>4 more not listed.</p>" in result.html
    assert "<p>3 more not listed.</p>" in result.html
    assert "queue record 7:" in result.text and "queue record 8:" not in result.text


def test_a_failure_midway_leaves_both_tables_as_they_were(db, monkeypatch):
    _district(db)

    def broken_stamp(conn, queue, now):
        inserted = conn.execute(
            sa.select(sa.func.count()).select_from(schedule_requests)
        ).scalar_one()
        raise RuntimeError(f"connection lost with {inserted} request(s) written")

    monkeypatch.setattr(module, "_mark_processed", broken_stamp)
    # The manual request and the 6 new ones were in the table when it failed.
    with pytest.raises(RuntimeError, match=r"connection lost with 7 request\(s\) written"):
        _run(db)
    assert _requests(db) == {MANUAL}
    assert _stamped(db, BEFORE)
    monkeypatch.undo()
    assert _run(db).counts["created"] == 6  # no temporary table left behind
    assert _requests(db) == {MANUAL} | CREATED


def test_params_form():
    props = AutomaticCourseRequestsParams.model_json_schema()["properties"]
    assert props["schools"]["items"] == {"type": "integer"}
    assert props["syear"]["title"] == "School year"
    assert props["max_listed"]["default"] == 200
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        AutomaticCourseRequestsParams(school=[1])
