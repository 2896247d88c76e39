"""WDIS Total Hours (FPS): total, survey and survey-attended hours on program schedule records."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.site import AddOn

SURVEYS = ("W", "S", "F")

# Only records of courses that belong to a Florida program are reported to WDIS.
_PROGRAM_COURSE = (
    "EXISTS (SELECT 1 FROM courses co WHERE co.course_id = {s}.course_id "
    "AND co.program_number IS NOT NULL)"
)


class WdisTotalHoursParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to calculate; leave empty for every school.",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="Changed schedule records listed in the output"
    )


def _windows(conn, syear: int) -> dict[str, tuple[dt.date, dt.date]] | str:
    """The year's survey windows, or an error naming what is missing or wrong."""
    import sqlalchemy as sa

    from job_library.schemas.attendance import fl_survey_periods as t

    rows = conn.execute(
        sa.select(t.c.survey, t.c.start_date, t.c.end_date).where(t.c.syear == syear)
    ).all()
    windows = {r.survey: (r.start_date, r.end_date) for r in rows}
    missing = [s for s in SURVEYS if s not in windows]
    if missing:
        return (
            f"school year {syear}: no survey window for survey {', '.join(missing)}; add the "
            "dates of every WDIS survey (W, S, F) to fl_survey_periods. Nothing was calculated."
        )
    backwards = [f"{s} ({a:%Y-%m-%d} to {b:%Y-%m-%d})" for s, (a, b) in windows.items() if b < a]
    if backwards:
        return (
            f"school year {syear}: survey window {', '.join(sorted(backwards))} ends before it "
            "starts; correct its dates in fl_survey_periods. Nothing was calculated."
        )
    return windows


class WdisTotalHours(Job):
    key = "wdis_total_hours"
    title = "WDIS Total Hours"
    description = (
        "Fills the seven hour fields that Florida's WDIS reporting reads from each schedule "
        "record of a program course (one whose course has a program number): Total Hours "
        "(CUSTOM_57), the scheduled hours inside the W, S and F survey windows (CUSTOM_76, "
        "CUSTOM_78, CUSTOM_80) and the attended hours inside them (ATT_HOURS_W, ATT_HOURS_S, "
        "ATT_HOURS_F). Rules: the survey windows of the default school year come from "
        "fl_survey_periods, first and last day included; without all three the job stops "
        "and changes nothing. A record's school days are those of the student's enrollment "
        "calendar at the section's school inside both the record's and the enrollment's dates "
        "(an open end runs to the end of the year); each adds the section's period length. "
        "Total and survey hours count the planned days, future ones too; attended hours count "
        "only days before the run date without an excused or unexcused code on the period. "
        "Hours are rounded to two decimals; records no enrollment covers are listed as skipped."
    )
    module = "SIS"
    needs_state = "FL"
    needs_add_ons = frozenset({AddOn.FPS})
    school_days_only_default = True
    default_schedule = DefaultSchedule(run_time="23:30", weekdays=WEEKDAYS)
    params_model = WdisTotalHoursParams

    def run(self, context: JobContext, params: WdisTotalHoursParams) -> JobResult:
        from job_library.jobs.attendance._hours_work import (
            HoursField,
            hours_report,
            refresh_schedule_hours,
        )
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, None, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was calculated.")
        syear, ids = resolved
        windows = _windows(conn, syear)
        if isinstance(windows, str):
            return JobResult.message(False, windows)
        through = context.now().date() - dt.timedelta(days=1)
        binds: dict[str, object] = {"through": through}
        for survey, (start, end) in windows.items():
            binds[f"{survey.lower()}_start"] = start
            binds[f"{survey.lower()}_end"] = end
        fields = [HoursField("total_hours", "Total Hours")]
        for survey in SURVEYS:
            s = survey.lower()
            fields.append(
                HoursField(f"survey_{s}_hours", f"Survey {survey} Hours", f"{s}_start", f"{s}_end")
            )
        for survey in SURVEYS:
            s = survey.lower()
            fields.append(
                HoursField(
                    f"att_hours_{s}",
                    f"Survey {survey} Attended Hours",
                    f"{s}_start",
                    f"{s}_end",
                    attended=True,
                    also_end="through",
                )
            )
        changes = refresh_schedule_hours(
            conn,
            fields,
            binds,
            syear=syear,
            school_ids=ids,
            active_on=None,
            max_listed=params.max_listed,
            extra_scope=_PROGRAM_COURSE,
        )
        return hours_report(
            changes,
            fields,
            what="WDIS hours",
            scope=(
                f"school year {syear}, program courses, attended hours through {through:%Y-%m-%d}"
            ),
            cap=params.max_listed,
        )
