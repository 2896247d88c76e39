"""Florida DOE Extracts and Verification Reports on SQLite and Postgres, byte for byte against
golden records worked out by hand from the layouts (golden/)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from job_library.jobs.florida import doe_extracts as module
from job_library.jobs.florida.doe_extracts import DoeExtractParams, FloridaDoeExtracts
from job_library.platform_schema import custom_field_values
from job_library.schemas.district import grade_levels
from job_library.schemas.enrollment import student_enrollment, students
from job_library.schemas.florida_reporting import (
    florida_pk12_initial,
    florida_verification,
    florida_wdis_initial,
    wdis_verification,
)
from job_library.student_fields import FieldType, RecordTable, StudentField, define_field
from tests.job_library.district import load, load_adult
from tests.job_library.jobs_context import run_in_transaction

GOLDEN = Path(__file__).parent / "golden"
NOW = dt.datetime(2026, 11, 12, 20, 0, tzinfo=ZoneInfo("America/New_York"))
IMMUNIZATION, SECTION_504 = 900, 901


def _district(engine) -> None:
    """Active on 12 Nov: school 1 students 1, 2, 5; school 2 students 4 and 5 (second
    school); adult school 3 students 11-15 and 17. Student 1 is in KG without an
    immunization status; 2 (grade 05, as the others) has status 2 and 504 Y; 1, 2 and 4
    have FLEIDs, 5 an all-zero one, 3 and 6 none; adult 13 has a name that is not ASCII."""
    load(engine)
    load_adult(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(grade_levels), [dict(grade_id=9, short_name="KG", title="K", sort_order=0)]
        )
        conn.execute(
            sa.update(student_enrollment).where(student_enrollment.c.id == 1).values(grade_id=9)
        )
        define_field(
            conn,
            StudentField(
                IMMUNIZATION, "fl_immunization_status", "Imm", FieldType.TEXT, RecordTable.STUDENTS
            ),
        )
        define_field(
            conn,
            StudentField(
                SECTION_504, "fl_section_504", "504", FieldType.TEXT, RecordTable.STUDENTS
            ),
        )
        conn.execute(
            sa.insert(custom_field_values),
            [
                dict(field_id=IMMUNIZATION, record_id=2, value="2"),
                dict(field_id=SECTION_504, record_id=2, value="Y"),
            ],
        )
        s = students.c
        for sid, values in {
            1: dict(fleid="FL000000000001"),
            2: dict(fleid="FL000000000002"),
            4: dict(fleid="FL000000000004"),
            5: dict(fleid="FL000000000000"),
            11: dict(birthdate=dt.date(2001, 3, 4), gender="F"),
            12: dict(birthdate=dt.date(1999, 12, 31), gender="M"),
            13: dict(last_name="Muñoz"),
        }.items():
            conn.execute(sa.update(students).where(s.student_id == sid).values(**values))


def _run(engine, tmp_path=Path("."), now=NOW, **params):
    return run_in_transaction(
        engine, FloridaDoeExtracts(), DoeExtractParams(**params), now=now, district_files=tmp_path
    )


def _file(engine, table) -> str:
    """The initial table as an extract file: one record a line, by school and student."""
    with engine.connect() as conn:
        records = conn.execute(
            sa.select(table.c.record).order_by(table.c.school_id, table.c.student_id)
        ).scalars()
        return "".join(f"{r}\n" for r in records)


def _problems(engine, table) -> set[tuple]:
    t = table
    with engine.connect() as conn:
        return {
            tuple(r)
            for r in conn.execute(
                sa.select(t.c.syear, t.c.survey, t.c.school_id, t.c.student_id, t.c.check_code)
            )
        }


PK12_PROBLEMS = {(2026, "2", 1, 1, "IMMUN")}
WDIS_PROBLEMS = {(2026, "2", 3, sid, code) for sid in (14, 15, 17) for code in ("BIRTH", "GENDER")}


def test_extracts_match_the_golden_files_byte_for_byte(db):
    _district(db)
    result = _run(db)
    assert _file(db, florida_pk12_initial) == (GOLDEN / "pk12_survey2.txt").read_text()
    assert _file(db, florida_wdis_initial) == (GOLDEN / "wdis_survey2.txt").read_text()
    assert _problems(db, florida_verification) == PK12_PROBLEMS
    assert _problems(db, wdis_verification) == WDIS_PROBLEMS
    assert result.success
    assert result.summary == (
        "DOE survey 2, school year 2026: PK-12: 3 record(s) extracted (3 added, 0 updated, "
        "0 removed, 2 left out), 1 verification problem(s); WDIS: 5 record(s) extracted "
        "(5 added, 0 updated, 0 removed, 1 left out), 6 verification problem(s)."
    )
    assert result.counts["wdis_left_out"] == 1
    # Student 5's all-zero FLEID keeps both of its records out (schools 1 and 2).
    for school in (1, 2):
        assert (
            f"  left out: PK-12 school {school} student 5: FLEID 'FL000000000000' is all zeros: "
            "not written" in result.text
        )
    assert (
        "  left out: WDIS school 3 student 13: layout WDIS Adult Student (project layout): "
        "field last_name (22-41): 'Muñoz' is not printable ASCII" in result.text
    )
    assert (
        "  PK-12 TE student 1 (Last1, First1): IMMUN: Immunization status is blank for a "
        "kindergarten or grade 7 student." in result.text
    )
    assert "<td>WDIS</td><td>TTC</td><td>14</td><td>Last14, First14</td><td>BIRTH</td>" in (
        result.html
    )


def test_second_run_changes_nothing_and_changes_are_brought_in_line(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert again.counts["pk12_added"] == again.counts["pk12_updated"] == 0
    assert again.counts["pk12_removed"] == again.counts["wdis_added"] == 0
    assert _file(db, florida_pk12_initial) == (GOLDEN / "pk12_survey2.txt").read_text()
    assert _problems(db, florida_verification) == PK12_PROBLEMS
    with db.begin() as conn:
        conn.execute(
            sa.insert(custom_field_values), [dict(field_id=IMMUNIZATION, record_id=1, value="2")]
        )
        conn.execute(  # student 2 leaves on 11 Nov
            sa.update(student_enrollment)
            .where(student_enrollment.c.id == 2)
            .values(end_date=dt.date(2026, 11, 11))
        )
    third = _run(db, formats=["pk12"])
    assert (third.counts["pk12_added"], third.counts["pk12_updated"]) == (0, 1)
    assert third.counts["pk12_removed"] == 1
    assert _problems(db, florida_verification) == set()
    assert "wdis_records" not in third.counts


def test_survey_5_takes_every_enrollment_of_the_year_and_keeps_survey_2(db):
    _district(db)
    with db.begin() as conn:  # 3 gets a blank FLEID; 6 keeps none
        conn.execute(sa.update(students).where(students.c.student_id == 3).values(fleid="  "))
    _run(db, formats=["pk12"])
    result = _run(db, formats=["pk12"], survey_period="5", run_verification=False)
    # School 1: 1, 2, 3, 4, 5, 6; school 2: 4, 5; last year's record of 1 is not this year.
    # Written: 1, 2, 4 at school 1 and 4 at school 2; 3, 5, 6 (and 5 at school 2) are not.
    assert result.counts["pk12_records"] == 4
    assert result.counts["pk12_left_out"] == 4
    for line in (
        "  left out: PK-12 school 1 student 3: no FLEID (the DOE keys this record on it): "
        "not written",
        "  left out: PK-12 school 1 student 6: no FLEID (the DOE keys this record on it): "
        "not written",
    ):
        assert line in result.text
    assert "pk12_problems" not in result.counts
    with db.connect() as conn:
        t = florida_pk12_initial
        by_survey = dict(
            conn.execute(sa.select(t.c.survey, sa.func.count()).group_by(t.c.survey)).all()
        )
    assert by_survey == {"2": 3, "5": 4}


@pytest.mark.parametrize(
    ("fleid", "why"),
    [
        ("FL000000000001", None),
        (None, "no FLEID (the DOE keys this record on it)"),
        ("", "no FLEID (the DOE keys this record on it)"),
        ("   ", "no FLEID (the DOE keys this record on it)"),
        ("FL000000000000", "FLEID 'FL000000000000' is all zeros"),
        ("FL00000000001", "FLEID 'FL00000000001' is not FL followed by twelve digits"),
        ("XX000000000001", "FLEID 'XX000000000001' is not FL followed by twelve digits"),
        ("FL00000000000A", "FLEID 'FL00000000000A' is not FL followed by twelve digits"),
    ],
)
def test_a_usable_fleid_is_fl_and_twelve_digits_not_all_zeros(fleid, why):
    from job_library.jobs.florida._doe_layouts import fleid_problem

    assert fleid_problem(fleid) == why


def test_verification_only_reads_the_tables_as_they_are(db):
    _district(db)
    result = _run(db, run_extracts=False)
    assert result.summary == (
        "DOE survey 2, school year 2026: PK-12: 0 verification problem(s); WDIS: 0 "
        "verification problem(s)."
    )
    _run(db, run_verification=False)
    assert _problems(db, florida_verification) == set()
    assert _run(db, run_extracts=False).counts["pk12_problems"] == 1
    # A stored record whose FLEID (73-86) was blanked: the check reads the record itself.
    t = florida_pk12_initial
    with db.begin() as conn:
        record = conn.execute(sa.select(t.c.record).where(t.c.student_id == 4)).scalar_one()
        blanked = record[:72] + " " * 14 + record[86:]
        conn.execute(sa.update(t).where(t.c.student_id == 4).values(record=blanked))
    assert _run(db, run_extracts=False).counts["pk12_problems"] == 2
    assert _problems(db, florida_verification) == PK12_PROBLEMS | {(2026, "2", 2, 4, "FLEID")}


def test_results_are_pushed_to_the_chosen_school_folders_after_the_commit(db, tmp_path):
    _district(db)
    result = _run(db, tmp_path, push_to_school_folders=True, schools=[2, 3])
    page2 = tmp_path / "school_folders/2/doe_verification/verification_2026_survey2.html"
    page3 = tmp_path / "school_folders/3/doe_verification/verification_2026_survey2.html"
    assert not (tmp_path / "school_folders/1").exists()
    text2 = page2.read_text()
    assert "<p>0 problem(s).</p><p>1 student(s) left out of the extract.</p>" in text2
    assert (
        "<td>PK-12</td><td>5</td><td>FLEID &#x27;FL000000000000&#x27; is all zeros: not "
        "written</td>" in text2
    )
    assert "<td>TE</td>" not in text2
    assert "<p>6 problem(s).</p>" in page3.read_text()
    assert result.counts["pushed"] == 2
    assert result.summary.endswith(
        "Results pushed to 2 school folder(s): school_folders/2/doe_verification/"
        "verification_2026_survey2.html, school_folders/3/doe_verification/"
        "verification_2026_survey2.html."
    )


def test_a_failure_midway_changes_nothing_and_pushes_nothing(db, tmp_path, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("server stopped while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="server stopped"):
        _run(db, tmp_path, push_to_school_folders=True, schools=[1])
    assert _file(db, florida_pk12_initial) == ""
    assert _problems(db, florida_verification) == set()
    assert not (tmp_path / "school_folders").exists()


def test_bad_choices_are_refused_with_the_fix(db):
    _district(db)
    with pytest.raises(ValidationError, match="both off: turn on at least one"):
        DoeExtractParams(run_extracts=False, run_verification=False)
    with pytest.raises(ValidationError, match="no school is chosen"):
        DoeExtractParams(push_to_school_folders=True)
    with pytest.raises(ValidationError, match="at least 1 item"):
        DoeExtractParams(formats=[])
    unknown = _run(db, schools=[99])
    assert not unknown.success
    assert unknown.summary == (
        "schools [99]: no such school id; pick ids from the Schools list. Nothing was "
        "extracted or checked."
    )


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=2)
    # 2 of the 3 left-out records and 2 of 7 problems listed.
    assert "  ... and 6 more (listing capped at 2)." in result.text
