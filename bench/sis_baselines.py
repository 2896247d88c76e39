"""Hand-written SQL baselines for the SIS benchmark (Postgres only).

Each baseline is one statement written from the job's documented rules, not from its SQL
(nothing here imports a job module): the best plan we could write for the same result. The
benchmark checks that a job and its baseline leave identical table checksums.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

# Enrollment spans of the year, cut at the day before the run ("through"). Most enrollments
# share a (calendar, first day, last day) span, so school days are counted once per span.
_SPANS = """
SELECT e.id, e.student_id, e.calendar_id, e.start_date,
       CASE WHEN e.end_date < :through THEN e.end_date ELSE :through END AS last_day
FROM student_enrollment e WHERE e.syear = :syear
"""

_ENROLLMENT_TOTALS = f"""
SELECT s.id, d.days AS enrolled,
       COALESCE(a.absent, 0) AS absent, COALESCE(a.excused, 0) AS excused,
       COALESCE(a.absent_not_disc, 0) AS absent_not_disc
FROM ({_SPANS}) s
JOIN (
    SELECT u.calendar_id, u.start_date, u.last_day, COUNT(c.school_date) AS days
    FROM (SELECT DISTINCT calendar_id, start_date, last_day FROM ({_SPANS}) x) u
    LEFT JOIN attendance_calendar c
      ON c.calendar_id = u.calendar_id AND c.school_date BETWEEN u.start_date AND u.last_day
    GROUP BY u.calendar_id, u.start_date, u.last_day
) d ON d.calendar_id = s.calendar_id AND d.start_date = s.start_date AND d.last_day = s.last_day
LEFT JOIN (
    SELECT s2.id,
           SUM(1 - ad.state_value) AS absent,
           SUM(CASE WHEN ad.absence_type = 'excused' THEN 1 - ad.state_value ELSE 0 END)
               AS excused,
           SUM(CASE WHEN ad.disciplinary THEN 0 ELSE 1 - ad.state_value END) AS absent_not_disc
    FROM attendance_day ad
    JOIN ({_SPANS}) s2
      ON s2.student_id = ad.student_id
     AND ad.school_date BETWEEN s2.start_date AND s2.last_day
    WHERE ad.state_value < 1
      AND EXISTS (SELECT 1 FROM attendance_calendar c
                  WHERE c.calendar_id = s2.calendar_id AND c.school_date = ad.school_date)
    GROUP BY s2.id
) a ON a.id = s.id
"""

ATTENDANCE_SUMMARY = f"""
UPDATE student_enrollment t
SET days_enrolled = v.enrolled, days_present = v.enrolled - v.absent,
    days_excused = v.excused, days_unexcused = v.absent - v.excused
FROM ({_ENROLLMENT_TOTALS}) v
WHERE t.id = v.id
  AND (t.days_enrolled, t.days_present, t.days_excused, t.days_unexcused)
      IS DISTINCT FROM (v.enrolled, v.enrolled - v.absent, v.excused, v.absent - v.excused)
"""

EOY_ATTENDANCE = f"""
UPDATE student_enrollment t
SET fl_days_present = v.enrolled - v.absent, fl_days_absent = v.absent,
    fl_days_absent_not_disc = v.absent_not_disc
FROM ({_ENROLLMENT_TOTALS}) v
WHERE t.id = v.id
  AND (t.fl_days_present, t.fl_days_absent, t.fl_days_absent_not_disc)
      IS DISTINCT FROM (v.enrolled - v.absent, v.absent, v.absent_not_disc)
"""

CLASS_RANK_GPA = """
WITH latest AS (
    SELECT DISTINCT ON (student_id) student_id, school_id, grade_id, drop_code
    FROM student_enrollment
    WHERE syear = :syear AND NOT second_school
    ORDER BY student_id, start_date DESC, id DESC
), gpas AS (
    SELECT l.student_id, l.school_id, l.grade_id,
           ROUND(h.points / h.credits, 3)::numeric(5, 3) AS gpa,
           ROUND(h.weighted / h.credits, 3)::numeric(5, 3) AS weighted_gpa
    FROM latest l
    LEFT JOIN (
        SELECT student_id, SUM(credits_earned) AS credits,
               SUM(grade_points * credits_earned) AS points,
               SUM(COALESCE(weighted_points, grade_points) * credits_earned) AS weighted
        FROM course_history
        WHERE syear <= :syear AND affects_gpa AND grade_points IS NOT NULL
          AND credits_earned > 0
        GROUP BY student_id
    ) h ON h.student_id = l.student_id
    WHERE l.drop_code IS NULL
), ranked AS (
    SELECT g.*,
           CASE WHEN g.weighted_gpa IS NOT NULL THEN RANK() OVER (
               PARTITION BY g.school_id, g.grade_id, g.weighted_gpa IS NULL
               ORDER BY g.weighted_gpa DESC) END AS class_rank,
           CASE WHEN g.weighted_gpa IS NOT NULL THEN COUNT(*) OVER (
               PARTITION BY g.school_id, g.grade_id, g.weighted_gpa IS NULL) END AS class_size
    FROM gpas g
)
INSERT INTO student_gpa AS sg
    (student_id, syear, school_id, gpa, weighted_gpa, class_rank, class_size)
SELECT r.student_id, :syear, r.school_id, r.gpa, r.weighted_gpa, r.class_rank, r.class_size
FROM ranked r
WHERE r.gpa IS NOT NULL
   OR EXISTS (SELECT 1 FROM student_gpa o WHERE o.student_id = r.student_id AND o.syear = :syear)
ON CONFLICT (student_id, syear) DO UPDATE SET
    school_id = EXCLUDED.school_id, gpa = EXCLUDED.gpa, weighted_gpa = EXCLUDED.weighted_gpa,
    class_rank = EXCLUDED.class_rank, class_size = EXCLUDED.class_size
WHERE (sg.school_id, sg.gpa, sg.weighted_gpa, sg.class_rank, sg.class_size)
      IS DISTINCT FROM (EXCLUDED.school_id, EXCLUDED.gpa, EXCLUDED.weighted_gpa,
                        EXCLUDED.class_rank, EXCLUDED.class_size)
"""

IMMUNIZATION_COMPLIANCE = """
WITH active AS (
    SELECT DISTINCT ON (student_id) student_id, grade_id
    FROM student_enrollment
    WHERE syear = :syear AND NOT second_school AND start_date <= :today
      AND (end_date IS NULL OR end_date >= :today)
    ORDER BY student_id, start_date DESC, id DESC
), applies AS (
    SELECT g.grade_id, r.requirement_id, r.doses_required, UPPER(TRIM(r.vaccine)) AS vaccine
    FROM grade_levels g
    JOIN immunization_requirements r
      ON r.syear = :syear
     AND (r.grade_id = g.grade_id
          OR (r.grade_id IS NULL AND NOT EXISTS (
              SELECT 1 FROM immunization_requirements o
              WHERE o.syear = :syear AND o.grade_id = g.grade_id
                AND UPPER(TRIM(o.vaccine)) = UPPER(TRIM(r.vaccine)))))
), doses AS (
    SELECT student_id, UPPER(TRIM(vaccine)) AS vaccine,
           COUNT(DISTINCT dose_date) FILTER (WHERE NOT exempt) AS doses,
           BOOL_OR(exempt) AS exempt
    FROM immunization_records
    WHERE dose_date <= :today
    GROUP BY student_id, UPPER(TRIM(vaccine))
), found AS (
    SELECT a.student_id, p.requirement_id, COALESCE(d.doses, 0) AS doses,
           (COALESCE(d.doses, 0) >= p.doses_required OR COALESCE(d.exempt, FALSE)) AS compliant
    FROM active a
    JOIN applies p ON p.grade_id = a.grade_id
    LEFT JOIN doses d ON d.student_id = a.student_id AND d.vaccine = p.vaccine
), stale AS (
    DELETE FROM immunization_compliance ic
    USING active a
    WHERE ic.student_id = a.student_id
      AND ic.requirement_id IN (SELECT requirement_id FROM immunization_requirements
                                WHERE syear = :syear)
      AND NOT EXISTS (SELECT 1 FROM found f
                      WHERE f.student_id = ic.student_id AND f.requirement_id = ic.requirement_id)
)
INSERT INTO immunization_compliance AS ic
    (student_id, requirement_id, doses_received, compliant, checked_at)
SELECT student_id, requirement_id, doses, compliant, :now FROM found
ON CONFLICT (student_id, requirement_id) DO UPDATE SET
    doses_received = EXCLUDED.doses_received, compliant = EXCLUDED.compliant,
    checked_at = EXCLUDED.checked_at
WHERE (ic.doses_received, ic.compliant) IS DISTINCT FROM (EXCLUDED.doses_received,
                                                         EXCLUDED.compliant)
"""

# Daily attendance of every student-day in the window: the day belongs to the primary
# enrollment covering it that started last (then the higher id), if the day is on that
# enrollment's calendar; minutes and the day's state from the school's attendance periods.
RECALCULATE_DAILY_ATTENDANCE = """
WITH owner AS (
    SELECT DISTINCT ON (e.student_id, w.day) e.student_id, w.day, e.syear, e.school_id,
           e.calendar_id
    FROM student_enrollment e
    JOIN (SELECT generate_series(:first_day, :last_day, INTERVAL '1 day')::date AS day) w
      ON w.day >= e.start_date AND (e.end_date IS NULL OR w.day <= e.end_date)
    WHERE NOT e.second_school
    ORDER BY e.student_id, w.day, e.start_date DESC, e.id DESC
), school_day AS (
    SELECT p.school_id, p.syear, SUM(p.length_minutes) AS minutes,
           LEAST(MAX(s.full_day_minutes), SUM(p.length_minutes)) AS full_day,
           LEAST(MAX(s.half_day_minutes), SUM(p.length_minutes)) AS half_day
    FROM school_periods p JOIN schools s ON s.school_id = p.school_id
    WHERE p.attendance
    GROUP BY p.school_id, p.syear
), missed AS (
    SELECT ap.student_id, ap.school_date, p.school_id, SUM(p.length_minutes) AS minutes,
           BOOL_OR(ac.category = 'unexcused') AS unexcused, BOOL_OR(ac.disciplinary) AS disc
    FROM attendance_period ap
    JOIN school_periods p ON p.period_id = ap.period_id AND p.attendance
    JOIN attendance_codes ac
      ON ac.code_id = ap.attendance_code AND ac.category IN ('excused', 'unexcused')
    WHERE ap.school_date BETWEEN :first_day AND :last_day
    GROUP BY ap.student_id, ap.school_date, p.school_id
), computed AS (
    SELECT o.student_id, o.day AS school_date, o.syear, o.school_id,
           d.minutes - COALESCE(m.minutes, 0) AS present, d.full_day, d.half_day,
           m.unexcused, m.disc
    FROM owner o
    JOIN attendance_calendar c ON c.calendar_id = o.calendar_id AND c.school_date = o.day
    JOIN school_day d ON d.school_id = o.school_id AND d.syear = o.syear
    LEFT JOIN missed m
      ON m.student_id = o.student_id AND m.school_date = o.day AND m.school_id = o.school_id
), days AS (
    SELECT student_id, school_date, syear, school_id, present AS minutes_present,
           CASE WHEN present >= full_day THEN 1.0 WHEN present >= half_day THEN 0.5
                ELSE 0.0 END AS state_value,
           CASE WHEN present >= full_day THEN NULL WHEN unexcused THEN 'unexcused'
                ELSE 'excused' END AS absence_type,
           (present < full_day AND COALESCE(disc, FALSE)) AS disciplinary
    FROM computed
), changed AS (
    -- compared first: ON CONFLICT would lock every unchanged day it meets
    SELECT n.*, x.student_id IS NULL AS added
    FROM days n
    LEFT JOIN attendance_day x ON x.student_id = n.student_id AND x.school_date = n.school_date
    WHERE x.student_id IS NULL
       OR (x.syear, x.school_id, x.minutes_present, x.state_value, x.absence_type,
           x.disciplinary)
          IS DISTINCT FROM (n.syear, n.school_id, n.minutes_present, n.state_value,
                            n.absence_type, n.disciplinary)
), removed AS (
    DELETE FROM attendance_day ad
    WHERE ad.school_date BETWEEN :first_day AND :last_day
      AND NOT EXISTS (SELECT 1 FROM days n
                      WHERE n.student_id = ad.student_id AND n.school_date = ad.school_date)
), updated AS (
    UPDATE attendance_day t SET
        syear = c.syear, school_id = c.school_id, minutes_present = c.minutes_present,
        state_value = c.state_value, absence_type = c.absence_type,
        disciplinary = c.disciplinary
    FROM changed c
    WHERE NOT c.added AND t.student_id = c.student_id AND t.school_date = c.school_date
)
INSERT INTO attendance_day (student_id, school_date, syear, school_id, minutes_present,
                            state_value, absence_type, disciplinary)
SELECT student_id, school_date, syear, school_id, minutes_present, state_value, absence_type,
       disciplinary
FROM changed WHERE added
"""
PAST_DAYS = 14

# Per active primary enrollment absent (a period with one of the codes) on its last school
# day through :through: the run of such days back to the last day it was not; the students
# with a run of :min_streak days or more get an alert to each chosen user who has none
# about them since the run began. Other enrollments cannot have a run: their days are not read.
CTE_CONSECUTIVE_ABSENCES = """
WITH active AS (
    SELECT e.id, e.student_id, e.school_id, e.calendar_id, e.start_date,
           (SELECT MAX(c.school_date) FROM attendance_calendar c
            WHERE c.calendar_id = e.calendar_id AND c.school_date >= e.start_date
              AND c.school_date <= :through
              AND (e.end_date IS NULL OR c.school_date <= e.end_date)) AS last_day
    FROM student_enrollment e
    WHERE e.syear = :syear AND NOT e.second_school
      AND (e.end_date IS NULL OR e.end_date >= :through)
), open_run AS (
    SELECT a.* FROM active a
    WHERE EXISTS (
        SELECT 1 FROM attendance_period ap
        JOIN school_periods p ON p.period_id = ap.period_id
        JOIN attendance_codes ac ON ac.code_id = ap.attendance_code
        WHERE ap.student_id = a.student_id AND ap.school_date = a.last_day
          AND p.school_id = a.school_id AND ac.syear = :syear AND ac.short_name = ANY(:codes))
), run AS (
    SELECT o.id, o.student_id, o.school_id, o.last_day,
           COUNT(c.school_date) AS streak, MIN(c.school_date) AS since
    FROM open_run o
    JOIN attendance_calendar c
      ON c.calendar_id = o.calendar_id AND c.school_date >= o.start_date
     AND c.school_date <= o.last_day
     AND c.school_date > COALESCE((
        SELECT MAX(d.school_date) FROM attendance_calendar d
        WHERE d.calendar_id = o.calendar_id AND d.school_date >= o.start_date
          AND d.school_date <= o.last_day
          AND NOT EXISTS (
              SELECT 1 FROM attendance_period ap
              JOIN school_periods p ON p.period_id = ap.period_id
              JOIN attendance_codes ac ON ac.code_id = ap.attendance_code
              WHERE ap.student_id = o.student_id AND ap.school_date = d.school_date
                AND p.school_id = o.school_id AND ac.syear = :syear
                AND ac.short_name = ANY(:codes))), o.start_date - 1)
    GROUP BY o.id, o.student_id, o.school_id, o.last_day
    HAVING COUNT(c.school_date) >= :min_streak
), per_student AS (
    SELECT student_id, MAX(school_id) AS school_id, MAX(streak) AS streak,
           MIN(since) AS since, MAX(last_day) AS until
    FROM run GROUP BY student_id
)
INSERT INTO portal_alerts (student_id, alert_type, user_id, school_id, message, created_at)
SELECT s.student_id, 'cte_absences', u.user_id, s.school_id,
       'CTE consecutive absences: absent ' || s.streak || ' consecutive school day(s) with '
       || 'code(s) ' || :label || ' since ' || s.since || ' (through ' || s.until || ').',
       :now
FROM per_student s
JOIN users u ON u.user_id = ANY(:users)
WHERE NOT EXISTS (
    SELECT 1 FROM portal_alerts a
    WHERE a.student_id = s.student_id AND a.user_id = u.user_id
      AND a.alert_type = 'cte_absences' AND a.created_at >= s.since)
"""
CTE_USERS = [101, 102, 103]


@dataclass(frozen=True)
class Case:
    """One SIS job of the benchmark: its parameters, the tables it writes (with the columns
    left out of the checksum: ids from sequences) and its baseline statement."""

    key: str
    title: str
    params: dict
    tables: dict[str, tuple[str, ...]]
    sql: str
    binds: Callable[[int, dt.datetime], dict] = field(
        default=lambda syear, now: {"syear": syear, "through": now.date() - dt.timedelta(days=1)}
    )

    def run_baseline(self, conn: sa.Connection, syear: int, now: dt.datetime) -> int:
        return conn.execute(sa.text(self.sql), self.binds(syear, now)).rowcount


CASES = (
    Case(
        "attendance_summary_calculation",
        "Attendance Summary Calculation",
        {},
        {"student_enrollment": ()},
        ATTENDANCE_SUMMARY,
    ),
    Case(
        "eoy_attendance_calculation",
        "EOY Attendance Calculation",
        {},
        {"student_enrollment": ()},
        EOY_ATTENDANCE,
    ),
    Case(
        "calculate_class_rank_and_gpa",
        "Calculate Class Rank and GPA",
        {},
        {"student_gpa": ()},
        CLASS_RANK_GPA,
        lambda syear, now: {"syear": syear},
    ),
    Case(
        "nightly_immunization_compliance",
        "Nightly Immunization Compliance",
        {},
        {"immunization_compliance": ()},
        IMMUNIZATION_COMPLIANCE,
        lambda syear, now: {"syear": syear, "today": now.date(), "now": now},
    ),
    Case(
        "cte_consecutive_absences",
        "CTE Consecutive Absences (code A, 2+ days, 3 users)",
        {"users": CTE_USERS, "codes": ["A"], "days": 2},
        {"portal_alerts": ("alert_id",)},
        CTE_CONSECUTIVE_ABSENCES,
        lambda syear, now: {
            "syear": syear,
            "through": now.date() - dt.timedelta(days=1),
            "codes": ["A"],
            "label": "A",
            "min_streak": 2,
            "users": CTE_USERS,
            "now": now,
        },
    ),
    Case(
        "recalculate_daily_attendance",
        f"Recalculate Daily Attendance ({PAST_DAYS} past days)",
        {"past_days": PAST_DAYS},
        {"attendance_day": ()},
        RECALCULATE_DAILY_ATTENDANCE,
        lambda syear, now: {
            "first_day": now.date() - dt.timedelta(days=PAST_DAYS),
            "last_day": now.date(),
        },
    ),
)


def checksum(conn: sa.Connection, tables: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Per table: row count and the sum of a 64-bit hash of every row's text (order-free),
    over every column but the ones left out."""
    out = {}
    for table, skip in tables.items():
        columns = conn.execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = :t ORDER BY ordinal_position"
            ),
            {"t": table},
        ).scalars()
        row = ", ".join(f"t.{c}" for c in columns if c not in skip)
        count, total = conn.execute(
            sa.text(
                f"SELECT COUNT(*), COALESCE(SUM(hashtextextended(ROW({row})::text, 0)::numeric),"
                f" 0) FROM {table} t"
            )
        ).one()
        out[table] = f"{count}:{total}"
    return out
