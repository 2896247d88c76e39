"""E-mail after each run, as Focus sends it: who ran it, when, and the job's output."""

from __future__ import annotations

import datetime as dt
import html
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from zoneinfo import ZoneInfo

from include.definitions import JobDefinition
from job_library.base import JobResult

UNSUCCESSFUL_ONLY_SETTING = "email_unsuccessful_only"
SMTP_CONN_ID = "smtp_default"


@dataclass(frozen=True)
class RunInfo:
    """Who ran a job and when.

    :param scheduled: whether the run was started by the schedule (not by a person).
    :param started_at: when it started (aware).
    :param user: the username of the person who ran it, when one was logged in.
    :param ip: the IP address it was started from, when known.
    :param run_id: Airflow's run id.
    """

    scheduled: bool
    started_at: dt.datetime
    user: str | None = None
    ip: str | None = None
    run_id: str = ""


def outcome(result: JobResult) -> str:
    if result.success:
        return "succeeded"
    return "was skipped" if result.counts.get("skipped") else "failed"


def should_send(definition: JobDefinition, result: JobResult, unsuccessful_only: bool) -> bool:
    """Whether this run's e-mail goes out: only to jobs with addresses, and under the setting."""
    if not definition.emails:
        return False
    return not (unsuccessful_only and result.success)


def who_and_when(info: RunInfo, timezone: str) -> list[tuple[str, str]]:
    """The lines of the execution e-mail that say who ran the job and when (per the reference)."""
    lines = []
    if info.scheduled:
        lines.append(("Ran", "Scheduled"))
    else:
        lines.append(
            ("Ran", f"{info.started_at.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M:%S %Z}")
        )
        if info.user:
            lines.append(("Username", info.user))
        lines.append(("IP address", info.ip or "not recorded"))
    return lines


def build_message(
    definition: JobDefinition, result: JobResult, info: RunInfo, timezone: str, sender: str
) -> EmailMessage:
    """The execution e-mail: a text part and an HTML part carrying the job's output."""
    subject = f"Scheduled job '{definition.title}' {outcome(result)}"
    facts = [("Job", f"{definition.title} ({definition.id})"), *who_and_when(info, timezone)]
    text = "\n".join(f"{k}: {v}" for k, v in facts)
    text += f"\nResult: {result.summary}\n\n{result.text or result.summary}\n"
    rows = "".join(
        f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in facts
    )
    body = result.html or f"<pre>{html.escape(result.text or result.summary)}</pre>"
    markup = (
        f"<html><body><h2>{html.escape(subject)}</h2><table>{rows}</table>"
        f"<p><strong>Result:</strong> {html.escape(result.summary)}</p>{body}</body></html>"
    )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(definition.emails)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="focus-jobs")
    message.set_content(text)
    message.add_alternative(markup, subtype="html")
    return message


def send_with_retry(
    message: EmailMessage,
    send: Callable[[EmailMessage], None],
    *,
    log: logging.Logger,
    attempts: int = 3,
    backoff_seconds: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Send, retrying with exponential back-off; never raises. Returns whether it was sent."""
    for attempt in range(1, attempts + 1):
        try:
            send(message)
        except Exception as exc:  # any mail failure: a broken mail server never breaks a job
            log.warning(
                "e-mail %r to %s failed (attempt %d of %d): %s: %s",
                message["Subject"],
                message["To"],
                attempt,
                attempts,
                type(exc).__name__,
                exc,
            )
            if attempt < attempts:
                sleep(backoff_seconds * 2 ** (attempt - 1))
        else:
            log.info("e-mail %r sent to %s", message["Subject"], message["To"])
            return True
    log.error(
        "e-mail %r to %s was not sent after %d attempts",
        message["Subject"],
        message["To"],
        attempts,
    )
    return False


def smtp_send(conn_id: str = SMTP_CONN_ID) -> tuple[str, Callable[[EmailMessage], None]]:
    """The sender address and a send function over the Airflow SMTP provider's connection."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    def send(message: EmailMessage) -> None:
        with SmtpHook(smtp_conn_id=conn_id) as hook:
            # The hook's own send builds HTML-only mail; the execution e-mail needs a text
            # part too, so the message is built here and sent on the hook's logged-in client.
            hook._smtp_client.send_message(message)

    hook = SmtpHook(smtp_conn_id=conn_id)
    hook.smtp_connection = hook.get_connection(conn_id)
    return hook.from_email or "focus-jobs@localhost", send
