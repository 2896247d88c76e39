"""District Assessments on the hand-made district: four assessments, classes, listings,
answer keys, responses and results, worked out by hand."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.platform_schema import custom_field_values
from job_library.schemas.district_assessments import (
    district_assessment_items,
    district_assessment_rescore_queue,
    district_assessment_responses,
    district_assessment_results,
    district_assessment_sections,
    district_assessment_students,
    district_assessments,
)
from job_library.schemas.scheduling import schedule
from job_library.student_fields import FieldType, RecordTable, StudentField, define_field
from tests.job_library.district import SYEAR, load, load_sections

QUEUED_AT = dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)
SCORED_AT = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)
# 1: dynamic, class 1; 2: dynamic but closed on 1 Nov, class 4; 3: not dynamic, class 1;
# 4: no answer key.
ASSESSMENTS = [
    dict(assessment_id=1, syear=SYEAR, title="Math benchmark", external_id="VEN-1",
         dynamic=True, start_date=None, end_date=None),
    dict(assessment_id=2, syear=SYEAR, title="Science check", external_id="VEN-2",
         dynamic=True, start_date=None, end_date=dt.date(2026, 11, 1)),
    dict(assessment_id=3, syear=SYEAR, title="Reading probe", external_id="VEN-3",
         dynamic=False, start_date=None, end_date=None),
    dict(assessment_id=4, syear=SYEAR, title="Draft quiz", external_id="VEN-4",
         dynamic=False, start_date=None, end_date=None),
]  # fmt: skip
# Answer key of assessment 1: item -> (answer, points).
KEY = {1: ("B", 1), 2: ("c", 2), 3: ("D", 1)}
# Schedules in class 1 (school 1) and class 4 (school 2): student -> (class, start, end).
SCHEDULES = {
    1: (1, dt.date(2026, 8, 15), None),
    2: (1, dt.date(2026, 8, 15), dt.date(2026, 11, 20)),  # left the class
    3: (1, dt.date(2026, 12, 1), None),  # joins next month
    5: (1, dt.date(2026, 8, 15), None),
    4: (4, dt.date(2026, 8, 15), None),
}
# Listing of assessment 1 before: student -> (added by, text to speech).
LISTED = {2: ("dynamic", False), 4: ("dynamic", False), 5: ("manual", False), 6: ("manual", False)}
ACCOMMODATIONS = {
    1: "Extended Time||Computer Based Text-to-Speech",
    5: "Computer Based Text-to-Speech",
    6: "Computer Based Text-to-Speech (paper)",  # not the checkbox
}
RESPONSES = {
    (1, 1): "b", (1, 2): "C ", (1, 3): "A",  # 1 + 2 + 0 = 3 of 4
    (4, 1): "B", (4, 2): "X",  # 1 of 4, question 3 unanswered
    (5, 1): "A",  # 0 of 4
}  # fmt: skip
RESULTS = {1: 3, 4: 2}  # student -> points earned before (4's is stale)


def load_assessments(engine: sa.Engine) -> None:
    load(engine)
    load_sections(engine)
    with engine.begin() as conn:
        conn.execute(sa.insert(district_assessments), ASSESSMENTS)
        conn.execute(
            sa.insert(district_assessment_sections),
            [
                dict(assessment_id=1, course_period_id=1),
                dict(assessment_id=2, course_period_id=4),
                dict(assessment_id=3, course_period_id=1),
            ],
        )
        conn.execute(
            sa.insert(schedule),
            [
                dict(id=200 + s, student_id=s, syear=SYEAR, school_id=1 if cp == 1 else 2,
                     course_id=1 if cp == 1 else 2, course_period_id=cp, start_date=start,
                     end_date=end)
                for s, (cp, start, end) in SCHEDULES.items()
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(district_assessment_students),
            [
                dict(assessment_id=1, student_id=s, added_by=by, use_text_to_speech=tts)
                for s, (by, tts) in LISTED.items()
            ]
            + [dict(assessment_id=2, student_id=2, added_by="dynamic", use_text_to_speech=False)],
        )
        conn.execute(
            sa.insert(district_assessment_items),
            [
                dict(assessment_id=1, item_no=i, correct_answer=a, points=p, standard=f"MA.{i}")
                for i, (a, p) in KEY.items()
            ],
        )
        conn.execute(
            sa.insert(district_assessment_responses),
            [
                dict(assessment_id=1, student_id=s, item_no=i, response=r)
                for (s, i), r in RESPONSES.items()
            ],
        )
        conn.execute(
            sa.insert(district_assessment_results),
            [
                dict(assessment_id=1, student_id=s, points_earned=p, points_possible=4,
                     completed_at=SCORED_AT, scored_at=SCORED_AT)
                for s, p in RESULTS.items()
            ],
        )  # fmt: skip
        define_field(
            conn,
            StudentField(
                200000222,
                "cbt_accommodations",
                "State/District Computer Based Test Accommodations",
                FieldType.TEXT,
                RecordTable.STUDENTS,
            ),
        )
        conn.execute(
            sa.insert(custom_field_values),
            [dict(field_id=200000222, record_id=s, value=v) for s, v in ACCOMMODATIONS.items()],
        )


def queue(engine: sa.Engine, *assessment_ids: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(district_assessment_rescore_queue),
            [dict(assessment_id=a, queued_at=QUEUED_AT) for a in assessment_ids],
        )


def results(engine: sa.Engine) -> dict[tuple[int, int], tuple[int, int]]:
    r = district_assessment_results
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(r.c.assessment_id, r.c.student_id, r.c.points_earned, r.c.points_possible)
        ).all()
    return {(a, s): (e, p) for a, s, e, p in rows}


def listing(engine: sa.Engine, assessment_id: int) -> dict[int, tuple[str, bool]]:
    d = district_assessment_students
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(d.c.student_id, d.c.added_by, d.c.use_text_to_speech).where(
                d.c.assessment_id == assessment_id
            )
        ).all()
    return {s: (by, bool(t)) for s, by, t in rows}
