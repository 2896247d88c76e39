"""What the SIS jobs' SQL shares: optional list filters (an IN clause and its expanding
parameter), temporary scratch tables, and the school year and schools a run is for."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from job_library.schemas.district import school_years, schools


def in_list(column: str, name: str, values: Sequence | None) -> str:
    """An ``AND column IN :name`` filter, or nothing when ``values`` is None."""
    return f"AND {column} IN :{name}" if values is not None else ""


def bind_lists(clause: sa.TextClause, **lists: Sequence | None) -> sa.TextClause:
    """``clause`` with every given list bound as an expanding parameter."""
    for name, values in lists.items():
        if values is not None:
            clause = clause.bindparams(sa.bindparam(name, list(values), expanding=True))
    return clause


def scratch_table(conn: sa.Connection, name: str, columns: Sequence[sa.Column]) -> sa.Table:
    """A fresh temporary table on ``conn``; one left by a run that failed is replaced."""
    table = sa.Table(name, sa.MetaData(), *columns, prefixes=["TEMPORARY"])
    table.drop(conn, checkfirst=True)
    table.create(conn)
    return table


def analyze(conn: sa.Connection, table: sa.Table) -> None:
    """Give Postgres' planner row counts for a freshly filled temporary table."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"ANALYZE {table.name}"))


def resolve_year_and_schools(
    conn: sa.Connection, syear: int | None, school_ids: Sequence[int]
) -> tuple[int, list[int] | None] | str:
    """The school year (the district default when None) and schools to run for, or an
    error message naming the bad value."""
    if syear is None:
        syear = conn.execute(
            sa.select(school_years.c.syear).where(school_years.c.is_default == sa.true())
        ).scalar()
        if syear is None:
            return (
                "school year: none given and no default school year is set; "
                "set a school year on the job or mark one as the default."
            )
    elif (
        conn.execute(sa.select(school_years.c.syear).where(school_years.c.syear == syear)).first()
        is None
    ):
        return (
            f"school year {syear}: no such school year; add it under School Years or pick another."
        )
    ids = sorted(set(school_ids)) or None
    if ids is not None:
        known = set(
            conn.execute(
                sa.select(schools.c.school_id).where(schools.c.school_id.in_(ids))
            ).scalars()
        )
        unknown = [s for s in ids if s not in known]
        if unknown:
            return f"schools {unknown}: no such school id; pick ids from the Schools list."
    return syear, ids


def first_rows(conn: sa.Connection, query: sa.Select, cap: int) -> list[tuple]:
    """The first ``cap`` rows of ``query`` as tuples: a job's capped listing of what it
    changed (nothing is read when the listing is turned off with 0)."""
    return [tuple(r) for r in conn.execute(query.limit(cap))] if cap else []


def numeric_sql(conn: sa.Connection, column: str) -> str:
    """A condition: ``column`` holds a whole number of one to six digits."""
    if conn.dialect.name == "postgresql":
        return f"({column} ~ '^[0-9]{{1,6}}$')"
    return f"({column} <> '' AND LENGTH({column}) <= 6 AND {column} NOT GLOB '*[^0-9]*')"


def differs_sql(conn: sa.Connection, a: str, b: str) -> str:
    """A NULL-safe 'not equal' of two expressions."""
    if conn.dialect.name == "postgresql":
        return f"({a} IS DISTINCT FROM {b})"
    return f"({a} IS NOT {b})"
