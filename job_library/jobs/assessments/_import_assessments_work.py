"""The work of Import Assessments: students' answers from the testing platform's result
files, scored like any first scoring."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.jobs.assessments._file_imports import Applied, BadRow, import_drop
from job_library.jobs.assessments._scoring import pairs_table, score
from job_library.sis_sql import scratch_table

FOLDER = "/assessments/results"
COLUMNS = ("assessment_id", "student_id", "item_no", "response", "completed_at")


def _whole(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _when(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def run_import(context: JobContext, cap: int) -> JobResult:
    conn = context.connection
    now = context.now()

    def apply(path: str, rows: list[tuple[int, dict[str, str]]]) -> Applied:
        externals = sorted({r["assessment_id"] for _, r in rows})
        assessment_of = (
            dict(
                conn.execute(
                    sa.text(
                        "SELECT external_id, assessment_id FROM district_assessments "
                        "WHERE external_id IN :ids"
                    ).bindparams(sa.bindparam("ids", externals, expanding=True))
                ).all()
            )
            if externals
            else {}
        )
        student_ids = sorted({n for _, r in rows if (n := _whole(r["student_id"])) is not None})
        known_students = (
            set(
                conn.execute(
                    sa.text("SELECT student_id FROM students WHERE student_id IN :ids").bindparams(
                        sa.bindparam("ids", student_ids, expanding=True)
                    )
                ).scalars()
            )
            if student_ids
            else set()
        )
        items = (
            set(
                conn.execute(
                    sa.text(
                        "SELECT assessment_id, item_no FROM district_assessment_items "
                        "WHERE assessment_id IN :ids"
                    ).bindparams(
                        sa.bindparam("ids", sorted(assessment_of.values()), expanding=True)
                    )
                ).all()
            )
            if assessment_of
            else set()
        )
        good, bad, seen = [], [], set()
        for line, r in rows:
            assessment = assessment_of.get(r["assessment_id"])
            student, item, when = (
                _whole(r["student_id"]),
                _whole(r["item_no"]),
                _when(r["completed_at"]),
            )
            if assessment is None:
                reason = f"assessment {r['assessment_id']!r}: no District Assessment has that id"
            elif student is None:
                reason = f"student_id {r['student_id']!r} is not a whole number"
            elif student not in known_students:
                reason = f"student {student}: no such student"
            elif item is None:
                reason = f"item_no {r['item_no']!r} is not a whole number"
            elif (assessment, item) not in items:
                reason = (
                    f"question {item} is not in the answer key of assessment {r['assessment_id']}"
                )
            elif when is None:
                reason = (
                    f"completed_at {r['completed_at']!r} is not a date and time with a UTC "
                    "offset (such as 2026-11-20T10:15:00-05:00)"
                )
            elif len(r["response"]) > 20:
                reason = "response longer than 20 characters"
            elif (assessment, student, item) in seen:
                reason = (
                    f"question {item} of student {student} appears again in this file (the "
                    "first answer was kept)"
                )
            else:
                reason = None
            if reason is not None:
                bad.append(BadRow(path, line, reason))
                continue
            seen.add((assessment, student, item))
            good.append(
                dict(
                    assessment_id=assessment,
                    student_id=student,
                    item_no=item,
                    response=r["response"] or None,
                    completed_at=when.astimezone(dt.UTC),
                )
            )
        staged = scratch_table(
            conn,
            "tmp_import_answers",
            [
                sa.Column("assessment_id", sa.Integer, primary_key=True),
                sa.Column("student_id", sa.Integer, primary_key=True),
                sa.Column("item_no", sa.Integer, primary_key=True),
                sa.Column("response", sa.String(20)),
                sa.Column("completed_at", sa.DateTime(timezone=True)),
            ],
        )
        if good:
            conn.execute(sa.insert(staged), good)
        s = staged.name
        # A student's answers of an assessment in the file replace those recorded before.
        conn.execute(
            sa.text(
                "DELETE FROM district_assessment_responses WHERE EXISTS (SELECT 1 FROM "
                f"{s} s WHERE s.assessment_id = district_assessment_responses.assessment_id "
                "AND s.student_id = district_assessment_responses.student_id)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO district_assessment_responses (assessment_id, student_id, "
                f"item_no, response) SELECT assessment_id, student_id, item_no, response FROM {s}"
            )
        )
        pairs = pairs_table(conn)
        conn.execute(
            sa.text(
                f"INSERT INTO {pairs.name} (assessment_id, student_id, completed_at) "
                f"SELECT assessment_id, student_id, MAX(completed_at) FROM {s} "
                "GROUP BY assessment_id, student_id"
            )
        )
        students = conn.execute(sa.select(sa.func.count()).select_from(pairs)).scalar_one()
        changed_total, changed = score(conn, pairs, now, cap)
        pairs.drop(conn)
        staged.drop(conn)
        return Applied(
            rows=len(rows),
            counts={"answers": len(good), "students": students, "results_changed": changed_total},
            changes=[(a, s_, new, p) for a, s_, _, new, p in changed],
            changes_total=changed_total,
            bad=bad,
        )

    return import_drop(
        context,
        title="Import Assessments",
        folder=FOLDER,
        columns=COLUMNS,
        apply=apply,
        headers=("Assessment", "Student", "Points", "Possible"),
        cap=cap,
    )
