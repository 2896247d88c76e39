"""CTE Pay Period 2 Students on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.fps import cte_pay_period_2 as module
from job_library.jobs.fps.cte_pay_period_2 import CtePayPeriod2, CtePayPeriod2Params
from job_library.schemas.enrollment import student_enrollment
from job_library.schemas.sss import portal_alerts
from tests.job_library.district import (
    ADULT_SCHOOL,
    alerts,
    d,
    load,
    load_adult,
    load_users,
)
from tests.job_library.jobs_context import run_in_transaction

# Thursday 5 Nov, before school. The calendars have nine school days: 2-6, 9, 10, 12, 13 Nov.
THURSDAY = dt.datetime(2026, 11, 5, 7, 0, tzinfo=ZoneInfo("America/New_York"))


def _district(engine) -> None:
    """Adult students: 11 open from 2 Nov (9 days: pay period 1 is 2-6 Nov, 1 of 5 left);
    12 to 5 Nov (4 days: pay period 1 ended 3 Nov); 13 to 10 Nov (7 days: 2-5 Nov, ends
    today, 0 of 4 left); 14 open from 4 Nov (7 days: 4-9 Nov, 2 of 4 left); 15 to 6 Nov
    (5 days: ended 4 Nov); 16 withdrawn 3 Nov; 17 starts 6 Nov."""
    load(engine)
    load_adult(engine)
    load_users(engine)
    se = student_enrollment
    with engine.begin() as conn:
        for enrollment, values in (
            (12, dict(end_date=d(5))),
            (13, dict(end_date=d(10))),
            (14, dict(start_date=d(4))),
            (15, dict(end_date=d(6))),
        ):
            conn.execute(sa.update(se).where(se.c.id == enrollment).values(**values))


def _run(engine, now=THURSDAY, **params):
    params.setdefault("users", [101, 102])
    params.setdefault("schools", [ADULT_SCHOOL])
    return run_in_transaction(engine, CtePayPeriod2(), CtePayPeriod2Params(**params), now=now)


def _message(end: int, left: int, days: int) -> str:
    return (
        f"CTE pay period 2: pay period 1 ends 2026-11-{end:02d} ({left} of {days} school "
        "day(s) left); prepare the second payment."
    )


def test_alerts_each_chosen_user_when_pay_period_one_is_nearly_over(db):
    _district(db)
    result = _run(db, margin=20)
    assert alerts(db, "cte_pay_period_2") == {
        (11, 101): _message(6, 1, 5),  # 1 of 5 is 20%
        (11, 102): _message(6, 1, 5),
        (13, 101): _message(5, 0, 4),  # ends today
        (13, 102): _message(5, 0, 4),
    }
    assert result.success
    assert dict(result.counts) == {"students": 2, "alerts": 4}
    assert result.summary == (
        "Created 4 portal alert(s) about 2 student(s) with 20% or less of pay period 1 left "
        "(school year 2026, as of 2026-11-05)."
    )
    assert "student 13 (Last13, First13), school 3: ends 2026-11-05, 0 of 4 day(s) left" in (
        result.text
    )
    assert (
        "<tr><td>11</td><td>Last11, First11</td><td>3</td>"
        "<td>ends 2026-11-06, 1 of 5 day(s) left</td><td>counselor</td></tr>"
    ) in result.html


def test_margin_and_every_school(db):
    _district(db)
    assert _run(db, margin=10).counts == {"students": 1, "alerts": 2}  # only 13 (0%)
    # 50%: 14 too (2 of 4 left); 11 and 13 are alerted once only.
    assert _run(db, margin=50).counts == {"students": 3, "alerts": 4}
    assert {k[0] for k in alerts(db, "cte_pay_period_2")} == {11, 13, 14}
    # Every school: students 1, 2 and 5 at school 1 are open from 2 Nov like 11; student 3
    # (5-10 Nov: 1 of 2 days left, 50%) is not within 20%.
    everywhere = _run(db, margin=20, schools=[], users=[103])
    assert {k[0] for k in alerts(db, "cte_pay_period_2") if k[1] == 103} == {1, 2, 5, 11, 13}
    assert everywhere.counts == {"students": 5, "alerts": 5}


def test_second_run_changes_nothing_and_says_so(db):
    _district(db)
    _run(db, margin=20)
    again = _run(db, margin=20)
    assert again.counts == {"students": 2, "alerts": 0}
    assert again.summary.endswith("every chosen user was already alerted, nothing changed.")
    assert "<table>" not in again.html
    # The next day 11's last day of pay period 1 is today; it is not alerted twice.
    friday = _run(db, margin=20, now=THURSDAY + dt.timedelta(days=1))
    assert friday.counts == {"students": 1, "alerts": 0}
    # Tuesday 10 Nov: only 17 (from 6 Nov: 5 days, pay period 1 is 6-10 Nov) is alerted.
    tuesday = _run(db, margin=20, now=THURSDAY + dt.timedelta(days=5))
    assert tuesday.counts == {"students": 1, "alerts": 2}
    assert alerts(db, "cte_pay_period_2")[(17, 101)] == _message(10, 0, 3)
    # Friday 13 Nov: pay period 1 is over for everyone; nobody is alerted.
    later = _run(db, margin=20, now=THURSDAY + dt.timedelta(days=8))
    assert later.summary == (
        "No student with 20% or less of pay period 1 left (school year 2026, as of "
        "2026-11-13); nothing changed."
    )


def test_an_alert_before_the_enrollment_began_does_not_count(db):
    _district(db)
    with db.begin() as conn:
        conn.execute(
            sa.insert(portal_alerts),
            [
                dict(
                    student_id=11,
                    alert_type="cte_pay_period_2",
                    user_id=101,
                    school_id=ADULT_SCHOOL,
                    message="last program",
                    created_at=dt.datetime(2026, 10, 1, 9, 0, tzinfo=ZoneInfo("UTC")),
                ),
            ],
        )
    assert _run(db, margin=20).counts["alerts"] == 4


def test_bad_values_are_named_and_nothing_changes(db):
    _district(db)
    result = _run(db, users=[555])
    assert not result.success
    assert result.summary.startswith("users [555]: no such user id")
    assert _run(db, schools=[3, 12]).summary.startswith("schools [12]: no such school id")
    assert alerts(db, "cte_pay_period_2") == {}


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, margin=20, max_listed=1)
    assert result.html.count("<tr><td>") == 1
    assert "... and 3 more (listing capped at 1)." in result.text


def test_a_failure_midway_creates_no_alert(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("killed by the scheduler")

    monkeypatch.setattr(module, "alerts_report", broken_report)
    with pytest.raises(RuntimeError, match="killed by the scheduler"):
        _run(db, margin=20)
    assert alerts(db, "cte_pay_period_2") == {}
    monkeypatch.undo()
    assert _run(db, margin=20).counts["alerts"] == 4


def test_params_form():
    props = CtePayPeriod2Params.model_json_schema()["properties"]
    assert (props["margin"]["title"], props["margin"]["default"]) == ("Time Margin (%)", 10)
    assert props["margin"]["maximum"] == 100
    with pytest.raises(ValueError, match="less than or equal to 100"):
        CtePayPeriod2Params(users=[1], margin=150)
