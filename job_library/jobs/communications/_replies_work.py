"""The work of Communication Email Replies: parse, match, file once, mark seen after commit."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import re
from email.message import EmailMessage
from email.utils import parseaddr, parsedate_to_datetime

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.output import html_table
from job_library.schemas.communications import communication_queue, communication_replies

ORIGINAL = re.compile(r"<communication-queue-(\d+)@focus-jobs>")


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content().strip()
    except (LookupError, UnicodeDecodeError):  # an unknown or lying charset
        return part.get_payload(decode=True).decode("utf-8", "replace").strip()


def _parse(raw: bytes, now: dt.datetime) -> dict[str, object]:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    refs = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))
    originals = [int(m) for m in ORIGINAL.findall(refs)]
    mail_id = str(message.get("Message-ID") or "").strip()
    if not mail_id:
        mail_id = "sha256:" + hashlib.sha256(raw).hexdigest()
    try:
        received = parsedate_to_datetime(str(message["Date"])).astimezone(dt.UTC)
    except (TypeError, ValueError, IndexError):
        received = now
    return {
        "mail_id": mail_id[:300],
        # The innermost reference is the message answered (In-Reply-To comes first).
        "original": originals[0] if originals else None,
        "from_address": parseaddr(str(message.get("From", "")))[1][:320] or "(no sender)",
        "subject": str(message.get("Subject", ""))[:300],
        "body": _body(message),
        "received_at": received,
    }


def file_replies(context: JobContext, max_messages: int, max_listed: int) -> JobResult:
    if context.messaging is None:
        return JobResult.message(False, "Not run: this runner has no mailbox connection.")
    try:
        inbox = context.messaging.open_inbox()
    except OSError as exc:
        return JobResult.message(False, f"Could not read the replies mailbox: {exc}")
    try:
        fetched = inbox.unseen(max_messages)
    except Exception:
        inbox.close()
        raise
    now = context.now().astimezone(dt.UTC)
    conn = context.connection
    parsed = [(uid, _parse(raw, now)) for uid, raw in fetched]
    wanted = {p["original"] for _, p in parsed if p["original"] is not None}
    q = communication_queue
    originals = {
        r.message_id: r
        for r in conn.execute(
            sa.select(q.c.message_id, q.c.sender_user_id, q.c.channel).where(
                q.c.message_id.in_(sorted(wanted))
            )
        )
    }
    ids = [p["mail_id"] for _, p in parsed]
    r = communication_replies
    filed_before = (
        set(conn.execute(sa.select(r.c.mail_id).where(r.c.mail_id.in_(ids))).scalars())
        if ids
        else set()
    )
    rows, listed, problems, seen_now = [], [], 0, set()
    for _, p in parsed:
        original = originals.get(p["original"]) if p["original"] is not None else None
        reason = None
        if p["original"] is None:
            reason = "answers no Focus e-mail (no In-Reply-To/References naming one)"
        elif original is None or original.channel != "email":
            reason = f"its original, queue message {p['original']}, is not a Focus e-mail"
        elif p["mail_id"] in filed_before or p["mail_id"] in seen_now:
            reason = "already filed"
        if reason is not None:
            problems += reason != "already filed"
            if len(listed) < max_listed:
                listed.append((p["from_address"], p["subject"], "not filed: " + reason))
            continue
        seen_now.add(p["mail_id"])
        rows.append(
            {
                "message_id": original.message_id,
                "user_id": original.sender_user_id,
                "mail_id": p["mail_id"],
                "from_address": p["from_address"],
                "subject": p["subject"],
                "body": p["body"],
                "received_at": p["received_at"],
            }
        )
        if len(listed) < max_listed:
            where = f"user {original.sender_user_id}" if original.sender_user_id else "district"
            listed.append((p["from_address"], p["subject"], f"filed in the {where} inbox"))
    if rows:
        conn.execute(sa.insert(r), rows)
    uids = [uid for uid, _ in fetched]

    def mark_and_close() -> None:
        try:
            inbox.mark_seen(uids)
        finally:
            inbox.close()

    context.after_commit(mark_and_close)
    summary = (
        f"Read {len(fetched)} message(s) from the replies mailbox: filed {len(rows)} "
        f"repl(ies); {problems} could not be matched."
    )
    lines = [summary, *(f"  {f}: {s}: {what}" for f, s, what in listed)]
    return JobResult(
        success=True,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{summary}</p>" + html_table(("From", "Subject", "Outcome"), listed),
        counts={"read": len(fetched), "filed": len(rows), "unmatched": problems},
    )
