"""The work of Survey Site Maintenance: production's two-factor rows mirrored to survey sites."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from job_library.base import ConnectionInfo, ConnectionNotFound, JobContext, JobResult
from job_library.output import listed_result
from job_library.schemas.system import profile_permissions, two_factor_auth, user_preferences
from job_library.sis_sql import scratch_table
from job_library.site import SiteKind, read_site_profile

if TYPE_CHECKING:
    from job_library.jobs.system.survey_site_maintenance import SurveySiteMaintenanceParams

PERMISSIONS = ("TwoFactorAuth::Required", "TwoFactorAuth::User_Access")
OPT_IN_PREFERENCE = "TwoFactorAuth::Opt_In"


@dataclass(frozen=True)
class _Part:
    """One part of what is copied: a table and which of its rows are production's to set."""

    table: sa.Table
    scope: Any  # a where clause on the table; None: every row

    def rows(self, conn: sa.Connection) -> list[dict]:
        query = sa.select(self.table)
        if self.scope is not None:
            query = query.where(self.scope)
        return [dict(r._mapping) for r in conn.execute(query)]


PARTS = (
    _Part(two_factor_auth, None),
    _Part(profile_permissions, profile_permissions.c.permission.in_(PERMISSIONS)),
    _Part(user_preferences, user_preferences.c.name == OPT_IN_PREFERENCE),
)


@dataclass
class _Site:
    conn_id: str
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    error: str | None = None
    per_table: dict[str, tuple[int, int, int]] = field(default_factory=dict)


def database_url(info: ConnectionInfo) -> sa.URL:
    """The SQLAlchemy URL of a Postgres or SQLite connection; ValueError for other kinds."""
    kind = info.conn_type.lower()
    if kind in ("postgres", "postgresql"):
        return sa.URL.create(
            "postgresql+psycopg2",
            username=info.login,
            password=info.password,
            host=info.host,
            port=info.port,
            database=info.schema,
        )
    if kind == "sqlite":
        if not info.host:
            raise ValueError(f"connection {info.conn_id!r} names no SQLite file in its host")
        return sa.URL.create("sqlite", database=info.host)
    raise ValueError(
        f"connection {info.conn_id!r} is of type {info.conn_type!r}; a survey site's database "
        "is postgres or sqlite"
    )


def open_database(info: ConnectionInfo) -> sa.Engine:
    """An engine whose transactions cover DDL too (SQLite's driver would not BEGIN first)."""
    url = database_url(info)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, connect_args={"connect_timeout": 10})
    engine = sa.create_engine(url, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin(connection) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


def mirror(conn: sa.Connection, part: _Part, rows: Sequence[dict]) -> tuple[int, int, int]:
    """Make ``part``'s rows on ``conn`` equal to ``rows``: (inserted, updated, deleted)."""
    table = part.table
    keys = [c for c in table.columns if c.primary_key]
    others = [c for c in table.columns if not c.primary_key]
    temp = scratch_table(
        conn,
        f"tmp_survey_{table.name}",
        [sa.Column(c.name, c.type, primary_key=c.primary_key) for c in table.columns],
    )
    if rows:
        conn.execute(sa.insert(temp), list(rows))

    def same_key(a: sa.Table, b: sa.Table) -> sa.ColumnElement[bool]:
        return sa.and_(*(a.c[k.name] == b.c[k.name] for k in keys))

    scope = part.scope if part.scope is not None else sa.true()
    deleted = conn.execute(
        sa.delete(table).where(scope, ~sa.exists().where(same_key(temp, table)))
    ).rowcount
    differs = sa.or_(*(temp.c[c.name].is_distinct_from(table.c[c.name]) for c in others))
    updated = conn.execute(
        sa.update(table)
        .where(sa.exists().where(same_key(temp, table), differs))
        .values(
            {
                c.name: sa.select(temp.c[c.name]).where(same_key(temp, table)).scalar_subquery()
                for c in others
            }
        )
    ).rowcount
    inserted = conn.execute(
        sa.insert(table).from_select(
            [c.name for c in table.columns],
            sa.select(*temp.columns).where(~sa.exists().where(same_key(table, temp))),
        )
    ).rowcount
    temp.drop(conn)
    return inserted, updated, deleted


def copy_to_survey_sites(context: JobContext, params: SurveySiteMaintenanceParams) -> JobResult:
    profile = read_site_profile(context.connection)
    if profile is None or profile.kind is not SiteKind.PRODUCTION:
        said = "not set" if profile is None else f"a {profile.kind} site"
        return JobResult.message(
            False,
            f"Not run: this site's profile says {said}; two-factor settings are copied only "
            "from the production site (focus-jobs site --kind production). Nothing was changed.",
        )
    source = [(part, part.rows(context.connection)) for part in PARTS]
    sites = [_copy_to(context, conn_id, source) for conn_id in params.survey_sites]
    return _report(sites, source)


def _copy_to(context: JobContext, conn_id: str, source: list[tuple[_Part, list[dict]]]) -> _Site:
    site = _Site(conn_id)
    if context.connections is None:
        site.error = "no Airflow connections are available to this run"
        return site
    try:
        engine = open_database(context.connections(conn_id))
    except (ConnectionNotFound, ValueError) as exc:
        site.error = str(exc)
        return site
    try:
        with engine.begin() as conn:
            target = read_site_profile(conn)
            if target is None or target.kind is not SiteKind.SURVEY:
                said = "not set" if target is None else f"a {target.kind} site"
                site.error = f"its site profile says {said}, not survey; nothing was written"
                return site
            for part, rows in source:
                counts = mirror(conn, part, rows)
                site.per_table[part.table.name] = counts
                site.inserted += counts[0]
                site.updated += counts[1]
                site.deleted += counts[2]
    except sa.exc.SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        site = _Site(conn_id, error=f"{type(exc).__name__}: {reason}; nothing was changed there")
        context.log.warning("survey site %s: %s", conn_id, site.error)
    finally:
        engine.dispose()
    return site


def _report(sites: list[_Site], source: list[tuple[_Part, list[dict]]]) -> JobResult:
    done = [s for s in sites if s.error is None]
    failed = [s for s in sites if s.error is not None]
    sizes = ", ".join(f"{len(rows)} {part.table.name}" for part, rows in source)
    summary = f"Copied production's two-factor settings ({sizes}) to {len(done)} survey site(s)."
    if failed:
        summary += f" {len(failed)} survey site(s) could not be updated (listed below)."
    lines = [summary]
    rows = []
    for s in sites:
        if s.error:
            lines.append(f"  {s.conn_id}: not updated: {s.error}")
            rows.append((s.conn_id, "", "", "", f"not updated: {s.error}"))
            continue
        lines.append(f"  {s.conn_id}: {s.inserted} added, {s.updated} changed, {s.deleted} removed")
        rows.append((s.conn_id, s.inserted, s.updated, s.deleted, "updated"))
    result = listed_result(
        summary,
        lines,
        ("Survey site", "Added", "Changed", "Removed", "Outcome"),
        rows,
        total=len(rows),
        cap=len(rows),
        counts={
            "sites_updated": len(done),
            "sites_failed": len(failed),
            "rows_added": sum(s.inserted for s in done),
            "rows_changed": sum(s.updated for s in done),
            "rows_removed": sum(s.deleted for s in done),
        },
    )
    if failed:
        return JobResult(False, result.summary, result.text, result.html, result.counts)
    return result
