"""A small district worked out by hand: two schools, nine school days, six students (plus an
adult school, its students and alert users for the jobs that need them)."""

from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa

from job_library.schema import student_addresses, users
from job_library.schemas import SIS_TABLES
from job_library.schemas.addresses import address_catalog, address_parsed
from job_library.schemas.attendance import attendance_codes, attendance_day, attendance_period
from job_library.schemas.district import (
    attendance_calendar,
    attendance_calendars,
    grade_levels,
    school_grade_levels,
    school_periods,
    school_years,
    schools,
    staff,
)
from job_library.schemas.enrollment import student_enrollment, student_enrollment_codes, students
from job_library.schemas.florida import florida_classsize_counts
from job_library.schemas.grades import course_history, student_gpa
from job_library.schemas.health import (
    immunization_compliance,
    immunization_records,
    immunization_requirements,
)
from job_library.schemas.scheduling import course_periods, courses, schedule
from job_library.schemas.sss import portal_alerts

SYEAR = 2026
# Mon 2 Nov to Fri 13 Nov 2026; Wed 11 Nov (Veterans Day) is not a school day.
DAYS = [dt.date(2026, 11, d) for d in (2, 3, 4, 5, 6, 9, 10, 12, 13)]
HOLIDAY = dt.date(2026, 11, 11)
P, A, E, T, S = 1, 2, 3, 4, 5  # attendance code ids


def d(day: int) -> dt.date:
    return dt.date(2026, 11, day)


def load(engine: sa.Engine) -> None:
    """School 1: six 60-minute periods (full day 300, half day 150). School 2: four
    60-minute periods, so its full day is capped at its 240 minutes.

    Students: 1 always present; 2 absent all day 3 Nov (unexcused), two periods 4 Nov
    (excused), tardy 5 Nov, one period 6 Nov (unexcused); 3 enrolled 5-10 Nov, suspended
    9 Nov, absent 4 Nov before enrolling; 4 at school 1 to 6 Nov, then school 2, missing
    one period there 10 Nov; 5 at school 1 with a second-school enrollment at school 2
    from 9 Nov; 6 enrolls 20 Nov.
    """
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years),
            [
                dict(
                    syear=2025,
                    title="2025-2026",
                    start_date=d(1) - dt.timedelta(days=450),
                    end_date=d(1) - dt.timedelta(days=130),
                    is_default=False,
                ),
                dict(
                    syear=SYEAR,
                    title="2026-2027",
                    start_date=dt.date(2026, 8, 1),
                    end_date=dt.date(2027, 6, 30),
                    is_default=True,
                ),
            ],
        )
        conn.execute(
            sa.insert(schools),
            [
                dict(
                    school_id=1,
                    title="Test Elementary",
                    short_name="TE",
                    school_number="0011",
                    district_number="37",
                    full_day_minutes=300,
                    half_day_minutes=150,
                ),
                dict(
                    school_id=2,
                    title="Test Middle",
                    short_name="TM",
                    school_number="0022",
                    district_number="37",
                    full_day_minutes=300,
                    half_day_minutes=150,
                ),
            ],
        )
        conn.execute(
            sa.insert(grade_levels),
            [dict(grade_id=1, short_name="05", title="Grade 5", sort_order=5)],
        )
        conn.execute(
            sa.insert(attendance_calendars),
            [
                dict(calendar_id=1, school_id=1, syear=SYEAR, title="Main"),
                dict(calendar_id=2, school_id=2, syear=SYEAR, title="Main"),
                dict(calendar_id=3, school_id=1, syear=2025, title="Main"),
            ],
        )
        conn.execute(
            sa.insert(attendance_calendar),
            [dict(calendar_id=c, school_date=day) for c in (1, 2) for day in DAYS],
        )
        conn.execute(
            sa.insert(school_periods),
            [
                dict(
                    period_id=10 + p,
                    school_id=1,
                    syear=SYEAR,
                    short_name=f"P{p}",
                    title=f"Period {p}",
                    sort_order=p,
                    length_minutes=60,
                    attendance=True,
                )
                for p in range(1, 7)
            ]
            + [
                dict(
                    period_id=20 + p,
                    school_id=2,
                    syear=SYEAR,
                    short_name=f"P{p}",
                    title=f"Period {p}",
                    sort_order=p,
                    length_minutes=60,
                    attendance=True,
                )
                for p in range(1, 5)
            ]
            # A homeroom without attendance never counts.
            + [
                dict(
                    period_id=19,
                    school_id=1,
                    syear=SYEAR,
                    short_name="HR",
                    title="Homeroom",
                    sort_order=0,
                    length_minutes=15,
                    attendance=False,
                )
            ],
        )
        conn.execute(
            sa.insert(attendance_codes),
            [
                dict(
                    code_id=P,
                    syear=SYEAR,
                    short_name="P",
                    title="Present",
                    category="present",
                    disciplinary=False,
                ),
                dict(
                    code_id=A,
                    syear=SYEAR,
                    short_name="A",
                    title="Absent",
                    category="unexcused",
                    disciplinary=False,
                ),
                dict(
                    code_id=E,
                    syear=SYEAR,
                    short_name="E",
                    title="Excused",
                    category="excused",
                    disciplinary=False,
                ),
                dict(
                    code_id=T,
                    syear=SYEAR,
                    short_name="T",
                    title="Tardy",
                    category="tardy",
                    disciplinary=False,
                ),
                dict(
                    code_id=S,
                    syear=SYEAR,
                    short_name="S",
                    title="Suspension",
                    category="excused",
                    disciplinary=True,
                ),
            ],
        )
        conn.execute(
            sa.insert(students),
            [dict(student_id=i, first_name=f"First{i}", last_name=f"Last{i}") for i in range(1, 7)],
        )
        enrollment = dict(syear=SYEAR, grade_id=1, end_date=None, second_school=False)
        conn.execute(
            sa.insert(student_enrollment),
            [
                dict(enrollment, id=1, student_id=1, school_id=1, calendar_id=1, start_date=d(2)),
                dict(enrollment, id=2, student_id=2, school_id=1, calendar_id=1, start_date=d(2)),
                dict(
                    enrollment,
                    id=3,
                    student_id=3,
                    school_id=1,
                    calendar_id=1,
                    start_date=d(5),
                    end_date=d(10),
                ),
                dict(
                    enrollment,
                    id=4,
                    student_id=4,
                    school_id=1,
                    calendar_id=1,
                    start_date=d(2),
                    end_date=d(6),
                ),
                dict(enrollment, id=5, student_id=4, school_id=2, calendar_id=2, start_date=d(9)),
                dict(enrollment, id=6, student_id=5, school_id=1, calendar_id=1, start_date=d(2)),
                dict(
                    enrollment,
                    id=7,
                    student_id=5,
                    school_id=2,
                    calendar_id=2,
                    start_date=d(9),
                    second_school=True,
                ),
                dict(enrollment, id=8, student_id=6, school_id=1, calendar_id=1, start_date=d(20)),
                # Last year's record of student 1: never touched by this year's runs.
                dict(
                    enrollment,
                    id=9,
                    student_id=1,
                    syear=2025,
                    school_id=1,
                    calendar_id=3,
                    start_date=dt.date(2025, 8, 10),
                    end_date=dt.date(2026, 5, 28),
                ),
            ],
        )
        periods = [
            *((2, d(3), 10 + p, A) for p in range(1, 7)),
            (2, d(3), 19, A),  # homeroom: no attendance minutes
            (2, d(4), 11, E),
            (2, d(4), 12, E),
            (2, d(5), 11, T),
            (2, d(6), 14, A),
            *((3, d(4), 10 + p, A) for p in range(1, 7)),  # before enrolling
            *((3, d(9), 10 + p, S) for p in range(1, 7)),
            (4, d(10), 23, A),
            (1, d(9), 12, P),  # a present mark changes nothing
        ]
        conn.execute(
            sa.insert(attendance_period),
            [
                dict(student_id=s, school_date=day, period_id=p, attendance_code=code)
                for s, day, p, code in periods
            ],
        )


def daily_rows(engine: sa.Engine) -> dict[tuple[int, dt.date], tuple]:
    """attendance_day as {(student, date): (school, minutes, state, absence type, disc)}."""
    t = attendance_day
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                t.c.student_id,
                t.c.school_date,
                t.c.school_id,
                t.c.minutes_present,
                t.c.state_value,
                t.c.absence_type,
                t.c.disciplinary,
            )
        ).all()
    return {(r[0], r[1]): (r[2], r[3], float(r[4]), r[5], bool(r[6])) for r in rows}


ADULT_SCHOOL = 3
ADULT_CALENDAR = 4
ADULT_PERIOD = 31
ADD_CODE, DROP_CODE = 1, 2  # student_enrollment_codes ids: E01 (Add), W26 (Drop)


def load_adult(engine: sa.Engine) -> None:
    """On top of ``load``: adult school 3 (technical college, one 300-minute block, the same
    nine school days) and students 11-17 enrolled there. 11-15 and 17 are active: 11-15 from
    2 Nov, 17 from 6 Nov; 16 was withdrawn by hand on 3 Nov."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(schools),
            [
                dict(
                    school_id=ADULT_SCHOOL,
                    title="Test Technical College",
                    short_name="TTC",
                    school_number="0033",
                    district_number="37",
                    adult_ed=True,
                    full_day_minutes=300,
                    half_day_minutes=150,
                )
            ],
        )
        conn.execute(
            sa.insert(attendance_calendars),
            [dict(calendar_id=ADULT_CALENDAR, school_id=ADULT_SCHOOL, syear=SYEAR, title="Main")],
        )
        conn.execute(
            sa.insert(attendance_calendar),
            [dict(calendar_id=ADULT_CALENDAR, school_date=day) for day in DAYS],
        )
        conn.execute(
            sa.insert(school_periods),
            [
                dict(
                    period_id=ADULT_PERIOD,
                    school_id=ADULT_SCHOOL,
                    syear=SYEAR,
                    short_name="BLK",
                    title="Program block",
                    sort_order=1,
                    length_minutes=300,
                    attendance=True,
                )
            ],
        )
        conn.execute(
            sa.insert(student_enrollment_codes),
            [
                dict(code_id=ADD_CODE, syear=SYEAR, short_name="E01", title="Enter", type="Add"),
                dict(
                    code_id=DROP_CODE, syear=SYEAR, short_name="W26", title="Absences", type="Drop"
                ),
            ],
        )
        conn.execute(
            sa.insert(students),
            [
                dict(student_id=i, first_name=f"First{i}", last_name=f"Last{i}")
                for i in range(11, 18)
            ],
        )
        base = dict(
            syear=SYEAR,
            grade_id=1,
            school_id=ADULT_SCHOOL,
            calendar_id=ADULT_CALENDAR,
            start_date=d(2),
            end_date=None,
            second_school=False,
            enrollment_code=ADD_CODE,
        )
        rows = [dict(base, id=i, student_id=i) for i in range(11, 18)]
        rows[16 - 11].update(end_date=d(3), drop_code=DROP_CODE)
        rows[17 - 11].update(start_date=d(6))
        conn.execute(sa.insert(student_enrollment), rows)


def absent_days(engine: sa.Engine, days: dict[int, list[tuple[dt.date, float]]]) -> None:
    """Insert attendance_day rows {student: [(date, state value)]} at the adult school
    (0.0: absent all day, unexcused; 0.5: half day)."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(attendance_day),
            [
                dict(
                    student_id=student,
                    school_date=day,
                    syear=SYEAR,
                    school_id=ADULT_SCHOOL,
                    minutes_present=int(300 * value),
                    state_value=value,
                    absence_type="unexcused",
                    disciplinary=False,
                )
                for student, marks in days.items()
                for day, value in marks
            ],
        )


USERS = {101: "counselor", 102: "registrar", 103: "director"}


def load_users(engine: sa.Engine) -> None:
    """Three Focus users who can be chosen to receive portal alerts."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(users),
            [dict(user_id=i, username=name, email=f"{name}@test.k12") for i, name in USERS.items()],
        )


def alerts(engine: sa.Engine, alert_type: str) -> dict[tuple[int, int], str]:
    """portal_alerts of ``alert_type`` as {(student, user): message}."""
    t = portal_alerts
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.student_id, t.c.user_id, t.c.message).where(t.c.alert_type == alert_type)
        ).all()
    return {(r[0], r[1]): r[2] for r in rows}


# --- Zoning: Address Catalog, parsed addresses (Set Zoned School, Set Next School) --------

G05, G06, G07, GPK, GKG = 1, 2, 3, 4, 5  # grade_levels ids (05 comes from ``load``)
EAST_ELEMENTARY = 4  # school id: offers KG only, district number 41


def load_zoning(engine: sa.Engine) -> None:
    """On top of ``load``: grades PK, KG, 05, 06, 07 (all but PK used for zoning; nobody rolls
    into 07), school 4, an Address Catalog and students 21-30 with parsed addresses.

    Catalog 2026 (last year's row sends every Main St address to school 2):
      A  Main St 32301, 1-99 odd, PK-05: school 1, no district (school 1's is 37)
      B  Main St 32301, 2-98 even, KG-05: school 4, no district (school 4's is 41)
      C  Main St 32301, 1-199 both, 06-07: school 2, district 37
      D  N Oak Ave 32302, 150-160, KG-07: no school, district 38 (narrower than E and G)
      E  N Oak Ave 32302, 100-200, KG-05: school 1, district 37
      G  N Oak Ave 32302, 100-200, 06-07: school 2, district 37
      H  Pine St 32301, 1-99, PK-07: school 4
      K  Elm Rd 32303, 1-999, KG-07: no school, district 38 (out of zone)
    Enrollments (id: student, school, grade, address): 21: 21 s1 05 "11 MAIN ST"; 22: 21 s2
    second school; 23: 22 s1 05 "12 main St 32301-1234"; 24: 23 s2 06 "12 Main St", zoned
    2/37 already; 25: 24 s1 05 "155 N Oak Ave"; 26: 25 s1 05 "5 Elm Rd", zoned 1/37; 27: 26
    s1 05 "300 Main St" (no segment), zoned 1/37; 28: 27 s1 PK "11 Main St"; 29: 28 s1 05
    ended 20 Nov; 30: 29 s1 05 retained, first address "11 Main St", second "12 Main St";
    31: 30 s1 05 "10 Pine St".
    """
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years),
            [
                dict(
                    syear=SYEAR + 1,
                    title="2027-2028",
                    start_date=dt.date(2027, 8, 1),
                    end_date=dt.date(2028, 6, 30),
                    is_default=False,
                )
            ],
        )
        conn.execute(
            sa.insert(schools),
            [
                dict(
                    school_id=EAST_ELEMENTARY,
                    title="Test East Elementary",
                    short_name="TEE",
                    school_number="0044",
                    district_number="41",
                )
            ],
        )
        conn.execute(
            sa.insert(grade_levels),
            [
                dict(
                    grade_id=G07, short_name="07", title="Grade 7", sort_order=7, next_grade_id=None
                ),
                dict(
                    grade_id=G06, short_name="06", title="Grade 6", sort_order=6, next_grade_id=G07
                ),
                dict(
                    grade_id=GKG,
                    short_name="KG",
                    title="Kindergarten",
                    sort_order=0,
                    next_grade_id=None,
                ),
                dict(
                    grade_id=GPK, short_name="PK", title="Pre-K", sort_order=-1, next_grade_id=GKG
                ),
            ],
        )
        g = grade_levels
        conn.execute(sa.update(g).where(g.c.grade_id == G05).values(next_grade_id=G06))
        conn.execute(sa.update(g).where(g.c.grade_id == GKG).values(next_grade_id=G05))
        conn.execute(sa.update(g).where(g.c.grade_id != GPK).values(used_for_zoning=True))
        conn.execute(sa.update(g).where(g.c.grade_id == G07).values(can_roll_into=False))
        conn.execute(
            sa.insert(school_grade_levels),
            [
                dict(school_id=s, grade_id=gr)
                for s, gr in ((1, GKG), (1, G05), (2, G06), (2, G07), (EAST_ELEMENTARY, GKG))
            ],
        )
        segment = dict(
            syear=SYEAR,
            parity="both",
            pre_direction=None,
            street_type="ST",
            post_direction=None,
            zipcode="32301",
            zoned_district=None,
        )
        conn.execute(
            sa.insert(address_catalog),
            [
                dict(
                    segment,
                    catalog_id=1,
                    house_number_low=1,
                    house_number_high=99,
                    parity="odd",
                    street_name="MAIN",
                    low_grade_id=GPK,
                    high_grade_id=G05,
                    zoned_school_id=1,
                ),
                dict(
                    segment,
                    catalog_id=2,
                    house_number_low=2,
                    house_number_high=98,
                    parity="even",
                    street_name="MAIN",
                    low_grade_id=GKG,
                    high_grade_id=G05,
                    zoned_school_id=EAST_ELEMENTARY,
                ),
                dict(
                    segment,
                    catalog_id=3,
                    house_number_low=1,
                    house_number_high=199,
                    street_name="MAIN",
                    low_grade_id=G06,
                    high_grade_id=G07,
                    zoned_school_id=2,
                    zoned_district="37",
                ),
                dict(
                    segment,
                    catalog_id=4,
                    house_number_low=150,
                    house_number_high=160,
                    pre_direction="N",
                    street_name="OAK",
                    street_type="AVE",
                    zipcode="32302",
                    low_grade_id=GKG,
                    high_grade_id=G07,
                    zoned_school_id=None,
                    zoned_district="38",
                ),
                dict(
                    segment,
                    catalog_id=5,
                    house_number_low=100,
                    house_number_high=200,
                    pre_direction="N",
                    street_name="OAK",
                    street_type="AVE",
                    zipcode="32302",
                    low_grade_id=GKG,
                    high_grade_id=G05,
                    zoned_school_id=1,
                    zoned_district="37",
                ),
                dict(
                    segment,
                    catalog_id=6,
                    house_number_low=100,
                    house_number_high=200,
                    pre_direction="N",
                    street_name="OAK",
                    street_type="AVE",
                    zipcode="32302",
                    low_grade_id=G06,
                    high_grade_id=G07,
                    zoned_school_id=2,
                    zoned_district="37",
                ),
                dict(
                    segment,
                    catalog_id=7,
                    house_number_low=1,
                    house_number_high=99,
                    street_name="PINE",
                    low_grade_id=GPK,
                    high_grade_id=G07,
                    zoned_school_id=EAST_ELEMENTARY,
                ),
                dict(
                    segment,
                    catalog_id=8,
                    house_number_low=1,
                    house_number_high=999,
                    street_name="ELM",
                    street_type="RD",
                    zipcode="32303",
                    low_grade_id=GKG,
                    high_grade_id=G07,
                    zoned_school_id=None,
                    zoned_district="38",
                ),
                dict(
                    segment,
                    catalog_id=9,
                    syear=2025,
                    house_number_low=1,
                    house_number_high=999,
                    street_name="MAIN",
                    low_grade_id=GPK,
                    high_grade_id=G07,
                    zoned_school_id=2,
                    zoned_district="37",
                ),
            ],
        )
        conn.execute(
            sa.insert(students),
            [
                dict(student_id=i, first_name=f"First{i}", last_name=f"Last{i}")
                for i in range(21, 31)
            ],
        )
        base = dict(
            syear=SYEAR,
            school_id=1,
            calendar_id=1,
            grade_id=G05,
            start_date=d(2),
            end_date=None,
            second_school=False,
            zoned_school_id=None,
            zoned_district=None,
            rolling_retention=None,
        )  # every row has every key: a multi-row insert takes its columns from the first
        conn.execute(
            sa.insert(student_enrollment),
            [
                dict(base, id=21, student_id=21),
                dict(base, id=22, student_id=21, school_id=2, calendar_id=2, second_school=True),
                dict(base, id=23, student_id=22),
                dict(
                    base,
                    id=24,
                    student_id=23,
                    school_id=2,
                    calendar_id=2,
                    grade_id=G06,
                    zoned_school_id=2,
                    zoned_district="37",
                ),
                dict(base, id=25, student_id=24),
                dict(base, id=26, student_id=25, zoned_school_id=1, zoned_district="37"),
                dict(base, id=27, student_id=26, zoned_school_id=1, zoned_district="37"),
                dict(base, id=28, student_id=27, grade_id=GPK),
                dict(base, id=29, student_id=28, end_date=d(20)),
                dict(base, id=30, student_id=29, rolling_retention="retain"),
                dict(base, id=31, student_id=30),
            ],
        )
        # (address id, student, line as entered, parsed: number, pre, name, type, zip)
        addresses = [
            (21, 21, "11 MAIN ST", (11, None, "MAIN", "ST", "32301")),
            (22, 22, "12 main St", (12, None, "main", "St", "32301-1234")),
            (23, 23, "12 Main St", (12, None, "MAIN", "ST", "32301")),
            (24, 24, "155 N Oak Ave", (155, "N", "OAK", "AVE", "32302")),
            (25, 25, "5 Elm Rd", (5, None, "ELM", "RD", "32303")),
            (26, 26, "300 Main St", (300, None, "MAIN", "ST", "32301")),
            (27, 27, "11 Main St", (11, None, "MAIN", "ST", "32301")),
            (28, 28, "11 Main St", (11, None, "MAIN", "ST", "32301")),
            (29, 29, "11 Main St", (11, None, "MAIN", "ST", "32301")),
            (32, 29, "12 Main St", (12, None, "MAIN", "ST", "32301")),
            (31, 30, "10 Pine St", (10, None, "PINE", "ST", "32301")),
        ]
        conn.execute(
            sa.insert(student_addresses),
            [
                dict(
                    address_id=a,
                    student_id=s,
                    address=line,
                    city="Tallahassee",
                    state="FL",
                    zipcode=parsed[4],
                )
                for a, s, line, parsed in addresses
            ],
        )
        parsed_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        conn.execute(
            sa.insert(address_parsed),
            [
                dict(
                    address_id=a,
                    house_number=n,
                    pre_direction=pre,
                    street_name=name,
                    street_type=kind,
                    zipcode=zipcode,
                    parsed_at=parsed_at,
                )
                for a, _, _, (n, pre, name, kind, zipcode) in addresses
            ],
        )


def enrollment_values(engine: sa.Engine, *columns: str) -> dict[int, tuple]:
    """student_enrollment ``columns`` per enrollment id."""
    se = student_enrollment
    with engine.connect() as conn:
        rows = conn.execute(sa.select(se.c.id, *(se.c[c] for c in columns))).all()
    return {r[0]: tuple(r[1:]) for r in rows}


# --- Sections (Retitle Sections) ------------------------------------------------------------


def load_sections(engine: sa.Engine) -> None:
    """On top of ``load``: teachers 1 Ann Smith and 2 Bo Jones, and sections 1-5.

    1: school 1, P1, "01", Smith, titled right; 2: school 1, moved by Run Query to P2 and to
    Jones, still titled "P1 - 02 - Smith, Ann"; 3: school 1, P3, "03", teacher removed; 4:
    school 2, P1, "01", Smith, titled "Science"; 5: last year's, titled "stale".
    """
    with engine.begin() as conn:
        conn.execute(
            sa.insert(staff),
            [
                dict(staff_id=1, first_name="Ann", last_name="Smith"),
                dict(staff_id=2, first_name="Bo", last_name="Jones"),
            ],
        )
        conn.execute(
            sa.insert(courses),
            [
                dict(course_id=1, school_id=1, syear=SYEAR, title="Math 5", short_name="MA5"),
                dict(course_id=2, school_id=2, syear=SYEAR, title="Science 6", short_name="SC6"),
                dict(course_id=3, school_id=1, syear=2025, title="Math 5", short_name="MA5"),
            ],
        )
        conn.execute(
            sa.insert(course_periods),
            [
                dict(
                    course_period_id=i,
                    course_id=c,
                    school_id=s,
                    syear=y,
                    period_id=p,
                    teacher_id=t,
                    short_name=n,
                    title=title,
                )
                for i, c, s, y, p, t, n, title in (
                    (1, 1, 1, SYEAR, 11, 1, "01", "P1 - 01 - Smith, Ann"),
                    (2, 1, 1, SYEAR, 12, 2, "02", "P1 - 02 - Smith, Ann"),
                    (3, 1, 1, SYEAR, 13, None, "03", "P3 - 03 - Smith, Ann"),
                    (4, 2, 2, SYEAR, 21, 1, "01", "Science"),
                    (5, 3, 1, 2025, 11, 1, "01", "stale"),
                )
            ],
        )


def section_titles(engine: sa.Engine) -> dict[int, str]:
    cp = course_periods
    with engine.connect() as conn:
        return dict(conn.execute(sa.select(cp.c.course_period_id, cp.c.title)).all())


# --- Immunizations (Nightly Immunization Compliance) ---------------------------------------

DTAP, TDAP, VARICELLA, VARICELLA_05, DTAP_2025 = 1, 2, 3, 4, 5  # requirement ids
CHECKED_BEFORE = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)


def load_immunizations(engine: sa.Engine) -> None:
    """On top of ``load`` (everybody in grade 05; active on 28 Nov: 1, 2, 4, 5, 6).

    Requirements 2026: DTaP 5 doses and Varicella 2 doses for every grade, Tdap 1 dose and
    Varicella 1 dose for grade 05 (replacing the all-grades Varicella); 2025: DTaP 4.
    Doses: 1 has all (DTaP 5, Tdap 1, Varicella 1); 2 has DTaP 4 (one date entered twice
    as "DTaP" and "dtap ", so five rows), a Tdap exemption and a Varicella dose dated 15
    Dec 2026; 5 has Varicella 2; 3 (inactive) has DTaP 5.
    Compliance on file: (1, DTaP) 5 yes; (2, DTaP) 3 no; (2, all-grades Varicella) 0 no;
    (3, DTaP) 0 no; (4, DTaP 2025) 0 no.
    """
    with engine.begin() as conn:
        conn.execute(
            sa.insert(immunization_requirements),
            [
                dict(requirement_id=i, syear=y, grade_id=g, vaccine=v, doses_required=n)
                for i, y, g, v, n in (
                    (DTAP, SYEAR, None, "DTaP", 5),
                    (TDAP, SYEAR, 1, "Tdap", 1),
                    (VARICELLA, SYEAR, None, "Varicella", 2),
                    (VARICELLA_05, SYEAR, 1, "VARICELLA", 1),
                    (DTAP_2025, 2025, None, "DTaP", 4),
                )
            ],
        )
        doses = [
            *((1, "DTaP", dt.date(2016 + k, 3, 1), False) for k in range(5)),
            (1, "Tdap", dt.date(2026, 9, 1), False),
            (1, "Varicella", dt.date(2017, 5, 1), False),
            *((2, "DTaP", dt.date(2016 + k, 3, 1), False) for k in range(4)),
            (2, "dtap ", dt.date(2019, 3, 1), False),
            (2, "Tdap", dt.date(2026, 8, 15), True),
            (2, "Varicella", dt.date(2026, 12, 15), False),
            (5, "Varicella", dt.date(2017, 5, 1), False),
            (5, "Varicella", dt.date(2021, 5, 1), False),
            *((3, "DTaP", dt.date(2016 + k, 3, 1), False) for k in range(5)),
        ]
        conn.execute(
            sa.insert(immunization_records),
            [
                dict(student_id=s, vaccine=v, dose_date=day, exempt=exempt)
                for s, v, day, exempt in doses
            ],
        )
        conn.execute(
            sa.insert(immunization_compliance),
            [
                dict(
                    student_id=s,
                    requirement_id=r,
                    doses_received=n,
                    compliant=ok,
                    checked_at=CHECKED_BEFORE,
                )
                for s, r, n, ok in (
                    (1, DTAP, 5, True),
                    (2, DTAP, 3, False),
                    (2, VARICELLA, 0, False),
                    (3, DTAP, 0, False),
                    (4, DTAP_2025, 0, False),
                )
            ],
        )


def compliance_rows(engine: sa.Engine) -> dict[tuple[int, int], tuple]:
    """immunization_compliance as {(student, requirement): (doses, compliant, checked_at)}."""
    t = immunization_compliance
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                t.c.student_id,
                t.c.requirement_id,
                t.c.doses_received,
                t.c.compliant,
                t.c.checked_at,
            )
        ).all()
    return {(r[0], r[1]): (r[2], bool(r[3]), r[4]) for r in rows}


# --- Florida class size (Class Size Averages) --------------------------------------------


def load_class_size(engine: sa.Engine) -> None:
    """On top of ``load``, ``load_zoning`` and ``load_sections``: courses 1 (school 1) and 2
    (school 2) are core, course 4 (Art, school 1, section 6) is not. Schedules, all from 2
    Nov: section 1: students 1, 2, 5 (grade 05) and 27 (PK); section 2: 21, 22, 28 (whose
    enrollment ends 20 Nov) and 24 (schedule ends 10 Nov); section 3: 27 (PK) and 21 (05);
    section 4 (school 2): 23 (06), 4 (enrolled there from 9 Nov) and 21 (second school);
    section 6 (Art): 1 and 2. A stale record: school 1, 9-12 group, 28 Nov 2026.
    """
    with engine.begin() as conn:
        conn.execute(
            sa.update(courses).where(courses.c.course_id.in_([1, 2])).values(class_size_core=True)
        )
        conn.execute(
            sa.insert(courses),
            [dict(course_id=4, school_id=1, syear=SYEAR, title="Art", short_name="ART")],
        )
        conn.execute(
            sa.insert(course_periods),
            [
                dict(
                    course_period_id=6,
                    course_id=4,
                    school_id=1,
                    syear=SYEAR,
                    period_id=14,
                    teacher_id=2,
                    short_name="01",
                    title="P4 - 01 - Jones, Bo",
                )
            ],
        )
        section_school = {1: 1, 2: 1, 3: 1, 4: 2, 6: 1}
        section_course = {1: 1, 2: 1, 3: 1, 4: 2, 6: 4}
        rows = [
            *((1, s, None) for s in (1, 2, 5, 27)),
            *((2, s, None) for s in (21, 22, 28)),
            (2, 24, d(10)),
            (3, 27, None),
            (3, 21, None),
            *((4, s, None) for s in (23, 4, 21)),
            (6, 1, None),
            (6, 2, None),
        ]
        conn.execute(
            sa.insert(schedule),
            [
                dict(
                    student_id=s,
                    syear=SYEAR,
                    school_id=section_school[cp],
                    course_id=section_course[cp],
                    course_period_id=cp,
                    start_date=d(2),
                    end_date=end,
                )
                for cp, s, end in rows
            ],
        )
        conn.execute(
            sa.insert(florida_classsize_counts),
            [
                dict(
                    school_id=1,
                    syear=SYEAR,
                    effective_date=d(28),
                    grade_group="9-12",
                    sections=1,
                    students=20,
                    average=20,
                )
            ],
        )


def class_size_rows(engine: sa.Engine) -> dict[tuple[int, dt.date, str], tuple]:
    """florida_classsize_counts as {(school, date, group): (sections, students, average)}."""
    t = florida_classsize_counts
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                t.c.school_id,
                t.c.effective_date,
                t.c.grade_group,
                t.c.sections,
                t.c.students,
                t.c.average,
            )
        ).all()
    return {(r[0], r[1], r[2]): (r[3], r[4], float(r[5])) for r in rows}


# --- Course history and GPA (Calculate Class Rank and GPA) ---------------------------------

WITHDRAWN_CODE = 9  # student_enrollment_codes id of a Drop code


def load_gpa(engine: sa.Engine) -> None:
    """On top of ``load`` (school 1 grade 05: 1, 2, 5, 6; 4 moved to school 2 on 9 Nov; 3
    withdrawn here with a drop code). Course history (points, weighted, credits):
    1: 2025 Math 4.0/4.0/1, Reading 3.0/3.5/1; 2026 Science 4.0/5.0/0.5.
    2: 2025 Math 2.0/2.0/1, PE 4.0 not affecting GPA, Art 4.0/none/1.
    4: 2025 Math at school 1 4.0/4.5/1.
    5: 2025 Math 3.0/4.0/1, History 3.0/3.0/1; 2026 Reading 0.0/0.0/0 credits.
    3: 2025 Math 2.0/2.0/1. 6: none.
    student_gpa on file: (1, 2026) 3.600/4.000 rank 1 of 3; (6, 2026) 2.000/2.000 rank 4 of
    4; (3, 2026) 2.000/2.000 rank 2 of 4; (2, 2025) 1.000/1.000 rank 9 of 9.
    """
    with engine.begin() as conn:
        conn.execute(
            sa.insert(student_enrollment_codes),
            [
                dict(
                    code_id=WITHDRAWN_CODE,
                    syear=SYEAR,
                    short_name="W01",
                    title="Moved",
                    type="Drop",
                )
            ],
        )
        se = student_enrollment
        conn.execute(sa.update(se).where(se.c.id == 3).values(drop_code=WITHDRAWN_CODE))
        history = [
            (1, 2025, "Math", 4.0, 4.0, 1, True),
            (1, 2025, "Reading", 3.0, 3.5, 1, True),
            (1, SYEAR, "Science", 4.0, 5.0, 0.5, True),
            (2, 2025, "Math", 2.0, 2.0, 1, True),
            (2, 2025, "PE", 4.0, 4.0, 1, False),
            (2, 2025, "Art", 4.0, None, 1, True),
            (4, 2025, "Math", 4.0, 4.5, 1, True),
            (5, 2025, "Math", 3.0, 4.0, 1, True),
            (5, 2025, "History", 3.0, 3.0, 1, True),
            (5, SYEAR, "Reading", 0.0, 0.0, 0, True),
            (3, 2025, "Math", 2.0, 2.0, 1, True),
        ]
        conn.execute(
            sa.insert(course_history),
            [
                dict(
                    student_id=s,
                    syear=y,
                    school_id=1,
                    course_title=t,
                    grade_letter=None,
                    grade_points=p,
                    weighted_points=w,
                    credits_earned=c,
                    affects_gpa=a,
                )
                for s, y, t, p, w, c, a in history
            ],
        )
        conn.execute(
            sa.insert(student_gpa),
            [
                dict(
                    student_id=s,
                    syear=y,
                    school_id=1,
                    gpa=g,
                    weighted_gpa=w,
                    class_rank=r,
                    class_size=n,
                )
                for s, y, g, w, r, n in (
                    (1, SYEAR, 3.6, 4.0, 1, 3),
                    (6, SYEAR, 2.0, 2.0, 4, 4),
                    (3, SYEAR, 2.0, 2.0, 2, 4),
                    (2, 2025, 1.0, 1.0, 9, 9),
                )
            ],
        )


def gpa_rows(engine: sa.Engine) -> dict[tuple[int, int], tuple]:
    """student_gpa as {(student, year): (school, gpa, weighted, rank, size)}."""
    t = student_gpa
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                t.c.student_id,
                t.c.syear,
                t.c.school_id,
                t.c.gpa,
                t.c.weighted_gpa,
                t.c.class_rank,
                t.c.class_size,
            )
        ).all()
    return {
        (r[0], r[1]): (
            r[2],
            None if r[3] is None else float(r[3]),
            None if r[4] is None else float(r[4]),
            r[5],
            r[6],
        )
        for r in rows
    }


def fingerprint(engine: sa.Engine) -> str:
    """A digest of every SIS row and every student address, in key order: equal digests,
    equal data."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in (*SIS_TABLES, student_addresses):
            key = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(sa.select(table).order_by(*key)):
                digest.update(repr((table.name, *row)).encode())
    return digest.hexdigest()
