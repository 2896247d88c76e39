"""The demo district's adult education and assessment data: Florida programs and level bands,
CASAS tests, basic skills minimums, graduation and EOC tests, and a District Assessment with
classes, answers and a re-scoring request, so the adult education and assessment jobs have
real work on `make run`."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa

from job_library.jobs.fps._levels import shipped_bands
from job_library.schemas.assessments import standardized_tests, test_parts, test_score_types
from job_library.schemas.district_assessments import (
    district_assessment_items,
    district_assessment_rescore_queue,
    district_assessments,
)
from job_library.schemas.fps import fl_aefl_levels, fps_basic_skills_minimums, fps_programs

if TYPE_CHECKING:
    from include.demo_district import DemoYear

ADULT_SCHOOL = 8
HIGH_SCHOOLS = (6, 7)
# Adult course -> Florida program.
PROGRAMS = {"ESOL": "9900040", "ABE-RDG": "9900040", "GED": "9900130", "ABE-MATH": "8000100"}
# The demo's own Appendix R bands (a district enters them from its year's tables); the
# shipped facts (236+ / 228+) sit on top.
DEMO_BANDS = [
    ("9900040", "CASAS_LW", "READING", 0, 210, "4", 4, "D"),
    ("9900040", "CASAS_LW", "READING", 211, 220, "5", 5, "E"),
    ("9900040", "CASAS_LW", "READING", 221, 999, "6+", 6, "F"),
    ("9900040", "CASAS_GOALS", "READING", 0, 999, "6+", 6, "F"),
    ("9900130", "CASAS_LW", "READING", 0, 220, "A", 1, "A"),
    ("9900130", "CASAS_LW", "READING", 221, 999, "B", 2, "B"),
    ("9900130", "CASAS_GOALS", "READING", 0, 999, "B", 2, "B"),
]
# (field id, alias, title, type)
FIELDS = [
    (1001, "basic_skills_test", "Basic Skills Test (TABE or CASAS)", "text"),
    (1002, "graduation_cohort", "Graduation Cohort", "text"),
    (1003, "fsa_ela_graduation", "FSA ELA Graduation Requirement", "text"),
    (1004, "fsa_ela_graduation_met_by", "FSA ELA Graduation Requirement Met By", "text"),
    (1005, "esol_graduation_pathway", "ESOL Graduation Pathway", "date"),
    (1006, "ese_test_waiver", "ESE Test Waiver", "date"),
    (1007, "cbt_accommodations", "State/District Computer Based Test Accommodations", "text"),
]
KEY = ("A", "B", "C", "A", "B")


def load_demo_assessments(conn: sa.Connection, year: DemoYear) -> None:
    """Add the data on top of the generated district (tests 1-2 and their parts exist)."""
    from job_library.student_fields import (
        FieldType,
        RecordTable,
        StudentField,
        StudentFields,
        define_field,
    )

    days = year.school_days
    conn.execute(
        sa.insert(fps_programs),
        [
            dict(program_number="9900040", title="ESOL", cost_code="401"),
            dict(program_number="9900130", title="GED Prep", cost_code="400"),
            dict(program_number="8000100", title="Career certificate (demo)", cost_code="300"),
        ],
    )
    conn.execute(
        sa.insert(fps_basic_skills_minimums),
        [dict(program_number="8000100", test_family="CASAS", subject="READING", min_score=215)],
    )
    for subject, program in PROGRAMS.items():
        conn.execute(
            sa.text(
                "UPDATE courses SET program_number = :p WHERE school_id = :s AND short_name = :n"
            ),
            {"p": program, "s": ADULT_SCHOOL, "n": subject},
        )
    conn.execute(
        sa.insert(fl_aefl_levels),
        shipped_bands()
        + [
            dict(program_number=p, test_family=f, subject=s, low_score=lo, high_score=hi,
                 level=lv, rank=rk, lcp=lcp, source="demo")
            for p, f, s, lo, hi, lv, rk, lcp in DEMO_BANDS
        ],
    )  # fmt: skip
    # CAG reading is a READING part with an AEFL score; CLW (Life and Work) and the Algebra 1
    # EOC join; FAST ELA can meet the ELA graduation requirement at 350.
    conn.execute(sa.text("UPDATE test_parts SET subject = 'READING' WHERE part_id = 3"))
    conn.execute(
        sa.text(
            "UPDATE test_parts SET graduation_requirement = 'ELA', passing_score = 350 "
            "WHERE part_id = 1"
        )
    )
    conn.execute(
        sa.insert(standardized_tests),
        [
            dict(test_id=3, short_name="CLW", title="CASAS Life and Work Reading"),
            dict(test_id=4, short_name="ALG1", title="Algebra 1 EOC"),
        ],
    )
    conn.execute(
        sa.insert(test_parts),
        [
            dict(
                part_id=4,
                test_id=3,
                short_name="RDG",
                title="Reading",
                subject="READING",
                passing_score=None,
            ),
            dict(
                part_id=5,
                test_id=4,
                short_name="ALG1",
                title="Algebra 1",
                subject=None,
                passing_score=497,
            ),
        ],
    )
    conn.execute(
        sa.insert(test_score_types),
        [
            dict(score_type_id=5, test_id=2, short_name="AEFL"),
            dict(score_type_id=6, test_id=3, short_name="SS"),
            dict(score_type_id=7, test_id=3, short_name="FLTESTID"),
            dict(score_type_id=8, test_id=3, short_name="AEFL"),
            dict(score_type_id=9, test_id=4, short_name="SS"),
        ],
    )
    # Adult students: a CLW pre-test on the 11th school day, a post-test on the 61st.
    for day, extra in ((days[10], "0"), (days[60], "(st.student_id % 3) * 8")):
        conn.execute(
            sa.text("""
            INSERT INTO student_tests (student_id, test_id, syear, test_date)
            SELECT e.student_id, 3, e.syear, :day FROM student_enrollment e
            WHERE e.school_id = :adult AND e.second_school = FALSE
              AND e.id = (SELECT MIN(o.id) FROM student_enrollment o
                          WHERE o.student_id = e.student_id AND o.second_school = FALSE)
        """).bindparams(sa.bindparam("day", type_=sa.Date)),
            {"day": day, "adult": ADULT_SCHOOL},
        )
        conn.execute(
            sa.text(f"""
            INSERT INTO student_test_scores (student_test_id, part_id, score_type_id, score)
            SELECT st.student_test_id, 4, 6,
                   CAST(200 + st.student_id % 37 + {extra} AS VARCHAR(20))
            FROM student_tests st WHERE st.test_id = 3 AND st.test_date = :day
        """).bindparams(sa.bindparam("day", type_=sa.Date)),
            {"day": day},
        )
    # High schools: Algebra 1 leads to its EOC; the students in it took the exam.
    conn.execute(
        sa.text(
            "UPDATE courses SET eoc_exam = 'ALG1' WHERE short_name = 'MATH' AND school_id IN "
            f"({', '.join(map(str, HIGH_SCHOOLS))})"
        )
    )
    conn.execute(
        sa.text("""
        INSERT INTO student_tests (student_id, test_id, syear, test_date)
        SELECT DISTINCT sc.student_id, 4, sc.syear, :day FROM schedule sc
        JOIN courses c ON c.course_id = sc.course_id WHERE c.eoc_exam = 'ALG1'
    """).bindparams(sa.bindparam("day", type_=sa.Date)),
        {"day": days[40]},
    )
    conn.execute(
        sa.text("""
        INSERT INTO student_test_scores (student_test_id, part_id, score_type_id, score)
        SELECT student_test_id, 5, 9, CAST(450 + student_id % 100 AS VARCHAR(20))
        FROM student_tests WHERE test_id = 4
    """)
    )
    # A dynamic District Assessment for the first two Algebra 1 classes, answered by the
    # students of the first one and scored against a key since corrected.
    conn.execute(
        sa.insert(district_assessments),
        [dict(assessment_id=1, syear=year.syear, title="Algebra 1 benchmark", external_id="ALG-B1",
              dynamic=True)],
    )  # fmt: skip
    conn.execute(
        sa.text("""
        INSERT INTO district_assessment_sections (assessment_id, course_period_id)
        SELECT 1, cp.course_period_id FROM course_periods cp
        JOIN courses c ON c.course_id = cp.course_id
        WHERE c.eoc_exam = 'ALG1'
          AND cp.course_period_id IN (SELECT cp2.course_period_id FROM course_periods cp2
                                      JOIN courses c2 ON c2.course_id = cp2.course_id
                                      WHERE c2.eoc_exam = 'ALG1'
                                      ORDER BY cp2.course_period_id LIMIT 2)
    """)
    )
    conn.execute(
        sa.insert(district_assessment_items),
        [
            dict(assessment_id=1, item_no=i + 1, correct_answer=a, points=1, standard=f"MA.912.{i}")
            for i, a in enumerate(KEY)
        ],
    )
    conn.execute(
        sa.text("""
        INSERT INTO district_assessment_responses (assessment_id, student_id, item_no, response)
        SELECT 1, s.student_id, i.item_no,
               CASE (s.student_id + i.item_no) % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE 'C' END
        FROM (SELECT DISTINCT sc.student_id FROM schedule sc
              WHERE sc.course_period_id = (SELECT MIN(course_period_id)
                                           FROM district_assessment_sections)) s
        CROSS JOIN district_assessment_items i
    """)
    )
    conn.execute(
        sa.text("""
        INSERT INTO district_assessment_results (assessment_id, student_id, points_earned,
                                                 points_possible, scored_at)
        SELECT DISTINCT 1, student_id, 0, 5, :at FROM district_assessment_responses
    """).bindparams(sa.bindparam("at", type_=sa.DateTime(timezone=True))),
        {"at": _at(days[50])},
    )
    conn.execute(
        sa.insert(district_assessment_rescore_queue),
        [dict(assessment_id=1, queued_at=_at(days[55]))],
    )
    for fid, alias, title, kind in FIELDS:
        define_field(conn, StudentField(fid, alias, title, FieldType(kind), RecordTable.STUDENTS))
    fields = StudentFields(conn, changed_by="demo")
    students = sa.table("students", sa.column("student_id"))
    enrollment = sa.table(
        "student_enrollment",
        sa.column("student_id"),
        sa.column("school_id"),
        sa.column("grade_id"),
        sa.column("second_school"),
    )
    grades = sa.table("grade_levels", sa.column("grade_id"), sa.column("short_name"))
    fields.write_from(
        "basic_skills_test",
        sa.select(enrollment.c.student_id, sa.literal("CASAS"))
        .where(enrollment.c.school_id == ADULT_SCHOOL, enrollment.c.second_school == sa.false())
        .distinct(),
    )
    # The graduation cohort: the year a student of grades 9-12 finishes grade 12.
    fields.write_from(
        "graduation_cohort",
        sa.select(
            enrollment.c.student_id,
            sa.cast(year.syear + 13 - sa.cast(grades.c.short_name, sa.Integer), sa.String),
        )
        .join(grades, grades.c.grade_id == enrollment.c.grade_id)
        .where(
            grades.c.short_name.in_(["09", "10", "11", "12"]),
            enrollment.c.second_school == sa.false(),
        )
        .distinct(),
    )
    # Every third student has the Computer Based Text-to-Speech accommodation.
    fields.write_from(
        "cbt_accommodations",
        sa.select(
            students.c.student_id, sa.literal("Extended Time||Computer Based Text-to-Speech")
        ).where(students.c.student_id % 3 == 0),
    )


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(15, 0), dt.UTC)
