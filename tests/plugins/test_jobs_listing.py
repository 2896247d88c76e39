"""The Jobs listing: shown values, each filter operator on them, sorting, paging, 5,000 rows."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from include import jobs_listing
from include.jobs_listing import FilterError, ListingCache, parse_filter, select
from tests.rows import good_row, insert_rows

# Friday 2027-01-15, 7:00 AM in New York (EST): the next weekday run at 2:00 AM is Monday's.
NOW = dt.datetime(2027, 1, 15, 12, 0, tzinfo=dt.UTC)
NY = ZoneInfo("America/New_York")


def _listing(engine: sa.Engine, cache: ListingCache | None = None):
    cache = cache or ListingCache(clock=lambda: NOW)
    with engine.connect() as conn:
        return cache.listing(conn)


def _ids(listing, *filters: str, sort: str = "id", desc: bool = False) -> list[str]:
    return [r.entry["id"] for r in select(listing, filters, sort, desc)]


@pytest.fixture
def jobs(engine: sa.Engine) -> sa.Engine:
    insert_rows(
        engine,
        good_row("early", title="Early Addresses", run_hour=2, priority=900),
        good_row(
            "afternoon",
            title="Afternoon Rank",
            job_class="class_rank_gpa",
            run_hour=13,
            run_minute=30,
            priority=100,
            weekdays="sat,mon",
            start_date="2026-09-01",
            end_date="2027-06-30",
        ),
        good_row(
            "repeating",
            title="Repeating Check",
            job_class="daily_maintenance",
            run_hour=None,
            run_minute=None,
            repeat_minutes=15,
            priority=500,
            start_date="2027-02-01",
        ),
        good_row("asleep", title="Asleep Job", active=False, priority=500),
        good_row("lost", title="Lost PHP Job", job_class="php_export", priority=10),
    )
    return engine


def test_each_row_shows_what_the_screen_shows(jobs):
    listing = _listing(jobs)
    rows = {r.entry["id"]: r.entry for r in listing.listed}
    early = rows["early"]
    assert early["job_time"] == "2:00 AM EST"
    assert early["run_time"] == "02:00"
    assert early["weekdays"] == "Mon, Tue, Wed, Thu, Fri"
    assert early["class_title"] == "Address Corrections"
    assert early["next_run"] == "2027-01-18T02:00:00-05:00"
    assert early["next_run_display"] == "Mon, Jan 18, 2027, 2:00 AM EST"
    assert rows["afternoon"]["job_time"] == "1:30 PM EST"
    assert rows["afternoon"]["weekdays"] == "Mon, Sat"  # week order, whatever the row's
    assert rows["repeating"]["job_time"] == "Every 15 min"
    assert rows["repeating"]["next_run"].startswith("2027-02-01T00:00")  # from its start date
    assert rows["asleep"]["active"] is False and rows["asleep"]["next_run"] is None
    assert rows["lost"]["missing_class"] is True
    assert rows["lost"]["class_title"] == "php_export"
    runnable = {r.entry["id"]: r.runnable for r in listing.listed}
    assert runnable == {
        "early": True,
        "afternoon": True,
        "repeating": True,
        "asleep": False,  # inactive: no Run Job
        "lost": True,  # the Missing Class job runs and says what is missing
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # contains / equals / starts_with: on the shown text, case-blind
        ("class_title:contains:address", ["asleep", "early"]),
        ("class_title:contains:address_corrections", []),  # the key is not shown
        ("class_title:rank", ["afternoon"]),  # the older column:text form
        ("job_time:equals:2:00 am est", ["asleep", "early", "lost"]),
        ("job_time:contains:PM EST", ["afternoon"]),
        ("title:starts_with:a", ["afternoon", "asleep"]),
        ("weekdays:contains:sat", ["afternoon"]),
        ("kind:equals:built-in", ["afternoon", "asleep", "early", "lost", "repeating"]),
        ("next_run:contains:Jan 18, 2027", ["early", "lost"]),
        ("next_run:starts_with:sat, jan 16", ["afternoon"]),
        # before / after: clock times, dates, the next run
        ("job_time:after:12:00", ["afternoon"]),
        ("job_time:before:1:30 PM", ["asleep", "early", "lost"]),
        ("job_time:after:1:30 PM", []),  # strictly after
        ("start_date:before:2027-01-01", ["afternoon"]),
        ("start_date:after:2027-01-31", ["repeating"]),
        ("end_date:after:2027-06-29", ["afternoon"]),
        ("next_run:after:2027-01-18", ["repeating"]),  # after the whole day
        ("next_run:before:2027-01-19", ["afternoon", "early", "lost"]),
        ("next_run:before:2027-01-18T02:00", ["afternoon"]),
        ("next_run:after:2027-01-18T01:59", ["early", "lost", "repeating"]),
        # at_least / at_most: numbers
        ("priority:at_least:500", ["asleep", "early", "repeating"]),
        ("priority:at_most:100", ["afternoon", "lost"]),
        # is_empty
        ("end_date:is_empty:", ["asleep", "early", "lost", "repeating"]),
        ("next_run:is_empty", ["asleep"]),
        ("title:is_empty:", []),
    ],
)
def test_each_operator_matches_the_shown_values(jobs, text, expected):
    assert _ids(_listing(jobs), text) == expected


def test_filters_combine_and_a_value_may_hold_colons(jobs):
    listing = _listing(jobs)
    assert _ids(listing, "priority:at_least:100", "title:contains:a") == [
        "afternoon",
        "asleep",
        "early",
        "repeating",
    ]
    assert _ids(listing, "job_time:starts_with:1:30") == ["afternoon"]


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("colour:contains:red", "'colour' is not a column"),
        ("priority:before:10", "before works on job_time, start_date, end_date, next_run"),
        ("title:at_least:3", "at_least works on priority"),
        ("priority:at_least:many", "'many' is not a number"),
        ("job_time:after:25:00", "is not a time (write 14:30 or 2:30 PM)"),
        ("start_date:before:next week", "is not a date (write YYYY-MM-DD)"),
        ("next_run:after:soon", "is not a date or time"),
    ],
)
def test_a_filter_that_cannot_apply_says_why(text, sentence):
    with pytest.raises(FilterError, match="filter") as caught:
        parse_filter(text, NY)
    assert sentence in str(caught.value)


def test_sorting_uses_the_values_behind_the_shown_text(jobs):
    listing = _listing(jobs)
    # 1:30 PM comes after 2:00 AM (a text sort would put it first); "Every" after clock times.
    by_time = _ids(listing, sort="job_time")
    assert by_time == ["asleep", "early", "lost", "afternoon", "repeating"]  # ties: by id
    assert _ids(listing, sort="priority") == ["lost", "afternoon", "asleep", "repeating", "early"]
    assert _ids(listing, sort="priority", desc=True)[0] == "early"
    # Blanks last in both directions.
    assert _ids(listing, sort="next_run")[0] == "afternoon"
    assert _ids(listing, sort="next_run")[-1] == "asleep"
    assert _ids(listing, sort="next_run", desc=True)[-1] == "asleep"
    assert _ids(listing, sort="next_run", desc=True)[0] == "repeating"
    assert _ids(listing, sort="end_date", desc=True)[0] == "afternoon"
    assert _ids(listing, sort="class_title")[:2] == ["asleep", "early"]
    assert _ids(listing, sort="weekdays")[-1] == "afternoon"  # Mon..Fri before Mon, Sat


def test_five_thousand_jobs_are_listed_from_one_build(sqlite_engine, monkeypatch):
    rows = [
        good_row(
            f"job-{i:04d}",
            title=f"Job {i:04d}",
            priority=i % 1000,
            run_hour=i % 24,
            weekdays="mon,wed" if i % 2 else "tue,thu",
        )
        for i in range(5000)
    ]
    insert_rows(sqlite_engine, *rows)
    cache = ListingCache(clock=lambda: NOW)
    listing = _listing(sqlite_engine, cache)
    assert len(listing.listed) == 5000 and cache.builds == 1
    top = select(listing, ["priority:at_least:998"], "priority", True)
    assert len(top) == 10 and [r.entry["priority"] for r in top[:2]] == [999, 999]
    afternoon = select(listing, ["job_time:after:11:59 AM"], "title", False)
    assert len(afternoon) == sum(1 for i in range(5000) if i % 24 >= 12)
    assert afternoon[0].entry["title"] == "Job 0012"
    three_pm = select(
        listing, ["weekdays:contains:wed", "job_time:equals:3:00 pm est"], "id", False
    )
    assert [r.entry["id"] for r in three_pm] == [f"job-{i:04d}" for i in range(15, 5000, 24)]
    page_3 = select(listing, [], "id", False)[50:75]
    assert [r.entry["id"] for r in page_3] == [f"job-{i:04d}" for i in range(50, 75)]
    # The same table again: the listing is reused, not rebuilt.
    assert _listing(sqlite_engine, cache) is listing and cache.builds == 1
    # Any change to a row rebuilds it, even one made directly in the database; only the
    # changed row is validated again.
    with sqlite_engine.begin() as conn:
        conn.execute(sa.text("UPDATE scheduled_jobs SET active = false WHERE id = 'job-0042'"))
    validated = []
    real_parse = jobs_listing.parse_definition
    monkeypatch.setattr(
        jobs_listing, "parse_definition", lambda doc: validated.append(doc["id"]) or real_parse(doc)
    )
    changed = _listing(sqlite_engine, cache)
    assert cache.builds == 2 and validated == ["job-0042"]
    assert next(r for r in changed.listed if r.entry["id"] == "job-0042").entry["active"] is False


def test_a_listing_is_rebuilt_once_a_listed_next_run_has_passed(sqlite_engine):
    insert_rows(sqlite_engine, good_row("early", run_hour=2))
    clock = {"now": NOW}
    cache = ListingCache(clock=lambda: clock["now"])
    first = _listing(sqlite_engine, cache)
    assert first.listed[0].entry["next_run"] == "2027-01-18T02:00:00-05:00"
    clock["now"] = dt.datetime(2027, 1, 18, 7, 1, tzinfo=dt.UTC)  # 2:01 AM EST on Monday
    later = _listing(sqlite_engine, cache)
    assert cache.builds == 2
    assert later.listed[0].entry["next_run"] == "2027-01-19T02:00:00-05:00"


def test_summer_times_show_the_summer_abbreviation(sqlite_engine):
    insert_rows(sqlite_engine, good_row("early", run_hour=2))
    july = dt.datetime(2027, 7, 14, 12, 0, tzinfo=dt.UTC)
    listing = _listing(sqlite_engine, ListingCache(clock=lambda: july))
    assert listing.listed[0].entry["job_time"] == "2:00 AM EDT"
    assert listing.listed[0].entry["next_run_display"] == "Thu, Jul 15, 2027, 2:00 AM EDT"
