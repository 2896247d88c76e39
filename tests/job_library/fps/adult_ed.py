"""An adult education district for the LCP and basic skills tests, worked out by hand: the
hand-made district's adult school 3 and students 11-17, Florida programs, courses and
schedule records, CASAS and TABE tests."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.jobs.fps._levels import shipped_bands
from job_library.schemas.assessments import (
    standardized_tests,
    student_test_scores,
    student_tests,
    test_parts,
    test_score_types,
)
from job_library.schemas.fps import fl_aefl_levels, fps_programs
from job_library.schemas.scheduling import course_periods, courses, schedule
from tests.job_library.district import ADULT_PERIOD, ADULT_SCHOOL, SYEAR, load, load_adult

ESOL, ELC, GED, OTHER = "9900040", "9900050", "9900130", "8000000"
# Tests (id, short name) and their parts (id, test, short name, subject).
TESTS = {1: "CLW", 2: "CAG", 3: "TABE", 4: "CJE", 5: "CL", 6: "CF"}
PARTS = {
    1: (1, "RDG", "READING"),
    2: (1, "MATH", "MATH"),
    3: (2, "RDG", "READING"),
    4: (2, "MATH", "MATH"),
    5: (3, "RDG", "READING"),
    6: (3, "MATH", "MATH"),
    7: (3, "LANG", "LANGUAGE"),
    8: (4, "TOT", None),
    9: (5, "RDG", "READING"),
    10: (6, "MATH", "MATH"),
}
# Score types: SS and LEVEL on every test, FLTESTID and AEFL on CLW and CAG.
SS = {t: 10 + t for t in TESTS}
LEVEL = {t: 20 + t for t in TESTS}
FLTESTID = {1: 31, 2: 32}
AEFL = {1: 41, 2: 42}

# District bands on top of the shipped Appendix R facts (236+/228+ -> 8 and G):
# (program, family, subject, low, high, level, rank, lcp)
DISTRICT_BANDS = [
    (ESOL, "CASAS_LW", "READING", 0, 210, "4", 4, "D"),
    (ESOL, "CASAS_LW", "READING", 211, 220, "5", 5, "E"),
    (ESOL, "CASAS_LW", "READING", 221, 999, "6+", 6, "F"),
    (ESOL, "CASAS_GOALS", "READING", 0, 215, "5", 5, "E"),
    (ESOL, "CASAS_GOALS", "READING", 216, 999, "6+", 6, "F"),
    (ESOL, "CASAS_LW", "MATH", 0, 999, "5", 5, "E"),
    (ELC, "CASAS_LW", "READING", 0, 220, "D", 4, "D"),
    (ELC, "CASAS_LW", "READING", 221, 999, "E+", 5, "E"),
    (GED, "TABE", "READING", 0, 500, "A", 1, "A"),
    (GED, "TABE", "READING", 501, 999, "B", 2, "B"),
    (GED, "CASAS_GOALS", "READING", 0, 220, "A", 1, "A"),
    (GED, "CASAS_GOALS", "READING", 221, 999, "B", 2, "B"),
]

# Schedule records: id -> (student, course, start, end, excluded, syear)
COURSE_OF = {ESOL: 1, ELC: 2, GED: 3, OTHER: 4}
RECORDS = {
    1: (11, 1, dt.date(2026, 8, 15), None, False, SYEAR),
    2: (12, 1, dt.date(2026, 10, 31), None, False, SYEAR),
    3: (12, 1, dt.date(2026, 8, 15), dt.date(2026, 10, 30), False, SYEAR),  # inactive
    4: (13, 1, dt.date(2026, 8, 15), None, True, SYEAR),  # Exclude From LCP Job
    5: (14, 2, dt.date(2026, 8, 15), None, False, SYEAR),
    6: (15, 3, dt.date(2026, 8, 15), None, False, SYEAR),
    7: (16, 4, dt.date(2026, 8, 15), None, False, SYEAR),  # cost code 300
    8: (17, 1, dt.date(2026, 8, 15), None, False, SYEAR),
    9: (11, 5, dt.date(2025, 8, 15), None, False, 2025),  # last year's
    10: (11, 3, dt.date(2026, 8, 15), None, False, SYEAR),  # GED, no test fits: stale values
}
STALE = dict(aefl_subject_area="READING", aefl_initial_level="Z", lcps="ZZ")

# Student tests: id -> (student, test, date, {part: scale score})
STUDENT_TESTS = {
    1: (11, 1, dt.date(2026, 6, 1), {1: "215"}),
    2: (11, 1, dt.date(2026, 9, 1), {1: "235"}),
    3: (11, 1, dt.date(2026, 11, 20), {1: "236"}),
    4: (12, 2, dt.date(2026, 5, 27), {3: "200"}),  # a day before the window
    5: (12, 2, dt.date(2026, 5, 28), {3: "227"}),  # the window's first day
    6: (12, 2, dt.date(2026, 10, 1), {3: "228"}),
    7: (12, 2, dt.date(2026, 11, 29), {3: "100"}),  # tomorrow
    8: (13, 1, dt.date(2026, 9, 1), {1: "230"}),
    9: (14, 1, dt.date(2026, 7, 1), {1: "236"}),
    10: (14, 3, dt.date(2026, 9, 1), {5: "ABS"}),  # not a number
    11: (14, 2, dt.date(2026, 8, 15), {3: "200"}),  # no band of 9900050 covers it
    12: (15, 2, dt.date(2026, 8, 1), {3: "221", 4: "210"}),
    13: (16, 3, dt.date(2026, 9, 1), {5: "400"}),
    14: (17, 1, dt.date(2026, 9, 10), {1: "230", 2: "100"}),
}


def load_adult_ed(engine: sa.Engine, *, district_bands: bool = True) -> None:
    load(engine)
    load_adult(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(fps_programs),
            [
                dict(program_number=ESOL, title="ESOL", cost_code="401"),
                dict(program_number=ELC, title="English Literacy", cost_code="499"),
                dict(program_number=GED, title="GED Prep", cost_code="400"),
                dict(program_number=OTHER, title="Career program", cost_code="300"),
            ],
        )
        conn.execute(
            sa.insert(courses),
            [
                dict(
                    course_id=cid,
                    school_id=ADULT_SCHOOL,
                    syear=SYEAR,
                    title=f"Program {program}",
                    short_name=f"P{cid}",
                    program_number=program,
                )
                for program, cid in COURSE_OF.items()
            ]
            + [
                dict(
                    course_id=5,
                    school_id=ADULT_SCHOOL,
                    syear=2025,
                    title="ESOL",
                    short_name="P5",
                    program_number=ESOL,
                )
            ],
        )
        conn.execute(
            sa.insert(course_periods),
            [
                dict(
                    course_period_id=cid,
                    course_id=cid,
                    school_id=ADULT_SCHOOL,
                    syear=2025 if cid == 5 else SYEAR,
                    period_id=ADULT_PERIOD,
                    short_name="01",
                    title=f"Section {cid}",
                )
                for cid in range(1, 6)
            ],
        )
        conn.execute(
            sa.insert(schedule),
            [
                dict(
                    id=rid,
                    student_id=student,
                    syear=year,
                    school_id=ADULT_SCHOOL,
                    course_id=course,
                    course_period_id=course,
                    start_date=start,
                    end_date=end,
                    exclude_from_lcp=excluded,
                    **(STALE if rid in (4, 10) else dict.fromkeys(STALE)),
                )
                for rid, (student, course, start, end, excluded, year) in RECORDS.items()
            ],
        )
        conn.execute(
            sa.insert(standardized_tests),
            [dict(test_id=t, short_name=n, title=n) for t, n in TESTS.items()],
        )
        conn.execute(
            sa.insert(test_parts),
            [
                dict(part_id=p, test_id=t, short_name=n, title=n, subject=s)
                for p, (t, n, s) in PARTS.items()
            ],
        )
        types = [dict(score_type_id=SS[t], test_id=t, short_name="SS") for t in TESTS]
        types += [dict(score_type_id=LEVEL[t], test_id=t, short_name="LEVEL") for t in TESTS]
        types += [
            dict(score_type_id=i, test_id=t, short_name="FLTESTID") for t, i in FLTESTID.items()
        ]
        types += [dict(score_type_id=i, test_id=t, short_name="AEFL") for t, i in AEFL.items()]
        conn.execute(sa.insert(test_score_types), types)
        add_tests(conn, STUDENT_TESTS)
        if district_bands:
            bands = [
                dict(
                    program_number=p,
                    test_family=f,
                    subject=s,
                    low_score=lo,
                    high_score=hi,
                    level=lv,
                    rank=rk,
                    lcp=lcp,
                    source="district",
                )
                for p, f, s, lo, hi, lv, rk, lcp in DISTRICT_BANDS
            ]
            conn.execute(sa.insert(fl_aefl_levels), shipped_bands() + bands)


def add_tests(conn: sa.Connection, tests: dict, levels: dict | None = None) -> None:
    """Student tests {id: (student, test, date, {part: scale score})}, with LEVEL scores
    {(id, part): level} when given (of these tests or of STUDENT_TESTS)."""
    known = {**STUDENT_TESTS, **tests}
    conn.execute(
        sa.insert(student_tests),
        [
            dict(
                student_test_id=i,
                student_id=s,
                test_id=t,
                syear=SYEAR if day >= dt.date(2026, 8, 1) else 2025,
                test_date=day,
            )
            for i, (s, t, day, _) in tests.items()
        ],
    )
    rows = [
        dict(student_test_id=i, part_id=p, score_type_id=SS[t], score=v)
        for i, (_, t, _, scores) in tests.items()
        for p, v in scores.items()
    ]
    rows += [
        dict(student_test_id=i, part_id=p, score_type_id=LEVEL[known[i][1]], score=str(v))
        for (i, p), v in (levels or {}).items()
    ]
    if rows:
        conn.execute(sa.insert(student_test_scores), rows)


def schedule_fields(engine: sa.Engine, *names: str) -> dict[int, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(schedule.c.id, *(schedule.c[n] for n in names)).order_by(schedule.c.id)
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def scores_of(engine: sa.Engine, score_types: dict[int, int]) -> dict[tuple[int, int], str]:
    """{(student test, part): score} of the given score types."""
    t = student_test_scores
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.student_test_id, t.c.part_id, t.c.score).where(
                t.c.score_type_id.in_(list(score_types.values()))
            )
        ).all()
    return {(r[0], r[1]): r[2] for r in rows}
