"""Acelo Integration (ERP): the district's GL postings sent to its accounts software."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobKind, JobResult
from job_library.defaults import DefaultSchedule
from job_library.site import AddOn

CONNECTION = "acelo_api"
PATH = "transactions"
TARGET = "acelo/transactions"
BATCH = 100


class AceloParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    include_open_periods: bool = Field(
        default=False,
        title="Include open periods",
        description="Also send postings of GL periods not yet closed (they may still change).",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Transactions listed")


def _payload(txn_id: int, period: str, account: str, amount, posted: dt.datetime) -> dict:
    """One posting as Acelo receives it."""
    posted = posted if posted.tzinfo else posted.replace(tzinfo=dt.UTC)
    key = f"focus-gl-{txn_id}"
    return {
        "externalId": key,
        "period": period,
        "account": account,
        "amount": str(Decimal(str(amount)).quantize(Decimal("0.01"))),
        "postedAt": posted.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _stage(conn: sa.Connection, include_open: bool) -> sa.Table:
    """Every posting to consider, loaded in bulk into a temporary table with its payload
    and the payload's digest, so the comparison with what was sent is done in SQL."""
    import json

    from job_library.schemas.communications import gl_periods as p
    from job_library.schemas.communications import gl_transactions as t
    from job_library.sent_ledger import digest
    from job_library.sis_sql import analyze, scratch_table

    staged = scratch_table(
        conn,
        "tmp_acelo_postings",
        [
            sa.Column("record_key", sa.String(200), primary_key=True),
            sa.Column("txn_id", sa.Integer, nullable=False),
            sa.Column("payload", sa.Text, nullable=False),
            sa.Column("digest", sa.String(64), nullable=False),
            sa.Column("accepted", sa.Boolean, nullable=False),
        ],
    )
    query = sa.select(t.c.txn_id, p.c.title, t.c.account, t.c.amount, t.c.posted_at).join(
        p, p.c.period_id == t.c.period_id
    )
    if not include_open:
        query = query.where(p.c.closed_at.is_not(None))
    rows = []
    for txn_id, period, account, amount, posted in conn.execute(query):
        payload = _payload(txn_id, period, account, amount, posted)
        rows.append(
            {
                "record_key": payload["externalId"],
                "txn_id": txn_id,
                "payload": json.dumps(payload),
                "digest": digest(payload),
                "accepted": False,
            }
        )
    if rows:
        conn.execute(sa.insert(staged), rows)
    analyze(conn, staged)
    return staged


def _same_as_sent(staged: sa.Table, job_id: str):
    """The ledger row of the same posting (any version)."""
    from job_library.schemas.integrations import sent_records as s

    return sa.and_(
        s.c.job_id == job_id, s.c.target == TARGET, s.c.record_key == staged.c.record_key
    )


def _unsent(conn: sa.Connection, staged: sa.Table, job_id: str) -> list[tuple[str, str]]:
    """(key, payload) of the postings never sent or changed since, in posting order."""
    from job_library.schemas.integrations import sent_records as s

    current = sa.exists().where(_same_as_sent(staged, job_id), s.c.digest == staged.c.digest)
    return conn.execute(
        sa.select(staged.c.record_key, staged.c.payload).where(~current).order_by(staged.c.txn_id)
    ).all()


def _record_accepted(
    conn: sa.Connection, staged: sa.Table, job_id: str, keys: list[str], now: dt.datetime
) -> None:
    """Note the accepted postings' versions in the ledger: changed ones updated, new ones
    added (set-based, from the staged table)."""
    from job_library.schemas.integrations import sent_records as s

    if not keys:
        return
    conn.execute(
        sa.update(staged).where(staged.c.record_key == sa.bindparam("key")).values(accepted=True),
        [{"key": k} for k in keys],
    )
    mine = sa.and_(staged.c.accepted == sa.true(), _same_as_sent(staged, job_id))
    conn.execute(
        sa.update(s)
        .where(s.c.job_id == job_id, s.c.target == TARGET, sa.exists().where(mine))
        .values(
            digest=sa.select(staged.c.digest).where(mine).scalar_subquery(),
            remote_id=None,
            sent_at=now,
        )
    )
    conn.execute(
        sa.insert(s).from_select(
            ["job_id", "target", "record_key", "digest", "remote_id", "sent_at"],
            sa.select(
                sa.literal(job_id, sa.String),
                sa.literal(TARGET, sa.String),
                staged.c.record_key,
                staged.c.digest,
                sa.null(),
                sa.literal(now, s.c.sent_at.type),
            ).where(
                staged.c.accepted == sa.true(), ~sa.exists().where(_same_as_sent(staged, job_id))
            ),
        )
    )


class AceloIntegration(Job):
    key = "acelo_integration"
    title = "Acelo Integration"
    module = "ERP"
    needs_add_ons = frozenset({AddOn.ERP})
    kind = JobKind.INTEGRATION
    description = (
        "Sends the general-ledger postings of closed GL periods (and, when the job says so, "
        "of open ones) to the district's accounts software through Acelo's web API: "
        "connection 'acelo_api', base URL and an access token as the password. Acelo's API "
        "is not public, so the exchange is our own, described in the README: batches of 100 "
        "postings are POSTed as JSON to transactions, each carrying a Focus external id "
        "(focus-gl-N), and the answer names those accepted and those rejected with a "
        "message. Only postings never sent, or changed since they were sent, go out; a "
        "rejected posting is listed and tried again next run. When the service stays "
        "unavailable after retries, the run stops, keeps what was accepted, and fails."
    )
    params_model = AceloParams
    http_connection = CONNECTION
    default_schedule = DefaultSchedule(run_time="23:00")

    def run(self, context: JobContext, params: AceloParams) -> JobResult:
        import json

        from job_library.http_client import ApiClient, ApiError
        from job_library.output import html_table

        if context.http is None:
            raise RuntimeError("this runner gives jobs no web-API endpoints (JobContext.http)")
        conn = context.connection
        staged = _stage(conn, params.include_open_periods)
        todo = {key: json.loads(payload) for key, payload in _unsent(conn, staged, context.job_id)}
        accepted: list[tuple[str, Any]] = []
        rejected: list[tuple[str, str]] = []
        stopped = None
        keys = list(todo)
        try:
            with ApiClient(context.http(CONNECTION), auth="bearer") as client:
                for start in range(0, len(keys), BATCH):
                    batch = keys[start : start + BATCH]
                    body = client.json(
                        "POST", PATH, json={"transactions": [todo[k] for k in batch]}
                    )
                    ok = {str(k) for k in body.get("accepted", [])}
                    why = {
                        str(r.get("externalId")): str(r.get("message") or "no reason given")
                        for r in body.get("rejected", [])
                    }
                    for key in batch:
                        if key in ok:
                            accepted.append((key, todo[key]))
                        else:
                            rejected.append((key, why.get(key, "not in Acelo's answer")))
        except ApiError as exc:
            stopped = str(exc)
        _record_accepted(conn, staged, context.job_id, [k for k, _ in accepted], context.now())
        total = conn.execute(sa.select(sa.func.count()).select_from(staged)).scalar_one()
        staged.drop(conn)
        unchanged = total - len(todo)
        summary = (
            f"Acelo: {len(accepted)} posting(s) sent, {len(rejected)} rejected, {unchanged} "
            "unchanged since last sent."
        )
        if stopped:
            summary += f" Stopped: {stopped}; the next run sends the rest."
        cap = params.max_listed
        lines = [summary]
        lines += [f"  rejected: {k}: {m}" for k, m in rejected[:cap]]
        lines += [
            f"  sent: {k} {p['account']} {p['amount']} ({p['period']})" for k, p in accepted[:cap]
        ]
        more = max(0, len(rejected) - cap) + max(0, len(accepted) - cap)
        if more:
            lines.append(f"  ... and {more} more (listing capped at {cap}).")
        return JobResult(
            success=stopped is None,
            summary=summary,
            text="\n".join(lines),
            html=f"<p>{html.escape(summary)}</p>"
            + html_table(("Posting", "Acelo's message"), rejected[:cap]),
            counts={"sent": len(accepted), "rejected": len(rejected), "unchanged": unchanged},
        )
