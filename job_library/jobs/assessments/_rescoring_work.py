"""The work of District Assessments Re-scoring: empty the queue by scoring every student of
each queued assessment again against its current answer key."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.base import JobResult
from job_library.jobs.assessments._scoring import pairs_table, score
from job_library.output import listed_result


def rescore(conn: sa.Connection, now: dt.datetime, cap: int) -> JobResult:
    queued = conn.execute(
        sa.text(
            "SELECT q.assessment_id, a.title, "
            "(SELECT COUNT(*) FROM district_assessment_items i "
            " WHERE i.assessment_id = q.assessment_id) AS items "
            "FROM district_assessment_rescore_queue q "
            "JOIN district_assessments a ON a.assessment_id = q.assessment_id "
            "WHERE q.processed_at IS NULL GROUP BY q.assessment_id, a.title "
            "ORDER BY q.assessment_id"
        )
    ).all()
    if not queued:
        return JobResult.message(True, "No assessment is queued for re-scoring.", {"queued": 0})
    ready = [a for a, _, items in queued if items]
    no_key = [(a, title) for a, title, items in queued if not items]
    pairs = pairs_table(conn)
    changed: list[tuple] = []
    changed_total = 0
    if ready:
        ids = ", ".join(str(int(a)) for a in ready)
        conn.execute(
            sa.text(
                f"INSERT INTO {pairs.name} (assessment_id, student_id) "
                "SELECT assessment_id, student_id FROM district_assessment_responses "
                f"WHERE assessment_id IN ({ids}) "
                "UNION SELECT assessment_id, student_id FROM district_assessment_results "
                f"WHERE assessment_id IN ({ids})"
            )
        )
        students = conn.execute(sa.select(sa.func.count()).select_from(pairs)).scalar_one()
        changed_total, changed = score(conn, pairs, now, cap)
        conn.execute(
            sa.text(
                "UPDATE district_assessment_rescore_queue SET processed_at = :now "
                f"WHERE processed_at IS NULL AND assessment_id IN ({ids})"
            ).bindparams(sa.bindparam("now", type_=sa.DateTime(timezone=True))),
            {"now": now},
        )
    else:
        students = 0
    pairs.drop(conn)
    titles = {a: t for a, t, _ in queued}
    summary = (
        f"Re-scored {len(ready)} queued assessment(s) ({students} student result(s)): "
        f"{changed_total} result(s) changed."
    )
    if no_key:
        summary += f" {len(no_key)} assessment(s) have no answer key and stay queued."
    lines = [summary]
    rows = []
    for assessment, student, old, new, possible in changed:
        rows.append((assessment, titles[assessment], student, old, new, possible))
        was = "no result" if old is None else f"{old}/{possible}"
        lines.append(
            f"  assessment {assessment} ({titles[assessment]}), student {student}: "
            f"{was} -> {new}/{possible}"
        )
    for assessment, title in no_key:
        lines.append(
            f"  assessment {assessment} ({title}): no questions in its answer key; fix the key "
            "and the next run re-scores it"
        )
    return listed_result(
        summary,
        lines,
        ("Assessment", "Title", "Student", "Points before", "Points now", "Possible"),
        rows,
        total=changed_total,
        cap=cap,
        counts={
            "queued": len(queued),
            "rescored": len(ready),
            "results": students,
            "changed": changed_total,
            "no_answer_key": len(no_key),
        },
    )
