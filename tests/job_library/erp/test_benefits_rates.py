"""Benefits Rates Update and its retiree twin on SQLite and Postgres, worked out by hand.

The run is on 28 Nov 2026 (district time). Plan MED (active): ages 0-49 300.00, 50-64
450.50, and 50-64 in zip 32301 425.25. Plan RET (retirees): 0-64 350.00, 65-120 200.00.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from job_library.jobs.erp import benefits_rates as module
from job_library.jobs.erp.benefits_rates import (
    BenefitsRatesParams,
    BenefitsRatesUpdate,
    RetireeBenefitsRatesUpdate,
    years_before,
)
from job_library.schema import employees
from job_library.schemas.erp_hr import (
    hr_benefit_enrollments,
    hr_benefit_plans,
    hr_benefit_rates,
    hr_employee_details,
)
from job_library.schemas.finance import finance_audit
from tests.job_library.jobs_context import run_in_transaction

# employee: (birth date, zip code, plan, rate id before, amount before)
PEOPLE = {
    1: (dt.date(1976, 11, 28), "32303", 1, 1, "300.00"),  # 50 today: next band
    2: (dt.date(1976, 11, 29), "32303", 1, 1, "300.00"),  # 50 tomorrow: still 49
    3: (dt.date(1976, 11, 27), "32301-1234", 1, 2, "450.50"),  # 50 since yesterday, zip rate
    4: (None, "32303", 1, 1, "300.00"),  # no birth date
    5: (dt.date(1990, 1, 1), "32301", 1, None, None),  # new enrollment, no rate yet
    6: (dt.date(1926, 1, 1), "32303", 1, 2, "450.50"),  # 100: no band
    7: (dt.date(1961, 11, 28), "32303", 2, 4, "350.00"),  # retiree, 65 today
    8: (dt.date(1961, 11, 29), "32303", 2, 4, "350.00"),  # retiree, 65 tomorrow
}


def _district(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(employees),
            [
                dict(employee_id=i, ein=f"E{i}", first_name=f"First{i}", last_name=f"Last{i}")
                for i in PEOPLE
            ],
        )
        conn.execute(
            sa.insert(hr_employee_details),
            [
                dict(employee_id=i, birth_date=b, zipcode=z, retired=plan == 2)
                for i, (b, z, plan, _r, _a) in PEOPLE.items()
            ],
        )
        conn.execute(
            sa.insert(hr_benefit_plans),
            [
                dict(plan_id=1, code="MED", title="Medical", for_retirees=False),
                dict(plan_id=2, code="RET", title="Retiree medical", for_retirees=True),
            ],
        )
        conn.execute(
            sa.insert(hr_benefit_rates),
            [
                dict(
                    rate_id=i, plan_id=p, min_age=lo, max_age=hi, zipcode=z, monthly_rate=Decimal(m)
                )
                for i, p, lo, hi, z, m in (
                    (1, 1, 0, 49, None, "300"),
                    (2, 1, 50, 64, None, "450.50"),
                    (3, 1, 50, 64, "32301", "425.25"),
                    (4, 2, 0, 64, None, "350"),
                    (5, 2, 65, 120, None, "200"),
                )
            ],
        )
        conn.execute(
            sa.insert(hr_benefit_enrollments),
            [
                dict(
                    enrollment_id=i,
                    employee_id=i,
                    plan_id=plan,
                    rate_id=rate,
                    monthly_rate=None if amount is None else Decimal(amount),
                )
                for i, (_b, _z, plan, rate, amount) in PEOPLE.items()
            ],
        )


def _rates(engine) -> dict[int, tuple]:
    e = hr_benefit_enrollments
    with engine.connect() as conn:
        rows = conn.execute(sa.select(e.c.enrollment_id, e.c.rate_id, e.c.monthly_rate)).all()
    return {i: (r, None if a is None else f"{Decimal(a):.2f}") for i, r, a in rows}


def _log(engine) -> list[tuple]:
    """The finance audit rows: (record, (rate id, rate) before, after, who, job key)."""
    c = finance_audit

    def rate(values):
        v = json.loads(values)
        return (v["rate_id"], v["monthly_rate"])

    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                c.c.table_name,
                c.c.change,
                c.c.record_id,
                c.c.old_values,
                c.c.new_values,
                c.c.changed_by,
                c.c.job_key,
            ).order_by(c.c.audit_id)
        ).all()
    assert {(r.table_name, r.change) for r in rows} <= {("hr_benefit_enrollments", "update")}
    return [
        (r.record_id, rate(r.old_values), rate(r.new_values), r.changed_by, r.job_key) for r in rows
    ]


BEFORE = {i: (r, a) for i, (_b, _z, _p, r, a) in PEOPLE.items()}
WHO = "job test-job"
KEY = "benefits_rates_update"


def _run(engine, job=None, **params):
    return run_in_transaction(engine, job or BenefitsRatesUpdate(), BenefitsRatesParams(**params))


def test_ages_and_zip_codes_set_the_active_employees_rates(db):
    _district(db)
    result = _run(db)
    assert _rates(db) == {
        **BEFORE,
        1: (2, "450.50"),
        3: (3, "425.25"),
        5: (1, "300.00"),
    }
    assert result.success
    assert dict(result.counts) == {"checked": 6, "changed": 3, "unrated": 2}
    assert result.summary == (
        "Checked 6 employee benefit enrollment(s): 3 rate(s) changed, 2 could not be rated."
    )
    assert "enrollment 1 (Last1, First1, plan MED): 300.00 -> 450.50" in result.text
    assert "enrollment 5 (Last5, First5, plan MED): - -> 300.00" in result.text
    assert "not rated: enrollment 4 (Last4, First4, plan MED): no birth date on file" in result.text
    assert (
        "not rated: enrollment 6 (Last6, First6, plan MED): no rate band for this age and zip code"
    ) in result.text
    assert "<td>6</td><td>Last6, First6</td><td>MED</td>" in result.html
    assert _log(db) == [
        (1, (1, "300.00"), (2, "450.50"), WHO, KEY),
        (3, (2, "450.50"), (3, "425.25"), WHO, KEY),
        (5, (None, None), (1, "300.00"), WHO, KEY),
    ]


def test_the_retiree_job_moves_only_retiree_plans(db):
    _district(db)
    result = _run(db, RetireeBenefitsRatesUpdate())
    assert _rates(db) == {**BEFORE, 7: (5, "200.00")}
    assert dict(result.counts) == {"checked": 2, "changed": 1, "unrated": 0}
    assert "enrollment 7 (Last7, First7, plan RET): 350.00 -> 200.00" in result.text
    assert _log(db) == [(7, (4, "350.00"), (5, "200.00"), WHO, "retiree_benefits_rates_update")]


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert dict(again.counts) == {"checked": 6, "changed": 0, "unrated": 2}
    assert len(_log(db)) == 3


def test_a_birthday_tomorrow_moves_the_rate_tomorrow(db):
    _district(db)
    import datetime as _dt
    from zoneinfo import ZoneInfo

    tomorrow = _dt.datetime(2026, 11, 29, 2, 0, tzinfo=ZoneInfo("America/New_York"))
    result = run_in_transaction(db, BenefitsRatesUpdate(), BenefitsRatesParams(), now=tomorrow)
    assert _rates(db)[2] == (2, "450.50")
    assert result.counts["changed"] == 4


def test_leap_day_birthdays_age_on_the_first_of_march():
    assert years_before(dt.date(2028, 2, 29), 1) == dt.date(2027, 2, 28)
    # Born 29 Feb 2000: on 28 Feb 2050 the cutoff for 50 is 28 Feb 2000 (not yet 50) ...
    assert years_before(dt.date(2050, 2, 28), 50) < dt.date(2000, 2, 29)
    # ... and on 1 Mar 2050 it is 1 Mar 2000 (50).
    assert years_before(dt.date(2050, 3, 1), 50) > dt.date(2000, 2, 29)


def test_overlapping_bands_stop_the_run_and_say_which(db):
    _district(db)
    with db.begin() as conn:
        conn.execute(
            sa.insert(hr_benefit_rates),
            [dict(rate_id=6, plan_id=1, min_age=45, max_age=55, monthly_rate=Decimal("1"))],
        )
    result = _run(db)
    assert not result.success
    assert result.summary == (
        "Nothing changed: the employee benefit rate table needs fixing first: rate 6 (plan "
        "MED): ages 45-55 overlap rate 1 (ages 0-49); rate 2 (plan MED): ages 50-64 overlap "
        "rate 6 (ages 45-55)."
    )
    assert _rates(db) == BEFORE and _log(db) == []


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("450.50</td>") == 1
    assert "... and 2 more (listing capped at 1)." in result.text


def test_a_failure_midway_leaves_the_rates_as_they_were(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "rates_report", broken_report)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _rates(db) == BEFORE and _log(db) == []


def test_moving_into_a_zip_code_with_its_own_rate_changes_the_rate(db):
    _district(db)
    _run(db)
    with db.begin() as conn:
        conn.execute(
            sa.update(hr_employee_details)
            .where(hr_employee_details.c.employee_id == 1)
            .values(zipcode="32301")
        )
    result = _run(db)
    assert _rates(db)[1] == (3, "425.25")
    assert result.counts["changed"] == 1
    assert _log(db)[-1] == (1, (2, "450.50"), (3, "425.25"), WHO, KEY)


def test_a_retired_flag_that_does_not_fit_the_plan_is_listed_not_rerated(db):
    """Employee 1 (50 today, active plan) is marked retired and retiree 7 (65 today,
    retiree plan) is not: neither enrollment moves, both are listed with the reason."""
    _district(db)
    with db.begin() as conn:
        d = hr_employee_details
        conn.execute(sa.update(d).where(d.c.employee_id == 1).values(retired=True))
        conn.execute(sa.update(d).where(d.c.employee_id == 7).values(retired=False))
    active = _run(db)
    assert _rates(db) == {**BEFORE, 3: (3, "425.25"), 5: (1, "300.00")}
    assert dict(active.counts) == {"checked": 6, "changed": 2, "unrated": 3}
    assert (
        "not rated: enrollment 1 (Last1, First1, plan MED): retired, but enrolled in an "
        "active-employee plan: not re-rated"
    ) in active.text
    retirees = _run(db, RetireeBenefitsRatesUpdate())
    assert _rates(db)[7] == (4, "350.00")
    assert dict(retirees.counts) == {"checked": 2, "changed": 0, "unrated": 1}
    assert (
        "not rated: enrollment 7 (Last7, First7, plan RET): not retired, but enrolled in a "
        "retiree plan: not re-rated"
    ) in retirees.text
    assert [r[0] for r in _log(db)] == [3, 5]
