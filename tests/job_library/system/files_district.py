"""A small district for the file jobs: students with enrollments, upload fields, uploads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from job_library.platform_schema import custom_field_values
from job_library.schemas.district import attendance_calendars, grade_levels, school_years, schools
from job_library.schemas.enrollment import student_enrollment, students
from job_library.schemas.system import student_uploads, upload_fields
from job_library.student_fields import FieldType, RecordTable, StudentField, define_field

HOLD_FIELD = StudentField(
    900, "document_hold", "Document Hold", FieldType.FLAG, RecordTable.STUDENTS
)


def base(conn: sa.Connection, student_ids: list[int]) -> None:
    """One school and year, and the students (no enrollment yet)."""
    conn.execute(
        sa.insert(school_years).values(
            syear=2026,
            title="2026-27",
            start_date=dt.date(2026, 8, 10),
            end_date=dt.date(2027, 5, 28),
        )
    )
    conn.execute(
        sa.insert(schools).values(
            school_id=1,
            title="North High",
            short_name="NH",
            school_number="0101",
            district_number="37",
        )
    )
    conn.execute(
        sa.insert(grade_levels).values(grade_id=1, short_name="09", title="Grade 9", sort_order=9)
    )
    conn.execute(
        sa.insert(attendance_calendars).values(calendar_id=1, school_id=1, syear=2026, title="Main")
    )
    conn.execute(
        sa.insert(students),
        [dict(student_id=s, first_name=f"First{s}", last_name=f"Last{s}") for s in student_ids],
    )


def enroll(conn: sa.Connection, student_id: int, start: dt.date, end: dt.date | None) -> None:
    conn.execute(
        sa.insert(student_enrollment).values(
            student_id=student_id,
            syear=2026,
            school_id=1,
            grade_id=1,
            calendar_id=1,
            start_date=start,
            end_date=end,
        )
    )


def upload_field(
    conn: sa.Connection, field_id: int, category: str, years: int | None, retain_by: str = "upload"
) -> None:
    conn.execute(
        sa.insert(upload_fields).values(
            field_id=field_id,
            title=f"Field {field_id}",
            category=category,
            retention_years=years,
            retain_by=retain_by,
        )
    )


def upload(
    conn: sa.Connection,
    folder: Path,
    upload_id: int,
    student_id: int,
    field_id: int,
    uploaded_at: dt.datetime,
    data: bytes = b"x",
    name: str | None = None,
) -> Path:
    """A file under ``folder`` and its row; returns the file."""
    stored = name or f"s{student_id}/u{upload_id}.pdf"
    path = folder / stored
    if data is not None and not stored.startswith(("/", "..")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    conn.execute(
        sa.insert(student_uploads).values(
            upload_id=upload_id,
            student_id=student_id,
            field_id=field_id,
            file_name=Path(stored).name,
            stored_path=stored,
            uploaded_at=uploaded_at.astimezone(dt.UTC),
        )
    )
    return path


def hold(conn: sa.Connection, student_id: int, on: bool = True) -> None:
    define_field(conn, HOLD_FIELD)
    conn.execute(
        sa.insert(custom_field_values).values(
            field_id=HOLD_FIELD.field_id, record_id=student_id, value="Y" if on else "N"
        )
    )
