"""Import ICS File's work: fetch the feed, expand its events, apply them set-based."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from job_library.base import HttpEndpoint, JobContext, JobResult
from job_library.http_client import ApiClient, ApiError
from job_library.jobs.integrations.import_ics import ImportIcsParams
from job_library.output import html_table
from job_library.schemas.district import schools
from job_library.schemas.integrations import calendar_events
from job_library.sis_sql import scratch_table

_TITLE = 200
_LONGEST_EVENT_DAYS = 62  # an event longer than this is refused, not copied onto every day
# The feed's own event id goes into calendar_events.uid (700 characters) as it is when it
# fits comfortably; a longer one is stood for by its SHA-256, which keeps it unique.
_LONGEST_ICS_UID = 200


@dataclass(frozen=True)
class Occurrence:
    ics_uid: str
    day: dt.date
    title: str
    description: str | None


def feed_key(url: str) -> str:
    """The short name of a feed inside event uids: the start of its URL's SHA-256."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def event_key(ics_uid: str) -> str:
    """The feed's event UID as kept in our uid: itself, or ``sha256:`` and its digest when
    it is longer than 200 characters."""
    if len(ics_uid) <= _LONGEST_ICS_UID:
        return ics_uid
    return "sha256:" + hashlib.sha256(ics_uid.encode()).hexdigest()


def event_uid(url: str, school_id: int, ics_uid: str, day: dt.date) -> str:
    """The uid of an imported event: feed (its URL), school, the feed's event UID and date."""
    return f"ics:{feed_key(url)}:{school_id}:{event_key(ics_uid)}:{day.isoformat()}"


def owned_prefix(url: str, school_id: int) -> str:
    return f"ics:{feed_key(url)}:{school_id}:"


def fetch(context: JobContext, url: str) -> bytes:
    endpoint = HttpEndpoint(conn_id="ics_url", base_url=url)
    with ApiClient(endpoint, auth="none") as client:
        response = client.request("GET", url, headers={"Accept": "text/calendar"})
    if not response.is_success:
        raise ApiError("GET", url, response.status_code, "the feed was not served")
    return response.content


def _day(value: dt.date | dt.datetime, tz: dt.tzinfo) -> dt.date:
    if isinstance(value, dt.datetime):
        return (value.astimezone(tz) if value.tzinfo else value).date()
    return value


def _last_day(event, first: dt.date, tz: dt.tzinfo) -> dt.date:
    """The last date an event covers: an all-day event's DTEND is the day after it; a timed
    event that ends at midnight ends the day before."""
    if event.get("DTEND") is None:
        return first
    end = event.decoded("DTEND")
    if isinstance(end, dt.datetime):
        local = end.astimezone(tz) if end.tzinfo else end
        last = local.date() if local.time() != dt.time(0) else local.date() - dt.timedelta(days=1)
    else:
        last = end - dt.timedelta(days=1)
    return max(first, last)


def occurrences(
    data: bytes, start: dt.date, end: dt.date, tz: dt.tzinfo
) -> tuple[list[Occurrence], list[tuple[str, str]]]:
    """Every date an event of the feed falls on between ``start`` and ``end`` (repeats
    expanded), and the events refused (uid or summary, reason). ValueError: not iCalendar."""
    import icalendar
    import recurring_ical_events

    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as exc:  # icalendar raises ValueError and friends on bad text
        raise ValueError(f"not an iCalendar file: {exc}") from None
    if calendar.name != "VCALENDAR":
        raise ValueError(f"not an iCalendar file: it holds a {calendar.name}, not a VCALENDAR")
    refused: list[tuple[str, str]] = []
    for event in calendar.walk("VEVENT"):
        label = str(event.get("UID") or event.get("SUMMARY") or "(an event without UID)")
        if not event.get("UID"):
            refused.append((label, "no UID: the feed must name each event (RFC 5545)"))
        elif event.get("DTSTART") is None:
            refused.append((label, "no start date (DTSTART)"))
    bad = {label for label, _ in refused}
    try:
        expanded = recurring_ical_events.of(calendar).between(start, end + dt.timedelta(days=1))
    except Exception as exc:  # a broken RRULE, an unknown time zone...
        raise ValueError(f"the feed's events cannot be expanded: {exc}") from None
    found: dict[tuple[str, dt.date], Occurrence] = {}
    for event in expanded:
        uid = str(event.get("UID") or "")
        if not uid or uid in bad:
            continue
        if str(event.get("STATUS") or "").upper() == "CANCELLED":
            # Called off in the feed (the whole event, or one date of a repeating one): not
            # put on the calendar, and taken off it if an earlier run put it there.
            continue
        first = _day(event.decoded("DTSTART"), tz)
        last = _last_day(event, first, tz)
        if (last - first).days > _LONGEST_EVENT_DAYS:
            refused.append(
                (uid, f"lasts {(last - first).days + 1} days, more than {_LONGEST_EVENT_DAYS}")
            )
            bad.add(uid)
            continue
        title = str(event.get("SUMMARY") or "").strip() or "(untitled)"
        description = str(event.get("DESCRIPTION") or "").strip() or None
        day = first
        while day <= last:
            if start <= day <= end:
                found[(uid, day)] = Occurrence(uid, day, title[:_TITLE], description)
            day += dt.timedelta(days=1)
    occurrences_ = [o for o in found.values() if o.ics_uid not in bad]
    return sorted(occurrences_, key=lambda o: (o.day, o.ics_uid)), refused


def import_feed(
    context: JobContext, params: ImportIcsParams, days_back: int, days_ahead: int
) -> JobResult:
    conn = context.connection
    today = context.now().date()
    start, end = today - dt.timedelta(days=days_back), today + dt.timedelta(days=days_ahead)
    school_ids = _schools(conn, params.school_id)
    if isinstance(school_ids, str):
        return JobResult.message(False, school_ids)
    try:
        data = fetch(context, params.ics_url)
    except ApiError as exc:
        return JobResult.message(False, f"The feed could not be read: {exc}. Nothing was changed.")
    try:
        found, refused = occurrences(data, start, end, context.now().tzinfo or dt.UTC)
    except ValueError as exc:
        return JobResult.message(False, f"{params.ics_url}: {exc}. Nothing was changed.")
    changes = _apply(conn, params.ics_url, school_ids, found, start, end)
    return _result(params, school_ids, changes, refused, len(found))


def _schools(conn: sa.Connection, school_id: int | None) -> list[int] | str:
    query = sa.select(schools.c.school_id).order_by(schools.c.school_id)
    if school_id is not None:
        query = query.where(schools.c.school_id == school_id)
    ids = list(conn.execute(query).scalars())
    if not ids:
        return (
            f"school {school_id}: no such school; choose one of the district's schools"
            if school_id is not None
            else "the district has no schools to put the events on"
        )
    return ids


@dataclass
class Changes:
    inserted: list[tuple]
    updated: list[tuple]
    deleted: list[tuple]


def _owned(url: str, school_ids: Iterable[int]) -> sa.ColumnElement[bool]:
    e = calendar_events
    return sa.or_(
        *(
            sa.func.substr(e.c.uid, 1, len(p)) == p
            for p in (owned_prefix(url, s) for s in school_ids)
        )
    )


def _apply(
    conn: sa.Connection,
    url: str,
    school_ids: list[int],
    found: list[Occurrence],
    start: dt.date,
    end: dt.date,
) -> Changes:
    e = calendar_events
    wanted = scratch_table(
        conn,
        "tmp_ics_events",
        [
            sa.Column("uid", sa.String(700), primary_key=True),
            sa.Column("school_id", sa.Integer, nullable=False),
            sa.Column("event_date", sa.Date, nullable=False),
            sa.Column("title", sa.String(200), nullable=False),
            sa.Column("description", sa.Text),
        ],
    )
    rows = [
        {
            "uid": event_uid(url, s, o.ics_uid, o.day),
            "school_id": s,
            "event_date": o.day,
            "title": o.title,
            "description": o.description,
        }
        for s in school_ids
        for o in found
    ]
    if rows:
        conn.execute(wanted.insert(), rows)
    listed = (e.c.school_id, e.c.event_date, e.c.title)
    new = sa.select(
        wanted.c.uid, wanted.c.school_id, wanted.c.event_date, wanted.c.title, wanted.c.description
    ).where(~sa.exists().where(e.c.uid == wanted.c.uid))
    inserted = conn.execute(
        sa.select(wanted.c.school_id, wanted.c.event_date, wanted.c.title)
        .where(~sa.exists().where(e.c.uid == wanted.c.uid))
        .order_by(wanted.c.event_date, wanted.c.school_id)
    ).all()
    differs = sa.and_(
        e.c.uid == wanted.c.uid,
        sa.or_(
            e.c.title != wanted.c.title,
            sa.func.coalesce(e.c.description, "") != sa.func.coalesce(wanted.c.description, ""),
        ),
    )
    updated = conn.execute(
        sa.select(wanted.c.school_id, wanted.c.event_date, wanted.c.title)
        .where(sa.exists().where(differs))
        .order_by(wanted.c.event_date, wanted.c.school_id)
    ).all()
    gone = sa.and_(
        _owned(url, school_ids),
        e.c.event_date.between(start, end),
        ~sa.exists().where(wanted.c.uid == e.c.uid),
    )
    deleted = conn.execute(sa.select(*listed).where(gone).order_by(e.c.event_date)).all()
    conn.execute(e.delete().where(gone))
    if updated:
        pick = sa.select  # the feed's version of the same event
        conn.execute(
            e.update()
            .where(sa.exists().where(differs))
            .values(
                title=pick(wanted.c.title).where(wanted.c.uid == e.c.uid).scalar_subquery(),
                description=pick(wanted.c.description)
                .where(wanted.c.uid == e.c.uid)
                .scalar_subquery(),
            )
        )
    conn.execute(
        e.insert().from_select(
            ["uid", "school_id", "event_date", "title", "description"],
            new,
        )
    )
    wanted.drop(conn)
    return Changes(list(inserted), list(updated), list(deleted))


def _result(
    params: ImportIcsParams,
    school_ids: list[int],
    changes: Changes,
    refused: list[tuple[str, str]],
    dates: int,
) -> JobResult:
    cap = params.max_listed
    where = (
        f"school {school_ids[0]}"
        if params.school_id is not None
        else f"{len(school_ids)} school(s)"
    )
    summary = (
        f"{params.ics_url}: {dates} event date(s) in the feed for {where}; "
        f"{len(changes.inserted)} added, {len(changes.updated)} changed, "
        f"{len(changes.deleted)} removed"
        + (f"; {len(refused)} event(s) refused" if refused else "")
        + "."
    )
    lines = [summary]
    table: list[tuple] = []
    for what, rows in (
        ("added", changes.inserted),
        ("changed", changes.updated),
        ("removed", changes.deleted),
    ):
        for school, day, title in rows:
            if len(table) < cap:
                lines.append(f"  {what}: school {school} {day} {title}")
                table.append((what, school, day, title))
    total = len(changes.inserted) + len(changes.updated) + len(changes.deleted)
    if total > len(table):
        lines.append(f"  ... and {total - len(table)} more (listing capped at {cap}).")
    for label, reason in refused[:cap]:
        lines.append(f"  refused: {label}: {reason}")
    page = (
        f"<p>{html.escape(summary)}</p>"
        + html_table(("Change", "School", "Date", "Title"), table)
        + html_table(("Refused event", "Reason"), refused[:cap])
    )
    return JobResult(
        success=True,
        summary=summary,
        text="\n".join(lines),
        html=page,
        counts={
            "event_dates": dates,
            "inserted": len(changes.inserted),
            "updated": len(changes.updated),
            "deleted": len(changes.deleted),
            "refused": len(refused),
        },
    )
