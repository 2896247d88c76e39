"""Address Corrections on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from job_library.jobs.sis.address_corrections import AddressCorrections, correct_street_line
from job_library.schema import student_addresses
from tests.job_library.jobs_context import run_in_transaction


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("123 North Main Street", "123 N Main St"),
        ("123 North Main Street West", "123 N Main St W"),
        ("45 south ocean boulevard", "45 S ocean Blvd"),
        ("500 NORTH-WEST 3RD AVENUE", "500 NW 3RD AVE"),
        ("77 Southeast Palm Drive", "77 SE Palm Dr"),
        ("12 North Street", "12 North St"),  # North is the street's name
        ("9 Court Street", "9 Court St"),  # Court is the name, Street the suffix
        ("88 East Avenue", "88 East Ave"),
        ("7 Broadway", "7 Broadway"),
        ("1 Park Place", "1 Park Pl"),
        ("10 Main St.", "10 Main St."),  # already abbreviated: left alone
        ("123 N Main St", "123 N Main St"),
        ("  4 Elm Lane  ", "4 Elm Ln"),
        ("PO Box 12", "PO Box 12"),
    ],
)
def test_street_line(line, expected):
    assert correct_street_line(line) == expected
    assert correct_street_line(expected) == expected.strip()  # idempotent


ROWS = [
    # student, address, address2, city, state, zip -> expected after the job
    (
        (1, " 123 North Main Street ", "Apt 4 ", " Tallahassee", "FL", "32301"),
        (1, "123 N Main St", "Apt 4", "Tallahassee", "FL", "32301"),
    ),
    (
        (2, "45 South Ocean Boulevard", None, "Palm Beach", "FL ", " 33480"),
        (2, "45 S Ocean Blvd", None, "Palm Beach", "FL", "33480"),
    ),
    (
        (3, "9 Court Street West", None, "North Port", "FL", "34286"),
        (3, "9 Court St W", None, "North Port", "FL", "34286"),
    ),
    (
        (4, "700 NW 3rd Ave", None, "Miami", "FL", "33136"),
        (4, "700 NW 3rd Ave", None, "Miami", "FL", "33136"),
    ),
    ((5, None, None, None, None, None), (5, None, None, None, None, None)),
]
COLS = ("student_id", "address", "address2", "city", "state", "zipcode")


def _load(engine):
    with engine.begin() as conn:
        conn.execute(
            sa.insert(student_addresses), [dict(zip(COLS, r, strict=True)) for r, _ in ROWS]
        )


def _all(engine):
    cols = [student_addresses.c[c] for c in COLS]
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(sa.select(*cols).order_by(student_addresses.c.student_id))
        ]


def test_job_corrects_every_field_and_reports_it(engine):
    _load(engine)
    result = run_in_transaction(engine, AddressCorrections(), AddressCorrections.Params())
    assert _all(engine) == [expected for _, expected in ROWS]
    assert result.success
    assert dict(result.counts) == {"checked": 5, "corrected": 3}
    assert result.summary == "Corrected 3 of 5 address(es)."
    assert "address ' 123 North Main Street ' -> '123 N Main St'" in result.text
    assert "<td>45 South Ocean Boulevard</td><td>45 S Ocean Blvd</td>" in result.html


def test_second_run_changes_nothing_and_says_so(engine):
    _load(engine)
    run_in_transaction(engine, AddressCorrections(), AddressCorrections.Params())
    after_first = _all(engine)
    again = run_in_transaction(engine, AddressCorrections(), AddressCorrections.Params())
    assert _all(engine) == after_first
    assert dict(again.counts) == {"checked": 5, "corrected": 0}
    assert "nothing changed" in again.summary


def test_listing_is_capped_with_the_total(engine):
    _load(engine)
    result = run_in_transaction(
        engine, AddressCorrections(), AddressCorrections.Params(max_listed=1)
    )
    assert result.counts["corrected"] == 3
    assert "... and 2 more (listing capped at 1)." in result.text
    assert result.html.count("<tr><td>") == 3  # the one listed address changed three fields


def test_a_failure_midway_leaves_the_addresses_as_they_were(engine, monkeypatch):
    _load(engine)
    before = _all(engine)
    import job_library.jobs.sis.address_corrections as module

    def broken_report(*args, **kwargs):
        raise RuntimeError("disk full while writing the report")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="disk full"):
        run_in_transaction(engine, AddressCorrections(), AddressCorrections.Params())
    assert _all(engine) == before
