"""A local iCalendar (RFC 5545) feed (tests and make run; loopback only): GET /calendar.ics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from include.web_standins.loopback import Answer, LoopbackHttpServer, Request

PATH = "/calendar.ics"


def demo_feed(today: dt.date) -> bytes:
    """make run's feed: a few events of a demo school, placed from the first of ``today``'s
    month (so the same events come back all month and Import ICS File finds them in its
    window), one of them repeating weekly."""
    first = today.replace(day=1)

    def day(offset: int) -> str:
        return (first + dt.timedelta(days=offset)).strftime("%Y%m%d")

    events = [
        ("book-fair@demo.focus.local", day(14), day(16), "Book Fair", ""),
        ("band-night@demo.focus.local", day(20), day(21), "Band Night", ""),
        ("early-release@demo.focus.local", day(9), day(10), "Early Release", "FREQ=WEEKLY;COUNT=4"),
        ("report-cards@demo.focus.local", day(40), day(41), "Report Cards Go Home", ""),
    ]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Focus demo district//Calendar//EN"]
    for uid, start, end, summary, rule in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTAMP:{first:%Y%m%d}T000000Z",
            f"DTSTART;VALUE=DATE:{start}",
            f"DTEND;VALUE=DATE:{end}",
            *([f"RRULE:{rule}"] if rule else []),
            f"SUMMARY:{summary}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


class IcsFeed:
    """Serves ``body`` (bytes, or a function making them) as text/calendar at /calendar.ics.

    :param root: the server's address when another server (make run's) routes to this one;
        None starts a server of its own on a free loopback port.
    """

    def __init__(self, body: bytes | Callable[[], bytes], root: str | None = None) -> None:
        self.body = body
        self.server = None if root else LoopbackHttpServer(self.answer).start()
        self.root = root or self.server.url

    @property
    def url(self) -> str:
        return self.root + PATH

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def answer(self, request: Request) -> Answer:
        if request.method != "GET" or request.path != PATH:
            return Answer(404)
        body = self.body() if callable(self.body) else self.body
        return Answer(200, body, {"Content-Type": "text/calendar; charset=utf-8"})
