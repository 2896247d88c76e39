"""Scoring District Assessments in the database: a student's points from the responses and
the answer key. Re-scoring and imports use this one statement, so a re-score equals a fresh
scoring."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.sis_sql import differs_sql, scratch_table

# Points per (assessment, student) of ``{pairs}``: every question of the key counts toward the
# possible points, an answer equal to the key (blanks and case ignored) earns its points.
_SCORE = """
INSERT INTO {scores} (assessment_id, student_id, points_earned, points_possible, completed_at)
SELECT p.assessment_id, p.student_id,
       SUM(CASE WHEN UPPER(TRIM(r.response)) = UPPER(TRIM(i.correct_answer))
                THEN i.points ELSE 0 END),
       SUM(i.points), MAX(p.completed_at)
FROM {pairs} p
JOIN district_assessment_items i ON i.assessment_id = p.assessment_id
LEFT JOIN district_assessment_responses r
  ON r.assessment_id = p.assessment_id AND r.student_id = p.student_id
 AND r.item_no = i.item_no
GROUP BY p.assessment_id, p.student_id
"""


def pairs_table(conn: sa.Connection) -> sa.Table:
    """A fresh scratch table of (assessment, student, completed_at) pairs to score."""
    return scratch_table(
        conn,
        "tmp_score_pairs",
        [
            sa.Column("assessment_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("completed_at", sa.DateTime(timezone=True)),
        ],
    )


def score(
    conn: sa.Connection, pairs: sa.Table, now: dt.datetime, cap: int
) -> tuple[int, list[tuple]]:
    """Score every pair of ``pairs`` and write the results that changed (a new result keeps
    the pair's completion time; a re-score keeps the recorded one unless the pair has its
    own). Returns how many results changed and the first ``cap`` of them (counted and limited
    in SQL) as (assessment, student, old earned, earned, possible)."""
    scores = scratch_table(
        conn,
        "tmp_scores",
        [
            sa.Column("assessment_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("points_earned", sa.Integer, nullable=False),
            sa.Column("points_possible", sa.Integer, nullable=False),
            sa.Column("completed_at", sa.DateTime(timezone=True)),
        ],
    )
    conn.execute(sa.text(_SCORE.format(scores=scores.name, pairs=pairs.name)))
    s = scores.name
    key = "r.assessment_id = s.assessment_id AND r.student_id = s.student_id"
    differs = " OR ".join(
        [
            differs_sql(conn, "s.points_earned", "r.points_earned"),
            differs_sql(conn, "s.points_possible", "r.points_possible"),
            "(s.completed_at IS NOT NULL AND "
            + differs_sql(conn, "s.completed_at", "r.completed_at")
            + ")",
        ]
    )
    body = (
        f"FROM {s} s LEFT JOIN district_assessment_results r ON {key} "
        f"WHERE r.student_id IS NULL OR {differs}"
    )
    total = conn.execute(sa.text(f"SELECT COUNT(*) {body}")).scalar_one()
    changed = (
        [
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT s.assessment_id, s.student_id, r.points_earned, s.points_earned, "
                    f"s.points_possible {body} ORDER BY s.assessment_id, s.student_id "
                    f"LIMIT {int(cap)}"
                )
            )
        ]
        if total and cap
        else []
    )
    stamp = sa.bindparam("now", type_=sa.DateTime(timezone=True))
    conn.execute(
        sa.text(
            "UPDATE district_assessment_results SET "
            f"points_earned = (SELECT s.points_earned FROM {s} s WHERE "
            "s.assessment_id = district_assessment_results.assessment_id AND "
            "s.student_id = district_assessment_results.student_id), "
            f"points_possible = (SELECT s.points_possible FROM {s} s WHERE "
            "s.assessment_id = district_assessment_results.assessment_id AND "
            "s.student_id = district_assessment_results.student_id), "
            f"completed_at = COALESCE((SELECT s.completed_at FROM {s} s WHERE "
            "s.assessment_id = district_assessment_results.assessment_id AND "
            "s.student_id = district_assessment_results.student_id), completed_at), "
            "scored_at = :now "
            f"WHERE EXISTS (SELECT 1 FROM {s} s JOIN district_assessment_results r ON {key} "
            "WHERE r.assessment_id = district_assessment_results.assessment_id "
            f"AND r.student_id = district_assessment_results.student_id AND ({differs}))"
        ).bindparams(stamp),
        {"now": now},
    )
    conn.execute(
        sa.text(
            "INSERT INTO district_assessment_results (assessment_id, student_id, "
            "points_earned, points_possible, completed_at, scored_at) "
            "SELECT s.assessment_id, s.student_id, s.points_earned, s.points_possible, "
            f"s.completed_at, :now FROM {s} s WHERE NOT EXISTS "
            f"(SELECT 1 FROM district_assessment_results r WHERE {key})"
        ).bindparams(stamp),
        {"now": now},
    )
    scores.drop(conn)
    return total, changed
