"""What a job sends messages through: one transport per channel, each outcome classified."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Channel(StrEnum):
    """How a queued message reaches its recipient."""

    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"
    PUSH = "push"


# Calls, texts and push notifications wait for the district's sending hours; e-mail does not.
PHONE_CHANNELS = frozenset({Channel.SMS, Channel.VOICE, Channel.PUSH})


class Verdict(StrEnum):
    """What became of one attempt to send a message."""

    SENT = "sent"
    # The server or provider could not take it now (busy, down, 4xx): try again later.
    RETRY = "retry"
    # The recipient cannot receive it (no such mailbox, not a mobile number): never retried.
    UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True)
class Outgoing:
    """One message as a transport sends it.

    :param message_id: its row in the communication queue.
    :param recipient: an e-mail address, an E.164 phone number or a push identity.
    :param subject: the e-mail subject or push title (unused by SMS and calls).
    :param body: the text (the SMS text, what a call says, the e-mail's text part).
    :param html_body: the e-mail's HTML part, when it has one.
    :param recipient_name: the person's name, for the e-mail's To header.
    """

    message_id: int
    recipient: str
    subject: str
    body: str
    html_body: str | None = None
    recipient_name: str | None = None


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt.

    :param verdict: sent, retry later, or undeliverable.
    :param detail: what the server said (kept with the attempt and shown in the output).
    :param provider_ref: the provider's id of the message (a Twilio SID), when it gave one.
    """

    verdict: Verdict
    detail: str = ""
    provider_ref: str | None = None


class Transport(Protocol):
    """Sends messages of one channel over one open session (an SMTP connection, an HTTP
    session). ``send`` never raises for a message's own failure: it returns the outcome."""

    def send(self, message: Outgoing) -> Outcome: ...

    def close(self) -> None: ...


class Inbox(Protocol):
    """The mailbox replies to sent e-mails arrive in (IMAP)."""

    def unseen(self, limit: int) -> list[tuple[str, bytes]]:
        """Up to ``limit`` messages not yet marked seen: (server id, the raw message)."""
        ...

    def mark_seen(self, ids: list[str]) -> None:
        """Mark these messages seen, so the next run does not fetch them again."""
        ...

    def close(self) -> None: ...


class Messaging(Protocol):
    """Opens the transport of a channel; credentials come from the runner's connections."""

    def open_inbox(self) -> Inbox:
        """The replies mailbox; raises OSError (naming the connection) when unreachable."""
        ...

    def open(self, channel: Channel) -> Transport:
        """A transport for ``channel``; raises OSError (naming the connection) when it cannot
        be opened, and then every message of that channel waits for the next run."""
        ...
