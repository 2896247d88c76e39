"""Sync Recent Course Period Changes on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest
import sqlalchemy as sa

import job_library.output
from job_library.jobs.scheduling.sync_recent_course_period_changes import (
    SyncRecentCoursePeriodChanges,
    SyncRecentCoursePeriodChangesParams,
)
from job_library.schemas.scheduling import (
    course_periods,
    gradebook_group_sections,
    gradebook_period_groups,
)
from tests.job_library.district import SYEAR, load, load_sections
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 12, 6, 0, tzinfo=dt.UTC)
G1, G2, G3 = 1, 2, 3
BEFORE = {1: G1, 8: G1, 9: G1, 2: G2, 4: G3}
AFTER = {1: G1, 6: G1, 11: G1, 9: G2, 2: G2, 4: G3}


def _at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.UTC)


def _district(engine) -> None:
    """On top of ``load_sections`` (1: school 1 P1 Smith; 2: P2 Jones; 3: no teacher; 4:
    school 2 Smith; 5: last year's): combined gradebooks G1 (school 1, Smith, period 11), G2
    (school 1, Jones, 12), G3 (school 2, Smith, 21). New sections: 6 Smith P1 and 7 Jones P1
    (no gradebook for it), 8 now Smith P2 and 9 now Jones P2 (both still in G1), 10 Smith P1
    imported three days ago, 11 Smith P1 imported exactly one day before the run."""
    load(engine)
    load_sections(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(course_periods),
            [
                dict(
                    course_period_id=i,
                    course_id=1,
                    school_id=1,
                    syear=SYEAR,
                    period_id=p,
                    teacher_id=t,
                    short_name=f"{i:02d}",
                    title=f"Section {i}",
                )
                for i, p, t in (
                    (6, 11, 1),
                    (7, 11, 2),
                    (8, 12, 1),
                    (9, 12, 2),
                    (10, 11, 1),
                    (11, 11, 1),
                )
            ],
        )
        imported = {
            1: _at(11, 22),
            3: _at(12, 1),
            5: _at(12, 2),
            6: _at(12, 2),
            7: _at(12, 2),
            8: _at(12, 2),
            9: _at(12, 2),
            10: _at(9, 8),
            11: _at(11, 6),
        }
        for section, at in imported.items():
            conn.execute(
                sa.update(course_periods)
                .where(course_periods.c.course_period_id == section)
                .values(imported_at=at)
            )
        conn.execute(
            sa.insert(gradebook_period_groups),
            [
                dict(group_id=G1, syear=SYEAR, school_id=1, teacher_id=1, period_id=11),
                dict(group_id=G2, syear=SYEAR, school_id=1, teacher_id=2, period_id=12),
                dict(group_id=G3, syear=SYEAR, school_id=2, teacher_id=1, period_id=21),
            ],
        )
        conn.execute(
            sa.insert(gradebook_group_sections),
            [dict(course_period_id=s, group_id=g) for s, g in BEFORE.items()],
        )


def _members(engine) -> dict[int, int]:
    m = gradebook_group_sections
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(m.c.course_period_id, m.c.group_id)).all())


def _run(engine, now=NOW, **params):
    return run_in_transaction(
        engine,
        SyncRecentCoursePeriodChanges(),
        SyncRecentCoursePeriodChangesParams(**params),
        now=now,
    )


def test_recent_sections_join_move_or_leave_combined_gradebooks(db):
    _district(db)
    result = _run(db)
    assert _members(db) == AFTER
    assert result.success
    assert dict(result.counts) == {
        "checked": 7,
        "synced": 4,
        "added": 3,
        "removed": 2,
        "no_teacher": 1,
    }
    assert result.summary == (
        "Synced 4 of 7 recently imported section(s) with the combined gradebooks (school "
        "year 2026, imported since 2026-11-11 06:00 UTC): 3 added, 2 taken out. 1 section(s) "
        "have no teacher (listed)."
    )
    assert result.text.splitlines()[1:] == [
        "  section 6: added to the combined gradebook (gradebook - -> 1)",
        "  section 8: taken out of a combined gradebook it no longer matches (gradebook 1 -> -)",
        "  section 9: moved to the combined gradebook it now matches (gradebook 1 -> 2)",
        "  section 11: added to the combined gradebook (gradebook - -> 1)",
        "  skipped: section 3: no teacher, so no combined gradebook can match; give the section "
        "a teacher in the import.",
    ]


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert _members(db) == AFTER
    assert again.counts["synced"] == 0 and again.counts["checked"] == 7
    assert "nothing changed" in again.summary


def test_the_look_back_boundary(db):
    _district(db)
    # One second later section 11 (imported at the boundary) is no longer recent.
    _run(db, now=NOW + dt.timedelta(seconds=1))
    assert 11 not in _members(db)
    # Three days back takes in section 10 too.
    wide = _run(db, days=3)
    assert _members(db) == {**AFTER, 10: G1}
    assert wide.counts["added"] == 2  # 10 and 11
    with pytest.raises(pydantic.ValidationError, match="greater than or equal to 1"):
        SyncRecentCoursePeriodChangesParams(days=0)


def test_a_failure_midway_changes_nothing(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("output store unavailable")

    monkeypatch.setattr(job_library.output, "listed_result", broken)
    with pytest.raises(RuntimeError, match="output store unavailable"):
        _run(db)
    assert _members(db) == BEFORE


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert "... and 3 more (listing capped at 1)." in result.text
    assert _members(db) == AFTER


def test_sections_without_a_teacher_are_counted_past_the_cap(db):
    """Section 3 has no teacher: with nothing listed it is still counted and named as left out."""
    _district(db)
    result = _run(db, max_listed=0)
    assert result.counts["no_teacher"] == 1
    assert "1 section(s) have no teacher (listed)." in result.summary
    assert "skipped: section 3" not in result.text
    assert "  ... and 1 more section(s) without a teacher (listing capped at 0)." in result.text
    assert _members(db) == AFTER
