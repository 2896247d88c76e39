"""Database Object Report on SQLite and Postgres: each date boundary, worked out by hand.

The run is on 28 Nov 2026. Position T-100 runs from 1 Aug 2020 with no end; A-200 from
1 Aug 2024 to 30 Jun 2027.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from job_library.jobs.erp.database_object_report import (
    DatabaseObjectReport,
    DatabaseObjectReportParams,
)
from job_library.schema import employees
from job_library.schemas.erp_hr import hr_position_allocations, hr_positions
from tests.job_library.jobs_context import run_in_transaction

D = dt.date
# allocation: (position, start, end)
ALLOCATIONS = {
    1: (1, D(2020, 8, 1), None),  # starts the day the position starts: fits
    2: (1, D(2020, 7, 31), None),  # one day before the position
    3: (2, D(2024, 8, 1), D(2027, 6, 30)),  # exactly the position's dates: fits
    4: (2, D(2024, 8, 1), D(2027, 7, 1)),  # one day past the position's end
    5: (2, D(2024, 8, 1), None),  # open under a position that ends
    6: (2, D(2027, 1, 10), D(2027, 1, 5)),  # ends before it starts
    7: (1, D(2019, 1, 1), D(2026, 11, 27)),  # starts early, ended yesterday
    8: (1, D(2019, 1, 1), D(2026, 11, 28)),  # starts early, ends today
}


def _district(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(employees),
            [
                dict(employee_id=i, ein=f"E{i}", first_name=f"First{i}", last_name=f"Last{i}")
                for i in ALLOCATIONS
            ],
        )
        conn.execute(
            sa.insert(hr_positions),
            [
                dict(
                    position_id=1,
                    number="T-100",
                    title="Teacher",
                    start_date=D(2020, 8, 1),
                    end_date=None,
                ),
                dict(
                    position_id=2,
                    number="A-200",
                    title="Aide",
                    start_date=D(2024, 8, 1),
                    end_date=D(2027, 6, 30),
                ),
            ],
        )
        conn.execute(
            sa.insert(hr_position_allocations),
            [
                dict(
                    allocation_id=i,
                    position_id=p,
                    employee_id=i,
                    account="1000-100",
                    percent=100,
                    start_date=s,
                    end_date=e,
                )
                for i, (p, s, e) in ALLOCATIONS.items()
            ],
        )


def _run(engine, **params):
    return run_in_transaction(engine, DatabaseObjectReport(), DatabaseObjectReportParams(**params))


def _listed(result) -> list[str]:
    return [line for line in result.text.splitlines() if line.startswith("  allocation")]


def test_allocations_outside_their_position_are_reported(db):
    _district(db)
    result = _run(db)
    assert result.success
    assert dict(result.counts) == {"checked": 7, "mismatched": 5}
    assert result.summary == (
        "Checked 7 position allocation(s): 5 have dates that do not match their position."
    )
    assert _listed(result) == [
        "  allocation 4 (Last4, First4, position A-200): ends 2027-07-01, after the position "
        "ends 2027-06-30",
        "  allocation 5 (Last5, First5, position A-200): has no end date, but the position "
        "ends 2027-06-30",
        "  allocation 6 (Last6, First6, position A-200): allocation ends 2027-01-05 before it "
        "starts 2027-01-10",
        "  allocation 2 (Last2, First2, position T-100): starts 2020-07-31, before the "
        "position starts 2020-08-01",
        "  allocation 8 (Last8, First8, position T-100): starts 2019-01-01, before the "
        "position starts 2020-08-01",
    ]
    assert "<td>4</td><td>A-200 Aide</td><td>Last4, First4</td><td>2024-08-01</td>" in (result.html)


def test_ended_allocations_on_request_and_nothing_changes(db):
    _district(db)
    result = _run(db, include_ended=True)
    assert dict(result.counts) == {"checked": 8, "mismatched": 6}
    assert any(line.startswith("  allocation 7 ") for line in _listed(result))
    again = _run(db, include_ended=True)
    assert again.text == result.text


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert len(_listed(result)) == 2
    assert "... and 3 more (listing capped at 2)." in result.text


def test_no_positions_no_mismatches(db):
    result = _run(db)
    assert dict(result.counts) == {"checked": 0, "mismatched": 0}
    assert "<table>" not in result.html
