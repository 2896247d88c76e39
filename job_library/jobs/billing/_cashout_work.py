"""The automated cashouts' work: read settled batches, match payments, cash them out once."""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.http_client import ApiClient, ApiError
from job_library.jobs.billing._authorize_net import PAGE_LIMIT, Batch, TransactionReporting
from job_library.jobs.billing.portal_payments_cashout import CashoutParams
from job_library.output import html_table
from job_library.schemas.integrations import (
    cash_drawers,
    cashouts,
    drawer_payments,
    settled_transactions,
    settlement_batches,
)

SETTLED = "settledSuccessfully"
PREFERENCE = "authorize_net_settlement_time"


@dataclass
class Reading:
    """What a run read from Authorize.net."""

    batches: list[str] = field(default_factory=list)  # read in full now
    transactions: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # batch, state
    stopped: str | None = None  # why reading stopped before the end


def cash_out(context: JobContext, params: CashoutParams, source: str, conn_id: str) -> JobResult:
    conn = context.connection
    now = context.now()
    at = context.prefs.get(PREFERENCE)
    if at is None:
        return JobResult.message(
            False,
            "The Authorize.net batch settlement time is not set: set it with "
            f"`focus-jobs prefs set {PREFERENCE} HH:MM` (district time). Nothing was done.",
        )
    settles = dt.datetime.combine(now.date(), at, tzinfo=now.tzinfo)
    if now < settles:
        return JobResult.message(
            True,
            f"Not yet: today's card batches settle at {at:%H:%M}; it is {now:%H:%M}. Nothing was "
            "read or cashed out; the next run after that time does it.",
            {"waiting": 1},
        )
    if context.http is None:
        raise RuntimeError("this runner gives jobs no web-API endpoints (JobContext.http)")
    endpoint = context.http(conn_id)
    with ApiClient(endpoint, auth="none") as client:
        api = TransactionReporting(
            client,
            endpoint.login or "",
            endpoint.password or "",
            int(endpoint.extra.get("page_size", PAGE_LIMIT)),
        )
        try:
            batches = api.settled_batches(now - dt.timedelta(days=params.days_back), now)
        except ApiError as exc:
            return JobResult.message(
                False,
                f"Authorize.net's settled batches could not be read: {exc}. Nothing was done.",
            )
        reading = _read(conn, api, batches)
    matched, payments = _match(conn, source, now, f"job {context.job_id}")
    problem_count, problems = _problems(conn, source, reading.batches, params.max_listed)
    return _result(params, source, reading, matched, payments, problem_count, problems)


def _read(conn: sa.Connection, api: TransactionReporting, batches: list[Batch]) -> Reading:
    """Read every settled batch not read in full before; stop at the first that fails."""
    b, t = settlement_batches, settled_transactions
    done = set(conn.execute(sa.select(b.c.batch_id).where(b.c.complete == sa.true())).scalars())
    reading = Reading()
    for batch in sorted(batches, key=lambda x: x.settled_at):
        if batch.batch_id in done:
            continue
        if batch.state != SETTLED:
            reading.skipped.append((batch.batch_id, batch.state))
            continue
        try:
            found = [tr for page in api.transactions(batch.batch_id) for tr in page]
        except ApiError as exc:
            reading.stopped = f"batch {batch.batch_id}: {exc}"
            break
        # A batch is written whole or not at all: a run that stops reads it again next time.
        conn.execute(b.delete().where(b.c.batch_id == batch.batch_id))
        conn.execute(t.delete().where(t.c.batch_id == batch.batch_id))
        conn.execute(
            b.insert().values(
                batch_id=batch.batch_id,
                settled_at=batch.settled_at,
                state=batch.state,
                complete=True,
            )
        )
        if found:
            conn.execute(
                t.insert(),
                [
                    {
                        "transaction_id": tr.transaction_id,
                        "batch_id": batch.batch_id,
                        "status": tr.status,
                        "amount": tr.amount,
                        "invoice_number": tr.invoice_number,
                    }
                    for tr in found
                ],
            )
        reading.batches.append(batch.batch_id)
        reading.transactions += len(found)
    return reading


def _matchable(source: str) -> sa.ColumnElement[bool]:
    """A payment of ``source`` not yet cashed out whose transaction settled for its amount
    in a portal-enabled drawer (correlated to drawer_payments)."""
    # Aliases: the queries around this one may join the same tables themselves.
    p = drawer_payments
    d, t = cash_drawers.alias("drawer_ok"), settled_transactions.alias("settled_ok")
    return sa.and_(
        p.c.source == source,
        p.c.cashout_id.is_(None),
        sa.exists().where(d.c.drawer_id == p.c.drawer_id, d.c.portal_enabled == sa.true()),
        sa.exists().where(
            t.c.transaction_id == p.c.transaction_id,
            t.c.status == SETTLED,
            t.c.amount == p.c.amount,
        ),
    )


def _match(conn: sa.Connection, source: str, now: dt.datetime, by: str) -> tuple[list[tuple], int]:
    """Create the missing cashouts and close the matched payments into them, set-based.

    :returns: (drawer, batch, payments, amount) of each cashout that received payments, and
        how many payments were cashed out now.
    """
    p, t, b, c = drawer_payments, settled_transactions, settlement_batches, cashouts
    ready = (
        sa.select(p.c.drawer_id, t.c.batch_id, b.c.settled_at)
        .join(t, t.c.transaction_id == p.c.transaction_id)
        .join(b, b.c.batch_id == t.c.batch_id)
        .where(_matchable(source))
        .where(
            ~sa.exists().where(
                c.c.drawer_id == p.c.drawer_id, c.c.source == source, c.c.batch_id == t.c.batch_id
            )
        )
        .group_by(p.c.drawer_id, t.c.batch_id, b.c.settled_at)
    ).subquery()
    conn.execute(
        c.insert().from_select(
            [
                "drawer_id",
                "source",
                "batch_id",
                "settled_at",
                "amount",
                "payments",
                "created_at",
                "created_by",
            ],
            sa.select(
                ready.c.drawer_id,
                sa.literal(source),
                ready.c.batch_id,
                ready.c.settled_at,
                sa.literal(Decimal("0.00"), sa.Numeric(12, 2)),
                sa.literal(0),
                sa.literal(now, sa.DateTime(timezone=True)),
                sa.literal(by),
            ),
        )
    )
    cashout_of = (
        sa.select(c.c.cashout_id)
        .join(t, t.c.batch_id == c.c.batch_id)
        .where(
            t.c.transaction_id == p.c.transaction_id,
            c.c.drawer_id == p.c.drawer_id,
            c.c.source == source,
        )
        .scalar_subquery()
    )
    touched = sa.select(cashout_of.label("cashout_id")).where(_matchable(source)).distinct()
    touched_ids = list(conn.execute(touched).scalars())
    if not touched_ids:
        return [], 0
    closing = conn.execute(sa.select(sa.func.count()).where(_matchable(source))).scalar_one()
    conn.execute(p.update().where(_matchable(source)).values(cashout_id=cashout_of))
    totals = sa.select(sa.func.count(), sa.func.sum(p.c.amount)).where(
        p.c.cashout_id == c.c.cashout_id
    )
    conn.execute(
        c.update()
        .where(c.c.cashout_id.in_(touched_ids))
        .values(
            payments=totals.with_only_columns(sa.func.count()).scalar_subquery(),
            amount=totals.with_only_columns(sa.func.sum(p.c.amount)).scalar_subquery(),
        )
    )
    d = cash_drawers
    rows = conn.execute(
        sa.select(d.c.title, c.c.batch_id, c.c.payments, c.c.amount)
        .join(d, d.c.drawer_id == c.c.drawer_id)
        .where(c.c.cashout_id.in_(touched_ids))
        .order_by(c.c.batch_id, d.c.title)
    ).all()
    return [tuple(r) for r in rows], closing


def _problems(
    conn: sa.Connection, source: str, read_now: list[str], cap: int
) -> tuple[int, list[tuple[str, str]]]:
    """How many transactions need a look, and the first ``cap`` of them (transaction, reason):
    payments of ``source`` that settled but cannot be cashed out, then the settled
    transactions of the batches read now that no Focus payment knows. Found, counted and
    capped in the database."""
    p, t, d = drawer_payments, settled_transactions, cash_drawers
    amount, title = sa.Numeric(12, 2), sa.String(100)
    payments = (
        sa.select(
            sa.literal(0).label("grp"),
            t.c.transaction_id,
            t.c.status,
            t.c.amount.label("settled"),
            p.c.amount.label("recorded"),
            d.c.title.label("drawer"),
            t.c.batch_id,
        )
        .join(p, p.c.transaction_id == t.c.transaction_id)
        .join(d, d.c.drawer_id == p.c.drawer_id)
        .where(p.c.source == source, p.c.cashout_id.is_(None))
        .where(sa.or_(t.c.status != SETTLED, t.c.amount != p.c.amount, ~d.c.portal_enabled))
    )
    unknown = (
        sa.select(
            sa.literal(1).label("grp"),
            t.c.transaction_id,
            t.c.status,
            t.c.amount.label("settled"),
            sa.cast(sa.null(), amount).label("recorded"),
            sa.cast(sa.null(), title).label("drawer"),
            t.c.batch_id,
        )
        .where(t.c.batch_id.in_(read_now), t.c.status == SETTLED)
        .where(~sa.exists().where(p.c.transaction_id == t.c.transaction_id))
    )
    found = sa.union_all(payments, unknown).subquery("problems")
    total = conn.execute(sa.select(sa.func.count()).select_from(found)).scalar_one()
    rows = conn.execute(
        sa.select(found).order_by(found.c.grp, found.c.transaction_id).limit(cap)
    ).all()
    out: list[tuple[str, str]] = []
    for _, trans, status, settled, recorded, drawer, batch in rows:
        if recorded is None:
            reason = f"settled {Decimal(settled):.2f} in batch {batch}; no Focus payment has it"
        elif status != SETTLED:
            reason = f"Authorize.net reports it {status}; it is not cashed out"
        elif Decimal(settled) != Decimal(recorded):
            reason = (
                f"settled {Decimal(settled):.2f} but Focus recorded {Decimal(recorded):.2f} "
                f"in {drawer}"
            )
        else:
            reason = f"drawer {drawer} is not portal-enabled"
        out.append((trans, reason))
    return total, out


def _result(
    params: CashoutParams,
    source: str,
    reading: Reading,
    matched: list[tuple],
    payments: int,
    problem_count: int,
    problems: list[tuple[str, str]],
) -> JobResult:
    cap = params.max_listed
    summary = (
        f"{len(reading.batches)} settled batch(es) read ({reading.transactions} transactions); "
        f"{payments} {source} payment(s) cashed out into {len(matched)} cashout(s)"
        + (f"; {problem_count} transaction(s) need a look" if problem_count else "")
        + "."
    )
    success = reading.stopped is None
    if not success:
        summary += (
            f" Reading stopped at {reading.stopped}. What was read is kept; the next run "
            "reads the rest."
        )
    lines = [summary]
    lines += [
        f"  cashout: {drawer}, batch {batch}: {n} payment(s), {Decimal(amount):.2f}"
        for drawer, batch, n, amount in matched[:cap]
    ]
    lines += [f"  check: transaction {trans}: {reason}" for trans, reason in problems]
    lines += [f"  batch {batch} not read: {state}" for batch, state in reading.skipped[:cap]]
    more = max(0, len(matched) - cap) + max(0, problem_count - cap)
    if more:
        lines.append(f"  ... and {more} more (listing capped at {cap}).")
    page = (
        f"<p>{html.escape(summary)}</p>"
        + html_table(
            ("Drawer", "Batch", "Payments", "Amount"),
            [(d, b, n, f"{Decimal(a):.2f}") for d, b, n, a in matched[:cap]],
        )
        + html_table(("Transaction", "Needs a look"), problems)
    )
    return JobResult(
        success=success,
        summary=summary,
        text="\n".join(lines),
        html=page,
        counts={
            "batches_read": len(reading.batches),
            "transactions_read": reading.transactions,
            "cashouts": len(matched),
            "payments_cashed_out": payments,
            "problems": problem_count,
        },
    )
