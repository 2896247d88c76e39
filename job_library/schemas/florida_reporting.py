"""Florida state reporting and file exchange: DOE extracts, verification, FLEID, MSIX, reports."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

# Generate Test Score Report records: one row per valid report file in the uploads folder.
test_score_reports = sa.Table(
    "test_score_reports",
    metadata,
    id_column("report_id"),
    sa.Column("file_name", sa.String(255), nullable=False, unique=True),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("test_name", sa.String(20), nullable=False),
    sa.Column("report_year", sa.Integer, nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_test_score_reports_student", "student_id"),
)

# The Fed/State Migrant student logging field: one entry per student and school year.
migrant_records = sa.Table(
    "migrant_records",
    metadata,
    id_column("record_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("qualifying_arrival_date", sa.Date),
    sa.Column("msix_id", sa.String(12)),  # the student's MSIX identifier, when known
    sa.UniqueConstraint("student_id", "syear", name="uq_migrant_records_student_year"),
)

# Outgoing FASTER responses to MSIX, picked up and sent by the FASTER process.
faster_responses = sa.Table(
    "faster_responses",
    metadata,
    id_column("response_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("syear", sa.Integer, nullable=False),
    sa.Column("qualifying_arrival_date", sa.Date, nullable=False),
    sa.Column("msix_id", sa.String(12)),
    sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint(
        "student_id", "syear", "qualifying_arrival_date", name="uq_faster_responses_student"
    ),
)

# FLEIDs of staff members (students keep theirs on students.fleid).
staff_fleids = sa.Table(
    "staff_fleids",
    metadata,
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.staff_id"), primary_key=True),
    sa.Column("fleid", sa.String(14), nullable=False, unique=True),
)

# Every FLEID file sent or imported: the import decides by this table what is new.
fleid_history = sa.Table(
    "fleid_history",
    metadata,
    id_column("history_id"),
    sa.Column("direction", sa.String(6), nullable=False),  # export or import
    sa.Column("source", sa.String(4), nullable=False),  # K12 or WDIS
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(64)),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("direction", "file_name", name="uq_fleid_history_file"),
)

# Who was sent in a FLEID request and is waiting for an answer (sent again when unanswered
# for the job's re-send days).
fleid_requests = sa.Table(
    "fleid_requests",
    metadata,
    sa.Column("person_kind", sa.String(7), primary_key=True),  # student or staff
    sa.Column("person_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
)


def _initial(name: str, width: int) -> sa.Table:
    """An initial-extract table: the fixed-width record of each student and school."""
    return sa.Table(
        name,
        metadata,
        id_column("id"),
        sa.Column("syear", sa.Integer, nullable=False),
        sa.Column("survey", sa.String(1), nullable=False),
        fk_column("school_id", "schools.school_id", nullable=False),
        fk_column("student_id", "students.student_id", nullable=False),
        sa.Column("record", sa.String(width), nullable=False),
        sa.UniqueConstraint("syear", "survey", "school_id", "student_id", name=f"uq_{name}"),
    )


def _verification(name: str) -> sa.Table:
    """A verification table: one row per problem the verification reports found."""
    return sa.Table(
        name,
        metadata,
        id_column("id"),
        sa.Column("syear", sa.Integer, nullable=False),
        sa.Column("survey", sa.String(1), nullable=False),
        fk_column("school_id", "schools.school_id", nullable=False),
        fk_column("student_id", "students.student_id", nullable=False),
        sa.Column("check_code", sa.String(10), nullable=False),
        sa.Column("message", sa.String(300), nullable=False),
        sa.UniqueConstraint(
            "syear", "survey", "school_id", "student_id", "check_code", name=f"uq_{name}"
        ),
    )


florida_pk12_initial = _initial("florida_pk12_initial", 160)
florida_wdis_initial = _initial("florida_wdis_initial", 70)
florida_verification = _verification("florida_verification")
wdis_verification = _verification("wdis_verification")
