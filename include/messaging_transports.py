"""The communication queue's transports: SMTP via the provider's hook, texts, calls and push
via Twilio's REST API; credentials come from Airflow connections, never from job rows.

Connections:
- ``smtp_default`` (the execution e-mail's): host, port, login, ``from_email`` in extra.
- ``communication_imap``: the mailbox replies arrive in (host, port, login, password;
  extra ``folder``, default INBOX, and ``ssl``, default true).
- ``twilio_default``: host is the API's base URL (``https://api.twilio.com``), login the
  Account SID, password the Auth Token; extra ``from_number`` (E.164) for texts and calls,
  ``notify_url`` (``https://notify.twilio.com``) and ``notify_service_sid`` for push.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any

from job_library.messaging import Channel, Outcome, Outgoing, Transport, Verdict

SMTP_CONN_ID = "smtp_default"
TWILIO_CONN_ID = "twilio_default"
IMAP_CONN_ID = "communication_imap"

# Twilio error codes that mean the number can never take the message (not retried):
# 21211 invalid To, 21214 To cannot be reached, 21408 region not enabled, 21610 the
# recipient replied STOP, 21612 the To cannot be reached from this From, 21614 not a mobile.
TWILIO_UNDELIVERABLE = frozenset({21211, 21214, 21408, 21610, 21612, 21614})


def message_id_header(message_id: int) -> str:
    """The e-mail's Message-ID: names the queue row, so a message can be traced."""
    return f"<communication-queue-{message_id}@focus-jobs>"


def build_email(message: Outgoing, sender: str) -> EmailMessage:
    """A queued message as an e-mail: a text part and, when it has one, an HTML part."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = formataddr((message.recipient_name or "", message.recipient))
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = message_id_header(message.message_id)
    mail.set_content(message.body)
    if message.html_body:
        mail.add_alternative(message.html_body, subtype="html")
    return mail


class SmtpTransport:
    """One logged-in SMTP session (the provider's SmtpHook) for a whole delivery.

    :param conn_id: the Airflow SMTP connection.
    """

    def __init__(self, conn_id: str = SMTP_CONN_ID) -> None:
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        self.conn_id = conn_id
        self._hook = SmtpHook(smtp_conn_id=conn_id)
        self._connect()
        self.sender = self._hook.from_email or "focus-jobs@localhost"

    def _connect(self) -> None:
        try:
            self._hook.get_conn()
        except Exception as exc:  # refused, unknown host, no connection, bad login
            self._hook._smtp_client = None
            raise OSError(f"SMTP connection {self.conn_id!r}: {type(exc).__name__}: {exc}") from exc

    def send(self, message: Outgoing) -> Outcome:
        address = message.recipient.strip()
        if "@" not in address or any(c in address for c in " \r\n,;<>"):
            return Outcome(Verdict.UNDELIVERABLE, f"not an e-mail address: {message.recipient!r}")
        try:
            mail = build_email(message, self.sender)
        except (ValueError, TypeError) as exc:  # a header that cannot be written (line breaks)
            return Outcome(Verdict.UNDELIVERABLE, f"cannot be written as an e-mail: {exc}")
        try:
            if self._hook._smtp_client is None:
                self._connect()
            self._hook._smtp_client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            detail = f"{code} {_text(text)}"
            verdict = Verdict.UNDELIVERABLE if 500 <= code < 600 else Verdict.RETRY
            return Outcome(verdict, f"recipient refused: {detail}")
        except smtplib.SMTPResponseException as exc:
            return Outcome(
                Verdict.RETRY, f"server refused: {exc.smtp_code} {_text(exc.smtp_error)}"
            )
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            return Outcome(Verdict.RETRY, f"{type(exc).__name__}: {exc}")
        return Outcome(Verdict.SENT, "250 accepted")

    def _drop(self) -> None:
        client, self._hook._smtp_client = self._hook._smtp_client, None
        if client is not None:
            with contextlib.suppress(OSError):
                client.close()

    def close(self) -> None:
        client, self._hook._smtp_client = self._hook._smtp_client, None
        if client is not None:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


class TwilioTransport:
    """Texts (Messages), calls (Calls, with the text spoken) or push (Notify) over Twilio's
    REST API, with one HTTP session for the delivery.

    :param channel: sms, voice or push.
    :param conn_id: the Airflow connection holding the Account SID and Auth Token.
    """

    def __init__(self, channel: Channel, conn_id: str = TWILIO_CONN_ID) -> None:
        import requests
        from airflow.sdk import BaseHook

        try:
            conn = BaseHook.get_connection(conn_id)
        except Exception as exc:
            raise OSError(f"connection {conn_id!r}: {type(exc).__name__}: {exc}") from exc
        extra: dict[str, Any] = conn.extra_dejson or {}
        if not conn.login or not conn.password:
            raise OSError(f"connection {conn_id!r} needs the Account SID (login) and Auth Token")
        self.channel = channel
        self.account = conn.login
        base = (conn.host or "https://api.twilio.com").rstrip("/")
        if "://" not in base:
            base = f"https://{base}" + (f":{conn.port}" if conn.port else "")
        self.base = base
        self.notify = (extra.get("notify_url") or base).rstrip("/")
        self.from_number = extra.get("from_number")
        self.service = extra.get("notify_service_sid")
        if channel in (Channel.SMS, Channel.VOICE) and not self.from_number:
            raise OSError(f"connection {conn_id!r}: extra from_number is required for {channel}")
        if channel is Channel.PUSH and not self.service:
            raise OSError(f"connection {conn_id!r}: extra notify_service_sid is required for push")
        self.timeout = float(extra.get("timeout", 30))
        self._session = requests.Session()
        self._session.auth = (conn.login, conn.password)

    def _request(self, message: Outgoing) -> tuple[str, dict[str, str]]:
        if self.channel is Channel.SMS:
            url = f"{self.base}/2010-04-01/Accounts/{self.account}/Messages.json"
            return url, {"To": message.recipient, "From": self.from_number, "Body": message.body}
        if self.channel is Channel.VOICE:
            url = f"{self.base}/2010-04-01/Accounts/{self.account}/Calls.json"
            return url, {
                "To": message.recipient,
                "From": self.from_number,
                "Twiml": f"<Response><Say>{_xml(message.body)}</Say></Response>",
            }
        url = f"{self.notify}/v1/Services/{self.service}/Notifications"
        data = {"Identity": message.recipient, "Body": message.body}
        if message.subject:
            data["Title"] = message.subject
        return url, data

    def send(self, message: Outgoing) -> Outcome:
        import requests

        url, data = self._request(message)
        try:
            response = self._session.post(url, data=data, timeout=self.timeout)
        except requests.RequestException as exc:
            return Outcome(Verdict.RETRY, f"{type(exc).__name__}: {exc}")
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 201:
            return Outcome(Verdict.SENT, f"201 {body.get('status', 'accepted')}", body.get("sid"))
        code = body.get("code")
        detail = f"{response.status_code} {code or ''} {body.get('message', response.reason)}"
        if code in TWILIO_UNDELIVERABLE:
            return Outcome(Verdict.UNDELIVERABLE, detail.replace("  ", " "))
        return Outcome(Verdict.RETRY, detail.replace("  ", " "))

    def close(self) -> None:
        self._session.close()


def _xml(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(text)


class ImapInbox:
    """The replies mailbox over IMAP (stdlib imaplib), one logged-in session.

    :param conn_id: the Airflow connection (host, port, login, password, extra folder/ssl).
    """

    def __init__(self, conn_id: str = IMAP_CONN_ID) -> None:
        import imaplib

        from airflow.sdk import BaseHook

        try:
            conn = BaseHook.get_connection(conn_id)
            extra: dict[str, Any] = conn.extra_dejson or {}
            use_ssl = str(extra.get("ssl", "true")).lower() not in ("false", "0", "no")
            kind = imaplib.IMAP4_SSL if use_ssl else imaplib.IMAP4
            self._imap = kind(conn.host or "localhost", conn.port or (993 if use_ssl else 143))
            self._imap.login(conn.login or "", conn.password or "")
            folder = str(extra.get("folder") or "INBOX")
            status, detail = self._imap.select(folder)
            if status != "OK":
                raise OSError(f"folder {folder!r}: {detail!r}")
        except Exception as exc:
            raise OSError(f"IMAP connection {conn_id!r}: {type(exc).__name__}: {exc}") from exc

    def unseen(self, limit: int) -> list[tuple[str, bytes]]:
        status, data = self._imap.uid("search", None, "UNSEEN")
        uids = (data[0] or b"").split()[:limit] if status == "OK" else []
        messages = []
        for uid in uids:
            status, parts = self._imap.uid("fetch", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if status == "OK" and raw is not None:
                messages.append((uid.decode(), raw))
        return messages

    def mark_seen(self, ids: list[str]) -> None:
        if ids:
            self._imap.uid("store", ",".join(ids), "+FLAGS", "(\\Seen)")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._imap.logout()


class AirflowMessaging:
    """Opens transports from Airflow connections, only when a channel has messages to send."""

    def __init__(
        self,
        smtp_conn_id: str = SMTP_CONN_ID,
        twilio_conn_id: str = TWILIO_CONN_ID,
        imap_conn_id: str = IMAP_CONN_ID,
    ):
        self.smtp_conn_id = smtp_conn_id
        self.twilio_conn_id = twilio_conn_id
        self.imap_conn_id = imap_conn_id

    def open_inbox(self) -> ImapInbox:
        return ImapInbox(self.imap_conn_id)

    def open(self, channel: Channel) -> Transport:
        if channel is Channel.EMAIL:
            return SmtpTransport(self.smtp_conn_id)
        return TwilioTransport(channel, self.twilio_conn_id)
