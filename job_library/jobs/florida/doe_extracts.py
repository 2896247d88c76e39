"""Florida DOE Extracts and Verification Reports: initial extract tables and their checks."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from job_library.base import Job, JobContext, JobResult
from job_library.output import html_table
from job_library.sis_params import SchoolYear

Format = Literal["pk12", "wdis"]
FORMAT_TITLES = {"pk12": "PK-12", "wdis": "WDIS"}
PUSH_FOLDER = "school_folders"  # under the district's files: <school id>/doe_verification/
# Student fields (by alias) that fill PK-12 indicator codes; the others are in _doe_layouts.
INDICATOR_FIELDS = {
    "immunization_status": "fl_immunization_status",
    "section_504": "fl_section_504",
}


class DoeExtractParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    run_extracts: bool = Field(default=True, title="Run initial extracts")
    run_verification: bool = Field(default=True, title="Run verification reports")
    formats: list[Format] = Field(
        default_factory=lambda: ["pk12", "wdis"],
        min_length=1,
        title="Extracts",
        description="pk12 (PK-12 schools) and/or wdis (adult education schools).",
    )
    survey_period: Literal["1", "2", "3", "4", "5"] = Field(default="2", title="Survey period")
    syear: SchoolYear = None
    push_to_school_folders: bool = Field(
        default=False, title="Push Verification Report Results to School Folder"
    )
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="The schools whose folders get the verification results (needed when pushing).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Problems listed")

    @model_validator(mode="after")
    def _something_to_do(self) -> DoeExtractParams:
        if not (self.run_extracts or self.run_verification):
            raise ValueError("run_extracts and run_verification are both off: turn on at least one")
        if self.push_to_school_folders and not self.schools:
            raise ValueError(
                "push_to_school_folders is on but no school is chosen: pick the schools whose "
                "folders get the results"
            )
        if self.push_to_school_folders and not self.run_verification:
            raise ValueError(
                "push_to_school_folders needs run_verification: there is nothing to push"
            )
        return self


@dataclass
class Outcome:
    """What one format's run did."""

    fmt: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    records: int = 0
    refused: list[tuple] = field(default_factory=list)  # school, student, reason
    problems: list[tuple] = field(default_factory=list)  # school, student, code, message
    problem_count: int = 0


class FloridaDoeExtracts(Job):
    key = "florida_doe_extracts_and_verification_reports"
    title = "Florida DOE Extracts and Verification Reports"
    description = (
        "For one school year and survey period, builds the initial state-reporting extracts "
        "and/or checks them district-wide. PK-12 (students of schools that are not adult "
        "education) goes to florida_pk12_initial as the DOE's current 160-character "
        "Federal/State Indicator Status record, keyed on the student's FLEID with the Focus "
        "student id as the local student number; a student without a usable FLEID (none, "
        "blank, all zeros or not FL and twelve digits) is not written and is listed with the "
        "reason. WDIS (students of adult education schools) goes to "
        "florida_wdis_initial in a 70-character layout this project defines because the WDIS "
        "formats were not available to us (both layouts are in the README). Surveys 1-4 take "
        "the enrollments active on the run date, survey 5 every enrollment of the year; a "
        "record that cannot be written (a value too long or not plain ASCII) is left out and "
        "listed. The checks fill florida_verification and wdis_verification and their results "
        "are the run's output, so they reach the completion e-mail; with pushing on, each "
        "chosen school gets its own results and its students left out as an HTML page in its "
        "folder of the district's files once the run is committed. Tables are brought in line, "
        "never rebuilt: a second run changes nothing."
    )
    module = "Florida State Reporting"
    needs_state = "FL"
    params_model = DoeExtractParams
    title_template = "{title} for {syear}"

    def run(self, context: JobContext, params: DoeExtractParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, f"{resolved} Nothing was extracted or checked.")
        syear, _ = resolved
        today = context.now().date()
        outcomes = []
        for fmt in dict.fromkeys(params.formats):
            outcome = Outcome(fmt)
            if params.run_extracts:
                extract(conn, outcome, syear, params.survey_period, today)
            if params.run_verification:
                verify(conn, outcome, syear, params.survey_period, params.max_listed)
            outcomes.append(outcome)
        result = _report(outcomes, syear, params)
        if params.push_to_school_folders:
            result = _push(context, outcomes, syear, params, result)
        return result


def _active_sql(survey: str) -> str:
    if survey == "5":
        return ""
    return "AND e.start_date <= :today AND (e.end_date IS NULL OR e.end_date >= :today)"


def _indicators_sql() -> tuple[str, str]:
    """Columns and joins that read the PK-12 indicator student fields by alias."""
    columns, joins = [], []
    for i, (name, alias) in enumerate(INDICATOR_FIELDS.items()):
        columns.append(f"f{i}.value AS {name}")
        joins.append(
            f"LEFT JOIN (SELECT v.record_id, v.value FROM custom_field_values v "
            f"JOIN custom_fields c ON c.field_id = v.field_id AND c.alias = '{alias}') f{i} "
            f"ON f{i}.record_id = s.student_id"
        )
    return ", ".join(columns), " ".join(joins)


def _source_rows(conn: sa.Connection, fmt: str, syear: int, survey: str, today: dt.date):
    columns, joins = _indicators_sql() if fmt == "pk12" else ("NULL AS none", "")
    adult = "TRUE" if fmt == "wdis" else "FALSE"
    # One row a school and student; its grade is that of the latest enrollment counted.
    sql = f"""
SELECT sc.school_id, s.student_id, sc.district_number, sc.school_number, s.fleid,
       s.last_name, s.first_name, s.birthdate, s.gender, g.short_name AS grade, {columns}
FROM (
    SELECT e.school_id, e.student_id, e.grade_id, ROW_NUMBER() OVER (
        PARTITION BY e.school_id, e.student_id ORDER BY e.start_date DESC, e.id DESC) AS latest
    FROM student_enrollment e
    WHERE e.syear = :syear {_active_sql(survey)}
) e
JOIN schools sc ON sc.school_id = e.school_id AND sc.adult_ed = {adult}
JOIN students s ON s.student_id = e.student_id
JOIN grade_levels g ON g.grade_id = e.grade_id
{joins}
WHERE e.latest = 1
ORDER BY sc.school_id, s.student_id
"""
    params = {"syear": syear} | ({} if survey == "5" else {"today": today})
    return conn.execute(sa.text(sql), params).mappings().all()


def _record(fmt: str, row, syear: int, survey: str) -> str:
    from job_library.jobs.florida._doe_layouts import (
        PE_WAIVER_GRADES,
        PK12_DEFAULTS,
        PK12_INDICATOR_STATUS,
        SECTION_504_UNSET,
        WDIS_STUDENT,
        fiscal_year,
    )

    common = {
        "district_number": row["district_number"],
        "school_number": row["school_number"],
        "survey": survey,
        "fiscal_year": fiscal_year(syear),
    }
    if fmt == "pk12":
        return PK12_INDICATOR_STATUS.record(
            common
            | PK12_DEFAULTS
            | {
                "immunization_status": row["immunization_status"],
                "section_504": (row["section_504"] or "").strip() or SECTION_504_UNSET,
                "pe_waiver": "N" if row["grade"] in PE_WAIVER_GRADES else "Z",
                "local_student_number": row["student_id"],
                "fleid": row["fleid"].strip(),
            }
        )
    common["student_number"] = row["student_id"]
    birth = row["birthdate"]
    if isinstance(birth, str):  # SQLite hands text back through a raw query
        birth = dt.date.fromisoformat(birth)
    return WDIS_STUDENT.record(
        common
        | {
            "last_name": (row["last_name"] or "").strip()[:20],
            "first_name": (row["first_name"] or "").strip()[:15],
            "birth_date": birth.strftime("%Y%m%d") if birth else None,
            "gender": row["gender"],
        }
    )


def extract(conn: sa.Connection, outcome: Outcome, syear: int, survey: str, today) -> None:
    """Bring the format's initial table in line with the records built now."""
    from job_library.fixed_width import LayoutError
    from job_library.jobs.florida._doe_layouts import fleid_problem
    from job_library.schemas.florida_reporting import florida_pk12_initial, florida_wdis_initial
    from job_library.sis_sql import scratch_table

    target = florida_pk12_initial if outcome.fmt == "pk12" else florida_wdis_initial
    records = []
    for row in _source_rows(conn, outcome.fmt, syear, survey, today):
        why = fleid_problem(row["fleid"]) if outcome.fmt == "pk12" else None
        if why:
            outcome.refused.append((row["school_id"], row["student_id"], f"{why}: not written"))
            continue
        try:
            record = _record(outcome.fmt, row, syear, survey)
        except LayoutError as exc:
            outcome.refused.append((row["school_id"], row["student_id"], str(exc)))
            continue
        records.append(
            dict(school_id=row["school_id"], student_id=row["student_id"], record=record)
        )
    outcome.records = len(records)
    temp = scratch_table(
        conn,
        "tmp_doe_records",
        [
            sa.Column("school_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("record", sa.String(200), nullable=False),
        ],
    )
    if records:
        conn.execute(sa.insert(temp), records)
    t = target
    same_key = sa.and_(t.c.school_id == temp.c.school_id, t.c.student_id == temp.c.student_id)
    mine = sa.and_(t.c.syear == syear, t.c.survey == survey)
    new_record = sa.select(temp.c.record).where(same_key).scalar_subquery()
    outcome.updated = conn.execute(
        sa.update(t)
        .where(mine, sa.exists().where(same_key, temp.c.record != t.c.record))
        .values(record=new_record)
    ).rowcount
    outcome.removed = conn.execute(sa.delete(t).where(mine, ~sa.exists().where(same_key))).rowcount
    outcome.added = conn.execute(
        sa.insert(t).from_select(
            ["syear", "survey", "school_id", "student_id", "record"],
            sa.select(
                sa.literal(syear),
                sa.literal(survey),
                temp.c.school_id,
                temp.c.student_id,
                temp.c.record,
            ).where(~sa.exists().where(mine, same_key)),
        )
    ).rowcount
    temp.drop(conn)


# Each check: code, message and the condition on the initial record (alias i), its student
# (s), school (sc) and year. Positions are those of the layouts in _doe_layouts.
_PK12_CHECKS = (
    (  # the extract writes none of these; a record stored another way may hold one
        "FLEID",
        "The record's FLEID (73-86) is blank, all zeros or does not start with FL.",
        "SUBSTR(i.record, 73, 2) <> 'FL' OR SUBSTR(i.record, 75, 12) = '000000000000'",
    ),
    (
        "IMMUN",
        "Immunization status is blank for a kindergarten or grade 7 student.",
        "SUBSTR(i.record, 23, 1) = ' ' AND EXISTS (SELECT 1 FROM student_enrollment e "
        "JOIN grade_levels g ON g.grade_id = e.grade_id WHERE e.student_id = i.student_id "
        "AND e.school_id = i.school_id AND e.syear = i.syear AND g.short_name IN ('KG', '07'))",
    ),
)
_WDIS_CHECKS = (
    (
        "BIRTH",
        "Birth date is missing.",
        "SUBSTR(i.record, 57, 8) = '00000000'",
    ),
    (
        "GENDER",
        "Gender is missing.",
        "SUBSTR(i.record, 65, 1) = ' '",
    ),
)


def verify(conn: sa.Connection, outcome: Outcome, syear: int, survey: str, cap: int) -> None:
    """Bring the format's verification table in line with the checks of its initial table."""
    from job_library.schemas.florida_reporting import florida_verification, wdis_verification
    from job_library.sis_sql import scratch_table

    pk12 = outcome.fmt == "pk12"
    initial = "florida_pk12_initial" if pk12 else "florida_wdis_initial"
    target = florida_verification if pk12 else wdis_verification
    temp = scratch_table(
        conn,
        "tmp_doe_problems",
        [
            sa.Column("school_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("check_code", sa.String(10), primary_key=True),
            sa.Column("message", sa.String(300), nullable=False),
        ],
    )
    for code, message, condition in _PK12_CHECKS if pk12 else _WDIS_CHECKS:
        conn.execute(
            sa.text(
                f"INSERT INTO {temp.name} (school_id, student_id, check_code, message) "
                f"SELECT i.school_id, i.student_id, :code, :message FROM {initial} i "
                f"JOIN students s ON s.student_id = i.student_id "
                f"WHERE i.syear = :syear AND i.survey = :survey AND ({condition})"
            ),
            {"code": code, "message": message, "syear": syear, "survey": survey},
        )
    t = target
    mine = sa.and_(t.c.syear == syear, t.c.survey == survey)
    same = sa.and_(
        t.c.school_id == temp.c.school_id,
        t.c.student_id == temp.c.student_id,
        t.c.check_code == temp.c.check_code,
    )
    conn.execute(sa.delete(t).where(mine, ~sa.exists().where(same)))
    conn.execute(
        sa.insert(t).from_select(
            ["syear", "survey", "school_id", "student_id", "check_code", "message"],
            sa.select(
                sa.literal(syear),
                sa.literal(survey),
                temp.c.school_id,
                temp.c.student_id,
                temp.c.check_code,
                temp.c.message,
            ).where(~sa.exists().where(mine, same)),
        )
    )
    temp.drop(conn)
    from job_library.schemas.district import schools
    from job_library.schemas.enrollment import students

    outcome.problem_count = conn.execute(
        sa.select(sa.func.count()).select_from(t).where(mine)
    ).scalar_one()
    outcome.problems = [
        tuple(r)
        for r in conn.execute(
            sa.select(
                schools.c.short_name,
                t.c.student_id,
                students.c.last_name,
                students.c.first_name,
                t.c.check_code,
                t.c.message,
                t.c.school_id,
            )
            .join(schools, schools.c.school_id == t.c.school_id)
            .join(students, students.c.student_id == t.c.student_id)
            .where(mine)
            .order_by(t.c.school_id, t.c.student_id, t.c.check_code)
        )
    ]


def _problem_rows(outcomes: list[Outcome], cap: int, school_id: int | None = None):
    rows = [
        (FORMAT_TITLES[o.fmt], school, sid, f"{last}, {first}", code, message)
        for o in outcomes
        for school, sid, last, first, code, message, sch in o.problems
        if school_id is None or sch == school_id
    ]
    return rows[:cap], len(rows)


def _report(outcomes: list[Outcome], syear: int, params: DoeExtractParams) -> JobResult:
    cap = params.max_listed
    parts, counts = [], {}
    for o in outcomes:
        name = FORMAT_TITLES[o.fmt]
        bits = []
        if params.run_extracts:
            bits.append(
                f"{o.records} record(s) extracted ({o.added} added, {o.updated} updated, "
                f"{o.removed} removed, {len(o.refused)} left out)"
            )
            counts |= {
                f"{o.fmt}_records": o.records,
                f"{o.fmt}_added": o.added,
                f"{o.fmt}_updated": o.updated,
                f"{o.fmt}_removed": o.removed,
                f"{o.fmt}_left_out": len(o.refused),
            }
        if params.run_verification:
            bits.append(f"{o.problem_count} verification problem(s)")
            counts[f"{o.fmt}_problems"] = o.problem_count
        parts.append(f"{name}: " + ", ".join(bits))
    summary = f"DOE survey {params.survey_period}, school year {syear}: " + "; ".join(parts) + "."
    lines = [summary]
    refused = [(FORMAT_TITLES[o.fmt], *r) for o in outcomes for r in o.refused]
    lines += [
        f"  left out: {f} school {sch} student {sid}: {why}" for f, sch, sid, why in refused[:cap]
    ]
    rows, total = _problem_rows(outcomes, cap)
    lines += [
        f"  {f} {school} student {sid} ({name}): {code}: {msg}"
        for f, school, sid, name, code, msg in rows
    ]
    more = max(0, total - len(rows)) + max(0, len(refused) - cap)
    if more:
        lines.append(f"  ... and {more} more (listing capped at {cap}).")
    page = (
        f"<p>{html.escape(summary)}</p>"
        + html_table(("Extract", "School", "Student", "Reason left out"), refused[:cap])
        + html_table(("Report", "School", "Student", "Name", "Check", "Problem"), rows)
        + (f"<p>{more} more not listed.</p>" if more else "")
    )
    return JobResult(True, summary, "\n".join(lines), page, counts)


def _push(
    context: JobContext,
    outcomes: list[Outcome],
    syear: int,
    params: DoeExtractParams,
    result: JobResult,
) -> JobResult:
    """Write each chosen school's results page once the run is committed."""
    from job_library.jobs.system._district_files import district_folder

    name = f"verification_{syear}_survey{params.survey_period}.html"
    pages = {}
    for school_id in sorted(set(params.schools)):
        rows, total = _problem_rows(outcomes, 10_000, school_id)
        left_out = [
            (FORMAT_TITLES[o.fmt], sid, why)
            for o in outcomes
            for sch, sid, why in o.refused
            if sch == school_id
        ]
        title = f"DOE verification, school year {syear}, survey {params.survey_period}"
        pages[school_id] = (
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1><p>{total} problem(s).</p>"
            + html_table(("Report", "School", "Student", "Name", "Check", "Problem"), rows)
            + (f"<p>{len(left_out)} student(s) left out of the extract.</p>" if left_out else "")
            + html_table(("Extract", "Student", "Reason left out"), left_out)
            + "</body></html>\n"
        )
    root = district_folder(context, PUSH_FOLDER)

    def write() -> None:
        for school_id, page in pages.items():
            folder = root / str(school_id) / "doe_verification"
            folder.mkdir(parents=True, exist_ok=True)
            fresh = folder / f".{name}.new"
            fresh.write_text(page, encoding="utf-8")
            fresh.replace(folder / name)

    context.after_commit(write)
    paths = [f"{PUSH_FOLDER}/{s}/doe_verification/{name}" for s in pages]
    note = f"Results pushed to {len(paths)} school folder(s): " + ", ".join(paths) + "."
    return JobResult(
        result.success,
        f"{result.summary} {note}",
        f"{result.text}\n{note}",
        result.html + f"<p>{html.escape(note)}</p>",
        {**result.counts, "pushed": len(paths)},
    )
