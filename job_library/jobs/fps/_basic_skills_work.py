"""The work of Basic Skills Assessment: each FPS schedule record's Basic Skills Exam value
from the student's TABE or CASAS scores against the program's minimums."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from job_library.base import JobResult
from job_library.output import listed_result
from job_library.preferences import Preferences
from job_library.sis_sql import (
    analyze,
    bind_lists,
    differs_sql,
    in_list,
    numeric_sql,
    resolve_year_and_schools,
    scratch_table,
)

# Values a run never replaces: the exemptions and a met exam.
KEPT = ("W", "Y", "A", "B", "C", "D", "F", "H")
CJE = "CJE"  # the standardized test whose record gives exemption H
TEST_FIELD = "basic_skills_test"  # Student Field: TABE (the default), CASAS or CASAS GOALS
_KEPT_SQL = ", ".join(f"'{v}'" for v in KEPT)

# Which family a test belongs to: CASAS (CAG, CAS, CLW, and the CASAS Levels (CL) and CASAS
# Goals Form (CF) test types) or TABE (TAB...).
_FAMILY = """CASE
    WHEN UPPER(t.short_name) IN ('CL', 'CF')
      OR SUBSTR(UPPER(t.short_name), 1, 3) IN ('CAG', 'CAS', 'CLW') THEN 'CASAS'
    WHEN SUBSTR(UPPER(t.short_name), 1, 3) = 'TAB' THEN 'TABE' END"""

# Active and future schedule records of the year in a program with minimums, with the
# student's test choice ('?' for a value the field may not hold) and the school's subject.
_RECORDS = """
INSERT INTO {temp} (schedule_id, student_id, school_id, program_number, current, family, choice)
SELECT sc.id, sc.student_id, sc.school_id, c.program_number, sc.basic_skills_exam,
       CASE WHEN v.value IS NULL OR UPPER(TRIM(v.value)) = 'TABE' THEN 'TABE'
            WHEN UPPER(TRIM(v.value)) IN ('CASAS', 'CASAS GOALS') THEN 'CASAS'
            ELSE '?' END,
       COALESCE(ch.choice, :default_choice)
FROM schedule sc
JOIN courses c ON c.course_id = sc.course_id
LEFT JOIN custom_fields f ON LOWER(f.alias) = :field AND f.record_table = 'students'
LEFT JOIN custom_field_values v ON v.field_id = f.field_id AND v.record_id = sc.student_id
LEFT JOIN {choices} ch ON ch.school_id = sc.school_id
WHERE sc.syear = :syear
  AND (sc.end_date IS NULL OR sc.end_date >= :today)
  AND EXISTS (SELECT 1 FROM fps_basic_skills_minimums m
              WHERE m.program_number = c.program_number)
  {school_filter}
"""

# Every score of the two families up to today: (student, family, subject, SS or LEVEL, text).
_SCORES = """
SELECT st.student_id AS student_id, {family} AS family, p.subject AS subject,
       ty.short_name AS kind, sc.score AS score, t.short_name AS test_name,
       p.short_name AS part_name, st.test_date AS test_date
FROM student_tests st
JOIN standardized_tests t ON t.test_id = st.test_id
JOIN student_test_scores sc ON sc.student_test_id = st.student_test_id
JOIN test_score_types ty ON ty.score_type_id = sc.score_type_id AND ty.short_name IN ('SS', 'LEVEL')
JOIN test_parts p ON p.part_id = sc.part_id
WHERE st.test_date <= :today AND p.subject IS NOT NULL
  AND ({family}) IS NOT NULL
  AND st.student_id IN (SELECT student_id FROM {records})
"""

# The subjects a record must meet: the program's minimums of the test the subject is read
# from (CASAS students: CASAS math and reading, TABE language), less reading or language when
# the school's preference keeps only the other.
_REQUIRED = """
INSERT INTO {required} (schedule_id, subject, family, min_score, min_level)
SELECT r.schedule_id, m.subject, m.test_family, m.min_score, m.min_level
FROM {records} r
JOIN fps_basic_skills_minimums m
  ON m.program_number = r.program_number
 AND m.test_family = CASE WHEN r.family = 'CASAS' AND m.subject IN ('MATH', 'READING')
                          THEN 'CASAS' ELSE 'TABE' END
WHERE r.family <> '?'
  AND NOT (COALESCE(r.choice, '') = 'reading' AND m.subject = 'LANGUAGE')
  AND NOT (COALESCE(r.choice, '') = 'language' AND m.subject = 'READING')
"""

_RESULT = """
INSERT INTO {result} (schedule_id, new_value, reason)
SELECT r.schedule_id,
       CASE WHEN r.current IN ({kept}) THEN r.current
            WHEN x.cje = 1 THEN 'H'
            WHEN q.required > 0 AND q.met = q.required THEN 'Y'
            WHEN q.tested > 0 THEN 'N'
            ELSE r.current END,
       CASE WHEN r.current IN ({kept}) THEN 'kept'
            WHEN x.cje = 1 THEN 'CJE test'
            WHEN q.required > 0 AND q.met = q.required THEN 'met'
            WHEN q.tested > 0 THEN 'not met'
            ELSE 'no scores' END
FROM {records} r
LEFT JOIN (
    SELECT q.schedule_id,
           COUNT(*) AS required,
           SUM(CASE WHEN (q.min_score IS NOT NULL AND b.best_score >= q.min_score)
                      OR (:check_level = 1 AND q.min_level IS NOT NULL
                          AND b.best_level >= q.min_level)
                    THEN 1 ELSE 0 END) AS met,
           SUM(CASE WHEN b.best_score IS NOT NULL OR b.best_level IS NOT NULL
                    THEN 1 ELSE 0 END) AS tested
    FROM {required} q
    JOIN {records} r2 ON r2.schedule_id = q.schedule_id
    LEFT JOIN {best} b ON b.student_id = r2.student_id AND b.family = q.family
                      AND b.subject = q.subject
    GROUP BY q.schedule_id
) q ON q.schedule_id = r.schedule_id
LEFT JOIN (
    SELECT DISTINCT st.student_id, 1 AS cje
    FROM student_tests st JOIN standardized_tests t ON t.test_id = st.test_id
    WHERE UPPER(t.short_name) = '{cje}' AND st.test_date <= :today
) x ON x.student_id = r.student_id
WHERE r.family <> '?'
"""


@dataclass(frozen=True)
class BasicSkillsChanges:
    records: int
    changed: int
    kept: int
    counts_by_value: dict[str, int]
    listed: list[tuple]
    bad: list[str]
    bad_total: int


def run_basic_skills(
    conn: sa.Connection,
    *,
    syear: int | None,
    schools: Sequence[int],
    today: dt.date,
    cap: int,
) -> JobResult:
    resolved = resolve_year_and_schools(conn, syear, schools)
    if isinstance(resolved, str):
        return JobResult.message(False, resolved + " No record was changed.")
    year, school_ids = resolved
    prefs = Preferences(conn)
    check_level = bool(prefs.get("basic_skills_check_level"))
    default_choice = prefs.get("basic_skills_tabe_language_or_reading")
    choices = scratch_table(
        conn,
        "tmp_bs_choices",
        [sa.Column("school_id", sa.Integer, primary_key=True), sa.Column("choice", sa.String(10))],
    )
    per_school = prefs.by_school("basic_skills_tabe_language_or_reading")
    if per_school:
        conn.execute(
            sa.insert(choices), [{"school_id": s, "choice": c} for s, c in per_school.items()]
        )
    changes = _assess(conn, year, school_ids, today, check_level, default_choice, choices, cap)
    choices.drop(conn)
    return _report(changes, year, today, check_level, default_choice, cap)


def _assess(
    conn: sa.Connection,
    syear: int,
    school_ids: Sequence[int] | None,
    today: dt.date,
    check_level: bool,
    default_choice: str | None,
    choices: sa.Table,
    cap: int,
) -> BasicSkillsChanges:
    records = scratch_table(
        conn,
        "tmp_bs_records",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("program_number", sa.String(7), nullable=False),
            sa.Column("current", sa.String(1)),
            sa.Column("family", sa.String(5), nullable=False),
            sa.Column("choice", sa.String(10)),
        ],
    )
    sql = _RECORDS.format(
        temp=records.name,
        choices=choices.name,
        school_filter=in_list("sc.school_id", "school_ids", school_ids),
    )
    clause = sa.text(sql).bindparams(
        sa.bindparam("today", type_=sa.Date), sa.bindparam("default_choice", type_=sa.String)
    )
    conn.execute(
        bind_lists(clause, school_ids=school_ids),
        {"syear": syear, "today": today, "field": TEST_FIELD, "default_choice": default_choice},
    )
    analyze(conn, records)
    # Inputs that cannot be used: counted in SQL, only the first ``cap`` of each kind read.
    field_body = (
        f"FROM {records.name} r "
        "JOIN custom_fields f ON LOWER(f.alias) = :field AND f.record_table = 'students' "
        "JOIN custom_field_values v ON v.field_id = f.field_id "
        "AND v.record_id = r.student_id WHERE r.family = '?'"
    )
    field_binds = {"field": TEST_FIELD}
    bad_total = conn.execute(
        sa.text(f"SELECT COUNT(*) FROM (SELECT DISTINCT r.student_id, v.value {field_body}) d"),
        field_binds,
    ).scalar_one()
    bad = [
        f"student {student}: Student Field {TEST_FIELD} is {value!r}; use TABE, CASAS or CASAS "
        "GOALS (the student's records were left as they are)"
        for student, value in conn.execute(
            sa.text(
                f"SELECT DISTINCT r.student_id, v.value {field_body} "
                f"ORDER BY r.student_id LIMIT {int(cap)}"
            ),
            field_binds,
        )
    ]
    scores = _SCORES.format(family=_FAMILY, records=records.name)
    today_bind = sa.bindparam("today", type_=sa.Date)
    good = numeric_sql(conn, "sc.score")
    bad_scores = f"FROM ({scores} AND NOT {good}) s"
    bad_total += conn.execute(
        sa.text(f"SELECT COUNT(*) {bad_scores}").bindparams(today_bind), {"today": today}
    ).scalar_one()
    bad += [
        f"student {student}: {test} {part} {day} {kind} score {score!r} is not a whole number "
        "(not counted)"
        for student, kind, score, test, part, day in conn.execute(
            sa.text(
                f"SELECT student_id, kind, score, test_name, part_name, test_date {bad_scores} "
                f"ORDER BY student_id, test_date, test_name, part_name, kind LIMIT {int(cap)}"
            ).bindparams(today_bind),
            {"today": today},
        )
    ]
    best = scratch_table(
        conn,
        "tmp_bs_best",
        [
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("family", sa.String(5), primary_key=True),
            sa.Column("subject", sa.String(10), primary_key=True),
            sa.Column("best_score", sa.Integer),
            sa.Column("best_level", sa.Integer),
        ],
    )
    conn.execute(
        sa.text(
            f"INSERT INTO {best.name} (student_id, family, subject, best_score, best_level) "
            "SELECT student_id, family, subject, "
            "MAX(CASE WHEN kind = 'SS' THEN CAST(score AS INTEGER) END), "
            "MAX(CASE WHEN kind = 'LEVEL' THEN CAST(score AS INTEGER) END) "
            f"FROM ({scores} AND {good}) s GROUP BY student_id, family, subject"
        ).bindparams(today_bind),
        {"today": today},
    )
    required = scratch_table(
        conn,
        "tmp_bs_required",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            sa.Column("subject", sa.String(10), primary_key=True),
            sa.Column("family", sa.String(5), nullable=False),
            sa.Column("min_score", sa.Integer),
            sa.Column("min_level", sa.Integer),
        ],
    )
    conn.execute(sa.text(_REQUIRED.format(required=required.name, records=records.name)))
    result = scratch_table(
        conn,
        "tmp_bs_result",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            sa.Column("new_value", sa.String(1)),
            sa.Column("reason", sa.String(20), nullable=False),
        ],
    )
    conn.execute(
        sa.text(
            _RESULT.format(
                result=result.name,
                records=records.name,
                required=required.name,
                best=best.name,
                kept=_KEPT_SQL,
                cje=CJE,
            )
        ).bindparams(today_bind),
        {"today": today, "check_level": 1 if check_level else 0},
    )
    total = conn.execute(sa.select(sa.func.count()).select_from(records)).scalar_one()
    kept = conn.execute(
        sa.select(sa.func.count()).select_from(result).where(result.c.reason == "kept")
    ).scalar_one()
    differs = differs_sql(conn, "x.new_value", "sc.basic_skills_exam")
    listed = (
        [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT sc.student_id, st.last_name, st.first_name, sc.id, "
                    "c.program_number, sc.basic_skills_exam, x.new_value, x.reason "
                    f"FROM {result.name} x JOIN schedule sc ON sc.id = x.schedule_id "
                    "JOIN courses c ON c.course_id = sc.course_id "
                    "JOIN students st ON st.student_id = sc.student_id "
                    f"WHERE {differs} ORDER BY sc.student_id, sc.id LIMIT {int(cap)}"
                )
            )
        ]
        if cap
        else []
    )
    by_value = dict(
        conn.execute(
            sa.text(
                f"SELECT x.new_value, COUNT(*) FROM {result.name} x "
                f"JOIN schedule sc ON sc.id = x.schedule_id WHERE {differs} "
                "GROUP BY x.new_value"
            )
        ).all()
    )
    changed = conn.execute(
        sa.text(
            "UPDATE schedule SET basic_skills_exam = (SELECT x.new_value FROM "
            f"{result.name} x WHERE x.schedule_id = schedule.id) "
            f"WHERE id IN (SELECT x.schedule_id FROM {result.name} x "
            f"JOIN schedule sc ON sc.id = x.schedule_id WHERE {differs})"
        )
    ).rowcount
    for table in (result, required, best, records):
        table.drop(conn)
    return BasicSkillsChanges(
        records=total,
        changed=changed,
        kept=kept,
        counts_by_value={str(k): v for k, v in by_value.items()},
        listed=listed,
        bad=bad[:cap],
        bad_total=bad_total,
    )


def _report(
    changes: BasicSkillsChanges,
    syear: int,
    today: dt.date,
    check_level: bool,
    default_choice: str | None,
    cap: int,
) -> JobResult:
    how = "scale scores and functional levels" if check_level else "scale scores"
    summary = (
        f"Checked {changes.records} schedule record(s) of school year {syear} in programs with "
        f"basic skills minimums against {how} up to {today:%Y-%m-%d}: {changes.changed} "
        f"changed, {changes.kept} already exempt or met (never replaced)."
    )
    lines = [summary]
    rows = []
    for student, last, first, record, program, old, new, reason in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, record, program, old, new, reason))
        lines.append(
            f"  student {student} ({name}), record {record} (program {program}): "
            f"{old or 'empty'} -> {new} ({reason})"
        )
    lines += [f"  skipped: {line}" for line in changes.bad]
    if changes.bad_total > len(changes.bad):
        lines.append(f"  ... and {changes.bad_total - len(changes.bad)} more skipped.")
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "Record", "Program", "Was", "Now", "Why"),
        rows,
        total=changes.changed,
        cap=cap,
        counts={
            "records": changes.records,
            "changed": changes.changed,
            "kept": changes.kept,
            "set_y": changes.counts_by_value.get("Y", 0),
            "set_n": changes.counts_by_value.get("N", 0),
            "set_h": changes.counts_by_value.get("H", 0),
            "skipped_inputs": changes.bad_total,
        },
    )
