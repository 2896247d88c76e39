"""Master Schedule Snapshots on SQLite and Postgres: take, list and a byte-exact restore."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.scheduling import master_schedule_snapshots as module
from job_library.jobs.scheduling.master_schedule_snapshots import (
    MasterScheduleSnapshots,
    SnapshotParams,
)
from job_library.schemas.district import staff
from job_library.schemas.scheduling import (
    course_periods,
    courses,
    schedule,
    schedule_requests,
)
from tests.job_library.district import SYEAR, d, load, load_sections
from tests.job_library.jobs_context import run_in_transaction

PK = {"courses": "course_id", "course_periods": "course_period_id", "schedule": "id"}


def _district(engine) -> None:
    """``load_sections`` (courses 1, 2 and last year's 3; sections 1-4 and last year's 5),
    course 2 worth half a credit and core; schedules 101 (1 in section 1), 102 (2 in
    section 1), 103 (5 in section 2, excluded from LCPs, basic skills Y), 104 (4 in section
    4 at school 2) and last year's 105 (1 in section 5)."""
    load(engine)
    load_sections(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.update(courses)
            .where(courses.c.course_id == 2)
            .values(credits=0.5, class_size_core=True, course_number="2002100")
        )
        base = dict(end_date=None, exclude_from_lcp=False, basic_skills_exam=None)
        conn.execute(
            sa.insert(schedule),
            [
                dict(
                    base,
                    id=101,
                    student_id=1,
                    syear=SYEAR,
                    school_id=1,
                    course_id=1,
                    course_period_id=1,
                    start_date=d(2),
                ),
                dict(
                    base,
                    id=102,
                    student_id=2,
                    syear=SYEAR,
                    school_id=1,
                    course_id=1,
                    course_period_id=1,
                    start_date=d(2),
                ),
                dict(
                    base,
                    id=103,
                    student_id=5,
                    syear=SYEAR,
                    school_id=1,
                    course_id=1,
                    course_period_id=2,
                    start_date=d(3),
                    exclude_from_lcp=True,
                    basic_skills_exam="Y",
                ),
                dict(
                    base,
                    id=104,
                    student_id=4,
                    syear=SYEAR,
                    school_id=2,
                    course_id=2,
                    course_period_id=4,
                    start_date=d(9),
                ),
                dict(
                    base,
                    id=105,
                    student_id=1,
                    syear=2025,
                    school_id=1,
                    course_id=3,
                    course_period_id=5,
                    start_date=dt.date(2025, 8, 10),
                ),
            ],
        )


def _dump(engine) -> dict[str, list[tuple]]:
    """Every record of the three tables exactly as the database returns it."""
    with engine.connect() as conn:
        return {
            name: [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {name} ORDER BY {pk}"))]
            for name, pk in PK.items()
        }


def _mutate(engine) -> None:
    """What happens after the snapshot: course 1 retitled and worth 1.5; section 2 loses
    its teacher and gets 30 seats; schedule 102 dropped, 101 ended; new course 7, section 8
    and schedule 106; course 2 (with section 4 and schedule 104) deleted and replaced by
    course 9 of the same short name with section 10; last year's course 3 retitled."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(courses)
            .where(courses.c.course_id == 1)
            .values(title="Math 5 Adv", credits=1.5)
        )
        conn.execute(sa.update(courses).where(courses.c.course_id == 3).values(title="Old Math"))
        conn.execute(
            sa.update(course_periods)
            .where(course_periods.c.course_period_id == 2)
            .values(teacher_id=None, total_seats=30)
        )
        conn.execute(sa.delete(schedule).where(schedule.c.id.in_([102, 104])))
        conn.execute(sa.update(schedule).where(schedule.c.id == 101).values(end_date=d(20)))
        conn.execute(sa.delete(course_periods).where(course_periods.c.course_period_id == 4))
        conn.execute(sa.delete(courses).where(courses.c.course_id == 2))
        conn.execute(
            sa.insert(courses),
            [
                dict(course_id=7, school_id=1, syear=SYEAR, title="Art", short_name="ART"),
                dict(course_id=9, school_id=2, syear=SYEAR, title="Science 6", short_name="SC6"),
            ],
        )
        conn.execute(
            sa.insert(course_periods),
            [
                dict(
                    course_period_id=8,
                    course_id=7,
                    school_id=1,
                    syear=SYEAR,
                    period_id=14,
                    teacher_id=1,
                    short_name="01",
                    title="Art",
                ),
                dict(
                    course_period_id=10,
                    course_id=9,
                    school_id=2,
                    syear=SYEAR,
                    period_id=21,
                    teacher_id=1,
                    short_name="01",
                    title="Science",
                ),
            ],
        )
        conn.execute(
            sa.insert(schedule).values(
                id=106,
                student_id=3,
                syear=SYEAR,
                school_id=1,
                course_id=7,
                course_period_id=8,
                start_date=d(5),
            )
        )


def _latest(engine) -> int:
    """The newest snapshot's number (Postgres' ids go on from earlier tests)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT MAX(snapshot_id) FROM master_schedule_snapshots")
        ).scalar()


def _run(engine, **params):
    return run_in_transaction(engine, MasterScheduleSnapshots(), SnapshotParams(**params))


def test_restore_gives_back_the_snapshot_byte_for_byte(db):
    _district(db)
    taken = _run(db)
    sid = _latest(db)
    assert taken.summary == (
        f"Took snapshot {sid} of the master schedule of 2026: 2 course(s), 4 section(s), "
        "4 student schedule record(s)."
    )
    assert taken.counts == {"taken": 1, "courses": 2, "course_periods": 4, "schedule": 4}
    original = _dump(db)
    _mutate(db)
    assert _dump(db) != original
    result = _run(db, action="restore", snapshot_id=sid)
    assert result.success, result.text
    restored = _dump(db)
    # Last year is outside the snapshot: its retitled course stays retitled.
    old_course = [r for r in restored["courses"] if r[0] == 3]
    assert "Old Math" in old_course[0]
    expected = {
        **original,
        "courses": [old_course[0] if r[0] == 3 else r for r in original["courses"]],
    }
    assert restored == expected
    assert result.counts == {"changed": 12, "added": 4, "updated": 3, "removed": 5}
    assert result.summary == (
        f"Restored snapshot {sid} (2026, all schools): added 1 courses, 1 course_periods, "
        "2 schedule; updated 1 courses, 1 course_periods, 1 schedule; removed 2 courses, "
        "2 course_periods, 1 schedule."
    )
    assert "  courses 9: removed" in result.text
    assert "  schedule 104: added" in result.text
    assert "  course_periods 2: updated" in result.text


def test_second_restore_and_second_take_change_nothing(db):
    _district(db)
    _run(db)
    sid = _latest(db)
    _mutate(db)
    _run(db, action="restore", snapshot_id=sid)
    after = _dump(db)
    again = _run(db, action="restore", snapshot_id=sid)
    assert again.counts["changed"] == 0
    assert again.summary == (
        f"The master schedule of 2026 (all schools) already matches snapshot {sid}; nothing "
        "changed."
    )
    assert _dump(db) == after
    take = _run(db)
    assert take.counts["taken"] == 0
    assert take.summary == (
        f"The master schedule of 2026 is unchanged since snapshot {sid}; no new snapshot was taken."
    )


def test_a_change_makes_a_new_snapshot_and_schools_have_their_own(db):
    _district(db)
    _run(db)
    sid = _latest(db)
    with db.begin() as conn:
        conn.execute(sa.update(schedule).where(schedule.c.id == 103).values(end_date=d(12)))
    second = _run(db)
    assert second.summary.startswith(f"Took snapshot {sid + 1} of the master schedule of 2026:")
    school = _run(db, schools=[2])
    assert school.summary == (
        f"Took snapshot {sid + 2} of the master schedule of 2026, schools 2: 1 course(s), "
        "1 section(s), 1 student schedule record(s)."
    )
    listing = _run(db, action="list", max_listed=2)
    assert listing.summary == "3 master schedule snapshot(s) stored."
    assert f"  snapshot {sid + 2}: 2026, schools 2, taken" in listing.text
    assert "by job test-job: 1 course(s), 1 section(s), 1 student schedule record(s)" in (
        listing.text
    )
    assert f"snapshot {sid}:" not in listing.text
    assert "... and 1 more (listing capped at 2)." in listing.text


def test_restoring_one_school_leaves_the_other(db):
    _district(db)
    _run(db, schools=[1])
    sid = _latest(db)
    original = _dump(db)
    with db.begin() as conn:
        conn.execute(sa.update(course_periods).values(room="B2"))  # every section, both schools
    result = _run(db, action="restore", snapshot_id=sid)
    assert result.counts["updated"] == 3  # sections 1-3 of school 1
    rooms = {r[0]: r for r in _dump(db)["course_periods"]}
    assert [rooms[i] for i in (1, 2, 3)] == [r for r in original["course_periods"] if r[0] < 4]
    with db.connect() as conn:
        left = conn.execute(
            sa.select(course_periods.c.course_period_id, course_periods.c.room).where(
                course_periods.c.course_period_id.in_([4, 5])
            )
        ).all()
    assert sorted(left) == [(4, "B2"), (5, "B2")]


def test_restore_refused_when_it_would_break_records(db):
    _district(db)
    _run(db)
    _mutate(db)
    with db.begin() as conn:
        conn.execute(
            sa.insert(schedule_requests).values(student_id=3, syear=SYEAR, school_id=1, course_id=7)
        )
        conn.execute(sa.delete(staff).where(staff.c.staff_id == 2))  # section 2's teacher
    before = _dump(db)
    result = _run(db, action="restore", snapshot_id=_latest(db))
    assert not result.success
    assert result.summary == (
        f"restore of snapshot {_latest(db)} refused: 2 record(s) would break; nothing was restored."
    )
    assert (
        "courses 7: not in the snapshot, but 1 schedule_requests record(s) still name it in "
        "course_id; remove them first" in result.text
    )
    assert (
        "course_periods 2 of the snapshot names staff 2 in teacher_id, which no longer exists"
        in result.text
    )
    assert _dump(db) == before


def test_restore_with_nothing_listed_is_still_refused_and_counts_every_record(db):
    """max_listed=0 lists no line but the check is uncapped: two requests naming course 7,
    one naming course 9 and section 2's deleted teacher make 4 broken records on 3 lines."""
    _district(db)
    _run(db)
    _mutate(db)
    with db.begin() as conn:
        conn.execute(
            sa.insert(schedule_requests),
            [
                dict(student_id=3, syear=SYEAR, school_id=1, course_id=7),
                dict(student_id=4, syear=SYEAR, school_id=1, course_id=7),
                dict(student_id=3, syear=SYEAR, school_id=2, course_id=9),
            ],
        )
        conn.execute(sa.delete(staff).where(staff.c.staff_id == 2))
    before = _dump(db)
    result = _run(db, action="restore", snapshot_id=_latest(db), max_listed=0)
    assert not result.success
    assert result.summary == (
        f"restore of snapshot {_latest(db)} refused: 4 record(s) would break; nothing was restored."
    )
    assert result.counts == {"problems": 4}
    assert result.text.splitlines()[1:] == ["  ... and 3 more (listing capped at 0)."]
    assert _dump(db) == before
    one = _run(db, action="restore", snapshot_id=_latest(db), max_listed=1)
    assert one.summary == result.summary
    assert one.text.splitlines()[1:] == [
        "  courses 7: not in the snapshot, but 2 schedule_requests record(s) still name it in "
        "course_id; remove them first",
        "  ... and 2 more (listing capped at 1).",
    ]
    assert _dump(db) == before


def test_bad_restore_input_is_reported(db):
    _district(db)
    no_id = _run(db, action="restore")
    assert not no_id.success
    assert no_id.summary.startswith("restore: no snapshot number given")
    unknown = _run(db, action="restore", snapshot_id=999_999)
    assert unknown.summary == (
        "restore: snapshot 999999 does not exist; run the list action for the stored numbers. "
        "Nothing was restored."
    )
    bad_year = _run(db, syear=1999)
    assert bad_year.summary.startswith("school year 1999: no such school year")
    empty = _run(db, action="list")
    assert empty.summary == "No master schedule snapshot is stored yet."


def test_a_failure_midway_leaves_the_schedule_as_it_was(db, monkeypatch):
    _district(db)
    _run(db)
    _mutate(db)
    before = _dump(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_restore_report", broken_report)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db, action="restore", snapshot_id=_latest(db))
    assert _dump(db) == before
