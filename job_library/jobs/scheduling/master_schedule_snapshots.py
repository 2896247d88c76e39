"""Master Schedule Snapshots (SIS): take, list and restore copies of the master schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import html_table, listed_result
from job_library.sis_params import SchoolYear

# The master schedule: courses, their sections and the student schedules, parents first.
TABLES = ("courses", "course_periods", "schedule")


class SnapshotAction(StrEnum):
    TAKE = "take"
    LIST = "list"
    RESTORE = "restore"


class SnapshotParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: SnapshotAction = Field(
        default=SnapshotAction.TAKE,
        title="Action",
        description="take: store a new snapshot (the scheduled use); list: show the stored "
        "snapshots; restore: put the snapshot named below back.",
    )
    syear: SchoolYear = None
    schools: list[int] = Field(
        default_factory=list,
        title="Schools",
        description="Ids of the schools a new snapshot covers; leave empty for every school.",
        json_schema_extra={"x-focus-lookup": "schools"},
    )
    snapshot_id: int | None = Field(
        default=None,
        ge=1,
        title="Snapshot to restore",
        description="The snapshot number the list shows; only used by restore.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Records or snapshots listed")


@dataclass
class RestoreChanges:
    """Per table: records added, updated and removed by a restore; the first of them."""

    added: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    listed: list[tuple] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.added.values()) + sum(self.updated.values()) + sum(self.removed.values())


class MasterScheduleSnapshots(Job):
    key = "master_schedule_snapshots"
    title = "Master Schedule Snapshots"
    description = (
        "Backs up the master schedule of a school year on a schedule, so that it can be put "
        "back after a bad change: each snapshot keeps every course, course section and "
        "student schedule record of the year (of the chosen schools, or all). Actions: take "
        "(the default, what the scheduled runs do) stores a new numbered snapshot unless "
        "nothing changed since the newest snapshot of the same year and schools; list shows "
        "the stored snapshots, newest first, with their numbers and sizes; restore, run by "
        "hand from a job of this class with the action set to restore and the snapshot "
        "number, makes those records exactly as they were in the snapshot: records changed "
        "since are set back, records removed since come back with their old ids, and "
        "records added since are removed. A restore is refused, changing nothing, when a "
        "record it would remove is still used elsewhere (course requests, waitlists) or "
        "when a snapshot record names something that no longer exists (a student, period "
        "or teacher); the output lists each such record with the reason."
    )
    module = "SIS"
    params_model = SnapshotParams

    def run(self, context: JobContext, params: SnapshotParams) -> JobResult:
        conn = context.connection
        if params.action is SnapshotAction.LIST:
            return list_snapshots(conn, params.max_listed)
        if params.action is SnapshotAction.RESTORE:
            if params.snapshot_id is None:
                return JobResult.message(
                    False,
                    "restore: no snapshot number given; set snapshot_id to a number from the "
                    "list action. Nothing was restored.",
                )
            return restore(conn, params.snapshot_id, params.max_listed)
        from job_library.sis_sql import resolve_year_and_schools

        resolved = resolve_year_and_schools(conn, params.syear, params.schools)
        if isinstance(resolved, str):
            return JobResult.message(False, resolved + " No snapshot was taken.")
        syear, school_ids = resolved
        return take(conn, syear, school_ids, context.now(), f"job {context.job_id}")


def _tables() -> dict[str, sa.Table]:
    from job_library.schemas import scheduling

    return {
        "courses": scheduling.courses,
        "course_periods": scheduling.course_periods,
        "schedule": scheduling.schedule,
    }


def _pk(table: sa.Table) -> sa.Column:
    (pk,) = table.primary_key.columns
    return pk


def _scope(table: sa.Table, syear: int, school_ids: list[int] | None):
    cond = table.c.syear == syear
    if school_ids is not None:
        cond = sa.and_(cond, table.c.school_id.in_(school_ids))
    return cond


def _json(conn: sa.Connection, table: sa.Table) -> str:
    """SQL for one row of ``table`` (aliased t) as a JSON object of every column."""
    pairs = ", ".join(f"'{c.name}', t.{c.name}" for c in table.columns)
    if conn.dialect.name == "postgresql":
        return f"CAST(json_build_object({pairs}) AS TEXT)"
    return f"json_object({pairs})"


def _schools_text(school_ids: list[int] | None) -> str | None:
    return None if school_ids is None else ",".join(str(s) for s in school_ids)


def _schools_list(text: str | None) -> list[int] | None:
    return None if text is None else [int(s) for s in text.split(",")]


def take(
    conn: sa.Connection,
    syear: int,
    school_ids: list[int] | None,
    now: dt.datetime,
    taken_by: str,
) -> JobResult:
    """Store a snapshot of the year's master schedule unless it equals the newest one."""
    from job_library.schemas.scheduling import (
        master_schedule_snapshot_rows as rows,
    )
    from job_library.schemas.scheduling import (
        master_schedule_snapshots as snaps,
    )
    from job_library.sis_sql import bind_lists, scratch_table

    staged = scratch_table(
        conn,
        "tmp_schedule_snapshot",
        [
            sa.Column("table_name", sa.String(30), primary_key=True),
            sa.Column("row_id", sa.Integer, primary_key=True),
            sa.Column("data", sa.Text),
        ],
    )
    counts = {}
    for name, table in _tables().items():
        schools = "AND t.school_id IN :schools" if school_ids is not None else ""
        sql = (
            f"INSERT INTO {staged.name} (table_name, row_id, data) "
            f"SELECT '{name}', t.{_pk(table).name}, {_json(conn, table)} "
            f"FROM {name} t WHERE t.syear = :syear {schools}"
        )
        counts[name] = conn.execute(
            bind_lists(sa.text(sql), schools=school_ids), {"syear": syear}
        ).rowcount
    scope_text = _schools_text(school_ids)
    same_scope = sa.and_(
        snaps.c.syear == syear,
        snaps.c.school_ids.is_(None) if scope_text is None else snaps.c.school_ids == scope_text,
    )
    latest = conn.execute(
        sa.select(snaps.c.snapshot_id, snaps.c.taken_at)
        .where(same_scope)
        .order_by(snaps.c.snapshot_id.desc())
        .limit(1)
    ).first()
    scope = f"{syear}" + ("" if school_ids is None else f", schools {scope_text}")
    if latest is not None:
        # Equal when both hold the same number of records and each staged one has its twin.
        theirs = conn.execute(
            sa.select(sa.func.count()).where(rows.c.snapshot_id == latest.snapshot_id)
        ).scalar_one()
        twins = conn.execute(
            sa.select(sa.func.count())
            .select_from(staged)
            .join(
                rows,
                sa.and_(
                    rows.c.snapshot_id == latest.snapshot_id,
                    rows.c.table_name == staged.c.table_name,
                    rows.c.row_id == staged.c.row_id,
                    rows.c.data == staged.c.data,
                ),
            )
        ).scalar_one()
        differing = theirs + sum(counts.values()) - 2 * twins
        if differing == 0:
            staged.drop(conn)
            summary = (
                f"The master schedule of {scope} is unchanged since snapshot "
                f"{latest.snapshot_id}; no new snapshot was taken."
            )
            return JobResult.message(True, summary, {"taken": 0, **counts})
    snapshot_id = conn.execute(
        sa.insert(snaps)
        .values(
            syear=syear,
            school_ids=scope_text,
            taken_at=now,
            taken_by=taken_by,
            courses=counts["courses"],
            sections=counts["course_periods"],
            schedules=counts["schedule"],
        )
        .returning(snaps.c.snapshot_id)
    ).scalar_one()
    conn.execute(
        sa.insert(rows).from_select(
            ["snapshot_id", "table_name", "row_id", "data"],
            sa.select(
                sa.literal(snapshot_id, sa.Integer),
                staged.c.table_name,
                staged.c.row_id,
                staged.c.data,
            ),
        )
    )
    staged.drop(conn)
    summary = (
        f"Took snapshot {snapshot_id} of the master schedule of {scope}: "
        f"{counts['courses']} course(s), {counts['course_periods']} section(s), "
        f"{counts['schedule']} student schedule record(s)."
    )
    return JobResult.message(True, summary, {"taken": 1, **counts})


def list_snapshots(conn: sa.Connection, cap: int) -> JobResult:
    """The stored snapshots, newest first."""
    from job_library.schemas.scheduling import master_schedule_snapshots as snaps

    total = conn.execute(sa.select(sa.func.count()).select_from(snaps)).scalar_one()
    found = conn.execute(
        sa.select(
            snaps.c.snapshot_id,
            snaps.c.syear,
            snaps.c.school_ids,
            snaps.c.taken_at,
            snaps.c.taken_by,
            snaps.c.courses,
            snaps.c.sections,
            snaps.c.schedules,
        )
        .order_by(snaps.c.snapshot_id.desc())
        .limit(cap)
    ).all()
    summary = (
        f"{total} master schedule snapshot(s) stored."
        if total
        else ("No master schedule snapshot is stored yet.")
    )
    lines = [summary]
    table_rows = []
    for sid, year, schools, at, by, c, s, sch in found:
        where = f"schools {schools}" if schools else "all schools"
        lines.append(
            f"  snapshot {sid}: {year}, {where}, taken {at} by {by}: {c} course(s), "
            f"{s} section(s), {sch} student schedule record(s)"
        )
        table_rows.append((sid, year, schools or "all", at, by, c, s, sch))
    more = total - len(found)
    if more > 0:
        lines.append(f"  ... and {more} more (listing capped at {cap}).")
    headers = ("Snapshot", "Year", "Schools", "Taken", "By", "Courses", "Sections", "Schedules")
    return JobResult(
        success=True,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{summary}</p>{html_table(headers, table_rows)}",
        counts={"snapshots": total},
    )


def _extract(conn: sa.Connection, column: sa.Column) -> str:
    """SQL reading ``column`` back from a snapshot row's JSON (aliased r)."""
    if conn.dialect.name == "postgresql":
        kind = column.type.compile(dialect=conn.dialect)
        value = f"CAST(CAST(r.data AS json) ->> '{column.name}' AS {kind})"
    else:
        value = f"json_extract(r.data, '$.{column.name}')"
    default = column.server_default
    if not column.nullable and default is not None:
        # A column added after the snapshot was taken: its default, not a NULL it forbids.
        arg = default.arg
        text = f"'{arg}'" if isinstance(arg, str) else str(arg.compile(dialect=conn.dialect))
        value = f"COALESCE({value}, {text})"
    return value


def restore(conn: sa.Connection, snapshot_id: int, cap: int) -> JobResult:
    """Make the snapshot's scope of the master schedule exactly as the snapshot holds it."""
    from job_library.schema import metadata
    from job_library.schemas.scheduling import master_schedule_snapshots as snaps

    header = conn.execute(sa.select(snaps).where(snaps.c.snapshot_id == snapshot_id)).first()
    if header is None:
        return JobResult.message(
            False,
            f"restore: snapshot {snapshot_id} does not exist; run the list action for the "
            "stored numbers. Nothing was restored.",
        )
    syear, school_ids = header.syear, _schools_list(header.school_ids)
    live = _tables()
    staged = {name: _stage(conn, snapshot_id, table) for name, table in live.items()}
    extras = {
        name: sa.select(_pk(table)).where(
            _scope(table, syear, school_ids),
            _pk(table).not_in(sa.select(_pk(staged[name]))),
        )
        for name, table in live.items()
    }
    broken, kinds, problems = _problems(conn, metadata, live, staged, extras, cap)
    if broken:
        for table in staged.values():
            table.drop(conn)
        summary = (
            f"restore of snapshot {snapshot_id} refused: {broken} record(s) would "
            "break; nothing was restored."
        )
        lines = [summary, *(f"  {p}" for p in problems)]
        more = kinds - len(problems)
        if more > 0:
            lines.append(f"  ... and {more} more (listing capped at {cap}).")
        return JobResult(
            success=False,
            summary=summary,
            text="\n".join(lines),
            html=f"<p>{summary}</p>" + html_table(("Problem",), [(p,) for p in problems]),
            counts={"problems": broken},
        )
    changes = _apply(conn, live, staged, extras, cap)
    for table in staged.values():
        table.drop(conn)
    return _restore_report(snapshot_id, header, changes, cap)


def _stage(conn: sa.Connection, snapshot_id: int, table: sa.Table) -> sa.Table:
    """A temporary copy of ``table`` holding the snapshot's records of it."""
    from job_library.sis_sql import analyze, scratch_table

    temp = scratch_table(
        conn,
        f"tmp_restore_{table.name}",
        [
            sa.Column(c.name, c.type, primary_key=c.primary_key, autoincrement=False)
            for c in table.columns
        ],
    )
    names = ", ".join(c.name for c in table.columns)
    values = ", ".join(_extract(conn, c) for c in table.columns)
    conn.execute(
        sa.text(
            f"INSERT INTO {temp.name} ({names}) SELECT {values} "
            "FROM master_schedule_snapshot_rows r "
            "WHERE r.snapshot_id = :sid AND r.table_name = :name"
        ),
        {"sid": snapshot_id, "name": table.name},
    )
    analyze(conn, temp)
    return temp


def _problems(conn, metadata, live, staged, extras, cap) -> tuple[int, int, list[str]]:
    """Records a restore would break: (records, problem lines, the first ``cap`` lines).

    The check and both counts are uncapped; ``cap`` only limits the lines listed, so a
    restore with ``max_listed=0`` is refused exactly as one listing everything."""
    broken = 0
    kinds = 0
    problems: list[str] = []

    def room() -> int:
        return max(cap - len(problems), 0)

    # Records kept elsewhere that name a record the restore would remove.
    for other in metadata.sorted_tables:
        if other.name in live or other.name.startswith("master_schedule_snapshot"):
            continue
        for fk in other.foreign_keys:
            target = fk.column.table.name
            if target not in live or fk.column.name != _pk(live[target]).name:
                continue
            naming = fk.parent.in_(extras[target])
            records, values = conn.execute(
                sa.select(sa.func.count(), sa.func.count(sa.distinct(fk.parent))).where(naming)
            ).one()
            broken += records
            kinds += values
            if not records or not room():
                continue
            found = conn.execute(
                sa.select(fk.parent, sa.func.count())
                .where(naming)
                .group_by(fk.parent)
                .order_by(fk.parent)
                .limit(room())
            ).all()
            for value, count in found:
                problems.append(
                    f"{target} {value}: not in the snapshot, but {count} {other.name} "
                    f"record(s) still name it in {fk.parent.name}; remove them first"
                )
    # Snapshot records naming something that no longer exists.
    for name, table in live.items():
        for fk in table.foreign_keys:
            target = fk.column.table
            if target.name in live:
                continue
            col = staged[name].c[fk.parent.name]
            missing = sa.and_(col.is_not(None), col.not_in(sa.select(fk.column)))
            records = conn.execute(
                sa.select(sa.func.count()).select_from(staged[name]).where(missing)
            ).scalar_one()
            broken += records
            kinds += records
            if not records or not room():
                continue
            found = conn.execute(
                sa.select(_pk(staged[name]), col)
                .where(missing)
                .order_by(_pk(staged[name]))
                .limit(room())
            ).all()
            for row_id, value in found:
                problems.append(
                    f"{name} {row_id} of the snapshot names {target.name} {value} in "
                    f"{fk.parent.name}, which no longer exists"
                )
    return broken, kinds, problems


def _apply(conn, live, staged, extras, cap) -> RestoreChanges:
    changes = RestoreChanges()
    listed: list[tuple] = []

    def note(name: str, action: str, ids) -> None:
        room = cap - len(listed)
        if room > 0:
            listed.extend((name, i, action) for i in ids[:room])

    def remove(name: str, query) -> None:
        table = live[name]
        pk = _pk(table)
        ids = list(conn.execute(query).scalars())
        if ids:
            conn.execute(sa.delete(table).where(pk.in_(query)))
        note(name, "removed", sorted(ids))
        changes.removed[name] = changes.removed.get(name, 0) + len(ids)

    def add(name: str) -> None:
        table, temp = live[name], staged[name]
        pk, tpk = _pk(table), _pk(temp)
        missing = sa.select(tpk).where(tpk.not_in(sa.select(pk)))
        ids = sorted(conn.execute(missing).scalars())
        cols = [c.name for c in table.columns]
        conn.execute(
            sa.insert(table).from_select(
                cols, sa.select(*(temp.c[c] for c in cols)).where(tpk.not_in(sa.select(pk)))
            )
        )
        note(name, "added", ids)
        changes.added[name] = len(ids)

    def update(name: str) -> None:
        table, temp = live[name], staged[name]
        pk, tpk = _pk(table), _pk(temp)
        differs = sa.or_(*(table.c[c.name].is_distinct_from(temp.c[c.name]) for c in table.columns))
        changed = sa.select(pk).join(temp, tpk == pk).where(differs)
        ids = sorted(conn.execute(changed).scalars())
        if ids:
            conn.execute(
                sa.update(table)
                .where(pk.in_(changed))
                .values(
                    {
                        c.name: sa.select(temp.c[c.name]).where(tpk == pk).scalar_subquery()
                        for c in table.columns
                        if not c.primary_key
                    }
                )
            )
        note(name, "updated", ids)
        changes.updated[name] = len(ids)

    s, cp, co = live["schedule"], live["course_periods"], live["courses"]
    # Removed first where nothing kept still points at them, so that a course or section
    # put back under its old name does not collide with the one that replaced it.
    remove("schedule", extras["schedule"])
    remove(
        "course_periods",
        extras["course_periods"].where(
            _pk(cp).not_in(sa.select(s.c.course_period_id).where(s.c.course_period_id.is_not(None)))
        ),
    )
    remove(
        "courses",
        extras["courses"].where(
            _pk(co).not_in(sa.select(cp.c.course_id)), _pk(co).not_in(sa.select(s.c.course_id))
        ),
    )
    add("courses")
    add("course_periods")
    for name in TABLES:
        update(name)
    add("schedule")
    remove("course_periods", extras["course_periods"])
    remove("courses", extras["courses"])
    changes.listed = listed
    return changes


def _restore_report(snapshot_id: int, header, changes: RestoreChanges, cap: int) -> JobResult:
    def part(counts: dict[str, int]) -> str:
        return ", ".join(f"{counts.get(t, 0)} {t}" for t in TABLES)

    where = f"schools {header.school_ids}" if header.school_ids else "all schools"
    if changes.total == 0:
        summary = (
            f"The master schedule of {header.syear} ({where}) already matches snapshot "
            f"{snapshot_id}; nothing changed."
        )
    else:
        summary = (
            f"Restored snapshot {snapshot_id} ({header.syear}, {where}): added "
            f"{part(changes.added)}; updated {part(changes.updated)}; removed "
            f"{part(changes.removed)}."
        )
    lines = [summary]
    rows = []
    for table, row_id, action in changes.listed:
        rows.append((table, row_id, action))
        lines.append(f"  {table} {row_id}: {action}")
    counts = {"changed": changes.total}
    for action, found in (
        ("added", changes.added),
        ("updated", changes.updated),
        ("removed", changes.removed),
    ):
        counts[action] = sum(found.values())
    return listed_result(
        summary,
        lines,
        ("Table", "Record", "Action"),
        rows,
        total=changes.total,
        cap=cap,
        counts=counts,
    )
