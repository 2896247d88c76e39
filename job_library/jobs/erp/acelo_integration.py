"""Acelo Integration (ERP): the district's GL postings sent to its accounts software."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

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


def _records(conn, include_open: bool) -> dict[str, dict[str, Any]]:
    import sqlalchemy as sa

    from job_library.schemas.communications import gl_periods as p
    from job_library.schemas.communications import gl_transactions as t

    query = (
        sa.select(t.c.txn_id, p.c.title, t.c.account, t.c.amount, t.c.posted_at)
        .join(p, p.c.period_id == t.c.period_id)
        .order_by(t.c.txn_id)
    )
    if not include_open:
        query = query.where(p.c.closed_at.is_not(None))
    out: dict[str, dict[str, Any]] = {}
    for txn_id, period, account, amount, posted in conn.execute(query):
        posted = posted if posted.tzinfo else posted.replace(tzinfo=dt.UTC)
        key = f"focus-gl-{txn_id}"
        out[key] = {
            "externalId": key,
            "period": period,
            "account": account,
            "amount": str(Decimal(str(amount)).quantize(Decimal("0.01"))),
            "postedAt": posted.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    return out


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
        from job_library import sent_ledger
        from job_library.http_client import ApiClient, ApiError
        from job_library.output import html_table

        if context.http is None:
            raise RuntimeError("this runner gives jobs no web-API endpoints (JobContext.http)")
        conn = context.connection
        records = _records(conn, params.include_open_periods)
        todo = sent_ledger.unsent(conn, context.job_id, TARGET, records)
        accepted: list[tuple[str, Any, str | None]] = []
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
                            accepted.append((key, todo[key], None))
                        else:
                            rejected.append((key, why.get(key, "not in Acelo's answer")))
        except ApiError as exc:
            stopped = str(exc)
        sent_ledger.record(conn, context.job_id, TARGET, accepted, context.now())
        unchanged = len(records) - len(todo)
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
            f"  sent: {k} {p['account']} {p['amount']} ({p['period']})"
            for k, p, _ in accepted[:cap]
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
