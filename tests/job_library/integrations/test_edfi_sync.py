"""Ed-Fi Data Sync against a fake Ed-Fi ODS/API validated with the published OpenAPI."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

import job_library.http_client as http_client
from include.web_standins.edfi import CLIENT_ID, CLIENT_SECRET, EdFiStandIn
from job_library.base import HttpEndpoint
from job_library.jobs.integrations import _edfi_sync_work as work
from job_library.jobs.integrations.edfi_sync import EdFiDataSync, EdFiSyncParams
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
from job_library.schemas.enrollment import student_enrollment, students
from job_library.schemas.integrations import sent_records
from job_library.schemas.scheduling import course_periods, courses, schedule
from tests.job_library.jobs_context import run_in_transaction

NS = "uri://district.example.org"


@pytest.fixture
def edfi() -> Iterator[EdFiStandIn]:
    with warnings.catch_warnings():
        # openapi-core checks no OAuth2 scheme (it warns so); the fake checks the bearer token.
        warnings.simplefilter("ignore", UserWarning)
        fake = EdFiStandIn()
        yield fake
        fake.stop()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(http_client, "pause", waited.append)
    return waited


@pytest.fixture
def district(db: sa.Engine) -> Iterator[sa.Engine]:
    with db.begin() as conn:
        conn.execute(
            school_years.insert(),
            [
                {
                    "syear": 2025,
                    "title": "2025-2026",
                    "start_date": dt.date(2025, 8, 1),
                    "end_date": dt.date(2026, 6, 30),
                    "is_default": False,
                },
                {
                    "syear": 2026,
                    "title": "2026-2027",
                    "start_date": dt.date(2026, 8, 1),
                    "end_date": dt.date(2027, 6, 30),
                    "is_default": True,
                },
            ],
        )
        conn.execute(
            schools.insert(),
            [
                {
                    "school_id": 255901001,
                    "title": "North High",
                    "short_name": "NH",
                    "school_number": "0001",
                    "district_number": "25",
                },
                {
                    "school_id": 255901002,
                    "title": "South High",
                    "short_name": "SH",
                    "school_number": "0002",
                    "district_number": "25",
                },
            ],
        )
        conn.execute(
            grade_levels.insert(),
            [
                {"grade_id": 9, "short_name": "09", "title": "Ninth grade", "sort_order": 9},
                {"grade_id": 10, "short_name": "10", "title": "Tenth grade", "sort_order": 10},
            ],
        )
        conn.execute(
            school_grade_levels.insert(),
            [
                {"school_id": 255901001, "grade_id": 9},
                {"school_id": 255901001, "grade_id": 10},
                {"school_id": 255901002, "grade_id": 10},
            ],
        )
        conn.execute(
            attendance_calendars.insert(),
            [
                {"calendar_id": 1, "school_id": 255901001, "syear": 2026, "title": "Main"},
                {"calendar_id": 2, "school_id": 255901001, "syear": 2025, "title": "Main"},
            ],
        )
        conn.execute(
            students.insert(),
            [
                {
                    "student_id": 100,
                    "first_name": "Ann",
                    "last_name": "Lee",
                    "birthdate": dt.date(2011, 1, 2),
                },
                {"student_id": 101, "first_name": "Bo", "last_name": "Kim", "birthdate": None},
                {
                    "student_id": 102,
                    "first_name": "Cy",
                    "last_name": "Day",
                    "birthdate": dt.date(2011, 3, 4),
                },
                {
                    "student_id": 103,
                    "first_name": "Di",
                    "last_name": "Old",
                    "birthdate": dt.date(2008, 5, 6),
                },
            ],
        )
        enrollment = dict(
            syear=2026,
            school_id=255901001,
            calendar_id=1,
            start_date=dt.date(2026, 8, 10),
            end_date=None,
        )
        conn.execute(
            student_enrollment.insert(),
            [
                {**enrollment, "student_id": 100, "grade_id": 9},
                {**enrollment, "student_id": 101, "grade_id": 10},
                {**enrollment, "student_id": 102, "grade_id": 9, "end_date": dt.date(2026, 10, 1)},
                # Last year only: not this year's business.
                {
                    "student_id": 103,
                    "syear": 2025,
                    "school_id": 255901001,
                    "calendar_id": 2,
                    "grade_id": 10,
                    "start_date": dt.date(2025, 8, 11),
                    "end_date": None,
                },
            ],
        )
        # North High's calendar has three school days; South High has no calendar this year.
        conn.execute(
            attendance_calendar.insert(),
            [{"calendar_id": 1, "school_date": dt.date(2026, 8, d)} for d in (10, 11, 12)],
        )
        conn.execute(
            staff.insert(),
            [
                {"staff_id": 7, "first_name": "Tess", "last_name": "Teach"},
                {"staff_id": 8, "first_name": "Una", "last_name": "Used"},  # teaches nothing
            ],
        )
        conn.execute(
            school_periods.insert().values(
                period_id=1,
                school_id=255901001,
                syear=2026,
                short_name="P1",
                title="Period 1",
                sort_order=1,
                length_minutes=50,
            )
        )
        course = dict(syear=2026, school_id=255901001, credits=1, course_number=None)
        conn.execute(
            courses.insert(),
            [
                {
                    **course,
                    "course_id": 60,
                    "title": "Algebra I",
                    "short_name": "ALG1",
                    "course_number": "1200310",
                },
                {
                    **course,
                    "course_id": 61,
                    "school_id": 255901002,
                    "title": "English I",
                    "short_name": "ENG1",
                    "credits": 0.5,
                },
                {**course, "course_id": 62, "syear": 2025, "title": "Old", "short_name": "OLD"},
            ],
        )
        section = dict(course_id=60, school_id=255901001, syear=2026, period_id=1)
        conn.execute(
            course_periods.insert(),
            [
                {
                    **section,
                    "course_period_id": 600,
                    "teacher_id": 7,
                    "short_name": "01",
                    "title": "Period 1 - 01 - Teach",
                },
                {
                    **section,
                    "course_period_id": 601,
                    "teacher_id": None,
                    "short_name": "02",
                    "title": "Period 1 - 02",
                },
            ],
        )
        taking = dict(
            syear=2026,
            school_id=255901001,
            course_id=60,
            start_date=dt.date(2026, 8, 10),
            end_date=None,
        )
        conn.execute(
            schedule.insert(),
            [
                {**taking, "student_id": 100, "course_period_id": 600},
                {**taking, "student_id": 101, "course_period_id": 601},
                {
                    **taking,
                    "student_id": 102,
                    "course_period_id": 600,
                    "end_date": dt.date(2026, 10, 1),
                },
            ],
        )
    yield db
    with db.begin() as conn:
        conn.execute(sent_records.delete())


def endpoints(fake: EdFiStandIn, secret: str = CLIENT_SECRET):
    def lookup(conn_id: str) -> HttpEndpoint:
        assert conn_id == "edfi_api"
        return HttpEndpoint(
            conn_id, fake.url, CLIENT_ID, secret, {"token_url": fake.server.url + "/oauth/token"}
        )

    return lookup


def run(engine, fake, **params):
    params.setdefault("descriptor_namespace", NS)
    return run_in_transaction(
        engine, EdFiDataSync(), EdFiSyncParams(**params), http=endpoints(fake)
    )


def sent_keys(engine) -> set[tuple[str, str]]:
    t = sent_records
    with engine.connect() as conn:
        return set(conn.execute(sa.select(t.c.target, t.c.record_key)).all())


NH, SH = "255901001", "255901002"
SESSION = "2027:2026-2027"  # Ed-Fi's school year 2027 is Focus's 2026 (2026-2027)
ALL_IN_ORDER = [
    "gradeLevelDescriptors",
    "localEducationAgencies",
    "schools",
    "sessions",
    "courses",
    "courseOfferings",
    "sections",
    "staffs",
    "staffEducationOrganizationAssignmentAssociations",
    "staffSectionAssociations",
    "students",
    "studentSchoolAssociations",
    "studentSectionAssociations",
]


def test_every_resource_goes_in_dependency_order_and_refusals_are_listed(district, edfi, waits):
    result = run(district, edfi, resources=list(reversed(ALL_IN_ORDER)), district_name="Lake SD")
    assert result.success, result.text
    assert edfi.invalid_answers == []
    assert edfi.posts == [
        ("gradeLevelDescriptors", f"{NS}/GradeLevelDescriptor#09"),
        ("gradeLevelDescriptors", f"{NS}/GradeLevelDescriptor#10"),
        ("localEducationAgencies", "25"),
        ("schools", NH),
        ("schools", SH),
        ("sessions", f"{NH}:{SESSION}"),
        ("sessions", f"{SH}:{SESSION}"),  # no calendar, but a course this year
        ("courses", f"{NH}:ALG1"),
        ("courses", f"{SH}:ENG1"),  # OLD is last year's
        ("courseOfferings", f"ALG1:{NH}:{SESSION}"),
        ("courseOfferings", f"ENG1:{SH}:{SESSION}"),
        ("sections", f"600:ALG1:{NH}:{SESSION}"),
        ("sections", f"601:ALG1:{NH}:{SESSION}"),
        ("staffs", "7"),
        ("staffs", "8"),
        ("staffEducationOrganizationAssignmentAssociations", f"7:{NH}:2026-08-01"),
        ("staffSectionAssociations", f"7:600:ALG1:{NH}:{SESSION}"),  # 601 has no teacher
        ("students", "100"),
        ("students", "101"),  # refused by the spec: no birthDate
        ("students", "102"),
        ("studentSchoolAssociations", f"100:{NH}:2026-08-10"),
        ("studentSchoolAssociations", f"101:{NH}:2026-08-10"),  # its student is missing
        ("studentSchoolAssociations", f"102:{NH}:2026-08-10"),
        ("studentSectionAssociations", f"100:600:ALG1:{NH}:{SESSION}:2026-08-10"),
        ("studentSectionAssociations", f"101:601:ALG1:{NH}:{SESSION}:2026-08-10"),  # no student
        ("studentSectionAssociations", f"102:600:ALG1:{NH}:{SESSION}:2026-08-10"),
    ]
    assert edfi.schema_refusals == [("students", "'birthDate' is a required property")]
    assert result.counts == {
        "sent": 23,
        "unchanged": 0,
        "refused": 3,
        "sent_gradeLevelDescriptors": 2,
        "sent_localEducationAgencies": 1,
        "sent_schools": 2,
        "sent_sessions": 2,
        "sent_courses": 2,
        "sent_courseOfferings": 2,
        "sent_sections": 2,
        "sent_staffs": 2,
        "sent_staffEducationOrganizationAssignmentAssociations": 1,
        "sent_staffSectionAssociations": 1,
        "sent_students": 2,
        "sent_studentSchoolAssociations": 2,
        "sent_studentSectionAssociations": 2,
    }
    assert (
        "refused: students 101: HTTP 400: The request is invalid.; request: 'birthDate' is a "
        "required property" in result.text
    )
    assert (
        "refused: studentSchoolAssociations 101:255901001:2026-08-10: HTTP 409: The value "
        "supplied for the related 'student' resource does not exist." in result.text
    )
    assert (
        "refused: studentSectionAssociations 101:601:2026-08-10: HTTP 409: The value "
        "supplied for the related 'student' resource does not exist." in result.text
    )
    stored = edfi.stored["studentSchoolAssociations"]["102:255901001:2026-08-10"]
    assert stored["exitWithdrawDate"] == "2026-10-01"
    assert stored["entryGradeLevelDescriptor"] == f"{NS}/GradeLevelDescriptor#09"
    assert edfi.stored["schools"][SH]["gradeLevels"] == [
        {"gradeLevelDescriptor": f"{NS}/GradeLevelDescriptor#10"}
    ]
    assert edfi.stored["schools"][SH]["localEducationAgencyReference"] == {
        "localEducationAgencyId": 25
    }
    lea = edfi.stored["localEducationAgencies"]["25"]
    assert lea["nameOfInstitution"] == "Lake SD"
    sessions = edfi.stored["sessions"]
    assert sessions[f"{NH}:{SESSION}"]["totalInstructionalDays"] == 3
    assert sessions[f"{SH}:{SESSION}"]["totalInstructionalDays"] == 0
    assert sessions[f"{NH}:{SESSION}"]["beginDate"] == "2026-08-01"
    assert sessions[f"{NH}:{SESSION}"]["endDate"] == "2027-06-30"
    algebra = edfi.stored["courses"][f"{NH}:ALG1"]
    assert algebra["identificationCodes"] == [
        {
            "courseIdentificationSystemDescriptor": work.LOCAL_COURSE_CODE,
            "identificationCode": "ALG1",
        },
        {
            "courseIdentificationSystemDescriptor": work.STATE_COURSE_CODE,
            "identificationCode": "1200310",
        },
    ]
    assert edfi.stored["courses"][f"{SH}:ENG1"]["maximumAvailableCredits"] == 0.5
    assert edfi.stored["sections"][f"600:ALG1:{NH}:{SESSION}"]["sectionName"] == (
        "Period 1 - 01 - Teach"
    )
    dropped = edfi.stored["studentSectionAssociations"][f"102:600:ALG1:{NH}:{SESSION}:2026-08-10"]
    assert dropped["endDate"] == "2026-10-01"
    assert edfi.issued == 1  # one token for the whole run


def test_a_district_number_that_is_not_a_number_is_listed_and_not_sent(district, edfi, waits):
    with district.begin() as conn:
        conn.execute(
            schools.update().where(schools.c.school_id == 255901002).values(district_number="2X")
        )
    result = run(
        district, edfi, resources=["gradeLevelDescriptors", "localEducationAgencies", "schools"]
    )
    assert edfi.posts[2:5] == [("localEducationAgencies", "25"), ("schools", NH), ("schools", SH)]
    assert "localEducationAgencyReference" not in edfi.stored["schools"][SH]
    assert result.counts["refused"] == 1 and result.counts["sent_schools"] == 2
    assert (
        "refused: localEducationAgencies 2X: not sent: the schools' district number '2X' is not "
        "a whole number" in result.text
    )
    again = run(
        district, edfi, resources=["gradeLevelDescriptors", "localEducationAgencies", "schools"]
    )
    assert again.counts["sent"] == 0 and again.counts["refused"] == 1


def test_unchanged_records_are_not_sent_again_and_changed_ones_are(district, edfi, waits):
    run(district, edfi)
    with district.begin() as conn:
        conn.execute(
            students.update().where(students.c.student_id == 100).values(last_name="Lee-Park")
        )
    before = len(edfi.posts)
    again = run(district, edfi)
    assert again.success
    # Only Ann (changed) and the three records the API refused before are sent again.
    assert edfi.posts[before:] == [
        ("students", "100"),
        ("students", "101"),
        ("studentSchoolAssociations", "101:255901001:2026-08-10"),
        ("studentSectionAssociations", f"101:601:ALG1:{NH}:{SESSION}:2026-08-10"),
    ]
    assert again.counts["sent"] == 1 and again.counts["unchanged"] == 22
    assert edfi.stored["students"]["100"]["lastSurname"] == "Lee-Park"


def test_a_401_fetches_a_new_token_once_and_carries_on(district, edfi, waits):
    edfi.revoke_after = 3  # the token dies after the two descriptors and the district
    result = run(
        district, edfi, resources=["gradeLevelDescriptors", "localEducationAgencies", "schools"]
    )
    assert result.success and result.counts["sent_schools"] == 2
    statuses = [a.status for r, a in edfi.server.answers if r.path.endswith("/schools")]
    assert statuses == [401, 201, 201]
    assert edfi.issued == 2  # the run's token and the one fetched after the 401


def test_a_wrong_client_secret_stops_the_run_with_the_reason(district, edfi, waits):
    result = run_in_transaction(
        district,
        EdFiDataSync(),
        EdFiSyncParams(descriptor_namespace=NS),
        http=endpoints(edfi, secret="wrong"),
    )
    assert not result.success
    assert "token endpoint refused the client id and secret" in result.summary
    assert edfi.posts == [] and sent_keys(district) == set()


def test_429_waits_as_retry_after_says(district, edfi, waits):
    edfi.server.fail_next(1, 429, {"Retry-After": "4"}, path="/data/v3/ed-fi/schools")
    result = run(district, edfi)
    assert result.success and waits == [4.0]
    assert result.counts["sent_schools"] == 2


def test_a_run_cut_short_keeps_what_was_accepted_and_the_next_run_resumes(district, edfi, waits):
    edfi.fail[("students", "102")] = 5  # every try of the third student answers 500
    first = run(district, edfi)
    assert not first.success
    assert "Stopped at students 102" in first.summary and "HTTP 500" in first.summary
    assert "not reached: studentSchoolAssociations, studentSectionAssociations" in first.summary
    assert len(waits) == 4
    assert sent_keys(district) == {
        ("ed-fi/gradeLevelDescriptors", "09"),
        ("ed-fi/gradeLevelDescriptors", "10"),
        ("ed-fi/schools", "255901001"),
        ("ed-fi/schools", "255901002"),
        ("ed-fi/localEducationAgencies", "25"),
        ("ed-fi/sessions", "255901001:2026"),
        ("ed-fi/sessions", "255901002:2026"),
        ("ed-fi/courses", "255901001:ALG1"),
        ("ed-fi/courses", "255901002:ENG1"),
        ("ed-fi/courseOfferings", "255901001:ALG1:2026"),
        ("ed-fi/courseOfferings", "255901002:ENG1:2026"),
        ("ed-fi/sections", "600"),
        ("ed-fi/sections", "601"),
        ("ed-fi/staffs", "7"),
        ("ed-fi/staffs", "8"),
        ("ed-fi/staffEducationOrganizationAssignmentAssociations", "7:255901001:2026-08-01"),
        ("ed-fi/staffSectionAssociations", "7:600"),
        ("ed-fi/students", "100"),
    }
    before = len(edfi.posts)
    resumed = run(district, edfi)
    assert resumed.success, resumed.text
    # Nothing accepted before is sent twice: the run starts where the other stopped.
    assert edfi.posts[before:] == [
        ("students", "101"),
        ("students", "102"),
        ("studentSchoolAssociations", "100:255901001:2026-08-10"),
        ("studentSchoolAssociations", "101:255901001:2026-08-10"),
        ("studentSchoolAssociations", "102:255901001:2026-08-10"),
        ("studentSectionAssociations", f"100:600:ALG1:{NH}:{SESSION}:2026-08-10"),
        ("studentSectionAssociations", f"101:601:ALG1:{NH}:{SESSION}:2026-08-10"),
        ("studentSectionAssociations", f"102:600:ALG1:{NH}:{SESSION}:2026-08-10"),
    ]
    # Over both runs the API took each record exactly once.
    assert len(edfi.accepted) == len(set(edfi.accepted)) == 23


def test_paging_reads_a_list_resource_page_by_page_through_a_500(district, edfi, waits):
    run(district, edfi, resources=["gradeLevelDescriptors", "localEducationAgencies", "schools"])
    endpoint = endpoints(edfi)("edfi_api")
    with http_client.ApiClient(endpoint) as client:
        pages = client.offset_pages("ed-fi/schools", limit=1)
        first = next(pages)
        # The second page's first answer is a 500: it is asked again, and paging goes on.
        edfi.server.fail_next(1, 500, path="/data/v3/ed-fi/schools")
        rest = list(pages)
    assert [[s["schoolId"] for s in page] for page in [first, *rest]] == [
        [255901001],
        [255901002],
        [],
    ]
    gets = [
        (r.query["offset"][0], a.status)
        for r, a in edfi.server.answers
        if r.method == "GET" and r.path.endswith("/schools")
    ]
    assert gets == [("0", 200), ("1", 500), ("1", 200), ("2", 200)]
    assert edfi.schema_refusals == [] and edfi.invalid_answers == []
    assert len(waits) == 1


def test_a_single_500_midway_through_the_run_is_retried_and_the_run_recovers(district, edfi, waits):
    edfi.fail[("courses", f"{SH}:ENG1")] = 1  # the second course's first try answers 500
    result = run(district, edfi)
    assert result.success, result.text
    assert len(waits) == 1
    assert edfi.posts.count(("courses", f"{SH}:ENG1")) == 2
    assert result.counts["sent"] == 23 and result.counts["sent_courses"] == 2
    assert len(edfi.accepted) == len(set(edfi.accepted)) == 23


def test_a_failure_midway_rolls_back_the_ledger(district, edfi, waits, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("injected after sending")

    monkeypatch.setattr(work, "_result", broken)
    with pytest.raises(RuntimeError, match="injected"):
        run(district, edfi)
    assert sent_keys(district) == set()


def test_without_a_school_year_it_says_how_to_choose_one(district, edfi, waits):
    with district.begin() as conn:
        conn.execute(school_years.update().values(is_default=False))
    result = run(district, edfi)
    assert not result.success and "no default school year" in result.summary
    assert edfi.posts == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"resources": ["staff"]}, "Input should be 'gradeLevelDescriptors'"),
        ({"district_name": ""}, "at least 1 character"),
        ({"resources": []}, "at least 1 item"),
        ({"descriptor_namespace": "http://x"}, "should match pattern"),
    ],
)
def test_bad_parameters_are_refused(params, message):
    with pytest.raises(ValidationError, match=message):
        EdFiSyncParams(**params)
