"""The work of Assign LCPs and Recalculate LCPs: place students at Appendix R functional levels
from their adult education tests, and set their schedule records' levels, LCPs and test ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from job_library.jobs.florida.florida_test_id import assign as assign_fltestids
from job_library.jobs.fps._levels import (
    FAMILY_SQL,
    LCP_PREFIXES,
    differs_sql,
    ensure_level_table,
    numeric_sql,
)
from job_library.schemas.scheduling import schedule
from job_library.sis_sql import analyze, bind_lists, in_list, scratch_table

# The schedule fields the jobs own, in the order the output lists them.
FIELDS = (
    "aefl_subject_area",
    "aefl_initial_level",
    "aefl_final_level",
    "lcps",
    "pre_test_id",
    "post_test_id_1",
    "post_test_id_2",
    "post_test_id_3",
)
MAX_RANK = 9
_PREFIXES = ", ".join(f"'{p}'" for p in LCP_PREFIXES)

# Adult general education schedule records of the year (cost codes 400-499), excluded or not.
_SCHEDULES = """
INSERT INTO {temp} (schedule_id, student_id, program_number, excluded)
SELECT sc.id, sc.student_id, c.program_number,
       CASE WHEN sc.exclude_from_lcp THEN 1 ELSE 0 END
FROM schedule sc
JOIN courses c ON c.course_id = sc.course_id
JOIN fps_programs p ON p.program_number = c.program_number
WHERE sc.syear = :syear
  AND LENGTH(p.cost_code) = 3 AND p.cost_code >= '400' AND p.cost_code <= '499'
  AND {records}
  {school_filter}
"""

# Active on the run day (or starting later) / active at any time in the date range.
_ACTIVE = "(sc.end_date IS NULL OR sc.end_date >= :as_of)"
_IN_RANGE = "sc.start_date <= :range_to AND (sc.end_date IS NULL OR sc.end_date >= :range_from)"

# Scale scores of the window's tests of students with a record to place.
_SCORES = """
SELECT st.student_test_id AS student_test_id, p.part_id AS part_id,
       st.student_id AS student_id, st.test_date AS test_date, {family} AS family,
       p.subject AS subject, t.short_name AS test_name, p.short_name AS part_name,
       sc.score AS score
FROM student_tests st
JOIN standardized_tests t ON t.test_id = st.test_id
JOIN student_test_scores sc ON sc.student_test_id = st.student_test_id
JOIN test_score_types ty ON ty.score_type_id = sc.score_type_id AND ty.short_name = 'SS'
JOIN test_parts p ON p.part_id = sc.part_id
WHERE SUBSTR(UPPER(t.short_name), 1, 3) IN ({prefixes})
  AND st.test_date >= :window_start AND st.test_date <= :as_of
  AND p.subject IS NOT NULL
  AND st.student_id IN (SELECT student_id FROM {sched} WHERE excluded = 0)
"""

# Each score placed at the level of the program's band that covers it; where bands overlap
# the one starting highest wins (a rule such as "236 and above: level 8" sits on top).
_PLACED = """
INSERT INTO {placed} (schedule_id, subject, student_test_id, part_id, test_date, level, rank)
SELECT s.schedule_id, x.subject, x.student_test_id, x.part_id, x.test_date, b.level, b.rank
FROM {sched} s
JOIN {scores} x ON x.student_id = s.student_id
JOIN fl_aefl_levels b
  ON b.program_number = s.program_number AND b.test_family = x.family
 AND b.subject = x.subject AND x.score >= b.low_score AND x.score <= b.high_score
WHERE s.excluded = 0
  AND NOT EXISTS (
      SELECT 1 FROM fl_aefl_levels o
      WHERE o.program_number = b.program_number AND o.test_family = b.test_family
        AND o.subject = b.subject AND x.score >= o.low_score AND x.score <= o.high_score
        AND o.low_score > b.low_score)
"""

# Scores of a family and subject the program has bands for, but in no band: a gap in the table.
_UNPLACED = """
SELECT DISTINCT s.student_id, x.test_name, x.part_name, x.test_date, x.score, s.program_number
FROM {sched} s
JOIN {scores} x ON x.student_id = s.student_id
WHERE s.excluded = 0
  AND EXISTS (SELECT 1 FROM fl_aefl_levels b
              WHERE b.program_number = s.program_number AND b.test_family = x.family
                AND b.subject = x.subject)
  AND NOT EXISTS (SELECT 1 FROM fl_aefl_levels b
                  WHERE b.program_number = s.program_number AND b.test_family = x.family
                    AND b.subject = x.subject
                    AND x.score >= b.low_score AND x.score <= b.high_score)
"""

_UNPLACED_ORDER = "ORDER BY s.student_id, x.test_date, x.test_name, x.part_name"

# Per record and subject, the tests in date order: the first is the pre-test, the next three
# the post-tests, the last one gives the final level.
_RANKED = """
INSERT INTO {ranked} (schedule_id, subject, student_test_id, part_id, level, rank, rn, cnt)
SELECT schedule_id, subject, student_test_id, part_id, level, rank,
       ROW_NUMBER() OVER (PARTITION BY schedule_id, subject
                          ORDER BY test_date, student_test_id, part_id),
       COUNT(*) OVER (PARTITION BY schedule_id, subject)
FROM {placed}
"""

# The record's subject area: the subject of its lowest initial level (then by name).
_RESULT = """
INSERT INTO {result} (schedule_id, program_number, aefl_subject_area,
                      aefl_initial_level, initial_rank, aefl_final_level, final_rank,
                      pre_test, pre_part, post1_test, post1_part, post2_test, post2_part,
                      post3_test, post3_part)
SELECT f.schedule_id, s.program_number, f.subject, f.level, f.rank, l.level, l.rank,
       f.student_test_id, f.part_id, p1.student_test_id, p1.part_id,
       p2.student_test_id, p2.part_id, p3.student_test_id, p3.part_id
FROM (
    SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.schedule_id ORDER BY r.rank, r.subject) AS pick
    FROM {ranked} r WHERE r.rn = 1
) f
JOIN {sched} s ON s.schedule_id = f.schedule_id
JOIN {ranked} l ON l.schedule_id = f.schedule_id AND l.subject = f.subject AND l.rn = l.cnt
LEFT JOIN {ranked} p1 ON p1.schedule_id = f.schedule_id AND p1.subject = f.subject AND p1.rn = 2
LEFT JOIN {ranked} p2 ON p2.schedule_id = f.schedule_id AND p2.subject = f.subject AND p2.rn = 3
LEFT JOIN {ranked} p3 ON p3.schedule_id = f.schedule_id AND p3.subject = f.subject AND p3.rn = 4
WHERE f.pick = 1
"""


def _lcp_sql(result: str) -> str:
    """The LCP letters a record earned: those of every level from its initial level up to the
    one below its final level, in level order (none when the final level is not higher)."""
    parts = []
    for k in range(1, MAX_RANK + 1):
        letter = (
            "(SELECT MIN(b.lcp) FROM fl_aefl_levels b "
            f"WHERE b.program_number = {result}.program_number "
            f"AND b.subject = {result}.aefl_subject_area AND b.rank = {k} AND b.lcp <> '')"
        )
        parts.append(
            f"COALESCE(CASE WHEN {result}.initial_rank <= {k} AND {result}.final_rank > {k} "
            f"THEN {letter} END, '')"
        )
    return "NULLIF(" + " || ".join(parts) + ", '')"


def _fltestid_sql(result: str, test: str, part: str) -> str:
    return (
        "(SELECT sc.score FROM student_test_scores sc JOIN test_score_types ty "
        "ON ty.score_type_id = sc.score_type_id AND ty.short_name = 'FLTESTID' "
        f"WHERE sc.student_test_id = {result}.{test} AND sc.part_id = {result}.{part})"
    )


# The AEFL score each test/part used gets: its level for the first record (by id) using it.
_AEFL = """
INSERT INTO {aefl} (student_test_id, part_id, score_type_id, level, has_row)
SELECT u.student_test_id, u.part_id, ty.score_type_id, u.level,
       CASE WHEN EXISTS (SELECT 1 FROM student_test_scores sc
                         WHERE sc.student_test_id = u.student_test_id
                           AND sc.part_id = u.part_id
                           AND sc.score_type_id = ty.score_type_id) THEN 1 ELSE 0 END
FROM (
    SELECT r.student_test_id, r.part_id, r.level,
           ROW_NUMBER() OVER (PARTITION BY r.student_test_id, r.part_id
                              ORDER BY r.schedule_id) AS pick
    FROM {ranked} r
    JOIN {result} x ON x.schedule_id = r.schedule_id AND x.aefl_subject_area = r.subject
) u
JOIN student_tests st ON st.student_test_id = u.student_test_id
JOIN test_score_types ty ON ty.test_id = st.test_id AND ty.short_name = 'AEFL'
WHERE u.pick = 1
"""


@dataclass(frozen=True)
class LcpScope:
    """Which records and tests a run looks at.

    :param syear: the school year of the schedule records.
    :param school_ids: the schools (None: every school).
    :param as_of: the day levels are worked out for (tests after it are ignored).
    :param window_start: the first test date counted.
    :param range_from: Recalculate: records active at any time from this day ...
    :param range_to: ... through this day, active or not; None for Assign (active records).
    """

    syear: int
    school_ids: Sequence[int] | None
    as_of: dt.date
    window_start: dt.date
    range_from: dt.date | None = None
    range_to: dt.date | None = None

    @property
    def wipes(self) -> bool:
        return self.range_from is not None


@dataclass(frozen=True)
class LcpChanges:
    """What a run did, with capped listings of changed records and of scores it could not use."""

    records: int
    excluded: int
    placed: int
    changed: int
    aefl_scores: int
    fltestids: int
    levels_loaded: int
    listed: list[tuple]
    bad_scores: list[tuple]
    unplaced: list[tuple]
    bad_total: int
    unplaced_total: int


def place(conn: sa.Connection, scope: LcpScope, cap: int) -> LcpChanges | str:
    """Work out every in-scope record's levels, LCPs and test ids and write those that changed
    (Recalculate also clears records with no test); an error message when the FLTESTIDs of a
    student would run out."""
    loaded = ensure_level_table(conn)
    sched = scratch_table(
        conn,
        "tmp_lcp_sched",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("program_number", sa.String(7), nullable=False),
            sa.Column("excluded", sa.Integer, nullable=False),
        ],
    )
    records = _IN_RANGE if scope.wipes else _ACTIVE
    sql = _SCHEDULES.format(
        temp=sched.name,
        records=records,
        school_filter=in_list("sc.school_id", "school_ids", scope.school_ids),
    )
    binds = {
        "syear": scope.syear,
        "as_of": scope.as_of,
        "window_start": scope.window_start,
        "range_from": scope.range_from,
        "range_to": scope.range_to,
    }
    used = {k: v for k, v in binds.items() if f":{k}" in sql}
    days = (sa.bindparam(k, type_=sa.Date) for k in used if k != "syear")
    clause = sa.text(sql).bindparams(*days)
    conn.execute(bind_lists(clause, school_ids=scope.school_ids), used)
    analyze(conn, sched)
    total, excluded = conn.execute(
        sa.text(f"SELECT COUNT(*), COALESCE(SUM(excluded), 0) FROM {sched.name}")
    ).one()

    scores = scratch_table(
        conn,
        "tmp_lcp_scores",
        [
            sa.Column("student_test_id", sa.Integer, primary_key=True),
            sa.Column("part_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("test_date", sa.Date, nullable=False),
            sa.Column("family", sa.String(12), nullable=False),
            sa.Column("subject", sa.String(10), nullable=False),
            sa.Column("test_name", sa.String(10), nullable=False),
            sa.Column("part_name", sa.String(20), nullable=False),
            sa.Column("score", sa.Integer, nullable=False),
        ],
    )
    window = _SCORES.format(family=FAMILY_SQL, prefixes=_PREFIXES, sched=sched.name)
    window_binds = {"as_of": scope.as_of, "window_start": scope.window_start}
    date_binds = [sa.bindparam(n, type_=sa.Date) for n in ("as_of", "window_start")]
    good = numeric_sql(conn, "sc.score")
    conn.execute(
        sa.text(
            f"INSERT INTO {scores.name} (student_test_id, part_id, student_id, test_date, "
            "family, subject, test_name, part_name, score) "
            "SELECT student_test_id, part_id, student_id, test_date, family, subject, "
            f"test_name, part_name, CAST(score AS INTEGER) FROM ({window} AND {good}) w"
        ).bindparams(*date_binds),
        window_binds,
    )
    analyze(conn, scores)
    bad_from = f"FROM ({window} AND NOT {good}) w"
    bad_total = conn.execute(
        sa.text(f"SELECT COUNT(*) {bad_from}").bindparams(*date_binds), window_binds
    ).scalar_one()
    bad_query = sa.text(
        f"SELECT student_id, test_name, part_name, test_date, score {bad_from} "
        f"ORDER BY student_id, test_date, test_name, part_name LIMIT {int(cap)}"
    ).bindparams(*date_binds)
    bad_rows = [tuple(r) for r in conn.execute(bad_query, window_binds)] if cap else []

    placed = scratch_table(
        conn,
        "tmp_lcp_placed",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            sa.Column("subject", sa.String(10), primary_key=True),
            sa.Column("student_test_id", sa.Integer, primary_key=True),
            sa.Column("part_id", sa.Integer, primary_key=True),
            sa.Column("test_date", sa.Date, nullable=False),
            sa.Column("level", sa.String(3), nullable=False),
            sa.Column("rank", sa.Integer, nullable=False),
        ],
    )
    conn.execute(sa.text(_PLACED.format(placed=placed.name, sched=sched.name, scores=scores.name)))
    unplaced = _UNPLACED.format(sched=sched.name, scores=scores.name)
    unplaced_total = conn.execute(sa.text(f"SELECT COUNT(*) FROM ({unplaced}) u")).scalar_one()
    unplaced_rows = (
        [tuple(r) for r in conn.execute(sa.text(f"{unplaced} {_UNPLACED_ORDER} LIMIT {int(cap)}"))]
        if cap
        else []
    )
    ranked = scratch_table(
        conn,
        "tmp_lcp_ranked",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            sa.Column("subject", sa.String(10), primary_key=True),
            sa.Column("student_test_id", sa.Integer, primary_key=True),
            sa.Column("part_id", sa.Integer, primary_key=True),
            sa.Column("level", sa.String(3), nullable=False),
            sa.Column("rank", sa.Integer, nullable=False),
            sa.Column("rn", sa.Integer, nullable=False),
            sa.Column("cnt", sa.Integer, nullable=False),
        ],
    )
    conn.execute(sa.text(_RANKED.format(ranked=ranked.name, placed=placed.name)))
    analyze(conn, ranked)
    result = scratch_table(
        conn,
        "tmp_lcp_result",
        [
            sa.Column("schedule_id", sa.Integer, primary_key=True),
            sa.Column("program_number", sa.String(7)),
            *(sa.Column(f, schedule.c[f].type) for f in FIELDS),
            sa.Column("initial_rank", sa.Integer),
            sa.Column("final_rank", sa.Integer),
            *(
                sa.Column(f"{w}_{k}", sa.Integer)
                for w in ("pre", "post1", "post2", "post3")
                for k in ("test", "part")
            ),
        ],
    )
    conn.execute(sa.text(_RESULT.format(result=result.name, ranked=ranked.name, sched=sched.name)))
    placed_count = conn.execute(sa.select(sa.func.count()).select_from(result)).scalar_one()
    r = result.name
    conn.execute(sa.text(f"UPDATE {r} SET lcps = {_lcp_sql(r)}"))

    # FLTESTIDs first, for the tests used that carry the score type; then the ids are read.
    names = list(
        conn.execute(
            sa.text(
                f"SELECT DISTINCT t.short_name FROM {ranked.name} k "
                f"JOIN {r} x ON x.schedule_id = k.schedule_id AND x.aefl_subject_area = k.subject "
                "JOIN student_tests st ON st.student_test_id = k.student_test_id "
                "JOIN standardized_tests t ON t.test_id = st.test_id "
                "JOIN test_score_types ty ON ty.test_id = t.test_id "
                "AND ty.short_name = 'FLTESTID' ORDER BY t.short_name"
            )
        ).scalars()
    )
    fltestids = 0
    if names:
        assigned = assign_fltestids(conn, names, 0)
        if isinstance(assigned, str):
            return assigned
        fltestids = assigned.assigned
    conn.execute(
        sa.text(
            f"UPDATE {r} SET pre_test_id = {_fltestid_sql(r, 'pre_test', 'pre_part')}, "
            + ", ".join(
                f"post_test_id_{i} = {_fltestid_sql(r, f'post{i}_test', f'post{i}_part')}"
                for i in (1, 2, 3)
            )
        )
    )

    aefl = scratch_table(
        conn,
        "tmp_lcp_aefl",
        [
            sa.Column("student_test_id", sa.Integer, primary_key=True),
            sa.Column("part_id", sa.Integer, primary_key=True),
            sa.Column("score_type_id", sa.Integer, nullable=False),
            sa.Column("level", sa.String(3), nullable=False),
            sa.Column("has_row", sa.Integer, nullable=False),
        ],
    )
    conn.execute(sa.text(_AEFL.format(aefl=aefl.name, ranked=ranked.name, result=r)))
    a = aefl.name
    aefl_changed = conn.execute(
        sa.text(
            "UPDATE student_test_scores SET score = (SELECT a.level FROM "
            f"{a} a WHERE a.student_test_id = student_test_scores.student_test_id "
            "AND a.part_id = student_test_scores.part_id "
            "AND a.score_type_id = student_test_scores.score_type_id) "
            f"WHERE EXISTS (SELECT 1 FROM {a} a "
            "WHERE a.student_test_id = student_test_scores.student_test_id "
            "AND a.part_id = student_test_scores.part_id "
            "AND a.score_type_id = student_test_scores.score_type_id "
            "AND " + differs_sql(conn, "a.level", "student_test_scores.score") + ")"
        )
    ).rowcount
    aefl_changed += conn.execute(
        sa.text(
            "INSERT INTO student_test_scores (student_test_id, part_id, score_type_id, score) "
            f"SELECT student_test_id, part_id, score_type_id, level FROM {a} WHERE has_row = 0"
        )
    ).rowcount

    if scope.wipes:  # Recalculate: a record no test places any more is cleared
        conn.execute(
            sa.text(
                f"INSERT INTO {r} (schedule_id) SELECT schedule_id FROM {sched.name} "
                f"WHERE excluded = 0 AND schedule_id NOT IN (SELECT schedule_id FROM {r})"
            )
        )
    changed_ids = scratch_table(
        conn, "tmp_lcp_changed", [sa.Column("schedule_id", sa.Integer, primary_key=True)]
    )
    any_differs = " OR ".join(differs_sql(conn, f"x.{f}", f"sc.{f}") for f in FIELDS)
    conn.execute(
        sa.text(
            f"INSERT INTO {changed_ids.name} (schedule_id) SELECT x.schedule_id FROM {r} x "
            f"JOIN schedule sc ON sc.id = x.schedule_id WHERE {any_differs}"
        )
    )
    new = ", ".join(f"x.{f}" for f in FIELDS)
    listing = sa.text(
        "SELECT sc.student_id, st.last_name, st.first_name, sc.id, c.program_number, "
        f"sc.aefl_initial_level, sc.aefl_final_level, sc.lcps, {new} "
        f"FROM {changed_ids.name} ch JOIN schedule sc ON sc.id = ch.schedule_id "
        f"JOIN {r} x ON x.schedule_id = sc.id "
        "JOIN courses c ON c.course_id = sc.course_id "
        "JOIN students st ON st.student_id = sc.student_id "
        f"ORDER BY sc.student_id, sc.id LIMIT {int(cap)}"
    )
    listed = [tuple(row) for row in conn.execute(listing)] if cap else []
    changed = conn.execute(
        sa.text(
            "UPDATE schedule SET "
            + ", ".join(
                f"{f} = (SELECT x.{f} FROM {r} x WHERE x.schedule_id = schedule.id)" for f in FIELDS
            )
            + f" WHERE id IN (SELECT schedule_id FROM {changed_ids.name})"
        )
    ).rowcount
    for table in (changed_ids, aefl, result, ranked, placed, scores, sched):
        table.drop(conn)
    return LcpChanges(
        records=total,
        excluded=excluded,
        placed=placed_count,
        changed=changed,
        aefl_scores=aefl_changed,
        fltestids=fltestids,
        levels_loaded=loaded,
        listed=listed,
        bad_scores=bad_rows,
        unplaced=unplaced_rows,
        bad_total=bad_total,
        unplaced_total=unplaced_total,
    )


def run_lcps(
    conn: sa.Connection,
    *,
    title: str,
    syear: int | None,
    schools: Sequence[int],
    today: dt.date,
    as_of: dt.date,
    range_from: dt.date | None,
    range_to: dt.date | None,
    cap: int,
):
    """Check the school year and schools, then ``place``; the job's JobResult."""
    from job_library.base import JobResult
    from job_library.jobs.fps._levels import months_before
    from job_library.schemas.district import school_years
    from job_library.sis_sql import resolve_year_and_schools

    resolved = resolve_year_and_schools(conn, syear, schools)
    if isinstance(resolved, str):
        return JobResult.message(False, resolved + " No record was changed.")
    year, school_ids = resolved
    ends = conn.execute(
        sa.select(school_years.c.end_date).where(school_years.c.syear == year)
    ).scalar_one()
    if ends < today:
        return JobResult.message(
            False,
            f"school year {year} ended on {ends:%Y-%m-%d}: {title} never runs for a previous "
            "school year; pick the current year (or leave School year empty). "
            "No record was changed.",
        )
    scope = LcpScope(
        syear=year,
        school_ids=school_ids,
        as_of=as_of,
        window_start=months_before(as_of, 6),
        range_from=range_from,
        range_to=range_to,
    )
    changes = place(conn, scope, cap)
    if isinstance(changes, str):
        return JobResult.message(False, changes + " No record was changed.")
    return _report(changes, scope, cap)


def _report(changes: LcpChanges, scope: LcpScope, cap: int):
    from job_library.output import listed_result

    window = f"tests from {scope.window_start:%Y-%m-%d} to {scope.as_of:%Y-%m-%d}"
    if scope.wipes:
        where = (
            f"active and inactive records of {scope.range_from:%Y-%m-%d} to "
            f"{scope.range_to:%Y-%m-%d}, {window}"
        )
    else:
        where = f"active records, {window}"
    summary = (
        f"Placed {changes.placed} of {changes.records} adult education schedule record(s) "
        f"({where}, school year {scope.syear}); {changes.changed} record(s) changed, "
        f"{changes.excluded} excluded from the LCP job, {changes.aefl_scores} AEFL score(s) "
        f"and {changes.fltestids} FLTESTID(s) written."
    )
    lines = [summary]
    if changes.levels_loaded:
        lines.append(
            f"  The level table was empty: {changes.levels_loaded} band(s) were copied from "
            "the shipped Appendix R facts; enter the district's other bands in fl_aefl_levels."
        )
    rows = []
    for (
        student,
        last,
        first,
        record,
        program,
        old_init,
        old_final,
        old_lcps,
        subject,
        init,
        final,
        lcps,
        pre,
        post1,
        post2,
        post3,
    ) in changes.listed:
        name = f"{last}, {first}"
        posts = "/".join(p for p in (post1, post2, post3) if p) or "-"
        rows.append((student, name, record, program, subject, init, final, lcps, pre, posts))
        was = f"levels {old_init or 'none'}->{old_final or 'none'}, LCPs {old_lcps or 'none'}"
        lines.append(
            f"  student {student} ({name}), record {record} (program {program}): {was} becomes "
            f"{subject or 'no subject'} {init or 'none'}->{final or 'none'}, LCPs {lcps or 'none'} "
            f"(pre-test {pre or '-'}, post-tests {posts})"
        )
    for student, test, part, day, score in changes.bad_scores:
        lines.append(
            f"  skipped: student {student} {test} {part} {day}: scale score "
            f"{score!r} is not a whole number"
        )
    for student, test, part, day, score, program in changes.unplaced:
        lines.append(
            f"  skipped: student {student} {test} {part} {day}: score {score} is in "
            f"no band of program {program} in fl_aefl_levels"
        )
    skipped = changes.bad_total + changes.unplaced_total
    shown = len(changes.bad_scores) + len(changes.unplaced)
    if skipped > shown:
        lines.append(f"  ... and {skipped - shown} more skipped score(s).")
    result = listed_result(
        summary,
        lines,
        (
            "Student",
            "Name",
            "Record",
            "Program",
            "Subject area",
            "Initial level",
            "Final level",
            "LCPs",
            "Pre-test",
            "Post-tests",
        ),
        rows,
        total=changes.changed,
        cap=cap,
        counts={
            "records": changes.records,
            "placed": changes.placed,
            "changed": changes.changed,
            "excluded": changes.excluded,
            "aefl_scores": changes.aefl_scores,
            "fltestids": changes.fltestids,
            "bad_scores": changes.bad_total,
            "unplaced_scores": changes.unplaced_total,
        },
    )
    return result
