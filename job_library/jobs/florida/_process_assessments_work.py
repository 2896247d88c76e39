"""The work of Process Assessments and Create Process Assessments: the FSA ELA graduation
requirement of students of chosen cohorts, and the EOC course assessment status of schedule
records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from job_library.base import JobResult
from job_library.output import listed_result
from job_library.sis_sql import (
    analyze,
    bind_lists,
    differs_sql,
    in_list,
    numeric_sql,
    resolve_year_and_schools,
    scratch_table,
)
from job_library.student_fields import StudentFieldError, StudentFields

# Student Fields the FSA ELA process reads and writes (aliases).
COHORT = "graduation_cohort"
ESOL_PATHWAY = "esol_graduation_pathway"  # date the ESOL graduation pathway was granted
ESE_WAIVER = "ese_test_waiver"  # date the ESE test waiver was granted
ELA_STATUS = "fsa_ela_graduation"  # Y met by a score, W waiver, P pathway, N not met
ELA_MET_BY = "fsa_ela_graduation_met_by"  # which test, score and date met it

_FIELD_VALUE = """(SELECT v.value FROM custom_field_values v JOIN custom_fields f
                    ON f.field_id = v.field_id
                   WHERE LOWER(f.alias) = '{alias}' AND v.record_id = {student})"""

# Students enrolled (primary enrollment) in the year at the schools, of the chosen cohorts.
_ELA_STUDENTS = """
INSERT INTO {temp} (student_id, current, current_met_by, esol_date, ese_date)
SELECT DISTINCT e.student_id, {status}, {met_by}, {esol}, {ese}
FROM student_enrollment e
WHERE e.syear = :syear AND e.second_school = FALSE
  {school_filter}
  AND {cohort_filter}
"""

# Each student's first passing ELA graduation test (by date), up to the run day.
_ELA_PASSED = """
UPDATE {temp} SET met_by = (
    SELECT x.description FROM (
        SELECT st.student_id AS student_id,
               t.short_name || ' ' || p.short_name || ' ' || sc.score || ' on '
                   || CAST(st.test_date AS VARCHAR(10)) AS description,
               ROW_NUMBER() OVER (PARTITION BY st.student_id
                                  ORDER BY st.test_date, st.student_test_id, p.part_id) AS rn
        FROM student_tests st
        JOIN standardized_tests t ON t.test_id = st.test_id
        JOIN student_test_scores sc ON sc.student_test_id = st.student_test_id
        JOIN test_score_types ty ON ty.score_type_id = sc.score_type_id AND ty.short_name = 'SS'
        JOIN test_parts p ON p.part_id = sc.part_id
        WHERE p.graduation_requirement = 'ELA' AND p.passing_score IS NOT NULL
          AND st.test_date <= :today AND {numeric}
          AND CAST(sc.score AS INTEGER) >= p.passing_score
          AND st.student_id IN (SELECT student_id FROM {temp})
    ) x WHERE x.student_id = {temp}.student_id AND x.rn = 1)
"""

# The new status: a passing score, else a waiver or pathway granted by the effective date,
# else what an earlier run or a person recorded (Y, W, P are never taken back), else N.
_ELA_STATUS = """
UPDATE {temp} SET
  status = CASE
      WHEN met_by IS NOT NULL THEN 'Y'
      WHEN :effective IS NOT NULL AND ese_date IS NOT NULL AND ese_date <= :effective THEN 'W'
      WHEN :effective IS NOT NULL AND esol_date IS NOT NULL AND esol_date <= :effective THEN 'P'
      WHEN current IN ('Y', 'W', 'P') THEN current
      ELSE 'N' END,
  met_by = CASE WHEN met_by IS NOT NULL THEN met_by
                WHEN current = 'Y' THEN current_met_by END
"""

# EOC: schedule records of the year in courses leading to the exam; the best score of the
# exam in the administration range decides P or F; a P is never taken back.
_EOC = """
INSERT INTO {temp} (schedule_id, student_id, current, best, passing)
SELECT sc.id, sc.student_id, sc.eoc_assessment_status, b.best, b.passing
FROM schedule sc
JOIN courses c ON c.course_id = sc.course_id
LEFT JOIN (
    SELECT st.student_id AS student_id, UPPER(t.short_name) AS exam,
           MAX(CAST(s.score AS INTEGER)) AS best, MIN(p.passing_score) AS passing
    FROM student_tests st
    JOIN standardized_tests t ON t.test_id = st.test_id
    JOIN student_test_scores s ON s.student_test_id = st.student_test_id
    JOIN test_score_types ty ON ty.score_type_id = s.score_type_id AND ty.short_name = 'SS'
    JOIN test_parts p ON p.part_id = s.part_id AND p.passing_score IS NOT NULL
    WHERE st.test_date >= :start AND st.test_date <= :end AND {numeric}
    GROUP BY st.student_id, UPPER(t.short_name)
) b ON b.student_id = sc.student_id AND b.exam = UPPER(c.eoc_exam)
WHERE sc.syear = :syear AND c.eoc_exam IS NOT NULL AND UPPER(c.eoc_exam) IN :exams
  {school_filter}
"""

# Scale scores a process would read that are not whole numbers: never compared, so listed
# (capped in SQL) and counted instead of silently left out.
_BAD_SCORES = """
FROM student_tests st
JOIN standardized_tests t ON t.test_id = st.test_id
JOIN student_test_scores sc ON sc.student_test_id = st.student_test_id
JOIN test_score_types ty ON ty.score_type_id = sc.score_type_id AND ty.short_name = 'SS'
JOIN test_parts p ON p.part_id = sc.part_id AND p.passing_score IS NOT NULL
WHERE sc.score IS NOT NULL AND NOT {numeric} AND {which}
"""


@dataclass(frozen=True)
class Processed:
    """What a run changed: students' ELA status and records' EOC status, with listings."""

    ela_students: int
    ela_changed: int
    eoc_records: int
    eoc_changed: int
    ela_listed: list[tuple]
    eoc_listed: list[tuple]
    bad_total: int = 0
    bad_listed: tuple[tuple, ...] = ()


def run_process(
    conn: sa.Connection,
    fields: StudentFields,
    *,
    title: str,
    syear: int | None,
    schools: Sequence[int],
    today: dt.date,
    cohorts: Sequence[str] | None,
    exams: Sequence[str] | None,
    eoc_start: dt.date | None,
    eoc_end: dt.date | None,
    effective: dt.date | None,
    counts_only: bool,
    cap: int,
) -> JobResult:
    """Run the FSA ELA process for ``cohorts`` (None: skipped; empty: every cohort) and the EOC
    process for ``exams`` (None: skipped; empty: every exam a course of the year leads to)."""
    resolved = resolve_year_and_schools(conn, syear, schools)
    if isinstance(resolved, str):
        return JobResult.message(False, resolved + " No student was updated.")
    year, school_ids = resolved
    if cohorts is not None:
        for alias in (ELA_STATUS, ELA_MET_BY):
            try:
                fields.field(alias)
            except StudentFieldError as exc:
                return JobResult.message(
                    False, f"{exc} (the FSA ELA process writes it). No student was updated."
                )
    if exams is not None and not exams:
        exams = sorted(
            e.upper()
            for e in conn.execute(
                sa.text(
                    "SELECT DISTINCT eoc_exam FROM courses WHERE syear = :y "
                    "AND eoc_exam IS NOT NULL"
                ),
                {"y": year},
            ).scalars()
        )
    cap = 0 if counts_only else cap
    ela = _fsa_ela(conn, fields, year, school_ids, today, cohorts, effective, cap)
    eoc = (
        _eoc(conn, year, school_ids, exams, eoc_start, eoc_end, cap) if exams else (0, 0, [], 0, [])
    )
    bad = [*ela[4], *eoc[4]][:cap]
    done = Processed(ela[0], ela[1], eoc[0], eoc[1], ela[2], eoc[2], ela[3] + eoc[3], tuple(bad))
    return _report(
        title, done, year, cohorts, exams, eoc_start, eoc_end, effective, counts_only, cap
    )


def _fsa_ela(conn, fields, syear, school_ids, today, cohorts, effective, cap):
    if cohorts is None:
        return 0, 0, [], 0, []
    temp = scratch_table(
        conn,
        "tmp_pa_ela",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("current", sa.Text),
            sa.Column("current_met_by", sa.Text),
            sa.Column("esol_date", sa.Text),
            sa.Column("ese_date", sa.Text),
            sa.Column("status", sa.Text),
            sa.Column("met_by", sa.Text),
        ],
    )

    def value(alias: str) -> str:
        return _FIELD_VALUE.format(alias=alias, student="e.student_id")

    every = not cohorts
    sql = _ELA_STUDENTS.format(
        temp=temp.name,
        status=value(ELA_STATUS),
        met_by=value(ELA_MET_BY),
        esol=value(ESOL_PATHWAY),
        ese=value(ESE_WAIVER),
        cohort_filter=(
            f"{value(COHORT)} IS NOT NULL" if every else f"TRIM({value(COHORT)}) IN :cohorts"
        ),
        school_filter=in_list("e.school_id", "school_ids", school_ids),
    )
    clause = bind_lists(sa.text(sql), school_ids=school_ids, cohorts=None if every else cohorts)
    conn.execute(clause, {"syear": syear})
    analyze(conn, temp)
    conn.execute(
        sa.text(
            _ELA_PASSED.format(temp=temp.name, numeric=numeric_sql(conn, "sc.score"))
        ).bindparams(sa.bindparam("today", type_=sa.Date)),
        {"today": today},
    )
    conn.execute(
        sa.text(_ELA_STATUS.format(temp=temp.name)).bindparams(
            sa.bindparam("effective", type_=sa.String)
        ),
        {"effective": effective.isoformat() if effective else None},
    )
    students = conn.execute(sa.select(sa.func.count()).select_from(temp)).scalar_one()
    differs = " OR ".join(
        (
            differs_sql(conn, "x.status", "x.current"),
            differs_sql(conn, "x.met_by", "x.current_met_by"),
        )
    )
    listed = (
        [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT x.student_id, st.last_name, st.first_name, x.current, x.status, "
                    f"x.met_by FROM {temp.name} x JOIN students st ON st.student_id = x.student_id "
                    f"WHERE {differs} ORDER BY x.student_id LIMIT {int(cap)}"
                )
            )
        ]
        if cap
        else []
    )
    changed = conn.execute(
        sa.text(f"SELECT COUNT(*) FROM {temp.name} x WHERE {differs}")
    ).scalar_one()
    bad_total, bad = _bad_scores(
        conn,
        "FSA ELA",
        "p.graduation_requirement = 'ELA' AND st.test_date <= :today "
        f"AND st.student_id IN (SELECT student_id FROM {temp.name})",
        {"today": today},
        cap,
    )
    fields.write_from(ELA_STATUS, sa.select(temp.c.student_id, temp.c.status))
    fields.write_from(ELA_MET_BY, sa.select(temp.c.student_id, temp.c.met_by))
    temp.drop(conn)
    return students, changed, listed, bad_total, bad


def _bad_scores(conn, process: str, which: str, binds: dict, cap: int):
    """How many in-scope scale scores are not whole numbers, and the first ``cap`` of them as
    (process, student, test, part, date, score)."""
    body = _BAD_SCORES.format(numeric=numeric_sql(conn, "sc.score"), which=which)
    dates = [sa.bindparam(k, type_=sa.Date) for k in binds if k != "exams"]

    def query(sql: str):
        clause = sa.text(sql).bindparams(*dates)
        if "exams" in binds:
            clause = clause.bindparams(sa.bindparam("exams", expanding=True))
        return conn.execute(clause, binds)

    total = query(f"SELECT COUNT(*) {body}").scalar_one()
    rows = []
    if total and cap:
        rows = [
            (process, *r)
            for r in query(
                "SELECT st.student_id, t.short_name, p.short_name, st.test_date, sc.score "
                f"{body} ORDER BY st.student_id, st.test_date, st.student_test_id, p.part_id "
                f"LIMIT {int(cap)}"
            )
        ]
    return total, rows


def _eoc(conn, syear, school_ids, exams, start, end, cap):
    temp = scratch_table(
        conn,
        "tmp_pa_eoc",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("current", sa.String(1)),
            sa.Column("best", sa.Integer),
            sa.Column("passing", sa.Integer),
            sa.Column("status", sa.String(1)),
        ],
    )
    sql = _EOC.format(
        temp=temp.name,
        numeric=numeric_sql(conn, "s.score"),
        school_filter=in_list("sc.school_id", "school_ids", school_ids),
    )
    clause = sa.text(sql).bindparams(
        sa.bindparam("start", type_=sa.Date), sa.bindparam("end", type_=sa.Date)
    )
    conn.execute(
        bind_lists(clause, school_ids=school_ids, exams=[e.upper() for e in exams]),
        {"syear": syear, "start": start, "end": end},
    )
    conn.execute(
        sa.text(
            f"UPDATE {temp.name} SET status = CASE WHEN current = 'P' THEN 'P' "
            "WHEN best IS NOT NULL AND best >= passing THEN 'P' "
            "WHEN best IS NOT NULL THEN 'F' ELSE current END"
        )
    )
    records = conn.execute(sa.select(sa.func.count()).select_from(temp)).scalar_one()
    differs = differs_sql(conn, "x.status", "x.current")
    listed = (
        [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT x.student_id, st.last_name, st.first_name, x.schedule_id, "
                    "c.eoc_exam, x.current, x.status, x.best FROM "
                    f"{temp.name} x JOIN students st ON st.student_id = x.student_id "
                    "JOIN schedule sc ON sc.id = x.schedule_id "
                    "JOIN courses c ON c.course_id = sc.course_id "
                    f"WHERE {differs} ORDER BY x.student_id, x.schedule_id LIMIT {int(cap)}"
                )
            )
        ]
        if cap
        else []
    )
    changed = conn.execute(
        sa.text(
            "UPDATE schedule SET eoc_assessment_status = (SELECT x.status FROM "
            f"{temp.name} x WHERE x.schedule_id = schedule.id) WHERE id IN "
            f"(SELECT x.schedule_id FROM {temp.name} x WHERE {differs})"
        )
    ).rowcount
    bad_total, bad = _bad_scores(
        conn,
        "EOC",
        "UPPER(t.short_name) IN :exams AND st.test_date >= :start AND st.test_date <= :end "
        f"AND st.student_id IN (SELECT student_id FROM {temp.name})",
        {"start": start, "end": end, "exams": [e.upper() for e in exams]},
        cap,
    )
    temp.drop(conn)
    return records, changed, listed, bad_total, bad


def _report(title, done, syear, cohorts, exams, start, end, effective, counts_only, cap):
    parts = []
    if cohorts is not None:
        which = ", ".join(cohorts) if cohorts else "every cohort"
        waiver = f", waivers and pathways granted by {effective}" if effective else ""
        parts.append(
            f"FSA ELA ({which}{waiver}): {done.ela_changed} of {done.ela_students} student(s) "
            "updated"
        )
    if exams is not None:
        parts.append(
            f"EOC ({', '.join(exams) or 'no exam'}, administered {start} to {end}): "
            f"{done.eoc_changed} of {done.eoc_records} record(s) updated"
        )
    summary = f"{title}, school year {syear}: " + "; ".join(parts) + "."
    lines = [summary]
    if counts_only:
        lines.append("  Student listings are off (process_assessments_counts_only).")
    rows = []
    for student, last, first, old, new, met_by in done.ela_listed:
        name = f"{last}, {first}"
        rows.append((student, name, "FSA ELA", old, new, met_by))
        lines.append(
            f"  student {student} ({name}): FSA ELA graduation {old or 'empty'} -> {new}"
            + (f" (met by {met_by})" if met_by else "")
        )
    for student, last, first, record, exam, old, new, best in done.eoc_listed:
        name = f"{last}, {first}"
        rows.append((student, name, f"EOC {exam} (record {record})", old, new, best))
        lines.append(
            f"  student {student} ({name}), record {record}: EOC {exam} status "
            f"{old or 'empty'} -> {new} (best score {best})"
        )
    for process, student, test, part, day, score in done.bad_listed:
        lines.append(
            f"  skipped: student {student} {process} {test} {part} on {day}: scale score "
            f"{score!r} is not a whole number, so it was not compared with the passing score"
        )
    if done.bad_total > len(done.bad_listed) and not counts_only:
        lines.append(f"  ... and {done.bad_total - len(done.bad_listed)} more skipped score(s).")
    total = done.ela_changed + done.eoc_changed
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "Process", "Was", "Now", "Score"),
        rows,
        total=0 if counts_only else total,
        cap=cap,
        counts={
            "ela_students": done.ela_students,
            "ela_updated": done.ela_changed,
            "eoc_records": done.eoc_records,
            "eoc_updated": done.eoc_changed,
            "bad_scores": done.bad_total,
        },
    )
