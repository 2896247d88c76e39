"""The Appendix R level table: the shipped facts (job_library/data) and the SQL that tells
apart numeric scale scores and test families, shared by the adult education jobs."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources

import sqlalchemy as sa

from job_library.schemas.fps import fl_aefl_levels
from job_library.sis_sql import differs_sql, numeric_sql

__all__ = ["differs_sql", "numeric_sql"]

DATA_FILE = "fl_adult_ed_levels.toml"

# Tests the LCP jobs read: the first three letters of the short name (CAG1, CLW2, TABE ...).
LCP_PREFIXES = ("CAG", "CAS", "CLW", "TAB")

# The test family of a test ``t`` by its short name's first three letters.
FAMILY_SQL = (
    "CASE SUBSTR(UPPER(t.short_name), 1, 3) WHEN 'CAG' THEN 'CASAS_GOALS' "
    "WHEN 'TAB' THEN 'TABE' ELSE 'CASAS_LW' END"
)


def shipped_bands() -> list[dict]:
    """The bands of the shipped data file, as rows of fl_aefl_levels."""
    text = resources.files("job_library.data").joinpath(DATA_FILE).read_text("utf-8")
    return [
        dict(
            program_number=b["program"],
            test_family=b["test"],
            subject=b["subject"],
            low_score=b["low"],
            high_score=b["high"],
            level=b["level"],
            rank=b["rank"],
            lcp=b["lcp"] or None,
            source=b["source"],
        )
        for b in tomllib.loads(text)["band"]
    ]


def ensure_level_table(conn: sa.Connection) -> int:
    """Copy the shipped bands into an empty fl_aefl_levels; how many rows were added (0 once
    the district has any row: its table is never overwritten)."""
    if conn.execute(sa.select(sa.func.count()).select_from(fl_aefl_levels)).scalar_one():
        return 0
    rows = shipped_bands()
    conn.execute(sa.insert(fl_aefl_levels), rows)
    return len(rows)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day when shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")
