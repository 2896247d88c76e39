"""EOY Attendance Calculation: Florida days present, absent and absent-not-disciplinary."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.jobs.attendance.attendance_summary import (
    EnrollmentTotals,
    enrollment_report,
    refresh_enrollment_fields,
)
from job_library.sis_params import SchoolYear

# Same day rules as Attendance Summary Calculation (a school day without an absent
# attendance_day counts as present); an out-of-school suspension day is left out of
# fl_days_absent_not_disc.
EOY_TOTALS = EnrollmentTotals(
    sums={
        "absent": "SUM(1 - ad.state_value)",
        "absent_not_disc": (
            "SUM(CASE WHEN ad.disciplinary = TRUE THEN 0 ELSE 1 - ad.state_value END)"
        ),
    },
    fields={
        "fl_days_present": "d.days - COALESCE(a.absent, 0)",
        "fl_days_absent": "COALESCE(a.absent, 0)",
        "fl_days_absent_not_disc": "COALESCE(a.absent_not_disc, 0)",
    },
)

EOY_FIELDS = (
    ("fl_days_present", "FL Days Present"),
    ("fl_days_absent", "FL Days Absent"),
    ("fl_days_absent_not_disc", "FL Days Absent (not disciplinary)"),
)


class EoyAttendanceParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    schools: list[int] = Field(
        json_schema_extra={"x-focus-lookup": "schools"},
        default_factory=list,
        title="Schools",
        description="Ids of the schools to calculate; leave empty for every school.",
    )
    max_listed: int = Field(
        default=200, ge=0, le=10_000, title="Changed enrollments listed in the output"
    )


class EoyAttendanceCalculation(Job):
    key = "eoy_attendance_calculation"
    title = "EOY Attendance Calculation"
    description = (
        "Does on a schedule what Update Enrollment Attendance Fields does in the EOY Processing of "
        "Florida Reports: it fills fl_days_absent, fl_days_absent_not_disc and fl_days_present on "
        "students' enrollment records. Rules: every enrollment record of the school year "
        "(primary and second school, active or ended) is counted over the school days of its "
        "calendar from its start date through its end date or the day before the run date, "
        "whichever is earlier (so a run after the last day of school counts the whole year). "
        "Days absent add up the absent part of each attendance_day (a half day is 0.5), "
        "excused or unexcused; days present are the school days less days absent, so a day "
        "without an attendance_day record counts as present; days absent not disciplinary "
        "leave out the days marked disciplinary (out-of-school suspension). Run it after "
        "Recalculate Daily Attendance."
    )
    module = "Florida State Reporting"
    school_days_only_default = True
    needs_state = "FL"
    title_template = "{title} for {syear}"
    params_model = EoyAttendanceParams

    def run(self, context: JobContext, params: EoyAttendanceParams) -> JobResult:
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was calculated.")
        syear, school_ids = resolved
        through = context.now().date() - dt.timedelta(days=1)
        changes = refresh_enrollment_fields(
            conn,
            EOY_TOTALS,
            syear=syear,
            school_ids=school_ids,
            through=through,
            max_listed=params.max_listed,
        )
        return enrollment_report(
            changes,
            EOY_FIELDS,
            what="Florida EOY attendance fields",
            syear=syear,
            through=through,
            cap=params.max_listed,
        )
