"""Florida postsecondary and adult education: programs, basic skills minimums, level bands."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import id_column

# A Florida program a course belongs to (Modify Programs): its state number and cost code.
fps_programs = sa.Table(
    "fps_programs",
    metadata,
    sa.Column("program_number", sa.String(7), primary_key=True),
    sa.Column("title", sa.String(100), nullable=False),
    # The reporting cost code; 400-499 is adult general education (the LCP jobs' scope).
    sa.Column("cost_code", sa.String(3)),
)

# The minimum score (and functional level) a program asks for in each subject before the
# Basic Skills Exam is met, per test family (TABE or CASAS).
fps_basic_skills_minimums = sa.Table(
    "fps_basic_skills_minimums",
    metadata,
    sa.Column(
        "program_number",
        sa.String(7),
        sa.ForeignKey("fps_programs.program_number"),
        primary_key=True,
    ),
    sa.Column("test_family", sa.String(5), primary_key=True),  # TABE or CASAS
    sa.Column("subject", sa.String(10), primary_key=True),  # MATH, READING, LANGUAGE
    sa.Column("min_score", sa.Integer),
    sa.Column("min_level", sa.Integer),
    sa.CheckConstraint("test_family in ('TABE', 'CASAS')", name="ck_basic_skills_family"),
)

# The Appendix R level table: which scale-score band of which test family places a student of
# a program at which functional level, and the LCP earned by completing that level. Filled
# from job_library/data/fl_adult_ed_levels.toml on the first run; the district corrects it.
fl_aefl_levels = sa.Table(
    "fl_aefl_levels",
    metadata,
    id_column("id"),
    sa.Column("program_number", sa.String(7), nullable=False),
    sa.Column("test_family", sa.String(12), nullable=False),  # CASAS_LW, CASAS_GOALS, TABE
    sa.Column("subject", sa.String(10), nullable=False),
    sa.Column("low_score", sa.Integer, nullable=False),
    sa.Column("high_score", sa.Integer, nullable=False),
    sa.Column("level", sa.String(3), nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),  # 1-9: the levels' order
    sa.Column("lcp", sa.String(1)),
    sa.Column("source", sa.String(40), nullable=False),
    sa.UniqueConstraint(
        "program_number", "test_family", "subject", "low_score", name="uq_fl_aefl_levels_band"
    ),
    sa.CheckConstraint("rank between 1 and 9", name="ck_fl_aefl_levels_rank"),
)
