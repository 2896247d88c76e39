"""Florida state reporting: DOE extracts and verification, FLEID, MSIX responses, report files."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0015"

_TABLES = (
    "wdis_verification",
    "test_score_reports",
    "staff_fleids",
    "migrant_records",
    "florida_wdis_initial",
    "florida_verification",
    "florida_pk12_initial",
    "faster_responses",
    "fleid_requests",
    "fleid_history",
)


def upgrade() -> None:
    op.create_table(
        "fleid_history",
        sa.Column("history_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("direction", sa.String(length=6), nullable=False),
        sa.Column("source", sa.String(length=4), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("history_id"),
        sa.UniqueConstraint("direction", "file_name", name="uq_fleid_history_file"),
    )
    op.create_table(
        "fleid_requests",
        sa.Column("person_kind", sa.String(length=7), nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_kind", "person_id"),
    )
    op.create_table(
        "faster_responses",
        sa.Column("response_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("qualifying_arrival_date", sa.Date(), nullable=False),
        sa.Column("msix_id", sa.String(length=12), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("response_id"),
        sa.UniqueConstraint(
            "student_id", "syear", "qualifying_arrival_date", name="uq_faster_responses_student"
        ),
    )
    op.create_table(
        "florida_pk12_initial",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("survey", sa.String(length=1), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("record", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "syear", "survey", "school_id", "student_id", name="uq_florida_pk12_initial"
        ),
    )
    op.create_table(
        "florida_verification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("survey", sa.String(length=1), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("check_code", sa.String(length=10), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "syear",
            "survey",
            "school_id",
            "student_id",
            "check_code",
            name="uq_florida_verification",
        ),
    )
    op.create_table(
        "florida_wdis_initial",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("survey", sa.String(length=1), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("record", sa.String(length=70), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "syear", "survey", "school_id", "student_id", name="uq_florida_wdis_initial"
        ),
    )
    op.create_table(
        "migrant_records",
        sa.Column("record_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("qualifying_arrival_date", sa.Date(), nullable=True),
        sa.Column("msix_id", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("record_id"),
        sa.UniqueConstraint("student_id", "syear", name="uq_migrant_records_student_year"),
    )
    op.create_table(
        "test_score_reports",
        sa.Column("report_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("test_name", sa.String(length=20), nullable=False),
        sa.Column("report_year", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("report_id"),
        sa.UniqueConstraint("file_name"),
    )
    op.create_index(
        "ix_test_score_reports_student", "test_score_reports", ["student_id"], unique=False
    )
    op.create_table(
        "wdis_verification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("survey", sa.String(length=1), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("check_code", sa.String(length=10), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "syear", "survey", "school_id", "student_id", "check_code", name="uq_wdis_verification"
        ),
    )
    op.create_table(
        "staff_fleids",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("fleid", sa.String(length=14), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.staff_id"],
        ),
        sa.PrimaryKeyConstraint("staff_id"),
        sa.UniqueConstraint("fleid"),
    )


def downgrade() -> None:
    op.drop_index("ix_test_score_reports_student", table_name="test_score_reports")
    for name in _TABLES:
        op.drop_table(name)
