"""The work of District Assessment Dynamic Scheduling: each dynamic assessment's student
listing follows its classes' schedules, and Text to Speech follows the accommodations field."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobResult
from job_library.output import listed_result
from job_library.sis_sql import scratch_table

# The State/District Computer Based Test Accommodations student field (Focus custom_200000222),
# found by its alias (field numbers differ between districts), and the accommodation that
# selects Use Text to Speech. The field holds the checked accommodations separated by "||".
ACCOMMODATIONS_ALIAS = "cbt_accommodations"
TEXT_TO_SPEECH = "Computer Based Text-to-Speech"

# Dynamic assessments of the year still open on the run day.
_OPEN = """a.dynamic = TRUE AND a.syear = :syear
  AND (a.end_date IS NULL OR a.end_date >= :today)"""

# Who should be listed: students scheduled in a selected class on the run day.
_WANTED = """
INSERT INTO {temp} (assessment_id, student_id)
SELECT DISTINCT s.assessment_id, sc.student_id
FROM district_assessments a
JOIN district_assessment_sections s ON s.assessment_id = a.assessment_id
JOIN schedule sc ON sc.course_period_id = s.course_period_id
WHERE {open}
  AND sc.start_date <= :today AND (sc.end_date IS NULL OR sc.end_date >= :today)
"""

_TTS = f"""EXISTS (SELECT 1 FROM custom_field_values v
   JOIN custom_fields f ON f.field_id = v.field_id AND f.record_table = 'students'
   WHERE LOWER(f.alias) = '{ACCOMMODATIONS_ALIAS}' AND v.record_id = d.student_id
     AND '||' || v.value || '||' LIKE '%||{TEXT_TO_SPEECH}||%')"""


def schedule_students(conn: sa.Connection, syear: int, today: dt.date, cap: int) -> JobResult:
    binds = {"syear": syear, "today": today}
    day = sa.bindparam("today", type_=sa.Date)
    wanted = scratch_table(
        conn,
        "tmp_das_wanted",
        [
            sa.Column("assessment_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, primary_key=True),
        ],
    )
    conn.execute(sa.text(_WANTED.format(temp=wanted.name, open=_OPEN)).bindparams(day), binds)
    w = wanted.name
    assessments = conn.execute(
        sa.text(f"SELECT COUNT(*) FROM district_assessments a WHERE {_OPEN}").bindparams(day),
        binds,
    ).scalar_one()
    # Added: wanted and not listed. Removed: listed by this job, no longer wanted, no result.
    room = [cap]  # listing places left: added first, then removed, then Text to Speech
    added_count, added = _count_and_list(
        conn,
        f"FROM {w} w WHERE NOT EXISTS ("
        "SELECT 1 FROM district_assessment_students d WHERE d.assessment_id = "
        "w.assessment_id AND d.student_id = w.student_id)",
        "w",
        {},
        room,
    )
    gone_sql = (
        "FROM district_assessment_students d JOIN district_assessments a "
        "ON a.assessment_id = d.assessment_id "
        f"WHERE {_OPEN} AND d.added_by = 'dynamic' "
        f"AND NOT EXISTS (SELECT 1 FROM {w} w WHERE w.assessment_id = d.assessment_id "
        "AND w.student_id = d.student_id) "
        "AND NOT EXISTS (SELECT 1 FROM district_assessment_results r "
        "WHERE r.assessment_id = d.assessment_id AND r.student_id = d.student_id)"
    )
    gone = scratch_table(
        conn,
        "tmp_das_gone",
        [
            sa.Column("assessment_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, primary_key=True),
        ],
    )
    conn.execute(
        sa.text(
            f"INSERT INTO {gone.name} (assessment_id, student_id) "
            f"SELECT d.assessment_id, d.student_id {gone_sql}"
        ).bindparams(day),
        binds,
    )
    removed_count, removed = _count_and_list(conn, f"FROM {gone.name} g", "g", {}, room)
    conn.execute(
        sa.text(
            "INSERT INTO district_assessment_students (assessment_id, student_id, "
            "use_text_to_speech, added_by) "
            f"SELECT w.assessment_id, w.student_id, FALSE, 'dynamic' FROM {w} w "
            "WHERE NOT EXISTS (SELECT 1 FROM district_assessment_students d "
            "WHERE d.assessment_id = w.assessment_id AND d.student_id = w.student_id)"
        )
    )
    conn.execute(
        sa.text(
            "DELETE FROM district_assessment_students WHERE EXISTS (SELECT 1 FROM "
            f"{gone.name} g WHERE g.assessment_id = district_assessment_students.assessment_id "
            "AND g.student_id = district_assessment_students.student_id)"
        )
    )
    tts_where = (
        "d.use_text_to_speech = FALSE AND "
        f"{_TTS} AND d.assessment_id IN (SELECT a.assessment_id FROM district_assessments a "
        f"WHERE {_OPEN})"
    )
    tts_count, tts = _count_and_list(
        conn, f"FROM district_assessment_students d WHERE {tts_where}", "d", binds, room
    )
    if tts_count:
        conn.execute(
            sa.text(
                "UPDATE district_assessment_students SET use_text_to_speech = TRUE WHERE "
                "EXISTS (SELECT 1 FROM district_assessment_students d WHERE "
                "d.assessment_id = district_assessment_students.assessment_id AND "
                f"d.student_id = district_assessment_students.student_id AND {tts_where})"
            ).bindparams(day),
            binds,
        )
    wanted.drop(conn)
    gone.drop(conn)
    summary = (
        f"Updated the student listings of {assessments} dynamic assessment(s) of school year "
        f"{syear}: {added_count} student(s) added, {removed_count} removed, Use Text to "
        f"Speech selected for {tts_count}."
    )
    changes = (
        [(a, s, "added") for a, s in added]
        + [(a, s, "removed") for a, s in removed]
        + [(a, s, "Use Text to Speech selected") for a, s in tts]
    )
    lines = [summary] + [f"  assessment {a}, student {s}: {what}" for a, s, what in changes]
    return listed_result(
        summary,
        lines,
        ("Assessment", "Student", "Change"),
        changes,
        total=added_count + removed_count + tts_count,
        cap=cap,
        counts={
            "assessments": assessments,
            "added": added_count,
            "removed": removed_count,
            "text_to_speech": tts_count,
        },
    )


def _count_and_list(conn, body: str, alias: str, binds: dict, room: list[int]):
    """How many (assessment, student) pairs ``body`` (a FROM ... WHERE) selects, and the first
    of them up to the listing places left in ``room`` (which it uses up), limited in SQL."""
    day = [sa.bindparam("today", type_=sa.Date)] if "today" in binds else []
    count = conn.execute(sa.text(f"SELECT COUNT(*) {body}").bindparams(*day), binds).scalar_one()
    take = min(room[0], count)
    rows = []
    if take:
        rows = conn.execute(
            sa.text(
                f"SELECT {alias}.assessment_id, {alias}.student_id {body} "
                f"ORDER BY {alias}.assessment_id, {alias}.student_id LIMIT {int(take)}"
            ).bindparams(*day),
            binds,
        ).all()
    room[0] -= len(rows)
    return count, rows
