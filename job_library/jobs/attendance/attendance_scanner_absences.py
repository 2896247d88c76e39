"""Attendance Scanner Absences (FPS): today's period attendance for sections that use a scanner."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import WEEKDAYS, DefaultSchedule
from job_library.sis_params import SchoolYear
from job_library.site import AddOn

# One row per student and period with a scanner section today: the student's schedule record
# in a section that uses the scanner is open today, and an enrollment of the student at the
# section's school is open today on a calendar that has today as a school day. A student in
# two scanner sections of one period gets one record (the lower section id).
_SCOPE = """
INSERT INTO {temp} (student_id, period_id, course_period_id, logged_in, existing_code)
SELECT s.student_id, cp.period_id, MIN(s.course_period_id),
       MAX(CASE WHEN EXISTS (
               SELECT 1 FROM attendance_scanner_logins l
               WHERE l.student_id = s.student_id AND l.course_period_id = s.course_period_id
                 AND l.school_date = :today) THEN 1 ELSE 0 END),
       MAX(ap.attendance_code)
FROM schedule s
JOIN course_periods cp
  ON cp.course_period_id = s.course_period_id AND cp.attendance_scanner = TRUE
LEFT JOIN attendance_period ap
  ON ap.student_id = s.student_id AND ap.school_date = :today AND ap.period_id = cp.period_id
WHERE s.syear = :syear
  AND s.start_date <= :today AND (s.end_date IS NULL OR s.end_date >= :today)
  AND EXISTS (
      SELECT 1 FROM student_enrollment e
      JOIN attendance_calendar c ON c.calendar_id = e.calendar_id AND c.school_date = :today
      WHERE e.student_id = s.student_id AND e.school_id = s.school_id AND e.syear = s.syear
        AND e.start_date <= :today AND (e.end_date IS NULL OR e.end_date >= :today))
GROUP BY s.student_id, cp.period_id
"""

# Today's check-ins that no scanner section of the student's explains, with the reason.
_IGNORED_FROM = """
FROM attendance_scanner_logins l
JOIN course_periods cp ON cp.course_period_id = l.course_period_id
WHERE l.school_date = :today
  AND NOT EXISTS (SELECT 1 FROM {temp} t
                  WHERE t.student_id = l.student_id AND t.course_period_id = l.course_period_id)
"""
_IGNORED = (
    """
SELECT l.student_id, l.course_period_id,
       CASE WHEN cp.attendance_scanner = TRUE
            THEN 'the student has no open schedule record in this section today'
            ELSE 'the section does not use the attendance scanner' END"""
    + _IGNORED_FROM
    + "ORDER BY l.student_id, l.course_period_id, l.login_id LIMIT :cap"
)
_IGNORED_COUNT = "SELECT COUNT(*)" + _IGNORED_FROM


_ACTIONS = {
    "absent": "absent record entered",
    "present": "present record entered (checked in)",
    "marked_present": "absent record turned present (checked in)",
}


class AttendanceScannerAbsencesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    absent_code: str = Field(
        default="A",
        json_schema_extra={"x-focus-lookup": "attendance_codes"},
        title="Absent code",
        description="Short name of the code entered for students who have not checked in.",
    )
    present_code: str = Field(
        default="P",
        json_schema_extra={"x-focus-lookup": "attendance_codes"},
        title="Present code",
        description="Short name of the code for students who checked in at the scanner.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changes listed in the output")


def _codes(conn, syear: int, absent: str, present: str) -> tuple[int, int] | str:
    import sqlalchemy as sa

    from job_library.schemas.attendance import attendance_codes as ac

    found = {
        r.short_name: (r.code_id, r.category)
        for r in conn.execute(
            sa.select(ac.c.short_name, ac.c.code_id, ac.c.category).where(
                ac.c.syear == syear, ac.c.short_name.in_([absent, present])
            )
        )
    }
    for name, role in ((absent, "absent"), (present, "present")):
        if name not in found:
            return (
                f"{role} code {name!r}: no attendance code with that short name in school year "
                f"{syear}; pick one from Attendance Codes. Nothing was entered."
            )
    if found[absent][1] not in ("excused", "unexcused"):
        return (
            f"absent code {absent!r}: its category is {found[absent][1]}, not an absence; "
            "pick an excused or unexcused code. Nothing was entered."
        )
    if found[present][1] not in ("present", "tardy"):
        return (
            f"present code {present!r}: its category is {found[present][1]}; pick a present "
            "or tardy code. Nothing was entered."
        )
    return found[absent][0], found[present][0]


class AttendanceScannerAbsences(Job):
    key = "attendance_scanner_absences"
    title = "Attendance Scanner Absences"
    description = (
        "For sections that take attendance with the scanner, starts each school day with every "
        "student of the section marked absent and marks a student present once the scanner "
        "has recorded the student's check-in for that section. The job names the school year "
        "(empty: the district's default year) and the absent and present codes. Rules: it "
        "works on the run date only, for students whose schedule record in a scanner section "
        "is open that day and who have an open enrollment at the section's school whose "
        "calendar has the day as a school day. A student with no period attendance yet for "
        "that period gets the absent code, or the present code when already checked in; a "
        "record holding the absent code becomes present after a check-in; any other record "
        "(a teacher's own entry) is left as it is. Check-ins for sections that do not use the "
        "scanner or that the student is not scheduled in that day are listed and ignored. It "
        "repeats through the school day so late check-ins are picked up."
    )
    module = "SIS"
    needs_add_ons = frozenset({AddOn.FPS, AddOn.ATTENDANCE_SCANNER})
    school_days_only_default = True
    default_schedule = DefaultSchedule(
        repeat_minutes=15, timeframe_start="06:30", timeframe_end="17:00", weekdays=WEEKDAYS
    )
    params_model = AttendanceScannerAbsencesParams

    def run(self, context: JobContext, params: AttendanceScannerAbsencesParams) -> JobResult:
        import sqlalchemy as sa

        from job_library.output import listed_result
        from job_library.sis_sql import analyze, resolve_year_and_schools, scratch_table

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, [])
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " Nothing was entered.")
        syear, _ = resolved
        codes = _codes(conn, syear, params.absent_code, params.present_code)
        if isinstance(codes, str):
            return JobResult.message(False, codes)
        absent_id, present_id = codes
        today = context.now().date()

        temp = scratch_table(
            conn,
            "tmp_scanner_periods",
            [
                sa.Column("student_id", sa.Integer, primary_key=True),
                sa.Column("period_id", sa.Integer, primary_key=True),
                sa.Column("course_period_id", sa.Integer, nullable=False),
                sa.Column("logged_in", sa.Integer, nullable=False),
                sa.Column("existing_code", sa.Integer),
                sa.Column("action", sa.String(20)),
            ],
        )
        values = {"today": today, "syear": syear, "absent": absent_id, "present": present_id}
        conn.execute(sa.text(_SCOPE.format(temp=temp.name)), values)
        conn.execute(
            sa.text(
                f"UPDATE {temp.name} SET action = CASE "
                "WHEN existing_code IS NULL AND logged_in = 1 THEN 'present' "
                "WHEN existing_code IS NULL THEN 'absent' "
                "WHEN existing_code = :absent AND logged_in = 1 THEN 'marked_present' END"
            ),
            values,
        )
        analyze(conn, temp)
        counts = dict(
            conn.execute(sa.select(temp.c.action, sa.func.count()).group_by(temp.c.action)).all()
        )
        checked = sum(counts.values())
        listed = (
            [
                tuple(r)
                for r in conn.execute(
                    sa.select(
                        temp.c.student_id, temp.c.period_id, temp.c.course_period_id, temp.c.action
                    )
                    .where(temp.c.action.is_not(None))
                    .order_by(temp.c.course_period_id, temp.c.student_id)
                    .limit(params.max_listed)
                )
            ]
            if params.max_listed
            else []
        )
        ignored = [
            tuple(r)
            for r in conn.execute(
                sa.text(_IGNORED.format(temp=temp.name)), {**values, "cap": params.max_listed}
            )
        ]
        ignored_total = conn.execute(
            sa.text(_IGNORED_COUNT.format(temp=temp.name)), values
        ).scalar_one()

        conn.execute(
            sa.text(
                f"UPDATE attendance_period SET attendance_code = :present "
                f"WHERE school_date = :today AND attendance_code = :absent AND EXISTS ("
                f"SELECT 1 FROM {temp.name} t WHERE t.student_id = attendance_period.student_id "
                "AND t.period_id = attendance_period.period_id AND t.action = 'marked_present')"
            ),
            values,
        )
        conn.execute(
            sa.text(
                "INSERT INTO attendance_period "
                "(student_id, school_date, period_id, attendance_code, course_period_id) "
                "SELECT t.student_id, :today, t.period_id, "
                "CASE WHEN t.action = 'present' THEN :present ELSE :absent END, "
                f"t.course_period_id FROM {temp.name} t WHERE t.action IN ('absent', 'present')"
            ),
            values,
        )
        temp.drop(conn)

        entered_absent = counts.get("absent", 0)
        entered_present = counts.get("present", 0)
        marked = counts.get("marked_present", 0)
        kept = checked - entered_absent - entered_present - marked
        changed = entered_absent + entered_present + marked
        scope = f"school year {syear}, {today:%Y-%m-%d}"
        if checked == 0:
            summary = (
                f"No student has a scanner section today ({scope}): not a school day, or no "
                "open schedule record in a section that uses the scanner; nothing entered."
            )
        else:
            summary = (
                f"Checked {checked} student period(s) in scanner sections ({scope}): entered "
                f"{entered_absent} absent and {entered_present} present record(s), turned "
                f"{marked} absent record(s) present, left {kept} as they were."
            )
        if ignored_total:
            summary += f" Ignored {ignored_total} check-in(s) (listed)."
        lines = [summary]
        rows = []
        for student, period, section, action in listed:
            rows.append((student, section, period, _ACTIONS[action]))
            lines.append(
                f"  student {student}, section {section} (period {period}): {_ACTIONS[action]}"
            )
        for student, section, reason in ignored:
            lines.append(f"  ignored check-in: student {student}, section {section}: {reason}")
        if ignored_total > len(ignored):
            lines.append(
                f"  ... and {ignored_total - len(ignored)} more ignored check-in(s) (listing "
                f"capped at {params.max_listed})."
            )
        return listed_result(
            summary,
            lines,
            ("Student", "Section", "Period", "Change"),
            rows,
            total=changed,
            cap=params.max_listed,
            counts={
                "checked": checked,
                "absent_entered": entered_absent,
                "present_entered": entered_present,
                "marked_present": marked,
                "kept": kept,
                "ignored_check_ins": ignored_total,
            },
        )
