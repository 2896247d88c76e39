"""Adult education levels and district assessments: programs, level bands, the schedule's
LCP and basic skills fields, EOC status, and the District Assessments tables."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"

_SCHEDULE_COLUMNS = (
    "exclude_from_lcp",
    "aefl_subject_area",
    "aefl_initial_level",
    "aefl_final_level",
    "lcps",
    "pre_test_id",
    "post_test_id_1",
    "post_test_id_2",
    "post_test_id_3",
    "basic_skills_exam",
    "eoc_assessment_status",
)


def _assessment_key() -> sa.Column:
    return sa.Column(
        "assessment_id",
        sa.Integer(),
        sa.ForeignKey("district_assessments.assessment_id"),
        primary_key=True,
    )


def upgrade() -> None:
    op.create_table(
        "fps_programs",
        sa.Column("program_number", sa.String(7), primary_key=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("cost_code", sa.String(3)),
    )
    op.create_table(
        "fps_basic_skills_minimums",
        sa.Column(
            "program_number",
            sa.String(7),
            sa.ForeignKey("fps_programs.program_number"),
            primary_key=True,
        ),
        sa.Column("test_family", sa.String(5), primary_key=True),
        sa.Column("subject", sa.String(10), primary_key=True),
        sa.Column("min_score", sa.Integer()),
        sa.Column("min_level", sa.Integer()),
        sa.CheckConstraint("test_family in ('TABE', 'CASAS')", name="ck_basic_skills_family"),
    )
    op.create_table(
        "fl_aefl_levels",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("program_number", sa.String(7), nullable=False),
        sa.Column("test_family", sa.String(12), nullable=False),
        sa.Column("subject", sa.String(10), nullable=False),
        sa.Column("low_score", sa.Integer(), nullable=False),
        sa.Column("high_score", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(3), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("lcp", sa.String(1)),
        sa.Column("source", sa.String(40), nullable=False),
        sa.UniqueConstraint(
            "program_number", "test_family", "subject", "low_score", name="uq_fl_aefl_levels_band"
        ),
        sa.CheckConstraint("rank between 1 and 9", name="ck_fl_aefl_levels_rank"),
    )
    with op.batch_alter_table("courses") as batch:
        batch.add_column(sa.Column("program_number", sa.String(7)))
        batch.add_column(sa.Column("eoc_exam", sa.String(10)))
    with op.batch_alter_table("test_parts") as batch:
        batch.add_column(sa.Column("subject", sa.String(10)))
        batch.add_column(sa.Column("graduation_requirement", sa.String(10)))
        batch.add_column(sa.Column("passing_score", sa.Integer()))
    with op.batch_alter_table("schedule") as batch:
        batch.add_column(
            sa.Column("exclude_from_lcp", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("aefl_subject_area", sa.String(10)))
        batch.add_column(sa.Column("aefl_initial_level", sa.String(3)))
        batch.add_column(sa.Column("aefl_final_level", sa.String(3)))
        batch.add_column(sa.Column("lcps", sa.String(10)))
        for name in ("pre_test_id", "post_test_id_1", "post_test_id_2", "post_test_id_3"):
            batch.add_column(sa.Column(name, sa.String(4)))
        batch.add_column(sa.Column("basic_skills_exam", sa.String(1)))
        batch.add_column(sa.Column("eoc_assessment_status", sa.String(1)))
    op.create_table(
        "district_assessments",
        sa.Column("assessment_id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column("syear", sa.Integer(), sa.ForeignKey("school_years.syear"), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("external_id", sa.String(40), unique=True),
        sa.Column("dynamic", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("start_date", sa.Date()),
        sa.Column("end_date", sa.Date()),
    )
    op.create_table(
        "district_assessment_sections",
        _assessment_key(),
        sa.Column(
            "course_period_id",
            sa.Integer(),
            sa.ForeignKey("course_periods.course_period_id"),
            primary_key=True,
        ),
    )
    op.create_table(
        "district_assessment_students",
        _assessment_key(),
        sa.Column(
            "student_id", sa.Integer(), sa.ForeignKey("students.student_id"), primary_key=True
        ),
        sa.Column("use_text_to_speech", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("added_by", sa.String(10), nullable=False, server_default="manual"),
    )
    op.create_table(
        "district_assessment_items",
        _assessment_key(),
        sa.Column("item_no", sa.Integer(), primary_key=True),
        sa.Column("correct_answer", sa.String(20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("standard", sa.String(40)),
    )
    op.create_table(
        "district_assessment_responses",
        _assessment_key(),
        sa.Column(
            "student_id", sa.Integer(), sa.ForeignKey("students.student_id"), primary_key=True
        ),
        sa.Column("item_no", sa.Integer(), primary_key=True),
        sa.Column("response", sa.String(20)),
    )
    op.create_table(
        "district_assessment_results",
        _assessment_key(),
        sa.Column(
            "student_id", sa.Integer(), sa.ForeignKey("students.student_id"), primary_key=True
        ),
        sa.Column("points_earned", sa.Integer(), nullable=False),
        sa.Column("points_possible", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("scored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "district_assessment_rescore_queue",
        sa.Column("id", sa.Integer(), autoincrement=True, primary_key=True),
        sa.Column(
            "assessment_id",
            sa.Integer(),
            sa.ForeignKey("district_assessments.assessment_id"),
            nullable=False,
        ),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "item_bank_question_counts",
        sa.Column("item_bank", sa.String(20), primary_key=True),
        sa.Column("standard", sa.String(40), primary_key=True),
        sa.Column("question_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for name in (
        "item_bank_question_counts",
        "district_assessment_rescore_queue",
        "district_assessment_results",
        "district_assessment_responses",
        "district_assessment_items",
        "district_assessment_students",
        "district_assessment_sections",
        "district_assessments",
    ):
        op.drop_table(name)
    with op.batch_alter_table("schedule") as batch:
        for name in reversed(_SCHEDULE_COLUMNS):
            batch.drop_column(name)
    with op.batch_alter_table("test_parts") as batch:
        batch.drop_column("passing_score")
        batch.drop_column("graduation_requirement")
        batch.drop_column("subject")
    with op.batch_alter_table("courses") as batch:
        batch.drop_column("eoc_exam")
        batch.drop_column("program_number")
    op.drop_table("fl_aefl_levels")
    op.drop_table("fps_basic_skills_minimums")
    op.drop_table("fps_programs")
