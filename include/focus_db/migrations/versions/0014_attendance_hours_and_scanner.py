"""Attended hours and WDIS hours on schedule records, the attendance scanner, survey windows
and gradebooks combined by period."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0011"

_HOURS = (
    "attended_hours",
    "total_hours",
    "survey_w_hours",
    "survey_s_hours",
    "survey_f_hours",
    "att_hours_w",
    "att_hours_s",
    "att_hours_f",
)


def upgrade() -> None:
    with op.batch_alter_table("schedule") as batch:
        for name in _HOURS:
            batch.add_column(sa.Column(name, sa.Numeric(precision=7, scale=2), nullable=True))
    with op.batch_alter_table("course_periods") as batch:
        batch.add_column(
            sa.Column("attendance_scanner", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "attendance_scanner_logins",
        sa.Column("login_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("course_period_id", sa.Integer(), nullable=False),
        sa.Column("school_date", sa.Date(), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["student_id"], ["students.student_id"]),
        sa.ForeignKeyConstraint(["course_period_id"], ["course_periods.course_period_id"]),
        sa.PrimaryKeyConstraint("login_id"),
    )
    op.create_index(
        "ix_attendance_scanner_logins_date",
        "attendance_scanner_logins",
        ["school_date", "course_period_id"],
        unique=False,
    )
    op.create_table(
        "fl_survey_periods",
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("survey", sa.String(length=1), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.CheckConstraint("survey in ('W', 'S', 'F')", name="ck_fl_survey_periods_survey"),
        sa.ForeignKeyConstraint(["syear"], ["school_years.syear"]),
        sa.PrimaryKeyConstraint("syear", "survey"),
    )
    op.create_table(
        "gradebook_period_groups",
        sa.Column("group_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["syear"], ["school_years.syear"]),
        sa.ForeignKeyConstraint(["school_id"], ["schools.school_id"]),
        sa.ForeignKeyConstraint(["teacher_id"], ["staff.staff_id"]),
        sa.ForeignKeyConstraint(["period_id"], ["school_periods.period_id"]),
        sa.PrimaryKeyConstraint("group_id"),
        sa.UniqueConstraint(
            "syear", "school_id", "teacher_id", "period_id", name="uq_gradebook_period_groups"
        ),
    )
    op.create_table(
        "gradebook_group_sections",
        sa.Column("course_period_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["course_period_id"], ["course_periods.course_period_id"]),
        sa.ForeignKeyConstraint(["group_id"], ["gradebook_period_groups.group_id"]),
        sa.PrimaryKeyConstraint("course_period_id"),
    )
    op.create_index(
        "ix_gradebook_group_sections_group",
        "gradebook_group_sections",
        ["group_id"],
        unique=False,
    )


def downgrade() -> None:
    for name in (
        "gradebook_group_sections",
        "gradebook_period_groups",
        "fl_survey_periods",
        "attendance_scanner_logins",
    ):
        op.drop_table(name)
    with op.batch_alter_table("course_periods") as batch:
        batch.drop_column("imported_at")
        batch.drop_column("attendance_scanner")
    with op.batch_alter_table("schedule") as batch:
        for name in reversed(_HOURS):
            batch.drop_column(name)
