"""School days only: the timetable on a hand-built calendar, its serialized form, the calendar."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pendulum
import sqlalchemy as sa
from airflow.serialization.serialized_objects import DagSerialization
from airflow.timetables.base import DataInterval, TimeRestriction
from hypothesis import given, settings
from hypothesis import strategies as st

from include.dag_builder import TASK_ID, build_dags_from_table
from include.repository import JobTable
from include.schedule import FocusSchedule, SchoolDays
from include.school_calendar import (
    DistrictCalendar,
    calendar_from_json,
    calendar_to_json,
    horizon,
    read_district_calendar,
)
from include.timetable import FocusJobTimetable
from job_library.schemas.district import (
    attendance_calendar,
    attendance_calendars,
    school_years,
    schools,
)
from tests.rows import good_row

NY = "America/New_York"
UTC = dt.UTC
ONE_DAY = dt.timedelta(days=1)
MON_FRI = frozenset(range(5))
EVERY_DAY = frozenset(range(7))

# The hand-built 2026-27 year: every Monday to Friday from 2026-08-10 to 2027-05-28, except
# the Thanksgiving week, a teacher workday and the winter break; plus two Sunday make-up
# days that fall on the DST changes (2026-11-01 01:00 happens twice, 2027-03-14 02:30 never).
FIRST, LAST = dt.date(2026, 8, 10), dt.date(2027, 5, 28)
THANKSGIVING_WEEK = [dt.date(2026, 11, 23) + ONE_DAY * i for i in range(5)]
TEACHER_WORKDAY = dt.date(2026, 11, 3)
WINTER_BREAK = [dt.date(2026, 12, 21) + ONE_DAY * i for i in range(12)]  # to 2027-01-01
MAKE_UP_SUNDAYS = [dt.date(2026, 11, 1), dt.date(2027, 3, 14)]


def _weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    return [
        first + ONE_DAY * i
        for i in range((last - first).days + 1)
        if (first + ONE_DAY * i).weekday() < 5
    ]


CLOSED = {*THANKSGIVING_WEEK, TEACHER_WORKDAY, *WINTER_BREAK}
DAYS = SchoolDays.of(
    FIRST, LAST, [d for d in _weekdays(FIRST, LAST) if d not in CLOSED] + MAKE_UP_SUNDAYS
)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def daily(run_time: dt.time, weekdays: frozenset[int] = MON_FRI) -> FocusSchedule:
    return FocusSchedule(timezone=NY, weekdays=weekdays, run_time=run_time, school_days=DAYS)


SEVEN = dt.time(7, 0)


def test_the_holiday_week_is_skipped_to_the_monday_after():
    # Friday 2026-11-20 07:00 EST is 12:00 UTC; the next school day is Monday 11-30.
    assert daily(SEVEN).next_fire(at(2026, 11, 20, 12)) == at(2026, 11, 30, 12)


def test_a_teacher_workday_is_not_a_school_day():
    # Monday 11-02 07:00 EST (12:00 UTC); Tuesday 11-03 is the workday; Wednesday runs.
    assert daily(SEVEN).upcoming(at(2026, 11, 2, 11), 2) == [
        at(2026, 11, 2, 12),
        at(2026, 11, 4, 12),
    ]


def test_the_winter_break_and_the_new_year():
    # Friday 2026-12-18 07:00 EST, then Monday 2027-01-04 07:00 EST (12:00 UTC).
    assert daily(SEVEN).upcoming(at(2026, 12, 18, 11), 2) == [
        at(2026, 12, 18, 12),
        at(2027, 1, 4, 12),
    ]


def test_the_wall_clock_time_holds_across_the_fall_back_weekend():
    # Friday 10-30 07:00 EDT is 11:00 UTC; Monday 11-02 07:00 EST is 12:00 UTC.
    assert daily(SEVEN).upcoming(at(2026, 10, 30, 10), 2) == [
        at(2026, 10, 30, 11),
        at(2026, 11, 2, 12),
    ]


def test_dst_days_that_are_school_days_follow_the_dst_rules():
    # 01:30 on 2026-11-01 happens twice: the first (EDT, 05:30 UTC) counts.
    fall = daily(dt.time(1, 30), EVERY_DAY)
    assert fall.upcoming(at(2026, 10, 31, 12), 2) == [
        at(2026, 11, 1, 5, 30),
        at(2026, 11, 2, 6, 30),
    ]
    # 02:30 on 2027-03-14 does not exist: 03:30 EDT (07:30 UTC); Monday 02:30 EDT is 06:30 UTC.
    spring = daily(dt.time(2, 30), EVERY_DAY)
    assert spring.upcoming(at(2027, 3, 13, 12), 2) == [
        at(2027, 3, 14, 7, 30),
        at(2027, 3, 15, 6, 30),
    ]


def test_every_day_means_every_school_day_and_weekends_stay_out():
    # Friday 2026-11-06, then the weekend (not school days), then Monday 11-09: 07:00 EST.
    fires = daily(SEVEN, EVERY_DAY).upcoming(at(2026, 11, 6, 11), 2)
    assert fires == [at(2026, 11, 6, 12), at(2026, 11, 9, 12)]


def test_a_repeating_job_runs_its_timeframe_only_on_school_days():
    s = FocusSchedule(
        timezone=NY,
        weekdays=MON_FRI,
        repeat_minutes=60,
        window_start=dt.time(7),
        window_end=dt.time(9),
        school_days=DAYS,
    )
    # After Monday 11-02's last run (09:00 EST = 14:00 UTC) comes Wednesday 11-04 07:00.
    assert s.upcoming(at(2026, 11, 2, 14), 4) == [
        at(2026, 11, 4, 12),
        at(2026, 11, 4, 13),
        at(2026, 11, 4, 14),
        at(2026, 11, 5, 12),
    ]


def test_nothing_is_due_after_the_calendar_ends():
    s = daily(SEVEN)
    # The last school day, Friday 2027-05-28 07:00 EDT (11:00 UTC), then nothing is known.
    assert s.upcoming(at(2027, 5, 27, 12), 3) == [at(2027, 5, 28, 11)]
    assert s.next_fire(at(2027, 5, 28, 11)) is None


def test_skipped_days_are_the_holidays_a_weekday_schedule_would_have_run_on():
    s = daily(SEVEN)
    assert s.skipped_days(at(2026, 11, 20, 12), at(2026, 11, 30, 12)) == THANKSGIVING_WEEK
    assert s.skipped_days(at(2026, 11, 2, 12), at(2026, 11, 4, 12)) == [TEACHER_WORKDAY]
    assert s.skipped_days(at(2026, 11, 4, 12), at(2026, 11, 5, 12)) == []
    assert (
        dataclasses.replace(s, school_days=None).skipped_days(at(2026, 11, 20), at(2026, 12, 1))
        == []
    )


def test_the_summary_says_school_days():
    assert daily(SEVEN).describe() == "07:00 mon-fri school days (America/New_York)"


def test_the_timetable_follows_the_calendar_with_and_without_catchup(monkeypatch):
    timetable = FocusJobTimetable(daily(SEVEN))
    last = DataInterval.exact(pendulum.datetime(2026, 12, 18, 12))
    catchup = TimeRestriction(earliest=pendulum.datetime(2026, 1, 1), latest=None, catchup=True)
    info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=catchup)
    assert info.run_after == pendulum.datetime(2027, 1, 4, 12)
    # Without catchup, "now" in the middle of the break: the next run is still January 4.
    monkeypatch.setattr("include.timetable._now", lambda: at(2026, 12, 24, 15))
    no_catchup = TimeRestriction(earliest=pendulum.datetime(2026, 1, 1), latest=None, catchup=False)
    info = timetable.next_dagrun_info(last_automated_data_interval=last, restriction=no_catchup)
    assert info.run_after == pendulum.datetime(2027, 1, 4, 12)


def test_the_serialized_form_keeps_the_days_as_ranges_and_older_forms_still_load():
    timetable = FocusJobTimetable(daily(SEVEN))
    data = timetable.serialize()
    assert data["school_days"]["first"] == "2026-08-10"
    assert data["school_days"]["last"] == "2027-05-28"
    ranges = data["school_days"]["ranges"]
    assert ranges[0] == "2026-08-10/2026-08-14"
    # The make-up Sunday joins Monday; the workday splits the week; Thanksgiving is a gap.
    assert "2026-11-01/2026-11-02" in ranges and "2026-11-04/2026-11-06" in ranges
    assert "2026-11-16/2026-11-20" in ranges and "2026-11-30/2026-12-04" in ranges
    again = FocusJobTimetable.deserialize(data)
    assert again == timetable and again.serialize() == data
    # A timetable serialized before school days existed has no such key.
    old = {k: v for k, v in data.items() if k != "school_days"}
    restored = FocusJobTimetable.deserialize(old)
    assert restored.schedule.school_days is None
    assert restored.schedule.next_fire(at(2026, 11, 20, 12)) == at(2026, 11, 23, 12)
    assert (
        "school_days"
        not in FocusJobTimetable(daily(SEVEN).__class__(NY, MON_FRI, SEVEN)).serialize()
    )


# --- properties over random calendars ------------------------------------------------------

calendars = st.builds(
    lambda length, picks: SchoolDays.of(
        dt.date(2026, 8, 1),
        dt.date(2026, 8, 1) + ONE_DAY * length,
        [dt.date(2026, 8, 1) + ONE_DAY * (p % (length + 1)) for p in picks],
    ),
    st.integers(20, 500),
    st.sets(st.integers(0, 500), max_size=200),
)
run_times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=120, deadline=None)
@given(
    calendars,
    st.frozensets(st.integers(0, 6), min_size=1),
    run_times,
    st.datetimes(min_value=dt.datetime(2026, 7, 1), max_value=dt.datetime(2027, 12, 1)),
)
def test_runs_are_exactly_the_chosen_weekdays_that_are_school_days(
    days: SchoolDays, weekdays: frozenset[int], run_time: dt.time, start: dt.datetime
):
    s = FocusSchedule(timezone=NY, weekdays=weekdays, run_time=run_time, school_days=days)
    after = start.replace(tzinfo=UTC)
    fires = s.upcoming(after, 12)
    # The oracle: the run time on every school day that is a chosen weekday, from the calendar
    # alone (wall clock in New York, first occurrence; a time in the spring gap moves forward).
    instants = (
        dt.datetime.combine(d, run_time, tzinfo=s.tz).astimezone(UTC)
        for d in days.days
        if d.weekday() in weekdays
    )
    assert fires == sorted(i for i in instants if i > after)[:12]
    # What the scheduler reads back from the serialized DAG fires the same.
    again = FocusJobTimetable.deserialize(FocusJobTimetable(s).serialize()).schedule
    assert again.upcoming(after, 12) == fires


# --- the calendar in the Focus database -----------------------------------------------------


def _district(conn: sa.Connection) -> None:
    conn.execute(
        sa.insert(school_years),
        [
            dict(
                syear=2025,
                title="2025-26",
                start_date=dt.date(2025, 8, 11),
                end_date=dt.date(2026, 5, 29),
            ),
            dict(syear=2026, title="2026-27", start_date=FIRST, end_date=LAST, is_default=True),
            dict(
                syear=2027,
                title="2027-28",
                start_date=dt.date(2027, 8, 9),
                end_date=dt.date(2028, 5, 26),
            ),
            dict(
                syear=2028,
                title="2028-29",
                start_date=dt.date(2028, 8, 14),
                end_date=dt.date(2029, 5, 25),
            ),
        ],
    )
    conn.execute(
        sa.insert(schools),
        [
            dict(
                school_id=1,
                title="Elementary",
                short_name="ES",
                school_number="0010",
                district_number="37",
            ),
            dict(
                school_id=2,
                title="High",
                short_name="HS",
                school_number="0020",
                district_number="37",
            ),
        ],
    )
    conn.execute(
        sa.insert(attendance_calendars),
        [
            dict(calendar_id=10, school_id=1, syear=2026, title="Main", is_default=True),
            dict(calendar_id=11, school_id=1, syear=2026, title="Summer camp", is_default=False),
            dict(calendar_id=20, school_id=2, syear=2026, title="Main", is_default=True),
            dict(calendar_id=12, school_id=1, syear=2027, title="Main", is_default=True),
            dict(calendar_id=13, school_id=1, syear=2025, title="Main", is_default=True),
            dict(calendar_id=14, school_id=1, syear=2028, title="Main", is_default=True),
        ],
    )
    rows = [
        (10, dt.date(2026, 11, 2), 360),
        (10, TEACHER_WORKDAY, 0),  # on the calendar, but no instruction
        (10, dt.date(2026, 11, 4), 360),
        (11, dt.date(2026, 11, 7), 360),  # not the default calendar
        (20, dt.date(2026, 11, 2), 360),
        (20, dt.date(2026, 11, 6), 180),  # a half day is a school day
        (12, dt.date(2027, 8, 9), 360),
        (13, dt.date(2026, 5, 1), 360),  # last year: before the horizon
        (14, dt.date(2028, 8, 14), 360),  # the year after next: beyond it
    ]
    conn.execute(
        sa.insert(attendance_calendar),
        [dict(calendar_id=c, school_date=d, minutes=m) for c, d, m in rows],
    )


def test_horizon_is_the_current_school_year_and_the_next():
    years = [(2026, FIRST, LAST), (2027, dt.date(2027, 8, 9), dt.date(2028, 5, 26))]
    assert horizon(years, dt.date(2026, 11, 15)) == (FIRST, dt.date(2028, 5, 26))
    # In the summer the coming year is the current one.
    assert horizon(years, dt.date(2027, 7, 1)) == (dt.date(2027, 8, 9), dt.date(2028, 5, 26))
    first, last = horizon(years, dt.date(2028, 6, 1))
    assert first > last  # no year ahead: nothing is a school day


def test_read_district_calendar_takes_default_calendars_with_minutes(engine: sa.Engine):
    with engine.begin() as conn:
        _district(conn)
    with engine.connect() as conn:
        calendar = read_district_calendar(conn, dt.date(2026, 11, 15))
    assert (calendar.first, calendar.last) == (FIRST, dt.date(2028, 5, 26))
    assert calendar.days_by_school == {
        1: frozenset({dt.date(2026, 11, 2), dt.date(2026, 11, 4), dt.date(2027, 8, 9)}),
        2: frozenset({dt.date(2026, 11, 2), dt.date(2026, 11, 6)}),
    }
    assert calendar.school_days([2]).days == (dt.date(2026, 11, 2), dt.date(2026, 11, 6))
    assert calendar.school_days().days == (
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 4),
        dt.date(2026, 11, 6),
        dt.date(2027, 8, 9),
    )
    assert calendar_from_json(calendar_to_json(calendar)) == calendar


def test_the_dag_factory_reads_the_calendar_once_and_puts_it_in_the_timetable():
    calls = []
    calendar = DistrictCalendar(FIRST, LAST, {1: frozenset(DAYS.days), 2: frozenset({FIRST})})

    def read() -> DistrictCalendar:
        calls.append(1)
        return calendar

    rows = [
        good_row("attendance", job_class="attendance_summary_calculation", run_hour=7),
        good_row("detentions", job_class="create_detentions_from_tardies", calendar_schools="2"),
        good_row(
            "attendance-every-day", job_class="attendance_summary_calculation", school_days_only="0"
        ),
        good_row("addresses", school_days_only="1"),
        good_row("plain"),
    ]
    dags = build_dags_from_table(JobTable("America/New_York", rows), read)
    assert len(calls) == 1  # one read of the calendar for every job of the parse
    assert dags["attendance"].timetable.schedule.school_days == DAYS  # the class's default
    assert dags["detentions"].timetable.schedule.school_days.days == (FIRST,)
    assert dags["attendance-every-day"].timetable.schedule.school_days is None
    assert dags["addresses"].timetable.schedule.school_days == DAYS
    assert dags["plain"].timetable.schedule.school_days is None
    assert dags["attendance"].timetable.summary == "07:00 mon-fri school days (America/New_York)"
    assert dags["attendance"].get_task(TASK_ID).outlets
    again = DagSerialization.from_dict(DagSerialization.to_dict(dags["attendance"]))
    assert again.timetable == dags["attendance"].timetable


def test_without_calendars_a_school_days_job_is_never_due():
    empty = DistrictCalendar(FIRST, LAST, {})
    rows = [good_row("attendance", job_class="attendance_summary_calculation")]
    dag = build_dags_from_table(JobTable(NY, rows), lambda: empty)["attendance"]
    assert dag.timetable.schedule.next_fire(at(2026, 11, 1)) is None


# --- what people see: focus-jobs list and "Preview next 10 runs" ---------------------------


def _closed_week_then_school(engine: sa.Engine, today: dt.date) -> dt.date:
    """A district whose school year started a month ago, closed for the next week, then open
    every day for the rest of the year; returns the first school day after the break."""
    reopen = today + ONE_DAY * 8
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years).values(
                syear=2090,
                title="Now",
                start_date=today - ONE_DAY * 30,
                end_date=today + ONE_DAY * 200,
            )
        )
        conn.execute(
            sa.insert(schools).values(
                school_id=1, title="Only", short_name="O", school_number="1", district_number="1"
            )
        )
        conn.execute(
            sa.insert(attendance_calendars).values(
                calendar_id=1, school_id=1, syear=2090, title="Main"
            )
        )
        days = [today - ONE_DAY * 30 + ONE_DAY * i for i in range(231)]
        conn.execute(
            sa.insert(attendance_calendar),
            [
                dict(calendar_id=1, school_date=d, minutes=360)
                for d in days
                if not today <= d < reopen
            ],
        )
    return reopen


def test_list_and_preview_name_the_skipped_holidays(focus_env, capsys):
    import json
    import os

    from include import cli
    from include.focus_db.engine import get_engine
    from include.jobs_api import list_jobs, preview
    from tests.rows import insert_rows

    engine = get_engine(os.environ["FOCUS_DB_URL"])
    today = dt.datetime.now(ZoneInfo(NY)).date()  # the district's today, not UTC's
    reopen = _closed_week_then_school(engine, today)
    insert_rows(
        engine,
        good_row(
            "attendance",
            job_class="attendance_summary_calculation",
            run_hour=23,
            run_minute=59,
            weekdays="mon,tue,wed,thu,fri,sat,sun",
        ),
    )
    cli.main(["list"])
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if x.startswith("attendance"))
    assert "23:59 daily school days (America/New_York)" in line
    assert f"{reopen:%Y-%m-%d} 23:59" in line
    # Today (when 23:59 is still ahead in New York) to the day before school reopens.
    assert f"..{reopen - ONE_DAY}: not school days)" in line
    # The Jobs tab: the next run by the calendar, the holidays skipped before it.
    [listed] = list_jobs(sort="title", desc=False, page=1, page_size=25, filter=None)["jobs"]
    assert listed["next_run"].startswith(f"{reopen}T23:59")
    assert listed["school_days_only"] is True
    assert listed["skipped_days"][-1] == (reopen - ONE_DAY).isoformat()
    assert listed["skipped_text"].endswith(f"..{reopen - ONE_DAY}")
    response = preview(
        {"class": "attendance_summary_calculation", "run_time": "23:59", "weekdays": ["sat", "sun"]}
    )
    body = json.loads(response.body)
    runs = [dt.date.fromisoformat(r[:10]) for r in body["runs"]]
    assert len(runs) == 10 and runs[0] >= reopen
    assert all(d.weekday() >= 5 for d in runs)
    skipped = [dt.date.fromisoformat(d) for d in body["skipped"]]
    # The weekend days of the closed week are skipped; no school-week weekend is.
    assert skipped and all(d.weekday() >= 5 and today <= d < reopen for d in skipped)


def test_an_unreadable_database_falls_back_to_the_last_good_calendar(sqlite_engine, tmp_path):
    from include.dag_builder import calendar_loader

    today = dt.date.today()
    reopen = _closed_week_then_school(sqlite_engine, today)
    snapshot = tmp_path / "snap.json.calendar.json"
    url = sqlite_engine.url.render_as_string(hide_password=False)
    good = calendar_loader(db_url=url, snapshot_path=snapshot, save=True)()
    assert reopen in good.days_by_school[1] and today not in good.days_by_school[1]
    assert calendar_from_json(snapshot.read_text()) == good
    broken = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'focus.db'}"
    assert calendar_loader(db_url=broken, snapshot_path=snapshot, save=True)() == good
    # No snapshot either: no day is a school day (a school-days job waits, it does not guess).
    empty = calendar_loader(db_url=broken, snapshot_path=tmp_path / "none.json", save=True)()
    assert empty.school_days().days == ()


def test_a_calendar_change_reaches_the_timetable_at_the_next_parse(focus_env):
    import os

    from include.dag_builder import build_dags
    from include.focus_db.engine import get_engine
    from tests.rows import insert_rows

    engine = get_engine(os.environ["FOCUS_DB_URL"])
    reopen = _closed_week_then_school(engine, dt.date.today())
    insert_rows(engine, good_row("attendance", job_class="attendance_summary_calculation"))
    before = build_dags()["attendance"].timetable.schedule.school_days
    assert reopen in before
    with engine.begin() as conn:  # the district closes that day too
        conn.execute(
            sa.delete(attendance_calendar).where(attendance_calendar.c.school_date == reopen)
        )
    after = build_dags()["attendance"].timetable.schedule.school_days
    assert reopen not in after and len(after.days) == len(before.days) - 1


def test_attendance_classes_default_to_school_days_and_the_catalog_says_so():
    from job_library.registry import catalog

    defaults = {e["key"] for e in catalog() if e["school_days_only_default"]}
    assert defaults == {
        "attendance_summary_calculation",
        "recalculate_daily_attendance",
        "eoy_attendance_calculation",
        "auto_withdraw",
        "cte_consecutive_absences",
        "create_detentions_from_tardies",
        "attendance_daily_triggers",  # letters on school days only (#21)
        # #16: hours counted and scanner absences entered on school days only.
        "attended_hours",
        "wdis_total_hours",
        "attendance_scanner_absences",
    }


@settings(max_examples=100, deadline=None)
@given(
    calendars,
    st.frozensets(st.integers(0, 6), min_size=1),
    run_times,
    st.datetimes(min_value=dt.datetime(2026, 7, 1), max_value=dt.datetime(2027, 6, 1)),
)
def test_the_skipped_days_are_the_runs_a_plain_schedule_has_before_the_next_one(
    days: SchoolDays, weekdays: frozenset[int], run_time: dt.time, start: dt.datetime
):
    s = FocusSchedule(timezone=NY, weekdays=weekdays, run_time=run_time, school_days=days)
    after = start.replace(tzinfo=UTC)
    until = s.next_fire(after) or after + dt.timedelta(days=40)
    plain = dataclasses.replace(s, school_days=None)
    expected = [
        at.astimezone(s.tz).date()
        for at in plain.upcoming(after, 500)
        if at <= until and at.astimezone(s.tz).date() not in days
    ]
    assert s.skipped_days(after, until) == expected
