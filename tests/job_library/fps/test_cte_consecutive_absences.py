"""CTE Consecutive Absences on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.fps import cte_consecutive_absences as module
from job_library.jobs.fps.cte_consecutive_absences import (
    CteConsecutiveAbsences,
    CteConsecutiveAbsencesParams,
)
from job_library.schemas.attendance import attendance_period
from job_library.schemas.sss import portal_alerts
from tests.job_library.district import (
    ADULT_PERIOD,
    ADULT_SCHOOL,
    DAYS,
    A,
    E,
    S,
    T,
    alerts,
    d,
    load,
    load_adult,
    load_users,
)
from tests.job_library.jobs_context import run_in_transaction

SATURDAY = dt.datetime(2026, 11, 14, 2, 0, tzinfo=ZoneInfo("America/New_York"))


def _district(engine) -> None:
    load(engine)
    load_adult(engine)
    load_users(engine)
    marks = [
        *((11, day, A) for day in (d(10), d(12), d(13))),  # three: alert
        (12, d(9), E),  # four, excused and unexcused mixed: alert
        *((12, day, A) for day in (d(10), d(12), d(13))),
        *((13, day, A) for day in (d(12), d(13))),  # two: too few
        (14, d(9), A),
        (14, d(10), A),
        (14, d(12), T),  # a tardy is not a chosen code: the run ends
        (14, d(13), A),
        *((15, day, S) for day in (d(10), d(12), d(13))),  # suspension: not chosen
        *((16, day, A) for day in DAYS),  # withdrawn 3 Nov: not active
        *((17, day, A) for day in DAYS),  # enrolled 6 Nov: five school days
    ]
    rows = [
        dict(student_id=s, school_date=day, period_id=ADULT_PERIOD, attendance_code=code)
        for s, day, code in marks
    ]
    # Student 1 at the regular school misses period 1 three school days running (the
    # 11 Nov holiday in between is no school day).
    rows += [
        dict(student_id=1, school_date=day, period_id=11, attendance_code=A)
        for day in (d(10), d(12), d(13))
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(attendance_period), rows)


def _run(engine, now=SATURDAY, **params):
    params.setdefault("users", [101, 102])
    params.setdefault("codes", ["A", "E"])
    return run_in_transaction(
        engine, CteConsecutiveAbsences(), CteConsecutiveAbsencesParams(**params), now=now
    )


def _message(days: int, since: int) -> str:
    return (
        f"CTE consecutive absences: absent {days} consecutive school day(s) with code(s) A, E "
        f"since 2026-11-{since:02d} (through 2026-11-13)."
    )


EXPECTED = {
    (student, user): _message(days, since)
    for student, days, since in ((1, 3, 10), (11, 3, 10), (12, 4, 9), (17, 5, 6))
    for user in (101, 102)
}


def test_alerts_each_chosen_user_about_each_run_of_absences(db):
    _district(db)
    result = _run(db)
    assert alerts(db, "cte_absences") == EXPECTED
    assert result.success
    assert dict(result.counts) == {"students": 4, "alerts": 8}
    assert result.summary == (
        "Created 8 portal alert(s) about 4 student(s) absent 3+ consecutive school day(s) "
        "with code(s) A, E (school year 2026, school days through 2026-11-13)."
    )
    assert "student 12 (Last12, First12), school 3: 4 day(s) since 2026-11-09 -> counselor" in (
        result.text
    )
    assert (
        "<tr><td>17</td><td>Last17, First17</td><td>3</td><td>5 day(s) since 2026-11-06</td>"
        "<td>registrar</td></tr>"
    ) in result.html
    with db.connect() as conn:
        schools = conn.execute(
            sa.select(portal_alerts.c.student_id, portal_alerts.c.school_id).distinct()
        ).all()
    assert sorted(schools) == [(1, 1), (11, 3), (12, 3), (17, 3)]


def test_one_alert_per_run_of_absences_and_user(db):
    _district(db)
    at = dict(alert_type="cte_absences", message="earlier", school_id=ADULT_SCHOOL)
    with db.begin() as conn:
        conn.execute(
            sa.insert(portal_alerts),
            [
                # During student 11's current run (since 10 Nov): not repeated.
                dict(at, student_id=11, user_id=101, created_at=SATURDAY - dt.timedelta(days=1)),
                # About an earlier run of student 12 (this one began 9 Nov): alerted again.
                dict(at, student_id=12, user_id=101, created_at=SATURDAY - dt.timedelta(days=8)),
            ],
        )
    first = _run(db)
    assert first.counts == {"students": 4, "alerts": 7}
    assert alerts(db, "cte_absences")[(11, 101)] == "earlier"
    again = _run(db)
    assert again.counts == {"students": 4, "alerts": 0}
    assert again.summary.startswith("Found 4 student(s) absent 3+ consecutive")
    assert again.summary.endswith("every chosen user was already alerted, nothing changed.")
    assert "<table>" not in again.html
    # A user added to the job later is alerted about the runs still going on.
    added = _run(db, users=[101, 103])
    assert added.counts == {"students": 4, "alerts": 4}
    assert {k for k in alerts(db, "cte_absences") if k[1] == 103} == {
        (1, 103),
        (11, 103),
        (12, 103),
        (17, 103),
    }


def test_days_codes_schools_and_today(db):
    _district(db)
    # Only unexcused: student 12's run starts 10 Nov (the 9 Nov excused day breaks it).
    result = _run(db, codes=["A"], days=4, schools=[ADULT_SCHOOL])
    assert set(alerts(db, "cte_absences")) == {(17, 101), (17, 102)}
    assert result.counts == {"students": 1, "alerts": 2}
    # Friday noon: counts through Thursday 12 Nov.
    friday = dt.datetime(2026, 11, 13, 12, 0, tzinfo=ZoneInfo("America/New_York"))
    with db.begin() as conn:
        conn.execute(portal_alerts.delete())
    _run(db, now=friday, days=2, users=[103])
    assert set(alerts(db, "cte_absences")) == {(1, 103), (11, 103), (12, 103), (17, 103)}


def test_bad_values_are_named_and_nothing_changes(db):
    _district(db)
    unknown_user = _run(db, users=[101, 999])
    assert not unknown_user.success
    assert unknown_user.summary == (
        "users [999]: no such user id; pick the users to alert from the Users list. "
        "No alert was created."
    )
    assert _run(db, codes=["A", "ZZ"]).summary.startswith(
        "absence codes ['ZZ']: no attendance code with that short name in school year 2026"
    )
    assert _run(db, codes=["A", "T"]).summary.startswith(
        "absence codes ['T']: not absence codes (they are tardy)"
    )
    assert _run(db, schools=[4]).summary.startswith("schools [4]: no such school id")
    assert alerts(db, "cte_absences") == {}


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=3)
    assert result.html.count("<tr><td>") == 3
    assert "... and 5 more (listing capped at 3)." in result.text
    assert "<p>5 more not listed.</p>" in result.html


def test_a_failure_midway_creates_no_alert(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("mail relay down while reporting")

    monkeypatch.setattr(module, "alerts_report", broken_report)
    with pytest.raises(RuntimeError, match="mail relay down"):
        _run(db)
    assert alerts(db, "cte_absences") == {}
    monkeypatch.undo()
    assert _run(db).counts["alerts"] == 8


def test_params_form():
    props = CteConsecutiveAbsencesParams.model_json_schema()["properties"]
    assert props["users"]["items"] == {"type": "integer"}
    assert props["codes"]["items"] == {"type": "string"}
    assert (props["days"]["title"], props["days"]["default"]) == ("# of days", 3)
    with pytest.raises(ValueError, match="at least 1 item"):
        CteConsecutiveAbsencesParams(users=[], codes=["A"])
