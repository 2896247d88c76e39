"""Florida Test ID Assignment: base-36 FLTESTID values, numbered per student."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LARGEST = 36**4 - 1  # ZZZZ


def to_base36(number: int) -> str:
    """``number`` as four base-36 digits (0-9, A-Z), the FLTESTID form: 36 -> '0010'."""
    if not 0 <= number <= LARGEST:
        raise ValueError(f"FLTESTID {number}: outside 0..{LARGEST} (four base-36 digits)")
    digits = ""
    for _ in range(4):
        number, digit = divmod(number, 36)
        digits = ALPHABET[digit] + digits
    return digits


def _base36_sql(number: str) -> str:
    """SQL for the four-digit base-36 form of the integer expression ``number``."""
    return " || ".join(
        f"SUBSTR('{ALPHABET}', (({number}) / {36**p}) % 36 + 1, 1)" for p in (3, 2, 1, 0)
    )


def _from_base36_sql(text: str, position: str) -> str:
    """SQL for the integer value of the four-character base-36 string ``text``."""
    return " + ".join(
        f"({position}('{ALPHABET}', SUBSTR(UPPER({text}), {i + 1}, 1)) - 1) * {36 ** (3 - i)}"
        for i in range(4)
    )


# Each test/part a student took (it has any score) of a test with the FLTESTID score type,
# still without a FLTESTID value, numbered after the student's highest FLTESTID so far, in
# test date, test record and part order.
_UNASSIGNED = """
INSERT INTO {temp} (student_test_id, part_id, score_type_id, student_id, has_row, number)
SELECT y.student_test_id, y.part_id, y.score_type_id, y.student_id, y.has_row, y.number
FROM (
    SELECT x.student_test_id, x.part_id, x.score_type_id, x.student_id, x.has_row,
           COALESCE(m.highest, 0) + ROW_NUMBER() OVER (
               PARTITION BY x.student_id
               ORDER BY x.test_date, x.student_test_id, x.part_id) AS number
    FROM (
        SELECT st.student_test_id AS student_test_id, sc.part_id AS part_id,
               ty.score_type_id AS score_type_id, st.student_id AS student_id,
               st.test_date AS test_date,
               MAX(CASE WHEN sc.score_type_id = ty.score_type_id THEN 1 ELSE 0 END) AS has_row
        FROM student_tests st
        JOIN standardized_tests t ON t.test_id = st.test_id
        JOIN test_score_types ty ON ty.test_id = st.test_id AND ty.short_name = 'FLTESTID'
        JOIN student_test_scores sc ON sc.student_test_id = st.student_test_id
        WHERE 1 = 1 {test_filter}
        GROUP BY st.student_test_id, sc.part_id, ty.score_type_id, st.student_id, st.test_date
        HAVING MAX(CASE WHEN sc.score_type_id = ty.score_type_id AND sc.score IS NOT NULL
                             AND sc.score <> '' THEN 1 ELSE 0 END) = 0
    ) x
    LEFT JOIN (
        SELECT st.student_id AS student_id, MAX({parsed}) AS highest
        FROM student_test_scores sc
        JOIN student_tests st ON st.student_test_id = sc.student_test_id
        JOIN test_score_types ty
          ON ty.score_type_id = sc.score_type_id AND ty.short_name = 'FLTESTID'
        WHERE LENGTH(sc.score) = 4
        GROUP BY st.student_id
    ) m ON m.student_id = x.student_id
) y
"""


class FloridaTestIdParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tests: list[str] = Field(
        json_schema_extra={"x-focus-lookup": "tests"},
        default_factory=list,
        title="Tests",
        description="Short names of the tests to assign; leave empty for every test with "
        "the FLTESTID score type.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Assigned values listed")


@dataclass(frozen=True)
class Assigned:
    """What a run assigned, with the first new values for the output."""

    assigned: int
    listed: list[tuple]


class FloridaTestIdAssignment(Job):
    key = "florida_test_id_assignment"
    title = "Florida Test ID Assignment"
    description = (
        "Gives test parts an FLTESTID score where their test carries the FLTESTID score type. The "
        "value is a number in base 36 (digits 0-9, then A-Z), four characters long with leading "
        "zeros, counted separately for each student. Rules: every part a student took (it has any "
        "score) of a "
        "test that has the FLTESTID score type gets a value when it has none (no FLTESTID "
        "score, or an empty one). Each student's values count up from 0001 in test date, "
        "test record and part order, continuing after the highest four-character value the "
        "student already has on any test, so values stay unique per student and existing "
        "values are never changed. 36 follows 0009..000Z as 0010; the last value is ZZZZ."
    )
    module = "Florida State Reporting"
    needs_state = "FL"
    params_model = FloridaTestIdParams

    def run(self, context: JobContext, params: FloridaTestIdParams) -> JobResult:
        from job_library.schemas.assessments import standardized_tests, test_score_types

        conn = context.connection
        names = sorted(set(params.tests))
        if names:
            t, ty = standardized_tests, test_score_types
            found = dict(
                conn.execute(
                    sa.select(t.c.short_name, sa.func.count(ty.c.score_type_id))
                    .outerjoin(
                        ty, sa.and_(ty.c.test_id == t.c.test_id, ty.c.short_name == "FLTESTID")
                    )
                    .where(t.c.short_name.in_(names))
                    .group_by(t.c.short_name)
                ).all()
            )
            unknown = [n for n in names if n not in found]
            if unknown:
                return JobResult.message(
                    False,
                    f"tests {unknown}: no standardized test with that short name; pick tests "
                    "from Standardized Tests. No value was assigned.",
                )
            without = [n for n in names if not found[n]]
            if without:
                return JobResult.message(
                    False,
                    f"tests {without}: no FLTESTID score type; add it to the test's score "
                    "types or leave the test out. No value was assigned.",
                )
        changes = assign(conn, names or None, params.max_listed)
        if isinstance(changes, str):
            return JobResult.message(False, changes)
        return _report(changes, names, params.max_listed)


def assign(conn: sa.Connection, tests: Sequence[str] | None, max_listed: int) -> Assigned | str:
    """Give every unassigned test/part of ``tests`` (all when None) its FLTESTID value; an
    error message instead when a student would pass ZZZZ."""
    from job_library.schemas.assessments import (
        standardized_tests,
        student_test_scores,
        student_tests,
        test_parts,
    )
    from job_library.schemas.enrollment import students
    from job_library.sis_sql import analyze, bind_lists, first_rows, in_list, scratch_table

    temp = scratch_table(
        conn,
        "tmp_fltestid",
        [
            sa.Column("student_test_id", sa.Integer, primary_key=True),
            sa.Column("part_id", sa.Integer, primary_key=True),
            sa.Column("score_type_id", sa.Integer, nullable=False),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("has_row", sa.Integer, nullable=False),
            sa.Column("number", sa.Integer, nullable=False),
            sa.Column("value", sa.String(4)),
        ],
    )
    position = "INSTR" if conn.dialect.name == "sqlite" else "STRPOS"
    sql = _UNASSIGNED.format(
        temp=temp.name,
        test_filter=in_list("t.short_name", "tests", tests),
        parsed=_from_base36_sql("sc.score", position),
    )
    conn.execute(bind_lists(sa.text(sql), tests=tests))
    over = conn.execute(
        sa.select(temp.c.student_id).where(temp.c.number > LARGEST).limit(1)
    ).scalar()
    if over is not None:
        temp.drop(conn)
        return (
            f"student {over}: needs a FLTESTID beyond ZZZZ (four base-36 digits); clear "
            "unused values for the student. No value was assigned."
        )
    conn.execute(sa.text(f"UPDATE {temp.name} SET value = {_base36_sql('number')}"))
    analyze(conn, temp)
    st, t, p = students, standardized_tests, test_parts
    query = (
        sa.select(
            temp.c.student_id,
            st.c.last_name,
            st.c.first_name,
            t.c.short_name,
            p.c.short_name,
            student_tests.c.test_date,
            temp.c.value,
        )
        .join_from(temp, st, st.c.student_id == temp.c.student_id)
        .join(student_tests, student_tests.c.student_test_id == temp.c.student_test_id)
        .join(t, t.c.test_id == student_tests.c.test_id)
        .join(p, p.c.part_id == temp.c.part_id)
        .order_by(temp.c.student_id, temp.c.number)
    )
    listed = first_rows(conn, query, max_listed)
    sc = student_test_scores
    keys = ("student_test_id", "part_id", "score_type_id")
    updated = conn.execute(
        sa.update(sc)
        .where(*(sc.c[k] == temp.c[k] for k in keys), temp.c.has_row == 1)
        .values(score=temp.c.value)
    ).rowcount
    inserted = conn.execute(
        sa.insert(sc).from_select(
            [*keys, "score"],
            sa.select(*(temp.c[k] for k in keys), temp.c.value).where(temp.c.has_row == 0),
        )
    ).rowcount
    temp.drop(conn)
    return Assigned(updated + inserted, listed)


def _report(changes: Assigned, tests: Sequence[str], cap: int) -> JobResult:
    which = f"test(s) {', '.join(tests)}" if tests else "every test with the FLTESTID score type"
    if changes.assigned == 0:
        summary = f"Every test/part already has its FLTESTID ({which}); nothing changed."
    else:
        summary = f"Assigned {changes.assigned} FLTESTID value(s) ({which})."
    lines = [summary]
    rows = []
    for student, last, first, test, part, day, value in changes.listed:
        name = f"{last}, {first}"
        rows.append((student, name, test, part, day, value))
        lines.append(f"  student {student} ({name}): {test} {part} {day:%Y-%m-%d} -> {value}")
    return listed_result(
        summary,
        lines,
        ("Student", "Name", "Test", "Part", "Test date", "FLTESTID"),
        rows,
        total=changes.assigned,
        cap=cap,
        counts={"assigned": changes.assigned},
    )
