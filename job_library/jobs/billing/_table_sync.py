"""Keep a copy table equal to a query, set-based and audited: remove, update, add."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from job_library.finance_audit import Actor, money_text


@dataclass
class SyncCounts:
    """What one table's sync changed, and the first changes for the listing."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    listed: list[tuple] = field(default_factory=list)  # (key, change, *listed columns)

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.removed


def _values(conn: sa.Connection, table: sa.Table, names: list[str], money: set[str]):
    from job_library.finance_audit import json_object

    return json_object(
        conn,
        **{
            n: money_text(conn, table.c[n]) if n in money else sa.cast(table.c[n], sa.Text)
            for n in names
        },
    )


def sync_copy(
    conn: sa.Connection,
    actor: Actor,
    target: sa.Table,
    source: sa.Table,
    *,
    key: str,
    moves: str | None = None,
    money: set[str],
    listed: list[str],
    cap: int,
) -> SyncCounts:
    """Make ``target`` hold exactly the rows of ``source`` (a filled scratch table with the
    same column names, less the stamps), writing one finance audit row per change.

    :param key: the key column both tables share.
    :param moves: a column whose change is a removal and an addition, not an update (a row
        that moves to another parent), or None.
    :param money: the amount columns (audited as two-decimal text).
    :param listed: the columns the listing shows after the key and the change.
    :param cap: how many changes are listed (removals, then updates, then additions).
    """
    from job_library.finance_audit import record_audit
    from job_library.sis_sql import first_rows

    t, s = target, source
    names = [c.name for c in s.columns if c.name != key]
    same_key = s.c[key] == t.c[key]
    stays = same_key if moves is None else sa.and_(same_key, s.c[moves] == t.c[moves])
    gone = ~sa.exists().where(stays)
    differs = sa.or_(*(t.c[n].is_distinct_from(s.c[n]) for n in names))
    changed = sa.exists().where(same_key, differs)
    new = ~sa.exists().where(same_key)
    counts = SyncCounts()

    def listing(table: sa.Table, where, change: str) -> None:
        room = cap - len(counts.listed)
        query = (
            sa.select(table.c[key], sa.literal(change), *(table.c[c] for c in listed))
            .where(where)
            .order_by(table.c[key])
        )
        counts.listed += first_rows(conn, query, max(room, 0))

    listing(t, gone, "removed")
    record_audit(
        conn,
        actor,
        table=t.name,
        change="delete",
        rows=sa.select(
            t.c[key],
            _values(conn, t, names, money).label("old"),
            sa.null().label("new"),
        ).where(gone),
    )
    counts.removed = conn.execute(sa.delete(t).where(gone)).rowcount

    listing(t, changed, "updated")
    # The audit's new values: the source row of the same key (a correlated subquery).
    new_values = sa.select(_values(conn, s, names, money)).where(same_key).scalar_subquery()
    record_audit(
        conn,
        actor,
        table=t.name,
        change="update",
        rows=sa.select(
            t.c[key], _values(conn, t, names, money).label("old"), new_values.label("new")
        ).where(changed),
    )
    counts.updated = conn.execute(
        sa.update(t)
        .where(changed)
        .values(
            {
                **{n: sa.select(s.c[n]).where(same_key).scalar_subquery() for n in names},
                "updated_at": actor.at,
                "updated_by": actor.who,
            }
        )
    ).rowcount

    listing(s, new, "added")
    record_audit(
        conn,
        actor,
        table=t.name,
        change="insert",
        rows=sa.select(
            s.c[key], sa.null().label("old"), _values(conn, s, names, money).label("new")
        ).where(new),
    )
    columns = [key, *names, "updated_at", "updated_by"]
    counts.added = conn.execute(
        sa.insert(t).from_select(
            columns,
            sa.select(
                s.c[key],
                *(s.c[n] for n in names),
                sa.literal(actor.at, sa.DateTime(timezone=True)),
                sa.literal(actor.who, sa.String),
            ).where(new),
        )
    ).rowcount
    return counts
