"""Sending the communication queue: mark a batch, send it, record each outcome.

A message is sent at most once. Before a batch leaves, its rows are marked ``sending`` with
a token of this batch and an attempt row each, and that is committed; after the batch, each
outcome is recorded in a second commit. A run that dies in between leaves its rows
``sending``: no run picks them up again, and once they are older than the stale period they
become ``unconfirmed`` and are listed, so a person can check (the e-mail's Message-ID names
the queue row). A recipient who cannot receive a message is ``undeliverable`` at once; a
server that is busy or down gets the message again on a later run, up to the attempt limit.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from job_library.base import JobResult
from job_library.messaging import PHONE_CHANNELS, Channel, Messaging, Outgoing, Verdict
from job_library.output import html_table
from job_library.preferences import Preferences
from job_library.schemas.communications import communication_attempts, communication_queue
from job_library.schemas.district import schools

q = communication_queue
a = communication_attempts

NOT_BEFORE = "communication_not_before"
NOT_AFTER = "communication_not_after"


@dataclass(frozen=True)
class DeliverySettings:
    """How a run sends.

    :param batch_size: messages marked and sent together (what a crash can leave unconfirmed).
    :param max_attempts: tries before a message the server keeps refusing for now is failed.
    :param retry_after: how long a message that could not be sent waits before the next try.
    :param stale_after: how long a ``sending`` mark may stand before it counts as a dead run's.
    :param max_listed: rows of the output's listing.
    """

    batch_size: int = 100
    max_attempts: int = 5
    retry_after: dt.timedelta = dt.timedelta(minutes=10)
    stale_after: dt.timedelta = dt.timedelta(minutes=30)
    max_listed: int = 200


@dataclass
class DeliveryReport:
    """What a delivery did: counts by outcome and the first rows that need a person's eye."""

    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("sent", "retry", "failed", "undeliverable", "unconfirmed", "held"), 0
        )
    )
    listed: list[tuple[object, ...]] = field(default_factory=list)
    channel_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    last_batch_retried: int = 0
    max_listed: int = 200

    def note(self, row: tuple[object, ...]) -> None:
        if len(self.listed) < self.max_listed:
            self.listed.append(row)

    @property
    def errors(self) -> int:
        c = self.counts
        return (
            c["retry"]
            + c["failed"]
            + c["undeliverable"]
            + c["unconfirmed"]
            + len(self.channel_errors)
        )


def allowed_phone_schools(conn: sa.Connection, now_local: dt.datetime) -> tuple[list[int], bool]:
    """The schools whose families may get calls, texts and push now, and whether messages
    with no school may (the district's hours). The times are read in the district's time
    zone (System Preference ``timezone``).

    A school's own Do-not-send times win over the district's; a time not set does not limit.
    Sending is allowed from ``not_before`` (inclusive) through ``not_after`` (inclusive, to
    the minute): with 20:00 a text goes at 20:00 and waits from 20:01.
    """
    prefs = Preferences(conn)
    now_local = now_local.astimezone(ZoneInfo(prefs.get("timezone")))
    district = (prefs.get(NOT_BEFORE), prefs.get(NOT_AFTER))
    own_before, own_after = prefs.by_school(NOT_BEFORE), prefs.by_school(NOT_AFTER)
    minute = now_local.time().replace(second=0, microsecond=0)

    def open_at(before: dt.time | None, after: dt.time | None) -> bool:
        return (before is None or minute >= before) and (after is None or minute <= after)

    ids = conn.execute(sa.select(schools.c.school_id)).scalars().all()
    allowed = [
        s for s in ids if open_at(own_before.get(s, district[0]), own_after.get(s, district[1]))
    ]
    return allowed, open_at(*district)


def _write_first(conn: sa.Connection) -> None:
    """On SQLite, take the write lock before reading: a transaction that has read cannot wait
    for another writer (SQLite fails it at once), one that has not waits for the busy
    timeout, so two runs sending at once take turns instead of failing."""
    if conn.dialect.name == "sqlite":
        conn.execute(sa.delete(a).where(sa.false()))


def _due(now: dt.datetime, sources: Collection[str] | None) -> sa.ColumnElement[bool]:
    cond = sa.and_(
        q.c.status == "queued",
        q.c.send_after <= now,
        sa.or_(q.c.next_attempt_at.is_(None), q.c.next_attempt_at <= now),
    )
    if sources is not None:
        cond = sa.and_(cond, q.c.source.in_(sorted(sources)))
    return cond


def _phone_hours(allowed: list[int], district_open: bool) -> sa.ColumnElement[bool]:
    # Never NULL (a message with no school would drop out of both counts otherwise).
    with_school = (
        sa.and_(q.c.school_id.is_not(None), q.c.school_id.in_(allowed)) if allowed else sa.false()
    )
    no_school = q.c.school_id.is_(None) if district_open else sa.false()
    return sa.or_(with_school, no_school)


def deliver(
    engine: sa.Engine,
    messaging: Messaging,
    *,
    job_id: str,
    now: dt.datetime,
    log: logging.Logger,
    sources: Collection[str] | None = None,
    channels: Collection[Channel] = tuple(Channel),
    respect_phone_hours: bool = True,
    settings: DeliverySettings = DeliverySettings(),
) -> DeliveryReport:
    """Send every due queued message of ``sources`` (all when None) over ``channels``.

    Each step commits on its own connection; the caller's transaction must be committed.
    ``now`` is in the district's time zone (the sending hours are read in it); the queue's
    times are stored and compared in UTC.
    """
    report = DeliveryReport(max_listed=settings.max_listed)
    local, now = now, now.astimezone(dt.UTC)
    _unconfirm_stale(engine, now, settings, report)
    with engine.connect() as conn:
        allowed, district_open = allowed_phone_schools(conn, local)
        if respect_phone_hours:
            held = conn.execute(
                sa.select(sa.func.count())
                .select_from(q)
                .where(
                    _due(now, sources),
                    q.c.channel.in_([str(c) for c in PHONE_CHANNELS]),
                    sa.not_(_phone_hours(allowed, district_open)),
                )
            ).scalar_one()
            report.counts["held"] = held
    for channel in channels:
        where = sa.and_(_due(now, sources), q.c.channel == str(channel))
        if respect_phone_hours and channel in PHONE_CHANNELS:
            where = sa.and_(where, _phone_hours(allowed, district_open))
        _send_channel(engine, messaging, channel, where, job_id, now, log, settings, report)
    return report


def _unconfirm_stale(
    engine: sa.Engine, now: dt.datetime, settings: DeliverySettings, report: DeliveryReport
) -> None:
    cutoff = now - settings.stale_after
    stale = sa.and_(q.c.status == "sending", q.c.marked_at < cutoff)
    note = (
        "a run marked it for sending and stopped before recording the outcome; not sent "
        "again (check with the recipient)"
    )
    with engine.begin() as conn:
        _write_first(conn)
        for row in conn.execute(
            sa.select(q.c.message_id, q.c.channel, q.c.recipient, q.c.subject)
            .where(stale)
            .order_by(q.c.message_id)
            .limit(settings.max_listed)
        ):
            report.note((*row, "unconfirmed", note))
        ids = sa.select(q.c.message_id).where(stale).scalar_subquery()
        conn.execute(
            sa.update(a)
            .where(a.c.outcome == "sending", a.c.message_id.in_(ids))
            .values(outcome="unconfirmed", finished_at=now, detail=note)
        )
        report.counts["unconfirmed"] += conn.execute(
            sa.update(q).where(stale).values(status="unconfirmed", last_error=note)
        ).rowcount


def _send_channel(
    engine: sa.Engine,
    messaging: Messaging,
    channel: Channel,
    where: sa.ColumnElement[bool],
    job_id: str,
    now: dt.datetime,
    log: logging.Logger,
    settings: DeliverySettings,
    report: DeliveryReport,
) -> None:
    transport = None
    try:
        while True:
            token = uuid.uuid4().hex
            batch = _mark(engine, where, token, job_id, now, settings.batch_size)
            if not batch:
                return
            if transport is None:
                try:
                    transport = messaging.open(channel)
                except OSError as exc:
                    _release(engine, token)
                    error = f"{channel}: could not connect: {exc}; its messages stay queued"
                    log.error("%s", error)
                    report.channel_errors.append(error)
                    return
            errors_before = len(report.channel_errors)
            sent = _send_batch(engine, transport, batch, token, now, log, settings, report)
            if len(report.channel_errors) > errors_before:
                return  # the transport failed in an unknown state: no more on it this run
            if sent == 0 and report.last_batch_retried == len(batch):
                # The server took none of a whole batch (down, or refusing for now): trying
                # the rest one by one would only wait on it; they keep their turn.
                note = (
                    f"{channel}: the server took none of a batch of {len(batch)}; the "
                    "remaining messages wait for the next run"
                )
                log.warning("%s", note)
                report.notes.append(note)
                return
    finally:
        if transport is not None:
            transport.close()


def _mark(
    engine: sa.Engine,
    where: sa.ColumnElement[bool],
    token: str,
    job_id: str,
    now: dt.datetime,
    batch_size: int,
) -> list[sa.Row]:
    """Mark the next batch as being sent by ``token`` and commit; the rows it got.

    The UPDATE re-checks ``queued``: of two runs that pick the same rows, one marks them.
    """
    with engine.begin() as conn:
        _write_first(conn)
        ids = (
            sa.select(q.c.message_id)
            .where(where)
            .order_by(q.c.send_after, q.c.message_id)
            .limit(batch_size)
        )
        picked = conn.execute(ids).scalars().all()
        if not picked:
            return []
        conn.execute(
            sa.update(q)
            .where(q.c.message_id.in_(picked), q.c.status == "queued")
            .values(
                status="sending",
                claim_token=token,
                marked_at=now,
                attempts=q.c.attempts + 1,
            )
        )
        conn.execute(
            sa.insert(a).from_select(
                ["message_id", "job_id", "token", "started_at", "outcome"],
                sa.select(
                    q.c.message_id,
                    sa.literal(job_id, sa.String),
                    sa.literal(token, sa.String),
                    sa.literal(now, a.c.started_at.type),
                    sa.literal("sending", sa.String),
                ).where(q.c.claim_token == token, q.c.status == "sending"),
            )
        )
        return conn.execute(
            sa.select(
                q.c.message_id,
                q.c.recipient,
                q.c.recipient_name,
                q.c.subject,
                q.c.body,
                q.c.html_body,
                q.c.attempts,
                q.c.channel,
            )
            .where(q.c.claim_token == token, q.c.status == "sending")
            .order_by(q.c.send_after, q.c.message_id)
        ).all()


def _release(engine: sa.Engine, token: str) -> None:
    """Give a marked batch back to the queue when nothing of it was handed to a transport."""
    with engine.begin() as conn:
        _write_first(conn)
        conn.execute(sa.delete(a).where(a.c.token == token, a.c.outcome == "sending"))
        conn.execute(
            sa.update(q)
            .where(q.c.claim_token == token, q.c.status == "sending")
            .values(status="queued", claim_token=None, marked_at=None, attempts=q.c.attempts - 1)
        )


def _send_batch(
    engine: sa.Engine,
    transport: object,
    batch: list[sa.Row],
    token: str,
    now: dt.datetime,
    log: logging.Logger,
    settings: DeliverySettings,
    report: DeliveryReport,
) -> int:
    """Send one marked batch and record it; how many were sent."""
    results: list[dict[str, object]] = []
    stop_error: str | None = None
    for row in batch:
        message = Outgoing(
            message_id=row.message_id,
            recipient=row.recipient,
            subject=row.subject,
            body=row.body,
            html_body=row.html_body,
            recipient_name=row.recipient_name,
        )
        try:
            outcome = transport.send(message)  # type: ignore[attr-defined]
        except Exception as exc:  # a transport bug: we cannot know whether it left
            stop_error = f"{type(exc).__name__}: {exc}"
            log.exception("sending message %s failed in an unknown state", row.message_id)
            results.append(_result(row, "unconfirmed", stop_error, None, now))
            break
        if outcome.verdict is Verdict.SENT:
            results.append(_result(row, "sent", outcome.detail, outcome.provider_ref, now))
        elif outcome.verdict is Verdict.UNDELIVERABLE:
            results.append(_result(row, "undeliverable", outcome.detail, None, now))
        elif row.attempts >= settings.max_attempts:
            detail = f"{outcome.detail} (gave up after {row.attempts} attempts)"
            results.append(_result(row, "failed", detail, None, now))
        else:
            results.append(_result(row, "retry", outcome.detail, None, now))
    _record(engine, token, results, now, settings)
    for r in results:
        report.counts[str(r["outcome"])] += 1
        if r["outcome"] != "sent":
            report.note(
                (r["id"], r["channel"], r["recipient"], r["subject"], r["outcome"], r["detail"])
            )
    if stop_error is not None:
        _release(engine, token)  # what the batch had not reached goes back to the queue
        report.channel_errors.append(f"sending stopped: {stop_error}")
    report.last_batch_retried = sum(r["outcome"] == "retry" for r in results)
    return sum(r["outcome"] == "sent" for r in results)


def _result(
    row: sa.Row, outcome: str, detail: str, ref: str | None, now: dt.datetime
) -> dict[str, object]:
    return {
        "id": row.message_id,
        "channel": row.channel,
        "recipient": row.recipient,
        "subject": row.subject,
        "outcome": outcome,
        "detail": detail,
        "ref": ref,
    }


def _record(
    engine: sa.Engine,
    token: str,
    results: list[dict[str, object]],
    now: dt.datetime,
    settings: DeliverySettings,
) -> None:
    """The batch's outcomes in one commit (only rows this token still holds are touched)."""
    if not results:
        return
    status = {"retry": "queued"}
    with engine.begin() as conn:
        _write_first(conn)
        conn.execute(
            sa.update(q)
            .where(
                q.c.message_id == sa.bindparam("b_id"),
                q.c.claim_token == token,
                q.c.status == "sending",
            )
            .values(
                status=sa.bindparam("b_status"),
                sent_at=sa.bindparam("b_sent"),
                provider_ref=sa.bindparam("b_ref"),
                last_error=sa.bindparam("b_error"),
                next_attempt_at=sa.bindparam("b_next"),
                claim_token=None,
            ),
            [
                {
                    "b_id": r["id"],
                    "b_status": status.get(str(r["outcome"]), r["outcome"]),
                    "b_sent": now if r["outcome"] == "sent" else None,
                    "b_ref": r["ref"],
                    "b_error": None if r["outcome"] == "sent" else r["detail"],
                    "b_next": now + settings.retry_after if r["outcome"] == "retry" else None,
                }
                for r in results
            ],
        )
        conn.execute(
            sa.update(a)
            .where(a.c.token == token, a.c.message_id == sa.bindparam("b_id"))
            .values(
                outcome=sa.bindparam("b_outcome"),
                finished_at=now,
                detail=sa.bindparam("b_detail"),
            ),
            [
                {"b_id": r["id"], "b_outcome": r["outcome"], "b_detail": r["detail"]}
                for r in results
            ],
        )


HEADERS = ("Message", "Channel", "Recipient", "Subject", "Outcome", "Detail")


def delivery_result(
    report: DeliveryReport,
    *,
    before: JobResult | None = None,
    fail_on_errors: bool = False,
) -> JobResult:
    """The run's output: counts, what could not be sent and why (capped), what was held.

    The run fails when a channel could not be reached at all, or, with ``fail_on_errors``,
    when any message was not sent.
    """
    c = report.counts
    summary = (
        f"Sent {c['sent']} message(s); {c['retry']} to retry later, {c['failed']} failed, "
        f"{c['undeliverable']} undeliverable, {c['unconfirmed']} unconfirmed, {c['held']} "
        "call(s)/text(s)/push held for the sending hours."
    )
    if report.channel_errors:
        summary += " " + " ".join(report.channel_errors)
    if report.notes:
        summary += " " + " ".join(f"{n}." for n in report.notes)
    success = not report.channel_errors and not (fail_on_errors and report.errors)
    if fail_on_errors and report.errors and not report.channel_errors:
        summary += f" Marked failed: {report.errors} message(s) were not sent."
    lines = [summary]
    if before is not None and before.summary:
        lines.insert(0, before.summary)
    lines += [
        f"  message {m}: {ch} to {to} ({subj or 'no subject'}): {out}: {detail}"
        for m, ch, to, subj, out, detail in report.listed
    ]
    total = c["retry"] + c["failed"] + c["undeliverable"] + c["unconfirmed"]
    more = total - len(report.listed)
    if more > 0:
        lines.append(f"  ... and {more} more (listing capped at {report.max_listed}).")
    head = f"<p>{html.escape(before.summary)}</p>" if before is not None and before.summary else ""
    counts = {**(dict(before.counts) if before is not None else {}), **c}
    counts["channel_errors"] = len(report.channel_errors)
    return JobResult(
        success=success,
        summary=summary,
        text="\n".join(lines),
        html=f"{head}<p>{html.escape(summary)}</p>{html_table(HEADERS, report.listed)}"
        + (f"<p>{more} more not listed.</p>" if more > 0 else ""),
        counts=counts,
    )
