"""Rollover on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from include.focus_db.schema import scheduled_jobs
from job_library.jobs.sis import rollover as module
from job_library.jobs.sis.rollover import Rollover, RolloverParams
from job_library.preferences import Preferences
from job_library.schema import job_output
from job_library.schemas.district import (
    attendance_calendars,
    grade_levels,
    school_grade_levels,
    school_years,
    schools,
)
from job_library.schemas.enrollment import student_enrollment, student_enrollment_codes, students
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

NEXT = 2027
START = dt.date(2027, 8, 10)  # the enrollment date: school year 2027 runs 1 Aug 2027-30 Jun 2028
G05, G06, G07, G11, G12 = 1, 2, 3, 4, 5  # grade_levels ids (05 comes from ``load``)
HIGH, ACADEMY = 5, 6  # school ids; 1 (elementary) and 2 (middle) come from ``load``
ROLL, WITHDRAW, ENTER = 21, 22, 20  # student_enrollment_codes: R01 Add and W01 Drop of 2027,
# E01 Add of 2026 only

# 2026 enrollments of this file's students: id -> (student, school, grade, end date, second
# school, next school, rolling retention). All start 10 Aug 2026 unless noted below; school
# year 2026 ends 30 Jun 2027. Only the high school (5) rolls second-school records.
ENROLLMENTS = {
    41: (41, 2, G06, None, False, None, "next_grade"),  # -> 2 / 07
    42: (42, 2, G06, None, False, None, "do_not_enroll"),  # do not enroll
    43: (43, HIGH, G12, None, False, None, None),  # 12 has no next grade: graduate
    44: (44, HIGH, G11, None, False, None, None),  # -> 5 / 12
    45: (45, 2, G06, None, False, ACADEMY, None),  # academy has no default 2027 calendar
    46: (46, 2, G06, None, False, None, None),  # already enrolled in 2027 (record 70)
    47: (47, 2, G06, dt.date(2027, 3, 15), False, None, None),  # withdrawn in March: out
    48: (48, HIGH, G11, dt.date(2027, 6, 30), False, None, None),  # ends on the last day: -> 5/12
    49: (49, 2, G06, None, False, None, None),  # -> 2 / 07
    50: (49, HIGH, G06, None, True, None, None),  # second school at 5 (rolls): -> 5 / 07
    51: (51, HIGH, G11, None, False, None, None),  # -> 5 / 12
    52: (51, 2, G06, None, True, None, None),  # second school at 2 (does not roll): out
    53: (53, 2, G06, None, False, None, None),  # superseded by 54 (later start)
    54: (53, 2, G06, None, False, None, "retain"),  # starts 1 Sep 2026; retained: -> 2 / 06
    55: (55, 1, G05, None, False, HIGH, None),  # the high school has no grade 06
}
# ``load``'s records, all grade 05: 1 (student 1, school 1, no next school: school 1 has no
# 06), 2 (student 2, next school 2 set here: -> 2 / 06), 3 (student 3, withdrawn 10 Nov: out),
# 4 (student 4 at school 1 until 6 Nov: out), 5 (student 4 at school 2: -> 2 / 06), 6 (student
# 5, next school 2 set here: -> 2 / 06), 7 (student 5, second school at 2: out), 8 (student 6,
# retained here: -> 1 / 05), 9 (student 1 in 2025: out).

# The 2027 records a run creates: (student, school, grade, calendar, second school).
CREATED = {
    (2, 2, G06, 12, False),
    (4, 2, G06, 12, False),
    (5, 2, G06, 12, False),
    (6, 1, G05, 11, False),
    (41, 2, G07, 12, False),
    (44, HIGH, G12, 15, False),
    (48, HIGH, G12, 15, False),
    (49, 2, G07, 12, False),
    (49, HIGH, G07, 15, True),
    (51, HIGH, G12, 15, False),
    (53, 2, G06, 12, False),
}
EXISTING = (46, 2, G07, 12, False)  # record 70, entered by hand before the run

# Considered: load's 1, 2, 5, 6, 8 and 41-46, 48-51, 54, 55 (53 loses to 54) = 17.
COUNTS = {
    "considered": 17,
    "created": 11,
    "already_enrolled": 1,  # 46
    "do_not_enroll": 1,  # 42
    "no_next_grade": 1,  # 43
    "grade_not_offered": 2,  # 1, 55
    "no_calendar": 1,  # 45
}


def _district(engine) -> None:
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years),
            [
                dict(
                    syear=NEXT,
                    title="2027-2028",
                    start_date=dt.date(2027, 8, 1),
                    end_date=dt.date(2028, 6, 30),
                    is_default=False,
                )
            ],
        )
        conn.execute(
            sa.insert(schools),
            [
                dict(
                    school_id=HIGH,
                    title="Test High",
                    short_name="TH",
                    school_number="0055",
                    district_number="37",
                ),
                dict(
                    school_id=ACADEMY,
                    title="Test Academy",
                    short_name="TA",
                    school_number="0066",
                    district_number="37",
                ),
            ],
        )
        # Test High rolls its second-school records (a school preference), the Academy not.
        Preferences(conn).set("rollover_second_school", "on", school_id=HIGH)
        Preferences(conn).set("rollover_second_school", "off", school_id=ACADEMY)
        conn.execute(
            sa.insert(grade_levels),
            [
                dict(grade_id=gid, short_name=name, title=f"Grade {name}", sort_order=int(name))
                for gid, name in ((G06, "06"), (G07, "07"), (G11, "11"), (G12, "12"))
            ],
        )
        g = grade_levels
        for grade, following in ((G05, G06), (G06, G07), (G11, G12)):  # 07 and 12: none
            conn.execute(sa.update(g).where(g.c.grade_id == grade).values(next_grade_id=following))
        conn.execute(
            sa.insert(school_grade_levels),
            [
                dict(school_id=s, grade_id=gr)
                for s, gr in (
                    (1, G05),
                    (2, G06),
                    (2, G07),
                    (HIGH, G07),
                    (HIGH, G11),
                    (HIGH, G12),
                    (ACADEMY, G07),
                )
            ],
        )
        conn.execute(
            sa.insert(attendance_calendars),
            [
                dict(calendar_id=c, school_id=school, syear=year, title=title, is_default=default)
                for c, school, year, title, default in (
                    (11, 1, NEXT, "Main", True),
                    (12, 2, NEXT, "Main", True),
                    (13, 2, NEXT, "Alternate", False),
                    (14, HIGH, 2026, "Main", True),
                    (15, HIGH, NEXT, "Main", True),
                    (16, ACADEMY, 2026, "Main", True),
                    (17, ACADEMY, NEXT, "Draft", False),  # not the default: no calendar
                )
            ],
        )
        conn.execute(
            sa.insert(student_enrollment_codes),
            [
                dict(code_id=ENTER, syear=2026, short_name="E01", title="Enter", type="Add"),
                dict(code_id=ROLL, syear=NEXT, short_name="R01", title="Rollover", type="Add"),
                dict(
                    code_id=WITHDRAW, syear=NEXT, short_name="W01", title="Withdrawn", type="Drop"
                ),
            ],
        )
        conn.execute(
            sa.insert(students),
            [
                dict(student_id=i, first_name=f"First{i}", last_name=f"Last{i}")
                for i in sorted({row[0] for row in ENROLLMENTS.values()})
            ],
        )
        calendars = {1: 1, 2: 2, HIGH: 14, ACADEMY: 16}
        conn.execute(
            sa.insert(student_enrollment),
            [
                dict(
                    id=i,
                    student_id=s,
                    syear=2026,
                    school_id=school,
                    grade_id=grade,
                    calendar_id=calendars[school],
                    start_date=dt.date(2026, 9, 1) if i == 54 else dt.date(2026, 8, 10),
                    end_date=end,
                    second_school=second,
                    next_school=next_school,
                    rolling_retention=retention,
                )
                for i, (s, school, grade, end, second, next_school, retention) in (
                    ENROLLMENTS.items()
                )
            ]
            + [
                dict(
                    id=70,
                    student_id=46,
                    syear=NEXT,
                    school_id=2,
                    grade_id=G07,
                    calendar_id=12,
                    start_date=dt.date(2027, 8, 1),
                    end_date=None,
                    second_school=False,
                    next_school=None,
                    rolling_retention=None,
                )
            ],
        )
        se = student_enrollment
        conn.execute(sa.update(se).where(se.c.id.in_([2, 6])).values(next_school=2))
        conn.execute(sa.update(se).where(se.c.id == 8).values(rolling_retention="retain"))
        if conn.dialect.name == "postgresql":
            # The fixtures insert explicit ids: move the sequence past them, as Focus's is.
            conn.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('student_enrollment', 'id'), "
                    "(SELECT MAX(id) FROM student_enrollment))"
                )
            )


def _next_year(engine) -> set[tuple]:
    """2027 enrollments as (student, school, grade, calendar, second school)."""
    se = student_enrollment
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                se.c.student_id, se.c.school_id, se.c.grade_id, se.c.calendar_id, se.c.second_school
            ).where(se.c.syear == NEXT)
        ).all()
    return {(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows}


def _all_enrollments(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(sa.select(student_enrollment).order_by(student_enrollment.c.id))
        ]


def _run(engine, **params):
    values = {"enrollment_date": START, "enrollment_code": "R01", **params}
    return run_in_transaction(engine, Rollover(), RolloverParams(**values))


def _set_next_school_job(engine, job_id: str, *, active: bool = True) -> None:
    at = dt.datetime(2026, 10, 1, 12, 0, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(scheduled_jobs).values(
                id=job_id,
                title="Set Next School",
                job_class="set_next_school",
                weekdays="sat",
                params={},
                active=active,
                created_at=at,
                created_by="test",
                updated_at=at,
                updated_by="test",
            )
        )


def _output(engine, job_id: str, finished: dt.datetime, success: bool) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(job_output).values(
                job_id=job_id,
                run_id=f"scheduled__{finished:%Y%m%dT%H%M}",
                started_at=finished - dt.timedelta(minutes=5),
                finished_at=finished,
                success=success,
                summary="ok" if success else "failed",
                text_output="",
                html_output="",
            )
        )


def test_creates_next_years_records(db):
    _district(db)
    result = _run(db)
    assert _next_year(db) == CREATED | {EXISTING}
    assert result.success
    assert dict(result.counts) == COUNTS
    assert result.summary == (
        "Considered 17 enrollment record(s) open at the end of school year 2026 (every "
        "school): 1 already enrolled in 2027, 1 marked Do Not Enroll, 1 with no next grade, 2 "
        "whose next school does not offer the grade, 1 whose next school has no default 2027 "
        "calendar; created 11 enrollment record(s) in 2027 starting 2027-08-10 (code R01)."
    )
    assert (
        "  student 49 (Last49, First49): school 5 grade 06 -> school 5 grade 07, second school"
    ) in result.text
    assert "  student 6 (Last6, First6): school 1 grade 05 -> school 1 grade 05" in result.text
    assert (
        "<tr><td>2</td><td>Last2, First2</td><td>1</td><td>05</td><td>2</td><td>06</td>"
        "<td>no</td></tr>"
    ) in result.html
    assert result.html.count("<tr><td>") == 11


def test_created_records_carry_the_date_code_and_next_grade(db):
    _district(db)
    _run(db)
    se = student_enrollment
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(
                se.c.start_date,
                se.c.end_date,
                se.c.enrollment_code,
                se.c.drop_code,
                se.c.next_school,
                se.c.rolling_retention,
            ).where(se.c.syear == NEXT, se.c.id != 70)
        ).all()
    assert len(rows) == 11
    assert set(rows) == {(START, None, ROLL, None, None, "next_grade")}


def test_this_years_records_are_left_as_they_were(db):
    _district(db)
    before = _all_enrollments(db)
    _run(db)
    assert [r for r in _all_enrollments(db) if r[2] != NEXT] == [r for r in before if r[2] != NEXT]


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db)
    after_first = _all_enrollments(db)
    again = _run(db)
    assert _all_enrollments(db) == after_first
    # Every record created by the first run is now already enrolled; the rest as before.
    assert dict(again.counts) == {**COUNTS, "created": 0, "already_enrolled": 12}
    assert again.summary.endswith("calendar; nothing to create, nothing changed.")
    assert "<table>" not in again.html


def test_second_school_records_roll_only_where_the_school_says_so(db):
    _district(db)
    with db.begin() as conn:
        Preferences(conn).set("rollover_second_school", "yes", school_id=2)
    result = _run(db)
    # Now 7 (student 5 at school 2) and 52 (student 51 at school 2) are considered too: 7
    # finds the primary record just rolled into school 2, 52 becomes 2 / 07.
    assert _next_year(db) == CREATED | {EXISTING, (51, 2, G07, 12, True)}
    assert dict(result.counts) == {
        **COUNTS,
        "considered": 19,
        "created": 12,
        "already_enrolled": 2,
    }


def test_the_district_value_rolls_second_school_records_of_schools_without_their_own(db):
    _district(db)
    with db.begin() as conn:
        # District on: school 2 (no value of its own) now rolls too; the Academy said off.
        Preferences(conn).set("rollover_second_school", "on")
    result = _run(db)
    assert _next_year(db) == CREATED | {EXISTING, (51, 2, G07, 12, True)}
    assert result.counts["considered"] == 19


def test_only_the_chosen_schools_then_the_rest(db):
    _district(db)
    high = _run(db, schools=[HIGH])
    # 43 (graduate), 44, 48, 50 (second school of student 49) and 51.
    assert _next_year(db) == {r for r in CREATED if r[1] == HIGH} | {EXISTING}
    assert dict(high.counts) == {
        "considered": 5,
        "created": 4,
        "already_enrolled": 0,
        "do_not_enroll": 0,
        "no_next_grade": 1,
        "grade_not_offered": 0,
        "no_calendar": 0,
    }
    assert "(school(s) 5)" in high.summary
    rest = _run(db)
    assert _next_year(db) == CREATED | {EXISTING}
    assert dict(rest.counts) == {**COUNTS, "created": 7, "already_enrolled": 5}


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.counts["created"] == 11
    assert result.html.count("<tr><td>") == 2
    assert "... and 9 more (listing capped at 2)." in result.text
    assert "<p>9 more not listed.</p>" in result.html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"enrollment_code": "X99"},
            "enrollment code 'X99': no such code in school year 2027; add it under Enrollment "
            "Codes or pick another. Nothing was changed.",
        ),
        (
            {"enrollment_code": "E01"},  # an Add code of 2026 only
            "enrollment code 'E01': no such code in school year 2027; add it under Enrollment "
            "Codes or pick another. Nothing was changed.",
        ),
        (
            {"enrollment_code": "W01"},
            "enrollment code 'W01': a Drop code in school year 2027; pick an Add code. Nothing "
            "was changed.",
        ),
        (
            {"enrollment_date": dt.date(2027, 7, 31)},
            "enrollment date 2027-07-31: outside school year 2027 (2027-08-01 to 2028-06-30); "
            "pick a date in it. Nothing was changed.",
        ),
        (
            {"enrollment_date": dt.date(2028, 7, 1)},
            "enrollment date 2028-07-01: outside school year 2027 (2027-08-01 to 2028-06-30); "
            "pick a date in it. Nothing was changed.",
        ),
        (
            {"syear": 2027},
            "school year 2028: no such school year, and Rollover creates the records of the "
            "year after 2027 in it; add it under School Years first. Nothing was changed.",
        ),
        (
            {"schools": [77]},
            "schools [77]: no such school id; pick ids from the Schools list. Nothing was changed.",
        ),
    ],
)
def test_bad_values_are_named_and_nothing_changes(db, params, message):
    _district(db)
    before = _all_enrollments(db)
    result = _run(db, **params)
    assert not result.success
    assert result.summary == message
    assert _all_enrollments(db) == before


def test_an_active_set_next_school_job_that_never_ran_stops_it(db):
    _district(db)
    _set_next_school_job(db, "set-next-school")
    before = _all_enrollments(db)
    result = _run(db)
    assert not result.success
    assert result.summary == (
        "Set Next School job 'set-next-school' has no stored run. Rollover needs to be run "
        "after Set Next School: run that job successfully first, or make it inactive if next "
        "schools are set by hand. Nothing was changed."
    )
    assert _all_enrollments(db) == before


def test_a_failed_latest_set_next_school_run_stops_it(db):
    _district(db)
    _set_next_school_job(db, "set-next-school")
    _output(db, "set-next-school", dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC), True)
    _output(db, "set-next-school", dt.datetime(2026, 11, 27, 7, 5, tzinfo=dt.UTC), False)
    before = _all_enrollments(db)
    result = _run(db)
    assert not result.success
    # Finished 07:05 UTC is 02:05 in the district's time zone (New York, EST).
    assert result.summary.startswith(
        "Set Next School job 'set-next-school' failed its latest run (finished 2026-11-27 "
        "02:05 EST). Rollover needs to be run after Set Next School"
    )
    assert _all_enrollments(db) == before


def test_a_successful_latest_set_next_school_run_lets_it_run(db):
    _district(db)
    _set_next_school_job(db, "set-next-school")
    _output(db, "set-next-school", dt.datetime(2026, 11, 20, 7, 0, tzinfo=dt.UTC), False)
    _output(db, "set-next-school", dt.datetime(2026, 11, 27, 7, 5, tzinfo=dt.UTC), True)
    _set_next_school_job(db, "set-next-school-old", active=False)  # never ran: ignored
    result = _run(db)
    assert result.success
    assert _next_year(db) == CREATED | {EXISTING}


def test_an_inactive_set_next_school_job_is_ignored(db):
    _district(db)
    _set_next_school_job(db, "set-next-school", active=False)
    _output(db, "set-next-school", dt.datetime(2026, 11, 27, 7, 5, tzinfo=dt.UTC), False)
    result = _run(db)
    assert result.success
    assert result.counts["created"] == 11


def test_a_failure_midway_leaves_the_enrollments_as_they_were(db, monkeypatch):
    _district(db)
    before = _all_enrollments(db)
    enroll = module._enroll

    def enroll_then_fail(conn, scope, next_year, start_date, *, second_school):
        if second_school:  # the primary records are in by now
            raise RuntimeError("connection lost while rolling second-school records")
        enroll(conn, scope, next_year, start_date, second_school=second_school)

    monkeypatch.setattr(module, "_enroll", enroll_then_fail)
    with pytest.raises(RuntimeError, match="connection lost"):
        _run(db)
    assert _all_enrollments(db) == before
    monkeypatch.undo()
    assert _run(db).counts["created"] == 11  # no temporary table left behind


def test_params_form():
    props = RolloverParams.model_json_schema()["properties"]
    assert props["schools"]["items"] == {"type": "integer"}
    assert props["syear"]["title"] == "School year"
    assert props["max_listed"]["default"] == 200
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        RolloverParams(enrollment_date=START, enrollment_code="R01", next_year=2027)
