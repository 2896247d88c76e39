"""A deterministic demo district in the Focus database: schools, students, attendance, schedules."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from include.demo_assessments import load_demo_assessments
from include.demo_attendance_hours import load_demo_attendance_hours
from include.demo_finance import load_demo_finance
from include.demo_web import GRADES, SCHOOLS, demo_card_payments
from job_library.jobs.attendance.recalculate_daily_attendance import (
    DAILY_COLUMNS,
    daily_attendance_sql,
)
from job_library.schema import student_addresses, users
from job_library.schemas import SIS_TABLES
from job_library.schemas.addresses import address_catalog
from job_library.schemas.assessments import standardized_tests, test_parts, test_score_types
from job_library.schemas.attendance import attendance_codes
from job_library.schemas.discipline import tardy_thresholds
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
from job_library.schemas.health import immunization_requirements
from job_library.schemas.scheduling import course_periods, courses

SCHOOL_DAYS = 180
# The date tests and benchmarks build the district for: its 100th school day, 2026-01-21,
# is the last with attendance.
REFERENCE_DAY = dt.date(2026, 1, 22)
FIRST_STUDENT_ID = 100_001
DISTRICT = "37"

ADULT_SCHOOL = 8
# A student's first primary enrollment record (of ``e``), where one row per student is wanted.
FIRST_PRIMARY_RECORD = (
    "e.id = (SELECT MIN(o.id) FROM student_enrollment o "
    "WHERE o.student_id = e.student_id AND o.second_school = FALSE)"
)
LEVELS = {"elementary": (1, 2, 3), "middle": (4, 5), "high": (6, 7), "adult": (8,)}
SUBJECTS = ("ELA", "MATH", "SCI", "SOC", "PE", "ART", "ELEC")
ADULT_SUBJECTS = ("ABE-RDG", "ABE-MATH", "GED", "ESOL")
SECTION_SIZE = 25
# (pre-direction, name, type, zip, city)
STREETS = tuple(
    (pre, name, kind, zipcode, "Tallahassee")
    for pre, name, kind, zipcode in [
        ("N", "MONROE", "ST", "32303"),
        ("S", "MONROE", "ST", "32301"),
        (None, "TENNESSEE", "ST", "32304"),
        (None, "APALACHEE", "PKWY", "32301"),
        ("E", "PARK", "AVE", "32301"),
        ("W", "PENSACOLA", "ST", "32304"),
        (None, "CAPITAL CIRCLE", "NE", "32308"),
        (None, "THOMASVILLE", "RD", "32308"),
        (None, "MAHAN", "DR", "32308"),
        (None, "OCALA", "RD", "32304"),
        (None, "MERIDIAN", "RD", "32312"),
        (None, "CENTERVILLE", "RD", "32308"),
        (None, "MICCOSUKEE", "RD", "32308"),
        (None, "LAKE BRADFORD", "RD", "32310"),
        (None, "ORANGE", "AVE", "32310"),
        (None, "BLAIRSTONE", "RD", "32301"),
        (None, "TALPECO", "RD", "32303"),
        (None, "BUCK LAKE", "RD", "32317"),
        (None, "KILLEARN", "BLVD", "32309"),
        (None, "SHANNON LAKES", "DR", "32309"),
        (None, "MAGNOLIA", "DR", "32301"),
        (None, "LAFAYETTE", "ST", "32301"),
        (None, "GAINES", "ST", "32301"),
        (None, "CALHOUN", "ST", "32301"),
        (None, "DUVAL", "ST", "32301"),
        (None, "BRONOUGH", "ST", "32301"),
        (None, "OLD BAINBRIDGE", "RD", "32303"),
        (None, "HARTSFIELD", "RD", "32303"),
        (None, "WINDWOOD HILLS", "DR", "32309"),
        (None, "SPRINGHILL", "RD", "32305"),
        (None, "CRAWFORDVILLE", "HWY", "32305"),
        (None, "WOODVILLE", "HWY", "32305"),
        (None, "COMMONWEALTH", "BLVD", "32303"),
        (None, "FRENCHTOWN", "CT", "32304"),
        (None, "BELLE VUE", "WAY", "32304"),
        (None, "JACKSON BLUFF", "RD", "32304"),
        (None, "ROBERTS", "AVE", "32310"),
        (None, "EASTERWOOD", "DR", "32311"),
        (None, "VICTORY GARDEN", "DR", "32301"),
        (None, "SEMINOLE", "DR", "32301"),
    ]
)
SPELLED = {
    "N": "North",
    "S": "South",
    "E": "East",
    "W": "West",
    "ST": "Street",
    "RD": "Road",
    "AVE": "Avenue",
    "DR": "Drive",
    "BLVD": "Boulevard",
}
FIRST_NAMES = (
    "Ava",
    "Liam",
    "Mia",
    "Noah",
    "Zoe",
    "Eli",
    "Ivy",
    "Leo",
    "Ana",
    "Kai",
    "Maya",
    "Omar",
    "Ruby",
    "Jude",
    "Nora",
    "Theo",
    "Lena",
    "Ezra",
    "Iris",
    "Luca",
)
LAST_NAMES = (
    "Garcia",
    "Smith",
    "Johnson",
    "Brown",
    "Nguyen",
    "Williams",
    "Lopez",
    "Davis",
    "Miller",
    "Wilson",
    "Moore",
    "Taylor",
    "Thomas",
    "Jackson",
    "White",
    "Harris",
    "Martin",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The ``n``-th ``weekday`` (0 = Monday) of a month."""
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


@dataclass(frozen=True)
class DemoYear:
    """The demo district's school year as of ``today``, built from the date alone.

    It is the school year (1 July to 30 June) containing ``today``: in July, before its first
    school day, the one about to start. School starts on the Monday on or after 8 August and
    has 180 days; attendance is taken on every school day before ``today`` (at least the
    first).

    :param today: the date the district is built for.
    """

    today: dt.date

    @property
    def syear(self) -> int:
        return self.today.year if self.today.month >= 7 else self.today.year - 1

    @property
    def first_day(self) -> dt.date:
        august_8 = dt.date(self.syear, 8, 8)
        return august_8 + dt.timedelta(days=-august_8.weekday() % 7)

    @property
    def holidays(self) -> frozenset[dt.date]:
        """Labor Day, Veterans Day, Thanksgiving week, winter break, MLK and Presidents' Day,
        spring break (the week of the third Monday of March)."""
        y = self.syear
        thanksgiving_week = _nth_weekday(y, 11, 3, 4) - dt.timedelta(days=3)
        spring_break = _nth_weekday(y + 1, 3, 0, 3)
        return frozenset(
            [_nth_weekday(y, 9, 0, 1), dt.date(y, 11, 11)]
            + [_nth_weekday(y + 1, 1, 0, 3), _nth_weekday(y + 1, 2, 0, 3)]
            + [thanksgiving_week + dt.timedelta(days=d) for d in range(5)]
            + [dt.date(y, 12, 22) + dt.timedelta(days=d) for d in range(12)]
            + [spring_break + dt.timedelta(days=d) for d in range(5)]
        )

    @functools.cached_property
    def school_days(self) -> tuple[dt.date, ...]:
        """The 180 school days: weekdays from the first day, holidays skipped."""
        days: list[dt.date] = []
        day, holidays = self.first_day, self.holidays
        while len(days) < SCHOOL_DAYS:
            if day.weekday() < 5 and day not in holidays:
                days.append(day)
            day += dt.timedelta(days=1)
        return tuple(days)

    @property
    def days_taken(self) -> int:
        """School days with attendance: every one before today, at least the first."""
        return max(1, sum(1 for d in self.school_days if d < self.today))

    @property
    def as_of(self) -> dt.date:
        """The last school day with attendance."""
        return self.school_days[self.days_taken - 1]


def demo_today(today: dt.date = REFERENCE_DAY) -> dt.date:
    """The last school day with attendance in the demo district built on ``today``."""
    return DemoYear(today).as_of


@dataclass(frozen=True)
class DemoDistrict:
    """Row counts of the generated district."""

    counts: dict[str, int]
    today: dt.date

    def describe(self) -> str:
        parts = ", ".join(f"{n} {t}" for t, n in self.counts.items())
        return f"Demo district as of {self.today:%Y-%m-%d}: {parts}."


def _level(school_id: int) -> str:
    return next(name for name, ids in LEVELS.items() if school_id in ids)


def _zoned(street: int, grade: str) -> int:
    g = GRADES.index(grade)
    if g <= 5:
        return 1 + street % 3
    if g <= 8:
        return 4 + street % 2
    return 6 + (street // 2) % 2


def _street_line(house: int, street: int, spelled: bool) -> str:
    pre, name, kind, _, _ = STREETS[street]
    words = [str(house)]
    if pre:
        words.append(SPELLED[pre] if spelled else pre)
    words.append(name.title())
    words.append(SPELLED.get(kind, kind.title()) if spelled else kind.title())
    return " ".join(words)


def _clear(conn: sa.Connection) -> None:
    """Remove the SIS data, with the addresses of its students (other addresses stay)."""
    conn.execute(sa.text("DELETE FROM address_parsed"))
    conn.execute(
        sa.delete(student_addresses).where(
            student_addresses.c.student_id.in_(sa.select(students.c.student_id))
        )
    )
    if conn.dialect.name == "postgresql":  # row-by-row foreign key checks make DELETE slow
        # Restarting the ids keeps a second run's district identical to the first.
        names = ", ".join(t.name for t in SIS_TABLES)
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY"))
        return
    for table in reversed(SIS_TABLES):
        conn.execute(table.delete())


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    if rows:
        conn.execute(sa.insert(table), rows)


# The system jobs' demo: uploads (some past their retention, one student on Document Hold),
# photos, a SQL Triggers rule and two-factor settings to copy to a survey site.
DEMO_HOLD_STUDENT = FIRST_STUDENT_ID + 29  # an upload past its retention


def _system_jobs(conn: sa.Connection, year: DemoYear, files: Path | None) -> None:
    from job_library.schemas.system import (
        photo_uploads,
        profile_permissions,
        sql_trigger_rules,
        student_uploads,
        two_factor_auth,
        upload_fields,
        user_preferences,
    )
    from job_library.student_fields import StudentFields

    ids = list(
        conn.execute(
            sa.select(students.c.student_id).order_by(students.c.student_id).limit(40)
        ).scalars()
    )
    noon = dt.time(12, 0, tzinfo=dt.UTC)
    _insert(
        conn,
        upload_fields,
        [
            dict(
                field_id=1,
                title="IEP and 504 plans",
                category="B",
                retention_years=5,
                retain_by="upload",
            ),
            dict(
                field_id=2,
                title="Withdrawal paperwork",
                category="B",
                retention_years=1,
                retain_by="withdrawal",
            ),
            dict(
                field_id=3,
                title="Report cards",
                category="A",
                retention_years=None,
                retain_by="upload",
            ),
        ],
    )
    uploads = []
    for n, student_id in enumerate(ids, 1):
        uploaded = dt.datetime.combine(year.as_of - dt.timedelta(days=73 * n), noon)
        field = 3 if n % 4 == 0 else 1
        uploads.append(
            dict(
                upload_id=n,
                student_id=student_id,
                field_id=field,
                file_name=f"document-{n}.txt",
                stored_path=f"{student_id}/document-{n}.txt",
                uploaded_at=uploaded,
            )
        )
    _insert(conn, student_uploads, uploads)
    if DEMO_HOLD_STUDENT in ids:
        StudentFields(conn, changed_by="demo").write("document_hold", {DEMO_HOLD_STUDENT: True})
    photos = [
        dict(
            person_kind="student",
            person_id=student_id,
            stored_path=f"uploads/{student_id}.png",
            uploaded_at=dt.datetime.combine(year.first_day, noon),
        )
        for student_id in ids[:10]
    ]
    _insert(conn, photo_uploads, photos)
    _insert(
        conn,
        sql_trigger_rules,
        [
            dict(
                rule_id=1,
                title="Withdrawn students are not rolled over",
                table_name="student_enrollment",
                conditions=[
                    {"column": "drop_code", "op": "not_empty"},
                    {"column": "rolling_retention", "op": "in", "value": ["next_grade", "retain"]},
                ],
                set_column="rolling_retention",
                set_value="do_not_enroll",
            )
        ],
    )
    _insert(
        conn,
        two_factor_auth,
        [
            dict(user_id=1, method="totp", secret="DEMO-TOTP-1", phone=None, enabled=True),
            dict(user_id=2, method="sms", secret=None, phone="555-0102", enabled=True),
        ],
    )
    _insert(
        conn,
        profile_permissions,
        [
            dict(profile_id=1, permission="TwoFactorAuth::Required", can_use=True),
            dict(profile_id=1, permission="TwoFactorAuth::User_Access", can_use=True),
        ],
    )
    _insert(conn, user_preferences, [dict(user_id=2, name="TwoFactorAuth::Opt_In", value="Y")])
    if files is not None:
        _system_files(files, uploads, photos)


def _system_files(files: Path, uploads: list[dict], photos: list[dict]) -> None:
    """The demo's uploaded documents and photos under the district's files folder."""
    from PIL import Image, ImageDraw

    for row in uploads:
        path = files / "uploads" / row["stored_path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"Demo document {row['upload_id']} of student {row['student_id']}, "
            f"uploaded {row['uploaded_at']:%Y-%m-%d}.\n"
        )
    for row in photos:
        path = files / "photos" / row["stored_path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", (120, 160), (200, 210, 220))
        ImageDraw.Draw(image).text((10, 70), str(row["person_id"]), fill=(0, 0, 0))
        image.save(path)


def _florida_reporting(
    conn: sa.Connection, n: int, year: DemoYear, today: dt.date, files: Path | None
) -> None:
    """Work for the Florida reporting jobs: migrant entries (two arrivals inside three years,
    one older), the last two students without a usable FLEID (none, all zeros) and three
    score report PDFs plus a misnamed file in uploaded-assets/test_score_reports."""
    import os

    from job_library.schemas.florida_reporting import migrant_records

    ids = [FIRST_STUDENT_ID + i for i in range(min(n, 4))]
    arrivals = [100, 400, 5 * 365, 30]
    _insert(
        conn,
        migrant_records,
        [
            dict(
                student_id=sid,
                syear=year.syear,
                qualifying_arrival_date=today - dt.timedelta(days=days),
                msix_id="000000012345" if k == 3 else None,
            )
            for k, (sid, days) in enumerate(zip(ids, arrivals, strict=False))
        ],
    )
    if n > 6:
        last = FIRST_STUDENT_ID + n - 1
        conn.execute(sa.update(students).where(students.c.student_id == last).values(fleid=None))
        conn.execute(
            sa.update(students)
            .where(students.c.student_id == last - 1)
            .values(fleid="FL000000000000")
        )
    if files is None:
        return
    folder = files / "uploaded-assets" / "test_score_reports"
    folder.mkdir(parents=True, exist_ok=True)
    # Uploaded two days ago: settled, whatever the hour the demo is run.
    stamp = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(12), dt.UTC).timestamp()
    names = [f"FL{sid:012d}_FAST_{year.syear}.pdf" for sid in ids[:3]] + ["read me.txt"]
    for name in names:
        path = folder / name
        path.write_bytes(b"%PDF-1.4 demo score report\n")
        os.utime(path, (stamp, stamp))


def _scratch(conn: sa.Connection, name: str, *columns: sa.Column) -> sa.Table:
    table = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
    table.drop(conn, checkfirst=True)
    table.create(conn)
    return table


def generate(
    engine: sa.Engine,
    students_count: int,
    *,
    today: dt.date | None = None,
    files: Path | None = None,
) -> DemoDistrict:
    """Replace the SIS data with a demo district of ``students_count`` students, in one
    transaction. The same count and date always give the same district.

    :param today: the date it is built for (default: today), see DemoYear.
    :param files: the district's files folder, to put the demo's uploads and photos in
        (None: the rows only).
    """
    if students_count < 1:
        raise ValueError(f"students {students_count}: give at least 1 student")
    year = DemoYear(today or dt.date.today())
    with engine.begin() as conn:
        _clear(conn)
        _focus_users(conn)
        today = _structure(conn, students_count, year)
        _people(conn, students_count, year)
        with _bulk_load(conn, "schedule", "attendance_period", "attendance_day"):
            _schedules(conn, students_count, year)
            _attendance(conn, year)
            _morning_marks(conn, year)
        _tests_and_more(conn, year)
        _student_services(conn, year)
        _sss_forms(conn, today)
        _choice_applications(conn, year)
        _medication_orders(conn, year)
        _gradebook(conn, year)
        _web_api_data(conn, year)
        _billing(conn, year)
        _communications(conn, students_count, today)
        _staff_messages(conn, today)
        _erp_hr(conn, today)
        configure_demo_platform(conn)
        _system_jobs(conn, year, files)
        _florida_reporting(conn, students_count, year, today, files)
        load_demo_assessments(conn, year)
        load_demo_attendance_hours(conn, year)
        load_demo_finance(conn, year)
        _graduation_and_certification(conn, year)
        if conn.dialect.name == "postgresql":
            _sync_sequences(conn)
        counts = {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (
                schools,
                students,
                student_enrollment,
                attendance_calendar,
                course_periods,
                sa.table("schedule"),
                sa.table("attendance_period"),
                sa.table("attendance_day"),
                sa.table("student_tests"),
            )
        }
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE"))
    return DemoDistrict(counts, today)


def _structure(conn: sa.Connection, n: int, year: DemoYear) -> dt.date:
    days = year.school_days
    _insert(
        conn,
        school_years,
        [
            dict(
                syear=y,
                title=f"{y}-{y + 1}",
                start_date=dt.date(y, 7, 1),
                end_date=dt.date(y + 1, 6, 30),
                is_default=y == year.syear,
            )
            for y in (year.syear - 1, year.syear, year.syear + 1)
        ],
    )
    _insert(
        conn,
        schools,
        [
            dict(
                school_id=sid,
                title=title,
                short_name=short,
                school_number=number,
                district_number=DISTRICT,
                adult_ed=adult,
                full_day_minutes=180 if adult else 300,
                half_day_minutes=120 if adult else 150,
            )
            for sid, title, short, number, _, adult in SCHOOLS
        ],
    )
    _insert(
        conn,
        grade_levels,
        [
            dict(
                grade_id=i + 1,
                short_name=g,
                title="Adult"
                if g == "AD"
                else ("Kindergarten" if g == "KG" else f"Grade {int(g)}"),
                sort_order=i,
                next_grade_id=None,
                used_for_zoning=g != "AD",
                can_roll_into=g != "AD",
            )
            for i, g in enumerate(GRADES)
        ],
    )
    for i, g in enumerate(GRADES[:-2]):  # KG..11 roll into the next grade
        conn.execute(
            sa.update(grade_levels)
            .where(grade_levels.c.short_name == g)
            .values(next_grade_id=i + 2)
        )
    _insert(
        conn,
        school_grade_levels,
        [
            dict(school_id=sid, grade_id=GRADES.index(g) + 1)
            for sid, *_, gs, _ in SCHOOLS
            for g in gs
        ],
    )
    calendars = []
    for syear in (year.syear, year.syear + 1):
        for sid, *_ in SCHOOLS:
            calendars.append(
                dict(
                    calendar_id=sid + (0 if syear == year.syear else 100),
                    school_id=sid,
                    syear=syear,
                    title="Main",
                    is_default=True,
                )
            )
    _insert(conn, attendance_calendars, calendars)
    _insert(
        conn,
        attendance_calendar,
        [dict(calendar_id=sid, school_date=d, minutes=360) for sid, *_ in SCHOOLS for d in days],
    )
    periods = []
    for sid, *_, adult in SCHOOLS:
        count, length = (4, 60) if adult else (7, 50)
        for p in range(1, count + 1):
            periods.append(
                dict(
                    period_id=sid * 10 + p,
                    school_id=sid,
                    syear=year.syear,
                    short_name=f"P{p}",
                    title=f"Period {p}",
                    sort_order=p,
                    length_minutes=length,
                    attendance=True,
                )
            )
    _insert(conn, school_periods, periods)
    _insert(
        conn,
        student_enrollment_codes,
        [
            dict(
                code_id=1,
                syear=year.syear,
                short_name="E01",
                title="Entered, first time",
                type="Add",
            ),
            dict(
                code_id=2,
                syear=year.syear,
                short_name="E02",
                title="Transfer within district",
                type="Add",
            ),
            dict(
                code_id=3,
                syear=year.syear,
                short_name="W01",
                title="Transfer within district",
                type="Drop",
            ),
            dict(
                code_id=4,
                syear=year.syear,
                short_name="W02",
                title="Moved out of district",
                type="Drop",
            ),
            dict(
                code_id=5,
                syear=year.syear,
                short_name="W26",
                title="Withdrawn, non-attendance",
                type="Drop",
            ),
            dict(
                code_id=6,
                syear=year.syear + 1,
                short_name="E01",
                title="Entered, first time",
                type="Add",
            ),
        ],
    )
    _insert(
        conn,
        attendance_codes,
        [
            dict(
                code_id=1,
                syear=year.syear,
                short_name="P",
                title="Present",
                category="present",
                disciplinary=False,
            ),
            dict(
                code_id=2,
                syear=year.syear,
                short_name="A",
                title="Absent",
                category="unexcused",
                disciplinary=False,
            ),
            dict(
                code_id=3,
                syear=year.syear,
                short_name="E",
                title="Excused",
                category="excused",
                disciplinary=False,
            ),
            dict(
                code_id=4,
                syear=year.syear,
                short_name="T",
                title="Tardy",
                category="tardy",
                disciplinary=False,
            ),
            dict(
                code_id=5,
                syear=year.syear,
                short_name="S",
                title="Out-of-school suspension",
                category="excused",
                disciplinary=True,
            ),
        ],
    )
    catalog = []
    for st, (pre, name, kind, zipcode, city) in enumerate(STREETS):
        for low, high, school in (
            ("KG", "05", _zoned(st, "KG")),
            ("06", "08", _zoned(st, "06")),
            ("09", "12", _zoned(st, "09")),
        ):
            catalog.append(
                dict(
                    syear=year.syear,
                    house_number_low=1,
                    house_number_high=9999,
                    parity="both",
                    pre_direction=pre,
                    street_name=name,
                    street_type=kind,
                    zipcode=zipcode,
                    city=city,
                    low_grade_id=GRADES.index(low) + 1,
                    high_grade_id=GRADES.index(high) + 1,
                    zoned_school_id=school,
                    zoned_district=DISTRICT,
                )
            )
    _insert(conn, address_catalog, catalog)
    _insert(
        conn,
        tardy_thresholds,
        [
            dict(
                threshold_id=sid * 10 + k,
                school_id=sid,
                syear=year.syear,
                tardies=3 * k,
                detention_minutes=30 * k,
                title=f"{3 * k} tardies",
            )
            for sid, *_ in SCHOOLS
            for k in (1, 2, 3)
        ],
    )
    return days[year.days_taken - 1]


def _student_grade(i: int) -> str:
    return "AD" if i % 50 == 49 else GRADES[i % 13]


def _people(conn: sa.Connection, n: int, year: DemoYear) -> None:
    days = year.school_days
    people, addresses, enrollments = [], [], []
    for i in range(n):
        sid = FIRST_STUDENT_ID + i
        grade = _student_grade(i)
        g = GRADES.index(grade)
        age = 30 + i % 25 if grade == "AD" else 5 + g
        street = (i * 7 + i // 13) % len(STREETS)
        house = 100 + (i * 37) % 9800
        people.append(
            dict(
                student_id=sid,
                first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
                last_name=LAST_NAMES[(i // 7) % len(LAST_NAMES)],
                birthdate=dt.date(year.syear - age, 1 + i % 12, 1 + i % 28),
                gender="FM"[i % 2],
                fleid=f"FL{sid:012d}",
                ese_code="K" if i % 14 == 0 else None,
                charter_mckay=None,
            )
        )
        spelled = i % 20 == 3
        line = _street_line(house, street, spelled)
        addresses.append(
            dict(
                address_id=sid,  # explicit, so that a second run gives the same ids
                student_id=sid,
                address=f" {line} " if i % 33 == 1 else line,
                address2=None,
                city=STREETS[street][4],
                state="FL",
                zipcode=STREETS[street][3],
            )
        )
        if grade == "AD":
            school = ADULT_SCHOOL
        else:
            school = _zoned(street, grade)
            if i % 20 == 7:  # school choice: another school of the same level
                same = LEVELS[_level(school)]
                school = same[(same.index(school) + 1) % len(same)]
        start = days[(i % 40) + 5] if i % 31 == 5 else days[0]
        base = dict(
            student_id=sid,
            syear=year.syear,
            grade_id=g + 1,
            second_school=False,
            next_school=None,
            zoned_school_id=None,
            zoned_district=None,
            rolling_retention="do_not_enroll"
            if grade in ("12", "AD")
            else ("retain" if i % 50 == 17 else "next_grade"),
        )
        same = LEVELS[_level(school)]
        if i % 43 == 17 and len(same) > 1:  # transferred mid-year within the district
            k = 20 + i % 50
            other = same[(same.index(school) + 1) % len(same)]
            enrollments.append(
                dict(
                    base,
                    school_id=school,
                    calendar_id=school,
                    start_date=start,
                    end_date=days[k],
                    enrollment_code=1,
                    drop_code=3,
                )
            )
            enrollments.append(
                dict(
                    base,
                    school_id=other,
                    calendar_id=other,
                    start_date=days[k + 1],
                    end_date=None,
                    enrollment_code=2,
                    drop_code=None,
                )
            )
        elif i % 37 == 11:  # withdrew, moved away
            enrollments.append(
                dict(
                    base,
                    school_id=school,
                    calendar_id=school,
                    start_date=start,
                    end_date=days[30 + i % 50],
                    enrollment_code=1,
                    drop_code=4,
                )
            )
        else:
            enrollments.append(
                dict(
                    base,
                    school_id=school,
                    calendar_id=school,
                    start_date=start,
                    end_date=None,
                    enrollment_code=1,
                    drop_code=None,
                )
            )
        if grade in ("11", "12") and i % 59 == 3:  # dual enrollment at the adult center
            enrollments.append(
                dict(
                    base,
                    school_id=ADULT_SCHOOL,
                    calendar_id=ADULT_SCHOOL,
                    start_date=days[0],
                    end_date=None,
                    enrollment_code=1,
                    drop_code=None,
                    second_school=True,
                    rolling_retention="do_not_enroll",
                )
            )
    for chunk in range(0, n, 10_000):
        _insert(conn, students, people[chunk : chunk + 10_000])
    _insert(conn, student_addresses, addresses)
    _insert(conn, student_enrollment, enrollments)


def _schedules(conn: sa.Connection, n: int, year: DemoYear) -> None:
    """Courses, one teacher per subject section, and a full schedule for every student."""
    sizes = dict(
        conn.execute(
            sa.select(student_enrollment.c.school_id, sa.func.count())
            .where(student_enrollment.c.second_school == sa.false())
            .group_by(student_enrollment.c.school_id)
        ).all()
    )
    course_rows, section_rows, staff_rows, map_rows, period_rows = [], [], [], [], []
    course_id = section_id = staff_id = 0
    for sid, _, short, _, _, adult in SCHOOLS:
        subjects = ADULT_SUBJECTS if adult else SUBJECTS
        periods = 4 if adult else 7
        nsec = max(1, math.ceil(sizes.get(sid, 0) / (len(subjects) * SECTION_SIZE)))
        period_rows.append(
            dict(school_id=sid, period_order=0, periods=periods, nsubj=len(subjects), nsec=nsec)
        )
        for s_no, subject in enumerate(subjects):
            course_id += 1
            course_rows.append(
                dict(
                    course_id=course_id,
                    school_id=sid,
                    syear=year.syear,
                    title=subject.title(),
                    short_name=subject,
                    course_number=f"{1000000 + course_id * 7:07d}",
                    credits=1,
                    class_size_core=subject in ("ELA", "MATH", "SCI", "SOC"),
                )
            )
            for k in range(nsec):
                staff_id += 1
                last = LAST_NAMES[staff_id % len(LAST_NAMES)]
                staff_rows.append(
                    dict(
                        staff_id=staff_id,
                        first_name=FIRST_NAMES[staff_id % 20],
                        last_name=last,
                        user_id=None,
                    )
                )
                for p in range(1, periods + 1):
                    section_id += 1
                    section_rows.append(
                        dict(
                            course_period_id=section_id,
                            course_id=course_id,
                            school_id=sid,
                            syear=year.syear,
                            period_id=sid * 10 + p,
                            teacher_id=staff_id,
                            short_name=f"{subject}-{p}{k:02d}",
                            title=f"Period {p} - {subject} - {last}",
                            room=f"{short[:1]}{100 + k}",
                            total_seats=SECTION_SIZE + 5,
                            filled_seats=0,
                        )
                    )
                    map_rows.append(
                        dict(
                            school_id=sid,
                            period_order=p,
                            subject_no=s_no,
                            section_no=k,
                            course_period_id=section_id,
                            course_id=course_id,
                        )
                    )
    _insert(conn, courses, course_rows)
    _insert(conn, staff, staff_rows)
    _insert(conn, course_periods, section_rows)
    shape = _scratch(
        conn,
        "tmp_demo_shape",
        sa.Column("school_id", sa.Integer),
        sa.Column("period_order", sa.Integer),
        sa.Column("periods", sa.Integer),
        sa.Column("nsubj", sa.Integer),
        sa.Column("nsec", sa.Integer),
    )
    _insert(
        conn,
        shape,
        [dict(r, period_order=p) for r in period_rows for p in range(1, r["periods"] + 1)],
    )
    sections = _scratch(
        conn,
        "tmp_demo_sections",
        *(
            sa.Column(c, sa.Integer)
            for c in (
                "school_id",
                "period_order",
                "subject_no",
                "section_no",
                "course_period_id",
                "course_id",
            )
        ),
    )
    _insert(conn, sections, map_rows)
    _analyze(conn, "student_enrollment", "tmp_demo_shape", "tmp_demo_sections", "students")
    # A student's subject in period p rotates with the student id; the section spreads
    # students of one subject evenly over its teachers.
    conn.execute(
        sa.text("""
        INSERT INTO schedule (student_id, syear, school_id, course_id, course_period_id,
                              start_date, end_date)
        SELECT x.student_id, x.syear, x.school_id, t.course_id, t.course_period_id,
               x.start_date, x.end_date
        FROM (
            SELECT e.student_id, e.syear, e.school_id, e.start_date, e.end_date,
                   p.period_order,
                   (p.period_order + e.student_id) % p.nsubj AS subject_no,
                   (e.student_id / p.nsubj) % p.nsec AS section_no
            FROM student_enrollment e
            JOIN tmp_demo_shape p ON p.school_id = e.school_id
            WHERE e.second_school = FALSE
        ) x
        JOIN tmp_demo_sections t
          ON t.school_id = x.school_id AND t.period_order = x.period_order
         AND t.subject_no = x.subject_no AND t.section_no = x.section_no
    """)
    )
    schedule = sa.table("schedule", sa.column("course_period_id"), sa.column("end_date"))
    seats = (
        sa.select(schedule.c.course_period_id, sa.func.count().label("filled"))
        .where(schedule.c.end_date.is_(None))
        .group_by(schedule.c.course_period_id)
        .subquery()
    )
    conn.execute(
        sa.update(course_periods)
        .where(course_periods.c.course_period_id == seats.c.course_period_id)
        .values(filled_seats=seats.c.filled)
    )
    shape.drop(conn)
    sections.drop(conn)


def _attendance(conn: sa.Connection, year: DemoYear) -> None:
    """Period attendance by exception (absences and tardies) and the daily attendance
    calculated from it, through the last school day before today."""
    days = year.school_days[: year.days_taken]
    table = _scratch(
        conn,
        "tmp_demo_days",
        sa.Column("school_date", sa.Date, primary_key=True),
        sa.Column("day_no", sa.Integer),
    )
    _insert(conn, table, [dict(school_date=d, day_no=i) for i, d in enumerate(days)])
    _analyze(conn, "tmp_demo_days", "schedule", "course_periods", "school_periods")
    # h is a deterministic pseudo-random number in 0..1008 per student-day. Regular students
    # miss about 4% of days (every 12th student about 15%), 1.5% of days they miss the first
    # two periods (excused), 3% they are tardy to period 1. Every 5th adult student stopped
    # coming after day 85.
    conn.execute(
        sa.text("""
        INSERT INTO attendance_period (student_id, school_date, period_id, attendance_code,
                                       course_period_id)
        SELECT x.student_id, x.school_date, cp.period_id,
               CASE WHEN x.h < x.rate THEN
                        CASE WHEN x.h % 97 = 1 THEN 5 WHEN x.h % 3 = 0 THEN 3 ELSE 2 END
                    WHEN x.h < x.rate + 15 THEN 3
                    ELSE 4 END,
               s.course_period_id
        FROM (
            SELECT e.student_id, e.school_id, d.school_date,
                   CASE WHEN e.school_id = :adult AND (e.student_id / 50) % 5 = 0
                             AND d.day_no >= 85
                        THEN 2
                        ELSE ((e.student_id % 65521) * 7919 + d.day_no * 104729
                              + (e.student_id % 101) * d.day_no * 31) % 1009 END AS h,
                   CASE WHEN e.student_id % 12 = 0 THEN 150 ELSE 40 END AS rate
            FROM student_enrollment e
            JOIN tmp_demo_days d
              ON d.school_date >= e.start_date
             AND (e.end_date IS NULL OR d.school_date <= e.end_date)
            WHERE e.second_school = FALSE
        ) x
        JOIN schedule s
          ON s.student_id = x.student_id AND s.school_id = x.school_id
         AND s.start_date <= x.school_date
         AND (s.end_date IS NULL OR s.end_date >= x.school_date)
        JOIN course_periods cp ON cp.course_period_id = s.course_period_id
        JOIN school_periods sp ON sp.period_id = cp.period_id
        WHERE x.h < x.rate + 45
          AND (x.h < x.rate
               OR (x.h < x.rate + 15 AND sp.sort_order <= 2)
               OR (x.h >= x.rate + 15 AND sp.sort_order = 1))
    """),
        {"adult": ADULT_SCHOOL},
    )
    _analyze(conn, "attendance_period", "attendance_calendar", "attendance_codes", "schools")
    insert = f"INSERT INTO attendance_day ({', '.join(DAILY_COLUMNS)})"
    conn.execute(daily_attendance_sql(None, insert), {"first_day": days[0], "last_day": year.as_of})
    table.drop(conn)


def _morning_marks(conn: sa.Connection, year: DemoYear) -> None:
    """The build day's first period, as teachers leave it by mid-morning: when the district is
    built on a school day whose attendance is not yet complete, every 23rd student at their
    main school is marked absent (code A) in period 1. Daily attendance for the day is left
    to be calculated, as it would be that evening; Attendance SMS finds these marks when the
    demo runs on the day it was built."""
    today = year.today
    if today not in year.school_days or today <= year.as_of:
        return
    conn.execute(
        sa.text("""
        INSERT INTO attendance_period (student_id, school_date, period_id, attendance_code,
                                       course_period_id)
        SELECT e.student_id, :today, cp.period_id, 2, MIN(s.course_period_id)
        FROM student_enrollment e
        JOIN schedule s
          ON s.student_id = e.student_id AND s.school_id = e.school_id
         AND s.start_date <= :today AND (s.end_date IS NULL OR s.end_date >= :today)
        JOIN course_periods cp ON cp.course_period_id = s.course_period_id
        JOIN school_periods sp ON sp.period_id = cp.period_id
        WHERE e.second_school = FALSE AND e.student_id % 23 = 0
          AND e.start_date <= :today AND (e.end_date IS NULL OR e.end_date >= :today)
          AND sp.sort_order = 1
        GROUP BY e.student_id, cp.period_id
    """).bindparams(sa.bindparam("today", type_=sa.Date)),
        {"today": today},
    )


def _tests_and_more(conn: sa.Connection, year: DemoYear) -> None:
    """Standardized tests with scores for grades 3-10, and adult CASAS tests."""
    _insert(
        conn,
        standardized_tests,
        [
            dict(test_id=1, short_name="FAST", title="Florida Assessment of Student Thinking"),
            dict(test_id=2, short_name="CAG", title="CASAS GOALS Reading"),
        ],
    )
    _insert(
        conn,
        test_parts,
        [
            dict(part_id=1, test_id=1, short_name="ELA", title="ELA Reading"),
            dict(part_id=2, test_id=1, short_name="MATH", title="Mathematics"),
            dict(part_id=3, test_id=2, short_name="RDG", title="Reading"),
        ],
    )
    _insert(
        conn,
        test_score_types,
        [
            dict(score_type_id=1, test_id=1, short_name="SS"),
            dict(score_type_id=2, test_id=1, short_name="LEVEL"),
            dict(score_type_id=3, test_id=2, short_name="SS"),
            dict(score_type_id=4, test_id=2, short_name="FLTESTID"),
        ],
    )
    fall = year.school_days[20]
    conn.execute(
        sa.text(f"""
        INSERT INTO student_tests (student_id, test_id, syear, test_date)
        SELECT e.student_id, CASE WHEN g.short_name = 'AD' THEN 2 ELSE 1 END, e.syear, :fall
        FROM student_enrollment e JOIN grade_levels g ON g.grade_id = e.grade_id
        WHERE e.second_school = FALSE AND e.start_date <= :fall
          AND g.short_name IN ('03', '04', '05', '06', '07', '08', '09', '10', 'AD')
          AND {FIRST_PRIMARY_RECORD}
    """).bindparams(sa.bindparam("fall", type_=sa.Date)),
        {"fall": fall},
    )
    conn.execute(
        sa.text("""
        INSERT INTO student_test_scores (student_test_id, part_id, score_type_id, score)
        SELECT st.student_test_id, p.part_id, t.score_type_id,
               CASE WHEN t.short_name = 'SS'
                    THEN CAST(300 + (st.student_id * 13 + p.part_id * 7) % 150 AS VARCHAR(20))
                    WHEN t.short_name = 'LEVEL'
                    THEN CAST(1 + ((st.student_id * 13 + p.part_id * 7) % 150) / 30
                              AS VARCHAR(20))
                    END
        FROM student_tests st
        JOIN test_parts p ON p.test_id = st.test_id
        JOIN test_score_types t ON t.test_id = st.test_id
    """)
    )


# Required doses per vaccine for grades KG-06 and 07-12, and the date of each dose.
VACCINES = {"DTAP": (5, 0), "TDAP": (0, 1), "POLIO": (4, 4), "MMR": (2, 2), "VAR": (2, 2)}
HISTORY_GRADES = (("A", 4), ("B", 3), ("C", 2), ("D", 1), ("F", 0))


def _student_services(conn: sa.Connection, year: DemoYear) -> None:
    """Immunizations, MTSS events, ESE records, waitlists, queued automatic course requests
    and last year's course history, each with the cases the SIS jobs act on (students
    missing a dose or exempt, events of withdrawn students, dismissed ESE students, waitlisted
    students already scheduled, ...), all from set-based INSERT ... SELECTs."""
    grade_id = {g: i + 1 for i, g in enumerate(GRADES)}
    _insert(
        conn,
        immunization_requirements,
        [
            dict(syear=year.syear, grade_id=grade_id[g], vaccine=vaccine, doses_required=doses)
            for g in GRADES[:-1]
            for vaccine, by_level in VACCINES.items()
            if (doses := by_level[0 if GRADES.index(g) <= 6 else 1])
        ],
    )
    doses = _scratch(
        conn,
        "tmp_demo_doses",
        sa.Column("vaccine", sa.String(20), primary_key=True),
        sa.Column("dose_no", sa.Integer, primary_key=True),
        sa.Column("dose_date", sa.Date, nullable=False),
    )
    _insert(
        conn,
        doses,
        [
            dict(vaccine=v, dose_no=n, dose_date=dt.date(year.syear - 13 + n, 3 + k, 10))
            for k, v in enumerate(VACCINES)
            for n in range(1, 6)
        ],
    )
    # Every dose due, except a missing second MMR (student id divisible by 9) and a
    # Varicella exemption instead of doses (divisible by 47).
    conn.execute(
        sa.text(f"""
        INSERT INTO immunization_records (student_id, vaccine, dose_date, exempt)
        SELECT DISTINCT e.student_id, d.vaccine, d.dose_date, FALSE
        FROM student_enrollment e
        JOIN immunization_requirements r ON r.syear = e.syear AND r.grade_id = e.grade_id
        JOIN {doses.name} d ON d.vaccine = r.vaccine AND d.dose_no <= r.doses_required
        WHERE e.second_school = FALSE
          AND NOT (e.student_id % 9 = 0 AND d.vaccine = 'MMR' AND d.dose_no = 2)
          AND NOT (e.student_id % 47 = 0 AND d.vaccine = 'VAR')
        """)
    )
    conn.execute(
        sa.text("""
        INSERT INTO immunization_records (student_id, vaccine, dose_date, exempt)
        SELECT DISTINCT e.student_id, 'VAR', :day, TRUE
        FROM student_enrollment e
        JOIN immunization_requirements r
          ON r.syear = e.syear AND r.grade_id = e.grade_id AND r.vaccine = 'VAR'
        WHERE e.second_school = FALSE AND e.student_id % 47 = 0
        """).bindparams(sa.bindparam("day", type_=sa.Date)),
        {"day": year.first_day},
    )
    doses.drop(conn)
    # MTSS: a reading intervention at the first school of every 25th student (some of whom
    # withdrew or moved to another school during the year).
    conn.execute(
        sa.text(f"""
        INSERT INTO mtss_events (student_id, school_id, title, start_date, active)
        SELECT e.student_id, e.school_id, 'Reading intervention (Tier 2)', e.start_date, TRUE
        FROM student_enrollment e
        WHERE e.second_school = FALSE AND {FIRST_PRIMARY_RECORD}
          AND (e.student_id % 25 = 3 OR e.drop_code IS NOT NULL)
        """)
    )
    # ESE: students with an FEFP code (every 14th) have a primary exceptionality; every
    # second one of them has been dismissed.
    conn.execute(
        sa.text(f"""
        INSERT INTO ese_records (student_id, exceptionality, primary_exceptionality,
                                 service_type, dismissal_date, active)
        SELECT st.student_id, 'K', TRUE,
               CASE WHEN (st.student_id - {FIRST_STUDENT_ID}) % 28 = 0 THEN 'D' ELSE 'S' END,
               CASE WHEN (st.student_id - {FIRST_STUDENT_ID}) % 28 = 0 THEN :day END, TRUE
        FROM students st WHERE st.ese_code IS NOT NULL
        """).bindparams(sa.bindparam("day", type_=sa.Date)),
        {"day": year.school_days[60]},
    )
    # Waitlists for math: every 40th student waits for their own section (scheduled since:
    # Remove Scheduled Students from Waitlist drops them), the next one for another section.
    conn.execute(
        sa.text("""
        INSERT INTO waitlist (student_id, course_period_id, position, added_at)
        SELECT w.student_id, w.course_period_id,
               ROW_NUMBER() OVER (PARTITION BY w.course_period_id ORDER BY w.student_id),
               :added
        FROM (
          SELECT s.student_id, s.course_period_id
          FROM schedule s JOIN courses c ON c.course_id = s.course_id AND c.short_name = 'MATH'
          WHERE s.student_id % 40 = 5
          UNION
          SELECT s.student_id, MIN(other.course_period_id)
          FROM schedule s
          JOIN courses c ON c.course_id = s.course_id AND c.short_name = 'MATH'
          JOIN course_periods other
            ON other.course_id = s.course_id AND other.course_period_id <> s.course_period_id
          WHERE s.student_id % 40 = 6
          GROUP BY s.student_id
        ) w
        """).bindparams(sa.bindparam("added", type_=sa.DateTime(timezone=True))),
        {"added": dt.datetime(2025, 8, 1, 12, 0, tzinfo=dt.UTC)},
    )
    # Automatic course requests queued for every 10th middle-school student: the art course
    # of their school.
    conn.execute(
        sa.text(f"""
        INSERT INTO automatic_course_requests (student_id, syear, school_id, course_id,
                                               queued_at)
        SELECT e.student_id, e.syear, e.school_id, c.course_id, :queued
        FROM student_enrollment e
        JOIN courses c ON c.school_id = e.school_id AND c.syear = e.syear AND c.short_name = 'ART'
        WHERE e.second_school = FALSE AND e.end_date IS NULL AND e.student_id % 10 = 1
          AND e.school_id IN ({", ".join(str(s) for s in LEVELS["middle"])})
        """).bindparams(sa.bindparam("queued", type_=sa.DateTime(timezone=True))),
        {"queued": dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)},
    )
    # Last year's course history of grades 10-12: the seven subjects, grades by student.
    subjects = _scratch(
        conn,
        "tmp_demo_subjects",
        sa.Column("k", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(100), nullable=False),
    )
    _insert(conn, subjects, [dict(k=k, title=t) for k, t in enumerate(SUBJECTS)])
    letters = " ".join(f"WHEN {i} THEN '{letter}'" for i, (letter, _) in enumerate(HISTORY_GRADES))
    points = " ".join(f"WHEN {i} THEN {p}" for i, (_, p) in enumerate(HISTORY_GRADES))
    pick = "(e.student_id + k.k * 3) % 5"
    conn.execute(
        sa.text(f"""
        INSERT INTO course_history (student_id, syear, school_id, course_title, grade_letter,
                                    grade_points, weighted_points, credits_earned, affects_gpa)
        SELECT e.student_id, {year.syear - 1}, e.school_id, k.title,
               CASE {pick} {letters} END,
               CASE {pick} {points} END,
               CASE {pick} {points} END + CASE WHEN k.k = 0 THEN 1 ELSE 0 END,
               CASE WHEN {pick} = 4 THEN 0 ELSE 1 END,
               k.title <> 'PE'
        FROM student_enrollment e
        JOIN grade_levels g ON g.grade_id = e.grade_id
        CROSS JOIN {subjects.name} k
        WHERE e.second_school = FALSE AND {FIRST_PRIMARY_RECORD}
          AND g.short_name IN ('10', '11', '12')
        """)
    )
    subjects.drop(conn)


MATRIX_FEFP = {"251": "111", "252": "112", "253": "113", "254": "254", "255": "255"}


def _sss_forms(conn: sa.Connection, today: dt.date) -> None:
    """An IEP event for every ESE student still served, its services starting 0 to 45 days
    before ``today`` (every sixth a draft), with a Matrix of Services form (every seventh with
    a cost factor that does not exist) and a Schedule of Services (every eighth with more
    time with non-disabled peers than the week has): the two SSS push jobs' work."""
    from job_library.schemas.sss import sss_events, sss_matrix_forms, sss_schedule_of_services

    served = list(
        conn.execute(
            sa.text(
                "SELECT student_id FROM ese_records WHERE active = TRUE AND service_type = 'S' "
                "ORDER BY student_id"
            )
        ).scalars()
    )
    events, matrix, services = [], [], []
    for k, student_id in enumerate(served, 1):
        start = today - dt.timedelta(days=k * 3 % 46)
        events.append(
            dict(
                event_id=k,
                student_id=student_id,
                event_type="IEP",
                event_date=start - dt.timedelta(days=10),
                services_start_date=start,
                locked=k % 6 != 5,
                locked_at=None,
            )
        )
        factor = "256" if k % 7 == 6 else ("251", "252", "253", "254", "255")[k % 5]
        matrix.append(
            dict(
                form_id=k,
                event_id=k,
                cost_factor=factor,
                fefp_code=MATRIX_FEFP.get(factor, "113"),
            )
        )
        services.append(
            dict(
                form_id=k,
                event_id=k,
                minutes_with_non_disabled=2000 if k % 8 == 7 else (1500, 1000, 400)[k % 3],
                minutes_total_week=1800,
                idea_environment="KLM"[k % 3],
            )
        )
    _insert(conn, sss_events, events)
    _insert(conn, sss_matrix_forms, matrix)
    _insert(conn, sss_schedule_of_services, services)


def _choice_applications(conn: sa.Connection, year: DemoYear) -> None:
    """A magnet program at each high school and applications of every 30th student for this
    year's program: most are Waiting, with the current school and grade as typed on the
    application (none yet, or the school before a transfer), which Refresh Choice Data fills
    in; every fourth is Accepted already."""
    from job_library.schemas.choice import school_choice_programs

    _insert(
        conn,
        school_choice_programs,
        [
            dict(
                program_id=sid, school_id=sid, title=f"Magnet program {sid}", program_type="Magnet"
            )
            for sid in LEVELS["high"]
        ],
    )
    conn.execute(
        sa.text(f"""
        INSERT INTO school_choice_application_status (student_id, syear, program_id,
                                                      choice_rank, status, current_school_id)
        SELECT e.student_id, e.syear, {LEVELS["high"][0]} + e.student_id % 2, 1,
               CASE WHEN e.student_id % 120 = 0 THEN 'Accepted' ELSE 'Waiting' END,
               CASE WHEN e.end_date IS NOT NULL THEN e.school_id END
        FROM student_enrollment e
        WHERE e.second_school = FALSE AND e.student_id % 30 = 0 AND {FIRST_PRIMARY_RECORD}
        """)
    )


def _medication_orders(conn: sa.Connection, year: DemoYear) -> None:
    """The Medical job's work: a Medication calendar category and, for every 25th student, a
    medication order since the first school day (tablets with 60 pills received, one given the
    day before the last school day with attendance)."""
    from job_library.schemas.health import calendar_categories

    _insert(conn, calendar_categories, [dict(category_id=1, title="Medication")])
    conn.execute(
        sa.text("""
        INSERT INTO medication_orders (student_id, medication, medication_form, dosage,
                                       order_date, admin_start, admin_end, pills_received)
        SELECT st.student_id,
               CASE st.student_id % 3 WHEN 0 THEN 'Amoxicillin' WHEN 1 THEN 'Albuterol'
                    ELSE 'Methylphenidate' END,
               CASE st.student_id % 3 WHEN 1 THEN 'inhaler' ELSE 'tablet' END,
               CASE st.student_id % 3 WHEN 1 THEN '2 puffs' ELSE '1 tablet' END,
               :first, :start, :end,
               CASE st.student_id % 3 WHEN 1 THEN NULL ELSE 60 END
        FROM students st WHERE st.student_id % 25 = 7
        """).bindparams(
            sa.bindparam("first", type_=sa.Date),
            sa.bindparam("start", type_=sa.Time),
            sa.bindparam("end", type_=sa.Time),
        ),
        {"first": year.first_day, "start": dt.time(11, 30), "end": dt.time(11, 45)},
    )
    conn.execute(
        sa.text("""
        INSERT INTO medication_administrations (order_id, administered_at, quantity, status)
        SELECT order_id, :given, 1, 'given' FROM medication_orders
        WHERE pills_received IS NOT NULL
        """).bindparams(sa.bindparam("given", type_=sa.DateTime(timezone=True))),
        {"given": dt.datetime.combine(year.as_of - dt.timedelta(days=1), dt.time(16, 30), dt.UTC)},
    )


def _gradebook(conn: sa.Connection, year: DemoYear) -> None:
    """Four quarters of 45 school days at every school, and the math gradebooks: categories
    Tests (60) and Homework (40), weighted in every other section, a test and a homework in
    each quarter begun, a score for every scheduled student. No running grade is stored yet
    (Recalc DT Grades Fix stores them), except a stale one in some art sections, which have
    no assignments."""
    from job_library.schemas.grades import marking_periods

    days = year.school_days
    _insert(
        conn,
        marking_periods,
        [
            dict(
                marking_period_id=sid * 10 + q,
                syear=year.syear,
                school_id=sid,
                mp_type="QTR",
                short_name=f"Q{q}",
                title=f"Quarter {q}",
                start_date=days[45 * (q - 1)],
                end_date=days[45 * q - 1],
                sort_order=q,
            )
            for sid, *_ in SCHOOLS
            for q in (1, 2, 3, 4)
        ],
    )
    math = (
        "SELECT cp.course_period_id, cp.school_id FROM course_periods cp "
        "JOIN courses c ON c.course_id = cp.course_id AND c.short_name = 'MATH'"
    )
    conn.execute(
        sa.text(f"""
        INSERT INTO gradebook_config (course_period_id, weighted)
        SELECT m.course_period_id, m.course_period_id % 2 = 0 FROM ({math}) m
        """)
    )
    for title, weight in (("Tests", 60), ("Homework", 40)):
        conn.execute(
            sa.text(f"""
            INSERT INTO gradebook_categories (course_period_id, title, weight)
            SELECT m.course_period_id, '{title}', {weight} FROM ({math}) m
            """)
        )
    conn.execute(
        sa.text(f"""
        INSERT INTO gradebook_assignments (course_period_id, category_id, marking_period_id,
                                           title, points, due_date)
        SELECT m.course_period_id, g.category_id, q.marking_period_id,
               g.title || ' ' || q.short_name, CASE g.title WHEN 'Tests' THEN 50 ELSE 10 END,
               q.start_date
        FROM ({math}) m
        JOIN gradebook_categories g ON g.course_period_id = m.course_period_id
        JOIN marking_periods q ON q.school_id = m.school_id AND q.start_date <= :today
        """).bindparams(sa.bindparam("today", type_=sa.Date)),
        {"today": year.as_of},
    )
    conn.execute(
        sa.text("""
        INSERT INTO gradebook_grades (student_id, assignment_id, points, exempt)
        SELECT DISTINCT s.student_id, a.assignment_id,
               CASE WHEN a.points = 50 THEN 30 + s.student_id % 21 ELSE 5 + s.student_id % 6 END,
               FALSE
        FROM schedule s JOIN gradebook_assignments a ON a.course_period_id = s.course_period_id
        """)
    )
    conn.execute(
        sa.text("""
        INSERT INTO gradebook_running_grades (student_id, course_period_id, marking_period_id,
                                              grade_type, percent)
        SELECT DISTINCT s.student_id, s.course_period_id, s.school_id * 10 + 1, 'DT', 95
        FROM schedule s JOIN courses c ON c.course_id = s.course_id AND c.short_name = 'ART'
        WHERE s.student_id % 50 = 1
        """)
    )


# The demo's online payments (Authorize.net transaction ids 60000001...): portal payments in
# the portal-enabled drawer of each school's front office, Store purchases in the Store's.
def _web_api_data(conn: sa.Connection, year: DemoYear) -> None:
    """What the web-API jobs work on: cash drawers with online payments waiting for their
    cashout (the cashouts), InformaCast scenarios per school (the health check), and an event
    typed into Focus on each school's calendar (Import ICS File must leave it alone). Ed-Fi
    Data Sync and the Blackboard transfer send the district's own SIS records."""
    from job_library.schemas.integrations import (
        calendar_events,
        cash_drawers,
        drawer_payments,
        emergency_services_schools,
    )

    school_ids = list(
        conn.execute(sa.select(schools.c.school_id).order_by(schools.c.school_id)).scalars()
    )
    _insert(
        conn,
        cash_drawers,
        [
            dict(
                drawer_id=1,
                title="Front Office (portal)",
                school_id=school_ids[0],
                portal_enabled=True,
            ),
            dict(
                drawer_id=2,
                title="Student Store (online)",
                school_id=school_ids[0],
                portal_enabled=True,
            ),
            dict(
                drawer_id=3,
                title="Cafeteria register",
                school_id=school_ids[0],
                portal_enabled=False,
            ),
        ],
    )
    paid = dt.datetime.combine(year.as_of - dt.timedelta(days=1), dt.time(15, 0), dt.UTC)
    _insert(
        conn,
        drawer_payments,
        [
            dict(
                drawer_id=1 if source == "portal" else 2,
                source=source,
                transaction_id=transaction,
                amount=amount,
                paid_at=paid,
            )
            for transaction, source, amount in demo_card_payments()
        ],
    )
    # InformaCast scenarios per school (Emergency Services Health Check); the last school has
    # no request-assistance scenario chosen yet, so the check has something to report.
    _insert(
        conn,
        emergency_services_schools,
        [
            dict(
                school_id=sid,
                lockdown_scenario_id=f"lockdown-{sid}",
                assistance_scenario_id=None if sid == school_ids[-1] else f"assist-{sid}",
            )
            for sid in school_ids
        ],
    )
    _insert(
        conn,
        calendar_events,
        [
            dict(school_id=sid, event_date=year.as_of + dt.timedelta(days=7), title="Open House")
            for sid in school_ids
        ],
    )


def _billing(conn: sa.Connection, year: DemoYear) -> None:
    """The point-of-sale invoices, payments and receipts (include/demo_billing.py), bought
    by the demo's fourth, eighth and twelfth students (the first when it is smaller)."""
    from include.demo_billing import load_demo_pos_and_receipts

    ids = list(
        conn.execute(
            sa.select(students.c.student_id).order_by(students.c.student_id).limit(12)
        ).scalars()
    )
    buyers = [ids[i] if i < len(ids) else ids[0] for i in (3, 7, 11)]
    load_demo_pos_and_receipts(conn, year.as_of, buyers)


def _analyze(conn: sa.Connection, *tables: str) -> None:
    """Fresh planner statistics inside the load transaction (Postgres plans blind without)."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            conn.execute(sa.text(f"ANALYZE {table}"))


@contextlib.contextmanager
def _bulk_load(conn: sa.Connection, *tables: str) -> Iterator[None]:
    """On Postgres, drop the keys, constraints and indexes of ``tables`` for a bulk load and
    build them again after it: checking millions of foreign keys row by row is ten times
    slower than validating them once (pg_restore loads the same way)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    inspector = sa.inspect(conn)
    saved = {
        t: (
            inspector.get_pk_constraint(t),
            inspector.get_unique_constraints(t),
            [i for i in inspector.get_indexes(t) if "duplicates_constraint" not in i],
            inspector.get_foreign_keys(t),
        )
        for t in tables
    }
    # Keys of other tables that point at these (the finance tables' invoice lines point at
    # schedule rows) go too, or the primary keys cannot be dropped.
    pointing = sorted(
        {
            t.name
            for t in SIS_TABLES
            if t.name not in tables
            and any(fk.referred_table.name in tables for fk in t.foreign_key_constraints)
        }
    )
    inbound = [
        (t, fk)
        for t in pointing
        for fk in inspector.get_foreign_keys(t)
        if fk["referred_table"] in tables
    ]
    for table, fk in inbound:
        conn.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {fk['name']}"))
    for table, (pk, uniques, indexes, fks) in saved.items():
        for fk in fks:
            conn.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {fk['name']}"))
        for index in indexes:
            conn.execute(sa.text(f"DROP INDEX {index['name']}"))
        for unique in uniques:
            conn.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {unique['name']}"))
        conn.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {pk['name']}"))
    yield
    restore = [(t, fk) for t, (*_, fks) in saved.items() for fk in fks] + inbound
    for table, (pk, uniques, indexes, _) in saved.items():
        cols = ", ".join(pk["constrained_columns"])
        conn.execute(
            sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {pk['name']} PRIMARY KEY ({cols})")
        )
        for unique in uniques:
            cols = ", ".join(unique["column_names"])
            conn.execute(
                sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {unique['name']} UNIQUE ({cols})")
            )
        for index in indexes:
            cols = ", ".join(index["column_names"])
            conn.execute(sa.text(f"CREATE INDEX {index['name']} ON {table} ({cols})"))
    # Foreign keys last: those between the loaded tables need every primary key back.
    for table, fk in restore:
        cols = ", ".join(fk["constrained_columns"])
        refs = ", ".join(fk["referred_columns"])
        conn.execute(
            sa.text(
                f"ALTER TABLE {table} ADD CONSTRAINT {fk['name']} FOREIGN KEY ({cols}) "
                f"REFERENCES {fk['referred_table']} ({refs})"
            )
        )


def _sync_sequences(conn: sa.Connection) -> None:
    """Move Postgres sequences past the ids inserted explicitly above."""
    for table in (*SIS_TABLES, student_addresses, users):
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                conn.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    )
                )


def _communications(conn: sa.Connection, n: int, today: dt.date) -> None:
    """Families to write to and messages waiting for the communication jobs: a contact with
    e-mail and mobile for every student (a second one with e-mail for every third), the
    settings of unexcused-absence messages, notifications of the last days with each first
    contact's settings, two Automated Cron Messages (one due this morning), and staff's
    scheduled messages in the queue (two due earlier today, one tomorrow). The texts come
    from Attendance SMS on the build day's morning marks (_morning_marks)."""
    from job_library.schemas.communications import (
        attendance_message_settings,
        attendance_triggers,
        automated_message_recipients,
        automated_messages,
        communication_queue,
        contact_notification_settings,
        erp_clauses,
        forms,
        gl_periods,
        gl_transactions,
        pcard_requisitions,
        student_contacts,
        student_notifications,
        trial_balance_subscriptions,
    )
    from job_library.schemas.sss import portal_alerts

    tz = dt.UTC
    morning = dt.datetime.combine(today, dt.time(12, 0), tz)  # 07:00 in Florida
    contacts, settings, notes = [], [], []
    for i in range(n):
        sid = FIRST_STUDENT_ID + i
        last = LAST_NAMES[(i // 7) % len(LAST_NAMES)]
        contacts.append(
            dict(
                contact_id=sid,
                student_id=sid,
                name=f"Parent {last}",
                relationship="Parent",
                priority=1,
                email=f"parent{sid}@families.example" if i % 17 else None,
                phone=f"+1352555{i % 10_000:04d}",
            )
        )
        if i % 3 == 0:
            contacts.append(
                dict(
                    contact_id=sid + 1_000_000,
                    student_id=sid,
                    name=f"Guardian {last}",
                    relationship="Guardian",
                    priority=2,
                    email=f"guardian{sid}@families.example",
                    phone=None,
                )
            )
        for category in ("attendance", "grades", "events")[: 1 + i % 3]:
            settings.append(dict(contact_id=sid, category=category, email=True))
        if i % 9 == 0:
            category = ("attendance", "grades", "events", "billing")[i % 4]
            notes.append(
                dict(
                    student_id=sid,
                    category=category,
                    title={
                        "attendance": "Absence",
                        "grades": "New grade",
                        "events": "Upcoming event",
                        "billing": "Fee due",
                    }[category],
                    message=f"A new {category} notice is posted in the portal.",
                    created_at=morning - dt.timedelta(days=i % 10),
                )
            )
    _insert(conn, student_contacts, contacts)
    _insert(conn, contact_notification_settings, settings)
    _insert(conn, student_notifications, notes)
    _insert(
        conn,
        attendance_message_settings,
        [
            dict(
                absence_type="unexcused",
                channel="email",
                subject="Absence: {student}",
                template="{student} was marked absent on {date}.",
                max_priority=2,
            ),
        ],
    )
    _insert(
        conn,
        automated_messages,
        [
            dict(
                automated_id=1,
                title="Weekly digest",
                subject="This week at school",
                body="Conferences are on Thursday.",
                send_at=morning,
                active=True,
            ),
            dict(
                automated_id=2,
                title="Next week",
                subject="Next week",
                body="Not yet.",
                send_at=morning + dt.timedelta(days=7),
                active=True,
            ),
        ],
    )
    _insert(
        conn,
        automated_message_recipients,
        [
            dict(automated_id=1, email="principal@district.example", name="Principal"),
            dict(automated_id=1, email="office@district.example", name="Front Office"),
            dict(automated_id=2, email="office@district.example", name="Front Office"),
        ],
    )
    # SSS alerts families have not opened: two unread for two days, one read, one new.
    _insert(
        conn,
        portal_alerts,
        [
            dict(
                student_id=FIRST_STUDENT_ID + k,
                alert_type="sss_event",
                profile="Parent",
                school_id=None,
                message=text,
                created_at=morning - age,
                read_at=morning if read else None,
            )
            for k, (text, age, read) in enumerate(
                (
                    ("A 504 plan meeting is scheduled.", dt.timedelta(days=2), False),
                    ("An MTSS reading plan was started.", dt.timedelta(days=2), False),
                    ("Counseling session notes are posted.", dt.timedelta(days=3), True),
                    ("A new SSS event was added.", dt.timedelta(hours=1), False),
                )
            )
        ],
    )
    # P-Card requisitions (ERP), the clauses of their reminders (preferences below).
    _insert(
        conn,
        pcard_requisitions,
        [
            dict(
                number=f"PC-{today.year}-{k:03d}",
                requester=who,
                amount=amount,
                status=status,
                status_date=today - dt.timedelta(days=age),
            )
            for k, (who, amount, status, age) in enumerate(
                (
                    ("Media Center", 212.40, "draft", 9),
                    ("Athletics", 89.99, "pending_approval", 6),
                    ("Front Office", 45.00, "draft", 2),
                    ("Science Dept.", 310.00, "approved", 20),
                ),
                start=1,
            )
        ],
    )
    _insert(
        conn,
        erp_clauses,
        [
            dict(
                title="Default P-Card Draft Email Text",
                text="This P-Card draft has not been submitted yet.",
            ),
            dict(
                title="Default P-Card Pending Approval Email",
                text="This P-Card requisition is still waiting for approval.",
            ),
        ],
    )
    # Attendance letter triggers: five unexcused days, eight absent class periods.
    _insert(
        conn,
        attendance_triggers,
        [
            dict(
                title="Five unexcused days",
                basis="daily",
                category="unexcused",
                threshold=5,
                subject="Attendance letter: {student}",
                template="{student} has {count} unexcused absences this year.",
                active=True,
            ),
            dict(
                title="Eight class absences",
                basis="period",
                category="any",
                threshold=8,
                subject="Class attendance: {student}",
                template="{student} has missed {count} class periods this year.",
                active=True,
            ),
        ],
    )
    # Last month's books were closed a week ago; a correction was posted to them since.
    closed = morning - dt.timedelta(days=7)
    _insert(
        conn,
        gl_periods,
        [
            dict(period_id=1, title="Last month", closed_at=closed),
            dict(period_id=2, title="This month", closed_at=None),
        ],
    )
    _insert(
        conn,
        gl_transactions,
        [
            dict(
                period_id=1, account="5100", amount=1250.00, posted_at=closed - dt.timedelta(days=3)
            ),
            dict(
                period_id=1, account="5100", amount=-75.25, posted_at=closed + dt.timedelta(days=2)
            ),
            dict(period_id=2, account="5200", amount=310.00, posted_at=morning),
        ],
    )
    _insert(
        conn,
        trial_balance_subscriptions,
        [dict(email="finance@district.example", name="Finance Director")],
    )
    # Generate ERP Extracts: the chart of accounts, a vendor and this year's purchase orders.
    from job_library.schemas.erp_ledger import erp_purchase_orders, erp_vendors, gl_accounts

    _insert(
        conn,
        gl_accounts,
        [
            dict(account="5100", title="Instructional supplies", account_type="expense"),
            dict(account="5200", title="Library books", account_type="expense"),
        ],
    )
    _insert(
        conn,
        erp_vendors,
        [
            dict(vendor_id=1, vendor_number="V0001", name="Sunshine School Supply",
                 tax_id="59-0000001", city="Tampa", state="FL"),
        ],
    )  # fmt: skip
    _insert(
        conn,
        erp_purchase_orders,
        [
            dict(po_number="PO-0001", vendor_id=1, po_date=morning.date(),
                 description="Classroom paper", amount=412.50),
        ],
    )  # fmt: skip
    # The two contact-details forms of Communication Status Update (preferences below).
    _insert(
        conn,
        forms,
        [
            dict(form_id=1, title="Parent contact details"),
            dict(form_id=2, title="Student contact details"),
        ],
    )
    first = FIRST_STUDENT_ID
    _insert(
        conn,
        communication_queue,
        [
            dict(
                channel=channel,
                source="scheduled",
                school_id=None,
                student_id=first + k,
                recipient=to,
                recipient_name=None,
                subject=subject,
                body=body,
                send_after=when,
                status="queued",
                attempts=0,
                created_at=morning,
            )
            for k, (channel, to, subject, body, when) in enumerate(
                (
                    (
                        "email",
                        f"parent{first}@families.example",
                        "Field trip",
                        "The bus leaves at 8:15.",
                        morning - dt.timedelta(hours=2),
                    ),
                    (
                        "email",
                        f"parent{first + 1}@families.example",
                        "Picture day",
                        "Picture day is Friday.",
                        morning,
                    ),
                    (
                        "email",
                        f"parent{first + 2}@families.example",
                        "Tomorrow",
                        "Sent tomorrow.",
                        morning + dt.timedelta(days=1),
                    ),
                )
            )
        ],
    )
    # A call last week that the provider could not put through (the number is gone):
    # Communication Status Update sends that parent the contact-details form.
    _insert(
        conn,
        communication_queue,
        [
            dict(
                channel="voice",
                source="scheduled",
                school_id=None,
                student_id=first + 3,
                recipient=f"+1352555{3:04d}",
                subject="",
                body="School closes early on Friday.",
                send_after=morning - dt.timedelta(days=7),
                status="undeliverable",
                attempts=1,
                last_error="400 21211 not a valid phone number",
                marked_at=morning - dt.timedelta(days=7),
                created_at=morning - dt.timedelta(days=7),
            )
        ],
    )


# The demo's Focus users (staff accounts): who chats, who gets field-trip notices, whom the
# jobs' user lists offer. Ids and names apart from the ones tests load (101-103).
DEMO_USERS = (
    (9001, "mgarcia", "Administrator", "mgarcia@district.example"),
    (9002, "dokafor", "Counselor", "dokafor@district.example"),
    (9003, "lnguyen", "Registrar", "lnguyen@district.example"),
    (9004, "sbrooks", "Teacher", "sbrooks@district.example"),
    (9005, "tpatel", "Teacher", "tpatel@district.example"),
    (9006, "rmoore", "Teacher", None),  # no e-mail address: listed, not e-mailed
)


def _focus_users(conn: sa.Connection) -> None:
    """Replace the demo's Focus users (the SIS rows naming them are gone already)."""
    ids = [uid for uid, *_ in DEMO_USERS]
    conn.execute(sa.delete(users).where(users.c.user_id.in_(ids)))
    _insert(
        conn,
        users,
        [dict(user_id=uid, username=name, email=email) for uid, name, _, email in DEMO_USERS],
    )


def _staff_messages(conn: sa.Connection, today: dt.date) -> None:
    """Focus Chat messages between the demo's staff (unread ones, one not delivered yet, one
    read, one to the teacher without an e-mail address) and Transportation's field-trip
    notices (new ones and one already sent)."""
    from job_library.schemas.communications import chat_messages, field_trip_notices

    morning = dt.datetime.combine(today, dt.time(12, 0), dt.UTC)
    hour = dt.timedelta(hours=1)
    _insert(
        conn,
        chat_messages,
        [
            dict(
                sender_user_id=sender,
                recipient_user_id=recipient,
                body=body,
                created_at=morning - age,
                delivered_at=None if queued else morning - age,
                read_at=morning if read else None,
            )
            for sender, recipient, body, age, queued, read in (
                (9001, 9002, "Can we meet about the 504 plans at 2?", 3 * hour, False, False),
                (9004, 9003, "A new student sat in my 3rd period today.", 2 * hour, False, False),
                (9002, 9005, "Please send me the grades for the review.", hour, True, False),
                (9003, 9001, "The enrollment report is on your desk.", 5 * hour, False, True),
                (9001, 9006, "Staff meeting moved to Thursday.", 4 * hour, False, False),
            )
        ],
    )
    _insert(
        conn,
        field_trip_notices,
        [
            dict(
                trip_title=title,
                trip_date=today + dt.timedelta(days=days),
                user_id=user,
                message=message,
                created_at=morning - hour,
                notified_at=morning - hour if sent else None,
            )
            for title, days, user, message, sent in (
                ("Science museum", 14, 9004, "The request was approved.", False),
                ("Science museum", 14, 9001, "A bus is assigned: bus 12.", False),
                ("State capitol", 21, 9005, "The departure moved to 7:30.", False),
                ("Zoo", 9, 9006, "The request was approved.", False),
                ("Aquarium", 3, 9004, "The request was approved.", True),
            )
        ],
    )


# The demo district's site profile, System Preferences and Student Fields (README: "Demo").
DEMO_SCHOOL_PREFERENCES = {("class_rank_by", 6): "weighted", ("class_rank_by", 7): "unweighted"}
DEMO_DISTRICT_PREFERENCES = {
    "timezone": "America/New_York",
    "email_unsuccessful_only": "off",
    "rollover_second_school": "off",
    "mtss_enrollment_alert_profile": "Counselor",
    # The automated cashouts start after this (Authorize.net's batches settle then).
    "authorize_net_settlement_time": "16:30",
    "communication_not_before": "07:30",
    "communication_not_after": "20:00",
    "pcard_reminder_days": "5",
    "callout_parent_form": "1",
    "callout_student_form": "2",
    "pcard_administrator_email": "pcard@district.example",
    # Texts for unexcused absences (the demo's "A"); `make run` has no SMS connection.
    "attendance_mobile_alert_codes": "A",
    # The Medical job's events: the school nurses' calendar, the Medication category.
    "medication_administrator_profile": "Nurse",
    "medication_administration_category": "Medication",
}


def demo_student_fields() -> list:
    from job_library.student_fields import FieldType, RecordTable, StudentField

    return [
        StudentField(57, "total_hours", "Total Hours", FieldType.NUMBER, RecordTable.SCHEDULE),
        StudentField(
            200000222, "arms_status", "ARMS Status", FieldType.TEXT, RecordTable.STUDENTS, True
        ),
        StudentField(1000, "photo_release", "Photo Release", FieldType.FLAG, RecordTable.STUDENTS),
        StudentField(1010, "document_hold", "Document Hold", FieldType.FLAG, RecordTable.STUDENTS),
        # The ESE tab's fields that Synchronize Schedule of Services writes.
        StudentField(
            2001,
            "ese_time_with_non_disabled",
            "Time, With Non-Disabled",
            FieldType.NUMBER,
            RecordTable.STUDENTS,
        ),
        StudentField(
            2002,
            "ese_time_total_week",
            "Time, Total Student Week",
            FieldType.NUMBER,
            RecordTable.STUDENTS,
        ),
        StudentField(
            2003,
            "idea_educational_environment",
            "IDEA Educational Environment",
            FieldType.TEXT,
            RecordTable.STUDENTS,
            True,
        ),
    ]


def configure_demo_platform(conn: sa.Connection) -> None:
    """A Florida production site with every add-on, the preferences the jobs read and a few
    Student Fields with values; running it again changes nothing."""
    from job_library.platform_schema import custom_field_values
    from job_library.preferences import Preferences
    from job_library.site import AddOn, SiteKind, SiteProfile, write_site_profile
    from job_library.student_fields import StudentFields, define_field

    profile = SiteProfile(state="FL", kind=SiteKind.PRODUCTION, add_ons=frozenset(AddOn))
    write_site_profile(conn, profile, user="demo")
    prefs = Preferences(conn)
    for key, value in DEMO_DISTRICT_PREFERENCES.items():
        prefs.set(key, value, user="demo")
    for (key, school_id), value in DEMO_SCHOOL_PREFERENCES.items():
        prefs.set(key, value, school_id=school_id, user="demo")
    for field in demo_student_fields():
        define_field(conn, field)
    fields = StudentFields(conn, changed_by="demo")
    # A smaller district than the last one: its students' values go with them.
    v = custom_field_values
    conn.execute(
        sa.delete(v).where(
            v.c.field_id.in_((1000, 1010)), v.c.record_id.not_in(sa.select(students.c.student_id))
        )
    )
    # Every fifth student allowed in photos; every other one explicitly not.
    fields.write_from(
        "photo_release",
        sa.select(
            students.c.student_id,
            sa.case((students.c.student_id % 5 == 0, "Y"), else_="N"),
        ),
    )


# Student Fields of the Online Course Requirement and of the Florida ARMS tracker (ESE,
# ELL, lunch status, zoned district and school, DOP), all logging their changes.
DEMO_TRACKED_FIELDS = (
    (4100, "online_course_req", "Online Course Requirement"),
    (890, "ese_primary", "ESE Code"),
    (626, "ell_code", "ELL Code"),
    (71, "lunch_status", "Lunch Status"),
    (821, "zoned_district_fl", "Zoned District"),
    (822, "zoned_school_fl", "Zoned School"),
    (20009054, "dop_code", "DOP Code"),
)


def _graduation_and_certification(conn: sa.Connection, year: DemoYear) -> None:
    """Graduation requirements, subjects and online flags on the course history, online
    course waivers, Course Code Directory certification requirements with the teachers'
    certifications, and ARMS Student Field values (their change log is what the tracker
    dates)."""
    from job_library.platform_schema import custom_field_values
    from job_library.student_fields import (
        FieldType,
        RecordTable,
        StudentField,
        StudentFields,
        define_field,
    )

    _insert(
        conn,
        sa.table(
            "grad_requirements",
            sa.column("requirement_id"),
            sa.column("title"),
            sa.column("subject"),
            sa.column("credits_required"),
            sa.column("sort_order"),
        ),
        [
            dict(requirement_id=i, title=t, subject=s, credits_required=c, sort_order=i)
            for i, (t, s, c) in enumerate(
                (
                    ("English", "ELA", 4),
                    ("Mathematics", "MATH", 4),
                    ("Science", "SCI", 3),
                    ("Social Studies", "SOC", 3),
                    ("Total credits", None, 24),
                ),
                start=1,
            )
        ],
    )
    # Every history record counts toward its subject; every fourth student took ELA online.
    conn.execute(
        sa.text(
            "UPDATE course_history SET grad_subject = course_title, "
            "online = CASE WHEN student_id % 4 = 0 AND course_title = 'ELA' "
            "THEN TRUE ELSE FALSE END"
        )
    )
    conn.execute(
        sa.text("""
        INSERT INTO graduation_waivers (student_id, requirement, granted_on)
        SELECT DISTINCT e.student_id, 'online_course', :granted
        FROM student_enrollment e JOIN grade_levels g ON g.grade_id = e.grade_id
        WHERE e.syear = :syear AND e.student_id % 10 = 3
          AND g.short_name IN ('09', '10', '11', '12')
    """).bindparams(sa.bindparam("granted", type_=sa.Date)),
        {"granted": year.first_day, "syear": year.syear},
    )
    # Each course accepts its 3-digit subject group; teachers whose id is a multiple of 4
    # have no certification, and every fifth teacher's is scoped A (out of field).
    conn.execute(
        sa.text("""
        INSERT INTO course_cert_requirements (course_number, cert_code)
        SELECT DISTINCT course_number, SUBSTR(course_number, 5, 3)
        FROM courses WHERE course_number IS NOT NULL
    """)
    )
    conn.execute(
        sa.text("""
        INSERT INTO teacher_certifications (staff_id, cert_code, scope, valid_from)
        SELECT DISTINCT cp.teacher_id, SUBSTR(c.course_number, 5, 3) || '01',
               CASE WHEN cp.teacher_id % 5 = 0 THEN 'A' ELSE 'G' END, :start
        FROM course_periods cp JOIN courses c ON c.course_id = cp.course_id
        WHERE cp.teacher_id IS NOT NULL AND cp.teacher_id % 4 <> 0
          AND c.course_number IS NOT NULL
    """).bindparams(sa.bindparam("start", type_=sa.Date)),
        {"start": dt.date(year.syear - 3, 7, 1)},
    )
    for fid, alias, title in DEMO_TRACKED_FIELDS:
        define_field(
            conn, StudentField(fid, alias, title, FieldType.TEXT, RecordTable.STUDENTS, True)
        )
    v = custom_field_values
    ids = [fid for fid, *_ in DEMO_TRACKED_FIELDS]
    conn.execute(
        sa.delete(v).where(
            v.c.field_id.in_(ids), v.c.record_id.not_in(sa.select(students.c.student_id))
        )
    )
    when = dt.datetime.combine(year.first_day, dt.time(9, 0), dt.UTC)
    fields = StudentFields(conn, changed_by="demo", now=lambda: when)
    sid = students.c.student_id
    for alias, every, value in (
        ("ese_primary", 9, "K,P"),
        ("ell_code", 11, "LY"),
        ("lunch_status", 3, "1"),
        ("zoned_district_fl", 13, "37"),
        ("zoned_school_fl", 13, "0021"),
        ("dop_code", 17, "A"),
    ):
        fields.write_from(alias, sa.select(sid, sa.literal(value)).where(sid % every == 0))


# --- ERP finance and HR (#18): benefits, positions, an agreement, ERP customers, SAP -------

DEMO_HR_EMPLOYEES = range(900_001, 900_008)


def _erp_hr(conn: sa.Connection, today: dt.date) -> None:
    """Work for the ERP finance and HR jobs: an employee who turns 50 today (next benefit
    band) and one enrolled without a rate, a retiree who turns 65 today, one with no birth
    date; allocations starting before their position or open under one that ends; an
    agreement published a month ago with three employees not on it yet; ERP customers of
    the first ten students, one with an old name and one with an old street; Student
    Academic Report figures of four adult students (one short of the GPA, one of the
    completion rate, one without a GPA)."""
    from job_library.jobs.erp.benefits_rates import years_before
    from job_library.schema import employees
    from job_library.schemas.erp_hr import (
        hr_agreement_employees,
        hr_agreements,
        hr_benefit_enrollments,
        hr_benefit_plans,
        hr_benefit_rates,
        hr_employee_details,
        hr_position_allocations,
        hr_positions,
        sap_academic_progress,
    )

    known = set(
        conn.execute(
            sa.select(employees.c.employee_id).where(
                employees.c.employee_id.in_(list(DEMO_HR_EMPLOYEES))
            )
        ).scalars()
    )
    names = ("Rivera", "Chen", "Okafor", "Larsen", "Haddad", "Novak", "Patel")
    _insert(
        conn,
        employees,
        [
            dict(employee_id=i, ein=f"DEMO-HR-{i}", first_name="Pat", last_name=name)
            for i, name in zip(DEMO_HR_EMPLOYEES, names, strict=True)
            if i not in known
        ],
    )
    e1, e2, e3, e4, e5, e6, e7 = DEMO_HR_EMPLOYEES
    day = dt.timedelta(days=1)
    details = [
        (e1, years_before(today, 50), "32301", False),
        (e2, years_before(today, 30), "32303", False),
        (e3, years_before(today, 50) + day, "32303", False),
        (e4, years_before(today, 65), "32308", True),
        (e5, years_before(today, 70), "32308", True),
        (e6, None, "32303", False),
        (e7, years_before(today, 25), "32304", False),
    ]
    _insert(
        conn,
        hr_employee_details,
        [dict(employee_id=i, birth_date=b, zipcode=z, retired=r) for i, b, z, r in details],
    )
    _insert(
        conn,
        hr_benefit_plans,
        [
            dict(plan_id=1, code="MED", title="Employee medical", for_retirees=False),
            dict(plan_id=2, code="RET", title="Retiree medical", for_retirees=True),
        ],
    )
    _insert(
        conn,
        hr_benefit_rates,
        [
            dict(rate_id=i, plan_id=p, min_age=lo, max_age=hi, zipcode=z, monthly_rate=Decimal(m))
            for i, p, lo, hi, z, m in (
                (1, 1, 0, 49, None, "300"),
                (2, 1, 50, 64, None, "450.50"),
                (3, 1, 50, 64, "32301", "425.25"),
                (4, 2, 0, 64, None, "350"),
                (5, 2, 65, 120, None, "200"),
            )
        ],
    )
    _insert(
        conn,
        hr_benefit_enrollments,
        [
            dict(
                employee_id=i,
                plan_id=p,
                rate_id=r,
                monthly_rate=None if m is None else Decimal(m),
            )
            for i, p, r, m in (
                (e1, 1, 1, "300"),
                (e2, 1, None, None),
                (e3, 1, 1, "300"),
                (e4, 2, 4, "350"),
                (e5, 2, 5, "200"),
                (e6, 1, 1, "300"),
            )
        ],
    )
    _insert(
        conn,
        hr_positions,
        [
            dict(
                position_id=1,
                number="T-100",
                title="Teacher",
                start_date=dt.date(2020, 8, 1),
                end_date=None,
            ),
            dict(
                position_id=2,
                number="A-200",
                title="Instructional aide",
                start_date=dt.date(2024, 8, 1),
                end_date=dt.date(2027, 6, 30),
            ),
        ],
    )
    published = today - dt.timedelta(days=30)
    _insert(
        conn,
        hr_position_allocations,
        [
            dict(position_id=p, employee_id=i, percent=100, start_date=s, end_date=end)
            for p, i, s, end in (
                (1, e1, dt.date(2020, 8, 1), None),
                (1, e2, dt.date(2020, 7, 31), None),  # before its position starts
                (2, e3, dt.date(2024, 8, 1), None),  # open under a position that ends
                (2, e6, dt.date(2024, 8, 1), dt.date(2027, 6, 30)),
                (1, e7, published + day, None),  # hired after the agreement was published
            )
        ],
    )
    _insert(
        conn,
        hr_agreements,
        [
            dict(
                agreement_id=1,
                title="Instructional staff agreement",
                published_date=published,
                deadline_date=today + dt.timedelta(days=15),
            )
        ],
    )
    _insert(
        conn,
        hr_agreement_employees,
        [
            dict(
                agreement_id=1,
                employee_id=e1,
                assigned_at=dt.datetime.combine(published, dt.time(12), dt.UTC),
                assigned_by="hr.clerk",
            )
        ],
    )
    first, stale_name, stale_street = FIRST_STUDENT_ID, FIRST_STUDENT_ID + 1, FIRST_STUDENT_ID + 2
    conn.execute(
        sa.text(
            "INSERT INTO erp_customers (student_id, name, address, address2, city, state, "
            "zipcode) SELECT s.student_id, CASE WHEN s.student_id = :stale_name THEN "
            "'Former Name' ELSE s.last_name || ', ' || s.first_name END, CASE WHEN "
            "s.student_id = :stale_street THEN '1 Old Mill Rd' ELSE a.address END, a.address2, "
            "a.city, a.state, a.zipcode FROM students s LEFT JOIN student_addresses a ON "
            "a.address_id = (SELECT MIN(x.address_id) FROM student_addresses x "
            "WHERE x.student_id = s.student_id) "
            "WHERE s.student_id BETWEEN :first AND :last"
        ),
        {
            "stale_name": stale_name,
            "stale_street": stale_street,
            "first": first,
            "last": first + 9,
        },
    )
    adults = conn.execute(
        sa.select(student_enrollment.c.student_id)
        .where(student_enrollment.c.school_id == ADULT_SCHOOL)
        .distinct()
        .order_by(student_enrollment.c.student_id)
        .limit(4)
    ).scalars()
    figures = (("3.10", 24, 24), ("1.80", 24, 24), ("2.90", 30, 15), (None, 12, 12))
    _insert(
        conn,
        sap_academic_progress,
        [
            dict(
                student_id=s,
                school_id=ADULT_SCHOOL,
                term="Fall",
                calculated_on=today - dt.timedelta(days=5),
                gpa=None if gpa is None else Decimal(gpa),
                attempted_credits=att,
                earned_credits=earned,
                program_credits=60,
            )
            for s, (gpa, att, earned) in zip(adults, figures, strict=False)
        ],
    )
