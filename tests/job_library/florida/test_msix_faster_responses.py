"""Outgoing MSIX FASTER Responses on SQLite and Postgres, with arrival dates worked by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.florida import msix_faster_responses as module
from job_library.jobs.florida.msix_faster_responses import (
    MsixFasterParams,
    OutgoingMsixFasterResponses,
    years_before,
)
from job_library.schemas.florida_reporting import faster_responses, migrant_records
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

# Run on Sat 28 Nov 2026: with X = 3 the window is 28 Nov 2023 .. 28 Nov 2026.
NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))
ENTRIES = [
    # student, year, QAD, MSIX ID
    (1, 2026, dt.date(2023, 11, 28), "  "),  # exactly 3 years: in; blank id counts as missing
    (2, 2026, dt.date(2023, 11, 27), None),  # 3 years and a day: out
    (3, 2026, dt.date(2026, 11, 28), "000123456789"),  # the run date: in (has an id)
    (4, 2026, None, None),  # no arrival date: listed
    (5, 2026, dt.date(2026, 11, 29), None),  # after the run date: listed
    (6, 2025, dt.date(2025, 1, 6), None),  # another school year
]


def _district(engine) -> None:
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(migrant_records),
            [
                dict(student_id=s, syear=y, qualifying_arrival_date=q, msix_id=m)
                for s, y, q, m in ENTRIES
            ],
        )


def _run(engine, now=NOW, **params):
    return run_in_transaction(
        engine, OutgoingMsixFasterResponses(), MsixFasterParams(**params), now=now
    )


def _responses(engine) -> set[tuple]:
    t = faster_responses
    with engine.connect() as conn:
        return {
            tuple(r)
            for r in conn.execute(
                sa.select(
                    t.c.student_id, t.c.syear, t.c.qualifying_arrival_date, t.c.msix_id, t.c.status
                )
            )
        }


def test_window_includes_exactly_x_years_and_the_run_date(db):
    _district(db)
    result = _run(db)
    assert _responses(db) == {
        (1, 2026, dt.date(2023, 11, 28), "  ", "pending"),
        (3, 2026, dt.date(2026, 11, 28), "000123456789", "pending"),
    }
    assert result.success
    assert result.counts == {"created": 2, "left_out": 2}
    assert result.summary == (
        "Queued 2 outgoing MSIX FASTER response(s) (MSIX school year 2026, arrival 2023-11-28 "
        "to 2026-11-28). 2 migrant entr(ies) left out (listed)."
    )
    assert "  student 1 (Last1, First1): QAD 2023-11-28, MSIX ID   " in result.text
    assert "  left out: student 4 (Last4, First4): no qualifying arrival date" in result.text
    assert (
        "  left out: student 5 (Last5, First5): qualifying arrival date 2026-11-29 is after "
        "the run date" in result.text
    )
    assert "<td>4</td><td>Last4, First4</td><td>no qualifying arrival date</td>" in result.html


def test_only_missing_msix_id_and_another_year_and_a_second_run(db):
    _district(db)
    only = _run(db, only_missing_msix_id=True)
    assert only.counts == {"created": 1, "left_out": 2}
    assert _responses(db) == {(1, 2026, dt.date(2023, 11, 28), "  ", "pending")}
    assert _run(db).counts == {"created": 1, "left_out": 2}  # student 3 now
    again = _run(db)
    assert again.counts == {"created": 0, "left_out": 2}
    assert len(_responses(db)) == 2
    older = _run(db, msix_syear=2025, qad_within_years=1)  # 28 Nov 2025 .. : 6 Jan 2025 is out
    assert older.counts == {"created": 0, "left_out": 0}
    wider = _run(db, msix_syear=2025, qad_within_years=2)  # 28 Nov 2024 ..: in
    assert wider.counts == {"created": 1, "left_out": 0}
    assert (6, 2025, dt.date(2025, 1, 6), None, "pending") in _responses(db)


def test_a_wider_window_reaches_the_older_arrival(db):
    _district(db)
    # 27 Nov 2023 is exactly 3 years before 27 Nov 2026: in the day before.
    result = _run(db, now=NOW - dt.timedelta(days=1))
    assert {r[0] for r in _responses(db)} == {1, 2}
    # Students 3 (28 Nov) and 5 (29 Nov) arrive after that run date; 4 has no date.
    assert result.counts == {"created": 2, "left_out": 3}


def test_unknown_year_is_named_and_nothing_changes(db):
    _district(db)
    result = _run(db, msix_syear=2031)
    assert not result.success
    assert result.summary == (
        "MSIX school year 2031: no such school year; add it under School Years or pick "
        "another. No response was created."
    )
    assert _responses(db) == set()


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert result.html.count("<tr><td>") == 2  # one response, one left-out entry
    assert "... and 1 more (listing capped at 1)." in result.text


def test_a_failure_midway_leaves_nothing_queued(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("connection lost while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="connection lost"):
        _run(db)
    assert _responses(db) == set()


def test_years_before_and_bounds():
    assert years_before(dt.date(2026, 11, 28), 3) == dt.date(2023, 11, 28)
    assert years_before(dt.date(2028, 2, 29), 1) == dt.date(2027, 2, 28)
    assert years_before(dt.date(2028, 2, 29), 4) == dt.date(2024, 2, 29)
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        MsixFasterParams(qad_within_years=0)
