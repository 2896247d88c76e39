"""Import ICS File against a real HTTP server serving iCalendar (RFC 5545) feeds."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import icalendar
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

import job_library.http_client as http_client
from include.web_standins.ics_feed import IcsFeed
from job_library.jobs.integrations import _import_ics_work as work
from job_library.jobs.integrations.import_ics import ImportIcsFile, ImportIcsParams
from job_library.schemas.district import schools
from job_library.schemas.integrations import calendar_events
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))

FEED = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Test District//Calendar//EN
BEGIN:VEVENT
UID:concert@district.example
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:20261201
DTEND;VALUE=DATE:20261202
SUMMARY:Winter Concert
DESCRIPTION:Gym\\, 7 pm
END:VEVENT
BEGIN:VEVENT
UID:pta@district.example
DTSTAMP:20261101T000000Z
DTSTART:20261203T230000Z
DTEND:20261204T010000Z
SUMMARY:PTA Meeting
END:VEVENT
BEGIN:VEVENT
UID:early@district.example
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:20261202
DTEND;VALUE=DATE:20261203
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Early Release
END:VEVENT
BEGIN:VEVENT
UID:break@district.example
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:20261221
DTEND;VALUE=DATE:20261224
SUMMARY:Winter Break
END:VEVENT
BEGIN:VEVENT
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:20261205
SUMMARY:Mystery
END:VEVENT
BEGIN:VEVENT
UID:old@district.example
DTSTAMP:20261101T000000Z
DTSTART;VALUE=DATE:20250110
SUMMARY:Long Ago
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


@pytest.fixture
def feed() -> Iterator[IcsFeed]:
    f = IcsFeed(FEED.encode())
    yield f
    f.server.stop()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(http_client, "pause", waited.append)
    return waited


@pytest.fixture
def district(db: sa.Engine) -> sa.Engine:
    with db.begin() as conn:
        conn.execute(
            schools.insert(),
            [
                {
                    "school_id": s,
                    "title": f"School {s}",
                    "short_name": f"S{s}",
                    "school_number": f"{s:04d}",
                    "district_number": "99",
                }
                for s in (1, 2)
            ],
        )
        conn.execute(
            calendar_events.insert(),
            [
                # Typed into Focus: no uid.
                {"school_id": 1, "event_date": dt.date(2026, 12, 1), "title": "Book Fair"},
                # Placed by another feed on the same day.
                {
                    "school_id": 1,
                    "event_date": dt.date(2026, 12, 1),
                    "title": "Game",
                    "uid": "ics:0123456789abcdef:1:game@other:2026-12-01",
                },
            ],
        )
    return db


def run(engine: sa.Engine, url: str, **params) -> object:
    return run_in_transaction(
        engine, ImportIcsFile(), ImportIcsParams(ics_url=url, **params), now=NOW
    )


def events(engine: sa.Engine) -> set[tuple]:
    e = calendar_events
    with engine.connect() as conn:
        return set(conn.execute(sa.select(e.c.school_id, e.c.event_date, e.c.title, e.c.uid)).all())


def ours(engine: sa.Engine, url: str) -> list[tuple]:
    return sorted(
        (s, d, t)
        for s, d, t, uid in events(engine)
        if uid and uid.startswith(f"ics:{work.feed_key(url)}:")
    )


def test_the_served_feed_is_rfc_5545(feed):
    calendar = icalendar.Calendar.from_ical(feed.body)
    assert calendar["VERSION"] == "2.0" and len(calendar.walk("VEVENT")) == 6


def test_every_school_gets_each_date_and_repeats_are_expanded(district, feed, waits):
    result = run(district, feed.url)
    assert result.success, result.text
    per_school = [
        (dt.date(2026, 12, 1), "Winter Concert"),
        (dt.date(2026, 12, 2), "Early Release"),
        (dt.date(2026, 12, 3), "PTA Meeting"),  # 18:00-20:00 in New York, 4 Dec in UTC
        (dt.date(2026, 12, 9), "Early Release"),
        (dt.date(2026, 12, 16), "Early Release"),
        (dt.date(2026, 12, 21), "Winter Break"),
        (dt.date(2026, 12, 22), "Winter Break"),
        (dt.date(2026, 12, 23), "Winter Break"),  # DTEND 24 Dec is exclusive
    ]
    assert ours(district, feed.url) == sorted((s, d, t) for s in (1, 2) for d, t in per_school)
    assert result.counts == {
        "event_dates": 8,
        "inserted": 16,
        "updated": 0,
        "deleted": 0,
        "refused": 1,
    }
    assert "refused: Mystery: no UID" in result.text
    # The reference's uid: the feed (by its URL), the school, the feed's event id and the date.
    uid = work.event_uid(feed.url, 2, "concert@district.example", dt.date(2026, 12, 1))
    assert (2, dt.date(2026, 12, 1), "Winter Concert", uid) in events(district)
    with district.connect() as conn:
        description = conn.execute(
            sa.select(calendar_events.c.description).where(calendar_events.c.uid == uid)
        ).scalar()
    assert description == "Gym, 7 pm"
    # Focus's own event and the other feed's are still there.
    assert {(1, dt.date(2026, 12, 1), "Book Fair"), (1, dt.date(2026, 12, 1), "Game")} <= {
        e[:3] for e in events(district)
    }
    assert waits == []


def test_a_second_run_changes_nothing(district, feed, waits):
    run(district, feed.url)
    before = events(district)
    again = run(district, feed.url)
    assert again.success
    assert (again.counts["inserted"], again.counts["updated"], again.counts["deleted"]) == (0, 0, 0)
    assert events(district) == before


def test_changed_and_dropped_events_follow_the_feed_and_nothing_else_moves(district, feed, waits):
    run(district, feed.url, school_id=1)
    # An event this job placed long ago (before the month the feed governs) stays.
    old_uid = work.event_uid(feed.url, 1, "gone@district.example", dt.date(2026, 9, 1))
    with district.begin() as conn:
        conn.execute(
            calendar_events.insert().values(
                school_id=1, event_date=dt.date(2026, 9, 1), title="Open House", uid=old_uid
            )
        )
    feed.body = (
        FEED.replace("SUMMARY:Winter Concert", "SUMMARY:Winter Concert (moved to the theatre)")
        .replace("RRULE:FREQ=WEEKLY;COUNT=3", "RRULE:FREQ=WEEKLY;COUNT=2")
        .replace("SUMMARY:PTA Meeting", "SUMMARY:PTA Meeting\r\nSTATUS:CONFIRMED")
        .encode()
    )
    result = run(district, feed.url, school_id=1)
    assert result.success, result.text
    assert result.counts["updated"] == 1 and result.counts["deleted"] == 1
    assert result.counts["inserted"] == 0
    titles = {(d, t) for s, d, t in ours(district, feed.url)}
    assert (dt.date(2026, 12, 1), "Winter Concert (moved to the theatre)") in titles
    assert (dt.date(2026, 12, 16), "Early Release") not in titles
    assert (dt.date(2026, 9, 1), "Open House") in titles
    # Only school 1 was asked for: school 2 has nothing of this feed.
    assert {s for s, _, _ in ours(district, feed.url)} == {1}
    assert {(1, dt.date(2026, 12, 1), "Book Fair"), (1, dt.date(2026, 12, 1), "Game")} <= {
        e[:3] for e in events(district)
    }
    assert "removed: school 1 2026-12-16 Early Release" in result.text


def test_429_waits_as_retry_after_says(district, feed, waits):
    feed.server.fail_next(1, 429, {"Retry-After": "7"})
    result = run(district, feed.url, school_id=2)
    assert result.success and result.counts["inserted"] == 8
    assert waits == [7.0]
    assert [a.status for _, a in feed.server.answers] == [429, 200]


def test_a_feed_that_keeps_failing_changes_nothing(district, feed, waits):
    before = events(district)
    feed.server.fail_next(5, 500)
    result = run(district, feed.url)
    assert not result.success
    assert "HTTP 500" in result.summary and "Nothing was changed" in result.summary
    assert len(waits) == 4 and waits == sorted(waits)  # backed off, growing
    assert events(district) == before


def test_a_page_that_is_not_icalendar_is_refused(district, feed, waits):
    feed.body = b"<html><body>Sign in to see this calendar</body></html>"
    result = run(district, feed.url)
    assert not result.success and "not an iCalendar file" in result.summary
    assert len(events(district)) == 2


def test_an_unknown_school_is_named(district, feed, waits):
    result = run(district, feed.url, school_id=42)
    assert not result.success and "school 42: no such school" in result.summary


def test_a_failure_midway_rolls_everything_back(district, feed, waits, monkeypatch):
    before = events(district)

    def broken(*args, **kwargs):
        raise RuntimeError("injected after the changes")

    monkeypatch.setattr(work, "_result", broken)
    with pytest.raises(RuntimeError, match="injected"):
        run(district, feed.url)
    assert events(district) == before


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/cal.ics", "is not a web address"),
        ("calendar.ics", "is not a web address"),
    ],
)
def test_the_url_must_be_a_web_address(url, message):
    with pytest.raises(ValidationError, match=message):
        ImportIcsParams(ics_url=url)


def test_webcal_means_https():
    assert ImportIcsParams(ics_url="webcal://cal.example.org/x.ics").ics_url == (
        "https://cal.example.org/x.ics"
    )


def calendar_of(*events: str) -> bytes:
    """A feed holding ``events`` (each the lines between BEGIN:VEVENT and END:VEVENT)."""
    body = "".join(
        f"BEGIN:VEVENT\nDTSTAMP:20261101T000000Z\n{e.strip()}\nEND:VEVENT\n" for e in events
    )
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test District//Calendar//EN\n"
    text = f"{head}{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def all_day(uid: str, first: str, after_last: str, summary: str) -> str:
    return (
        f"UID:{uid}\nDTSTART;VALUE=DATE:{first}\nDTEND;VALUE=DATE:{after_last}\nSUMMARY:{summary}"
    )


def test_the_window_is_31_days_back_and_366_ahead_both_ends_included(district, feed, waits):
    # Today is 28 Nov 2026 in New York: the feed governs 28 Oct 2026 to 29 Nov 2027.
    feed.body = calendar_of(
        all_day("before@d", "20261027", "20261028", "Day before the window"),
        all_day("first@d", "20261028", "20261029", "First day of the window"),
        all_day("last@d", "20271129", "20271130", "Last day of the window"),
        all_day("after@d", "20271130", "20271201", "Day after the window"),
        # Two days across the window's start: only the day inside is placed.
        all_day("across@d", "20261027", "20261029", "Across the start"),
    )
    stale = [
        (dt.date(2026, 10, 27), "Old, outside: stays"),
        (dt.date(2026, 10, 28), "Old, inside: goes"),
    ]
    with district.begin() as conn:
        conn.execute(
            calendar_events.insert(),
            [
                {
                    "school_id": 1,
                    "event_date": d,
                    "title": t,
                    "uid": work.event_uid(feed.url, 1, "dropped@d", d),
                }
                for d, t in stale
            ],
        )
    result = run(district, feed.url, school_id=1)
    assert result.success, result.text
    assert ours(district, feed.url) == [
        (1, dt.date(2026, 10, 27), "Old, outside: stays"),
        (1, dt.date(2026, 10, 28), "Across the start"),
        (1, dt.date(2026, 10, 28), "First day of the window"),
        (1, dt.date(2027, 11, 29), "Last day of the window"),
    ]
    assert result.counts["inserted"] == 3 and result.counts["deleted"] == 1


def test_an_event_of_62_days_is_placed_and_one_of_63_is_refused(district, feed, waits):
    feed.body = calendar_of(
        # 1 Dec 2026 to 31 Jan 2027 inclusive: 31 + 31 = 62 days, 61 after the first.
        all_day("term@d", "20261201", "20270201", "Sixty-two days"),
        # 1 Dec 2026 to 1 Feb 2027 inclusive: 63 days, 62 after the first: still placed.
        all_day("longer@d", "20261201", "20270202", "Sixty-three days"),
        # One day more: 64 days, refused.
        all_day("toolong@d", "20261201", "20270203", "Sixty-four days"),
    )
    result = run(district, feed.url, school_id=1)
    assert result.success, result.text
    placed = ours(district, feed.url)
    assert len([e for e in placed if e[2] == "Sixty-two days"]) == 62
    assert len([e for e in placed if e[2] == "Sixty-three days"]) == 63
    assert not [e for e in placed if e[2] == "Sixty-four days"]
    assert result.counts["refused"] == 1 and result.counts["inserted"] == 125
    assert "refused: toolong@d: lasts 64 days, more than 62" in result.text


def test_a_cancelled_event_or_date_is_not_placed_and_is_taken_off(district, feed, waits):
    weekly = (
        "UID:club@d\nDTSTART;VALUE=DATE:20261202\nDTEND;VALUE=DATE:20261203\n"
        "RRULE:FREQ=WEEKLY;COUNT=3\nSUMMARY:Chess Club"
    )
    feed.body = calendar_of(weekly, all_day("fair@d", "20261205", "20261206", "Science Fair"))
    run(district, feed.url, school_id=1)
    assert len(ours(district, feed.url)) == 4
    feed.body = calendar_of(
        weekly,
        # The second meeting is called off; the rest of the series stands.
        "UID:club@d\nRECURRENCE-ID;VALUE=DATE:20261209\nDTSTART;VALUE=DATE:20261209\n"
        "DTEND;VALUE=DATE:20261210\nSUMMARY:Chess Club\nSTATUS:CANCELLED",
        all_day("fair@d", "20261205", "20261206", "Science Fair") + "\nSTATUS:CANCELLED",
        all_day("gala@d", "20261207", "20261208", "Gala") + "\nSTATUS:CANCELLED",
    )
    result = run(district, feed.url, school_id=1)
    assert result.success, result.text
    assert ours(district, feed.url) == [
        (1, dt.date(2026, 12, 2), "Chess Club"),
        (1, dt.date(2026, 12, 16), "Chess Club"),
    ]
    assert result.counts["deleted"] == 2 and result.counts["inserted"] == 0
    assert result.counts["refused"] == 0


def test_a_feed_event_id_too_long_for_the_uid_column_is_kept_by_its_digest(district, feed, waits):
    long_id = "x" * 690 + "@district.example"  # with our prefix, far past 700 characters
    at_limit = "y" * 200  # still kept as it is
    feed.body = calendar_of(
        all_day(long_id, "20261201", "20261202", "Long id"),
        all_day(at_limit, "20261202", "20261203", "Id of 200"),
    )
    result = run(district, feed.url, school_id=1)
    assert result.success, result.text
    digest = hashlib.sha256(long_id.encode()).hexdigest()
    key = work.feed_key(feed.url)
    assert {(t, uid) for s, d, t, uid in events(district) if t in ("Long id", "Id of 200")} == {
        ("Long id", f"ics:{key}:1:sha256:{digest}:2026-12-01"),
        ("Id of 200", f"ics:{key}:1:{at_limit}:2026-12-02"),
    }
    again = run(district, feed.url, school_id=1)
    assert (again.counts["inserted"], again.counts["updated"], again.counts["deleted"]) == (0, 0, 0)
