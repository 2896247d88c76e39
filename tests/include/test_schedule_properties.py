"""Properties of the Focus timetable: weekdays, windows, intervals, dates, DST, serialization."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pendulum
import pytest
from airflow.exceptions import AirflowTimetableInvalid
from airflow.timetables.base import DataInterval, TimeRestriction
from hypothesis import given, settings
from hypothesis import strategies as st

from include.schedule import FocusSchedule
from include.timetable import FocusJobTimetable

NY = "America/New_York"
NYZ = ZoneInfo(NY)
UTC = dt.UTC

weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)
times = st.times().map(lambda t: t.replace(second=0, microsecond=0))
instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(UTC)
)


@st.composite
def daily_schedules(draw) -> FocusSchedule:
    return FocusSchedule(timezone=NY, weekdays=draw(weekday_sets), run_time=draw(times))


@st.composite
def interval_schedules(draw) -> FocusSchedule:
    start = draw(st.none() | times)
    end = draw(st.none() | times)
    if start and end and end < start:
        start, end = end, start
    return FocusSchedule(
        timezone=NY,
        weekdays=draw(weekday_sets),
        repeat_minutes=draw(st.sampled_from([5, 7, 15, 30, 45, 60, 90, 240])),
        window_start=start,
        window_end=end,
    )


def fires_between(s: FocusSchedule, start: dt.datetime, count: int) -> list[dt.datetime]:
    return s.upcoming(start, count)


@settings(max_examples=150, deadline=None)
@given(daily_schedules(), instants)
def test_daily_runs_only_on_chosen_weekdays_at_run_time(s: FocusSchedule, after: dt.datetime):
    for at in fires_between(s, after, 10):
        local = at.astimezone(NYZ)
        assert local.weekday() in s.weekdays
        # The wall clock shows the run time, except where it does not exist (spring forward),
        # where the run is shifted forward by the one-hour gap.
        expected = dt.datetime.combine(local.date(), s.run_time)
        shown = local.replace(tzinfo=None)
        assert shown == expected or shown == expected + dt.timedelta(hours=1)


@settings(max_examples=150, deadline=None)
@given(daily_schedules(), instants)
def test_daily_runs_exactly_once_per_chosen_day(s: FocusSchedule, after: dt.datetime):
    fires = fires_between(s, after, 21)
    assert fires == sorted(fires) and len(set(fires)) == len(fires)
    local_days = [f.astimezone(NYZ).date() for f in fires]
    # No chosen day between the first and the last run is skipped, none is doubled.
    day, expected = local_days[0], []
    while day <= local_days[-1]:
        if day.weekday() in s.weekdays:
            expected.append(day)
        day += dt.timedelta(days=1)
    # A shifted run lands on its own date, so dates still match one to one.
    assert local_days == expected


@settings(max_examples=150, deadline=None)
@given(interval_schedules(), instants)
def test_interval_runs_stay_in_window_and_step_evenly(s: FocusSchedule, after: dt.datetime):
    fires = fires_between(s, after, 40)
    step = dt.timedelta(minutes=s.repeat_minutes)
    for at in fires:
        local = at.astimezone(NYZ)
        assert local.weekday() in s.weekdays
        start, end, inclusive = s.window(local.date())
        assert start <= at and (at < end or (inclusive and at == end))
        # Every run is a whole number of steps (elapsed time) after the window opens.
        assert (at - start) % step == dt.timedelta(0)
    assert len(set(fires)) == len(fires) and fires == sorted(fires)


@settings(max_examples=100, deadline=None)
@given(daily_schedules(), st.dates(dt.date(2025, 1, 1), dt.date(2027, 1, 1)), st.integers(0, 40))
def test_start_and_end_dates_bound_every_run(s: FocusSchedule, start: dt.date, days: int):
    bounded = FocusSchedule(
        timezone=NY,
        weekdays=s.weekdays,
        run_time=s.run_time,
        start_date=start,
        end_date=start + dt.timedelta(days=days),
    )
    fires = bounded.upcoming(dt.datetime(2024, 6, 1, tzinfo=UTC), 100)
    expected_days = [
        start + dt.timedelta(days=i)
        for i in range(days + 1)
        if (start + dt.timedelta(days=i)).weekday() in s.weekdays
    ]
    assert [f.astimezone(NYZ).date() for f in fires] == expected_days
    assert bounded.next_fire(dt.datetime.combine(bounded.end_date, dt.time(23, 59), NYZ)) is None


@settings(max_examples=60, deadline=None)
@given(
    st.one_of(daily_schedules(), interval_schedules()),
    st.dates(dt.date(2025, 1, 1), dt.date(2028, 1, 1)),
)
def test_serialize_round_trip(s: FocusSchedule, start: dt.date):
    s = FocusSchedule(**{**s.__dict__, "start_date": start, "end_date": None})
    timetable = FocusJobTimetable(s)
    data = timetable.serialize()
    again = FocusJobTimetable.deserialize(data)
    assert again == timetable
    assert again.serialize() == data


# DST in America/New_York, worked out by hand: 2026-03-08 02:00 EST -> 03:00 EDT,
# 2026-11-01 02:00 EDT -> 01:00 EST.


def test_spring_forward_daily_run_in_the_gap_runs_once_an_hour_later():
    s = FocusSchedule(timezone=NY, weekdays=frozenset(range(7)), run_time=dt.time(2, 30))
    fires = s.upcoming(dt.datetime(2026, 3, 7, 12, tzinfo=UTC), 3)
    assert fires == [
        dt.datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 03:30 EDT: 02:30 does not exist
        dt.datetime(2026, 3, 9, 6, 30, tzinfo=UTC),  # 02:30 EDT
        dt.datetime(2026, 3, 10, 6, 30, tzinfo=UTC),
    ]


def test_a_run_time_carrying_fold_1_means_the_same_wall_clock_time():
    # Found by hypothesis: time(2, 0, fold=1) fired at 01:00 EST on the spring-forward day.
    s = FocusSchedule(timezone=NY, weekdays=frozenset(range(7)), run_time=dt.time(2, 0, fold=1))
    fires = s.upcoming(dt.datetime(2024, 3, 9, 12, tzinfo=UTC), 2)
    assert fires == [
        dt.datetime(2024, 3, 10, 7, 0, tzinfo=UTC),  # 03:00 EDT: 02:00 does not exist
        dt.datetime(2024, 3, 11, 6, 0, tzinfo=UTC),  # 02:00 EDT
    ]


def test_fall_back_daily_run_in_the_repeated_hour_runs_once():
    s = FocusSchedule(timezone=NY, weekdays=frozenset(range(7)), run_time=dt.time(1, 30))
    fires = s.upcoming(dt.datetime(2026, 10, 31, 12, tzinfo=UTC), 3)
    assert fires == [
        dt.datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # 01:30 EDT, the first of the two
        dt.datetime(2026, 11, 2, 6, 30, tzinfo=UTC),  # 01:30 EST
        dt.datetime(2026, 11, 3, 6, 30, tzinfo=UTC),
    ]


def test_fall_back_every_15_minutes_keeps_running_through_the_repeated_hour():
    s = FocusSchedule(timezone=NY, weekdays=frozenset(range(7)), repeat_minutes=15)
    # From 00:50 EDT (04:50Z) on the 25-hour day: 2h15m of elapsed time holds 9 runs.
    fires = s.upcoming(dt.datetime(2026, 11, 1, 4, 50, tzinfo=UTC), 9)
    assert fires == [
        dt.datetime(2026, 11, 1, 5, 0, tzinfo=UTC) + dt.timedelta(minutes=15 * i) for i in range(9)
    ]
    assert [f.astimezone(NYZ).strftime("%H:%M") for f in fires] == [
        "01:00",
        "01:15",
        "01:30",
        "01:45",
        "01:00",
        "01:15",
        "01:30",
        "01:45",
        "02:00",
    ]


def test_spring_forward_every_15_minutes_has_no_gap_in_elapsed_time():
    s = FocusSchedule(timezone=NY, weekdays=frozenset(range(7)), repeat_minutes=15)
    fires = s.upcoming(dt.datetime(2026, 3, 8, 6, 40, tzinfo=UTC), 3)  # 01:40 EST
    assert [f.astimezone(NYZ).strftime("%H:%M") for f in fires] == ["01:45", "03:00", "03:15"]
    assert fires[1] - fires[0] == dt.timedelta(minutes=15)


def test_interval_window_ends_inclusive():
    s = FocusSchedule(
        timezone=NY,
        weekdays=frozenset({0}),
        repeat_minutes=30,
        window_start=dt.time(8, 0),
        window_end=dt.time(9, 0),
    )
    fires = s.upcoming(dt.datetime(2026, 11, 29, tzinfo=UTC), 4)  # Sunday
    local = [f.astimezone(NYZ).strftime("%a %H:%M") for f in fires]
    assert local == ["Mon 08:00", "Mon 08:30", "Mon 09:00", "Mon 08:00"]


def test_next_dagrun_info_without_catchup_starts_from_now_and_then_follows_on():
    s = FocusSchedule(timezone=NY, weekdays=frozenset(range(7)), run_time=dt.time(2, 0))
    tt = FocusJobTimetable(s)
    restriction = TimeRestriction(earliest=pendulum.datetime(2020, 1, 1), latest=None, catchup=True)
    first = tt.next_dagrun_info(last_automated_data_interval=None, restriction=restriction)
    assert first.run_after == pendulum.datetime(2020, 1, 1, 7, 0)  # 02:00 EST
    second = tt.next_dagrun_info(
        last_automated_data_interval=first.data_interval, restriction=restriction
    )
    assert second.run_after == pendulum.datetime(2020, 1, 2, 7, 0)
    no_catchup = TimeRestriction(earliest=pendulum.datetime(2020, 1, 1), latest=None, catchup=False)
    now = dt.datetime.now(UTC)
    upcoming = tt.next_dagrun_info(
        last_automated_data_interval=first.data_interval, restriction=no_catchup
    )
    grace = dt.timedelta(minutes=15)
    assert now - grace <= upcoming.run_after <= now + dt.timedelta(days=1)
    limited = TimeRestriction(
        earliest=pendulum.datetime(2020, 1, 1),
        latest=pendulum.datetime(2020, 1, 1, 6),
        catchup=True,
    )
    assert tt.next_dagrun_info(last_automated_data_interval=None, restriction=limited) is None


def test_manual_run_interval_is_the_trigger_instant():
    tt = FocusJobTimetable(FocusSchedule(timezone=NY, weekdays=frozenset({1}), run_time=dt.time(9)))
    at = pendulum.datetime(2026, 11, 28, 15, 3)
    assert tt.infer_manual_data_interval(run_after=at) == DataInterval(at, at)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekdays": frozenset()}, "weekdays is empty"),
        ({"run_time": None}, "exactly one of run_time and repeat_minutes"),
        ({"repeat_minutes": 15}, "exactly one of run_time and repeat_minutes"),
        ({"timezone": "Mars/Olympus"}, "not an IANA time zone"),
        (
            {"start_date": dt.date(2026, 8, 1), "end_date": dt.date(2026, 1, 1)},
            "end_date 2026-01-01 is before start_date 2026-08-01",
        ),
        (
            {"window_start": dt.time(9), "window_end": dt.time(8)},
            "timeframe end 08:00 is before start 09:00",
        ),
    ],
)
def test_validate_rejects_bad_arguments(kwargs, message):
    base = {"timezone": NY, "weekdays": frozenset({0}), "run_time": dt.time(2)}
    with pytest.raises(AirflowTimetableInvalid, match=message):
        FocusJobTimetable(FocusSchedule(**{**base, **kwargs})).validate()


NO_CATCHUP = TimeRestriction(earliest=pendulum.datetime(2020, 1, 1), latest=None, catchup=False)


def _info_at(monkeypatch, tt: FocusJobTimetable, now: dt.datetime, last_due: dt.datetime):
    import include.timetable as timetable

    monkeypatch.setattr(timetable, "_now", lambda: now)
    last = DataInterval(pendulum.instance(last_due), pendulum.instance(last_due))
    return tt.next_dagrun_info(last_automated_data_interval=last, restriction=NO_CATCHUP)


def test_a_run_due_moments_ago_and_not_created_yet_still_runs(monkeypatch):
    # 200 jobs due at 14:06: the scheduler creates ten runs per loop, and a re-parse in
    # between recomputed the others' next run: they went to the next day (found by the
    # throughput bench).
    tt = FocusJobTimetable(
        FocusSchedule(timezone=NY, weekdays=frozenset(range(7)), run_time=dt.time(14, 6))
    )
    yesterday = dt.datetime(2026, 11, 27, 19, 6, tzinfo=UTC)  # 14:06 EST
    soon = _info_at(monkeypatch, tt, dt.datetime(2026, 11, 28, 19, 6, 40, tzinfo=UTC), yesterday)
    assert soon.run_after == pendulum.datetime(2026, 11, 28, 19, 6)
    late = _info_at(monkeypatch, tt, dt.datetime(2026, 11, 28, 19, 30, tzinfo=UTC), yesterday)
    assert late.run_after == pendulum.datetime(2026, 11, 29, 19, 6)  # missed: not made up
    done = _info_at(
        monkeypatch,
        tt,
        dt.datetime(2026, 11, 28, 19, 6, 40, tzinfo=UTC),
        dt.datetime(2026, 11, 28, 19, 6, tzinfo=UTC),
    )
    assert done.run_after == pendulum.datetime(2026, 11, 29, 19, 6)  # today's already ran


def test_a_repeating_job_behind_runs_only_its_latest_due_run(monkeypatch):
    tt = FocusJobTimetable(
        FocusSchedule(timezone=NY, weekdays=frozenset(range(7)), repeat_minutes=5)
    )
    info = _info_at(
        monkeypatch,
        tt,
        dt.datetime(2026, 11, 28, 15, 12, tzinfo=UTC),
        dt.datetime(2026, 11, 28, 14, 50, tzinfo=UTC),
    )
    assert info.run_after == pendulum.datetime(2026, 11, 28, 15, 10)
