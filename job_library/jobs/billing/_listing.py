"""The billing jobs' output: the capped listing of what changed, then what needs a look."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from job_library.base import JobResult
from job_library.output import html_table, listed_result


def listed_with_checks(
    summary: str,
    lines: Sequence[str],
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    total: int,
    cap: int,
    counts: Mapping[str, int],
    checks: Sequence[tuple[str, str]],
    check_header: str = "Record",
    checks_total: int | None = None,
) -> JobResult:
    """``listed_result`` followed by the records a person should look at (record, reason),
    capped the same way.

    :param checks: (record, why it needs a look), in a stable order.
    :param checks_total: how many there are when ``checks`` holds only the first ones
        (see ``capped_checks``); ``len(checks)`` otherwise.
    """
    listing = listed_result(summary, lines, headers, rows, total=total, cap=cap, counts=counts)
    found = len(checks) if checks_total is None else checks_total
    if not found:
        return listing
    shown = list(checks)[:cap]
    text = [listing.text, f"{found} record(s) need a look:"]
    text += [f"  check: {record}: {reason}" for record, reason in shown]
    if found > len(shown):
        text.append(f"  ... and {found - len(shown)} more (listing capped at {cap}).")
    page = listing.html + html_table((check_header, "Needs a look"), shown)
    return JobResult(True, summary, "\n".join(text), page, dict(counts))


def capped_checks(
    conn: sa.Connection, kinds: Sequence[sa.Select], cap: int, *, kind_first: bool = False
) -> tuple[int, list[tuple[str, str]]]:
    """Count the records that need a look in the database and read only the first ``cap``.

    :param kinds: one SELECT of two columns labelled ``record`` and ``reason`` (text) per
        kind of problem; a record may appear under several kinds.
    :param kind_first: order by kind, then record (else by record, then kind).
    :returns: how many (record, reason) rows there are, and the first ``cap`` of them.
    """
    from job_library.sis_sql import first_rows

    parts = [
        kind.add_columns(sa.literal(n, sa.Integer).label("kind")) for n, kind in enumerate(kinds)
    ]
    union = sa.union_all(*parts).subquery("needs_a_look")
    total = conn.execute(sa.select(sa.func.count()).select_from(union)).scalar_one()
    order = (union.c.kind, union.c.record) if kind_first else (union.c.record, union.c.kind)
    shown = first_rows(conn, sa.select(union.c.record, union.c.reason).order_by(*order), cap)
    return int(total), [(record, reason) for record, reason in shown]
