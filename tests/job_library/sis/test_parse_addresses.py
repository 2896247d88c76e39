"""Parse Addresses on SQLite and Postgres, with values worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import parse_addresses as module
from job_library.jobs.sis.parse_addresses import (
    CatalogStreets,
    ParseAddresses,
    ParseAddressesParams,
    ParsedStreet,
    parse_street,
)
from job_library.jobs.sis.set_zoned_school import SetZonedSchool, SetZonedSchoolParams
from job_library.schema import student_addresses
from job_library.schemas.addresses import address_catalog, address_parsed
from job_library.schemas.district import school_years
from job_library.schemas.enrollment import student_enrollment, students
from tests.job_library.district import G05, enrollment_values, load, load_zoning
from tests.job_library.jobs_context import run_in_transaction
from tests.job_library.sis.test_set_zoned_school import EXPECTED as ZONED

FIRST_RUN = dt.datetime(2026, 11, 28, 7, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 11, 29, 7, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("address", "address2", "zipcode", "expected"),
    [
        (
            " 123 North Main Street ",
            "Apt 4",
            "32301",
            ParsedStreet(123, "N", "MAIN", "ST", None, "APT 4", "32301"),
        ),
        (
            "9 Court Street West",
            None,
            "34286",
            ParsedStreet(9, None, "COURT", "ST", "W", None, "34286"),
        ),
        (
            "700 NW 3rd Ave",
            None,
            " 33136 ",
            ParsedStreet(700, "NW", "3RD", "AVE", None, None, "33136"),
        ),
        # The street's own name is not a direction; a unit in the line wins over address2.
        (
            "12 North Street Unit 5",
            "Apt 9",
            "32301-1234",
            ParsedStreet(12, None, "NORTH", "ST", None, "UNIT 5", "32301-1234"),
        ),
        # A ZIP in the line is used when the zipcode field is empty.
        (
            "55 Buck Lake Rd 32317",
            None,
            "",
            ParsedStreet(55, None, "BUCK LAKE", "RD", None, None, "32317"),
        ),
        (
            "PO Box 77",
            None,
            "32301",
            ParsedStreet(error="'PO Box 77' is a PO box: it has no street to zone"),
        ),
        (
            "Main St",
            None,
            "32301",
            ParsedStreet(
                None, None, "MAIN", "ST", None, None, "32301", "no house number in 'Main St'"
            ),
        ),
        (
            "12 Oak St",
            None,
            "3230",
            ParsedStreet(
                12, None, "OAK", "ST", None, None, None, "zipcode '3230' is not a 5-digit ZIP code"
            ),
        ),
        (
            "12 Oak St",
            None,
            None,
            ParsedStreet(12, None, "OAK", "ST", None, None, None, "no zipcode"),
        ),
        ("   ", None, "32301", ParsedStreet(error="no street address")),
    ],
)
def test_parse_street_splits_the_parts_and_abbreviates(address, address2, zipcode, expected):
    assert parse_street(address, address2, zipcode) == expected


def test_the_catalog_decides_between_readings():
    catalog = CatalogStreets()
    catalog.add(None, "NORTH RIVER", "RD", None, "32301")
    catalog.add(None, "Capital Circle", "NE", None, "32308")
    catalog.add(None, "TENNESSEE", "ST", None, "32304")
    catalog.add("N", "MONROE", "ST", None, "32303")
    catalog.add(None, "MAHAN", "DR", None, "32308")
    catalog.add(None, "MAHAN", "CT", None, "32308")

    def fit(line: str, zipcode: str) -> tuple[tuple, bool]:
        parsed, found = catalog.fit(parse_street(line, None, zipcode))
        return parsed.street(), found

    # As parsed: direction N, name MONROE.
    assert fit("5 North Monroe Street", "32303") == (("N", "MONROE", "ST", "", "32303"), True)
    # Parsed as direction N + name RIVER; the catalog has NORTH RIVER as the name.
    assert fit("5 North River Road", "32301") == (("", "NORTH RIVER", "RD", "", "32301"), True)
    # Parsed as CAPITAL + CIR + NE (post-direction); the catalog's odd reading is kept.
    assert fit("1 Capital Circle NE", "32308") == (("", "CAPITAL CIRCLE", "NE", "", "32308"), True)
    # No street type: the one TENNESSEE of that ZIP.
    assert fit("5 Tennessee", "32304") == (("", "TENNESSEE", "ST", "", "32304"), True)
    # No street type and two MAHANs in the ZIP: left as parsed, not in the catalog.
    assert fit("5 Mahan", "32308") == (("", "MAHAN", "", "", "32308"), False)
    # Same words in another ZIP: not in the catalog.
    assert fit("5 North River Road", "32303") == (("N", "RIVER", "RD", "", "32303"), False)


def _district(engine) -> None:
    """``load_zoning`` without its hand-parsed rows, plus (address: student, line, zip):
    33: 30 "PO Box 9" (unreadable); 34: 26 "9 Maple Dr" 32301 (no such street in the
    catalog); 35: 31 "77 N Oak Ave" 32302, student 31 enrolled only in 2025."""
    load(engine)
    load_zoning(engine)
    with engine.begin() as conn:
        conn.execute(address_parsed.delete())
        conn.execute(
            sa.insert(students), [dict(student_id=31, first_name="First31", last_name="Last31")]
        )
        conn.execute(
            sa.insert(student_enrollment),
            [
                dict(
                    id=40,
                    student_id=31,
                    syear=2025,
                    school_id=1,
                    calendar_id=3,
                    grade_id=G05,
                    start_date=dt.date(2025, 8, 10),
                    end_date=dt.date(2026, 5, 28),
                )
            ],
        )
        conn.execute(
            sa.insert(student_addresses),
            [
                dict(address_id=33, student_id=30, address="PO Box 9", zipcode="32301"),
                dict(address_id=34, student_id=26, address="9 Maple Dr", zipcode="32301"),
                dict(address_id=35, student_id=31, address="77 N Oak Ave", zipcode="32302"),
            ],
        )


# The parses of the 2026 students' addresses (see load_zoning for the lines as entered):
# address -> (number, pre, name, type, post, unit, zip, in catalog, problem).
PARSED_2026 = {
    21: (11, None, "MAIN", "ST", None, None, "32301", True, None),
    22: (12, None, "MAIN", "ST", None, None, "32301-1234", True, None),  # "12 main St"
    23: (12, None, "MAIN", "ST", None, None, "32301", True, None),
    24: (155, "N", "OAK", "AVE", None, None, "32302", True, None),
    25: (5, None, "ELM", "RD", None, None, "32303", True, None),
    26: (300, None, "MAIN", "ST", None, None, "32301", True, None),  # street in the catalog
    27: (11, None, "MAIN", "ST", None, None, "32301", True, None),
    28: (11, None, "MAIN", "ST", None, None, "32301", True, None),
    29: (11, None, "MAIN", "ST", None, None, "32301", True, None),
    31: (10, None, "PINE", "ST", None, None, "32301", True, None),
    32: (12, None, "MAIN", "ST", None, None, "32301", True, None),
    33: (None,) * 7 + (False, "'PO Box 9' is a PO box: it has no street to zone"),
    34: (9, None, "MAPLE", "DR", None, None, "32301", False, None),
}


def _parsed(engine) -> dict[int, tuple]:
    p = address_parsed
    columns = [
        p.c.house_number,
        p.c.pre_direction,
        p.c.street_name,
        p.c.street_type,
        p.c.post_direction,
        p.c.unit,
        p.c.zipcode,
        p.c.in_catalog,
        p.c.parse_error,
    ]
    with engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(sa.select(p.c.address_id, *columns))}


def _parsed_at(engine) -> dict[int, dt.datetime]:
    p = address_parsed
    with engine.connect() as conn:
        rows = conn.execute(sa.select(p.c.address_id, p.c.parsed_at)).all()
    return {a: (t if t.tzinfo else t.replace(tzinfo=dt.UTC)) for a, t in rows}


def _run(engine, *, now=FIRST_RUN, **params):
    return run_in_transaction(engine, ParseAddresses(), ParseAddressesParams(**params), now=now)


def test_parses_the_addresses_of_the_default_year(db):
    _district(db)
    result = _run(db)
    assert _parsed(db) == PARSED_2026  # 35 (student 31, 2025 only) is not parsed
    assert set(_parsed_at(db).values()) == {FIRST_RUN}
    assert result.success
    # 13 addresses of students enrolled in 2026, all new; 34 not in the catalog, 33 a PO box.
    assert dict(result.counts) == {
        "considered": 13,
        "parsed": 13,
        "changed": 13,
        "not_in_catalog": 1,
        "unreadable": 1,
    }
    assert result.summary == (
        "13 address(es) of students enrolled in 2026: 13 parsed, 0 unchanged since their last "
        "parse against this Address Catalog. 13 parse(s) new or changed; of those parsed, 1 "
        "street(s) not in the Address Catalog and 1 address(es) that cannot be parsed."
    )
    assert (
        "  address 22, student 22: '12 main St 32301-1234' -> 12 MAIN ST 32301-1234 [new]"
    ) in result.text
    assert (
        "address 34, student 26: '9 Maple Dr 32301' -> 9 MAPLE DR 32301 [new] (not in the catalog)"
        in result.text
    )
    assert (
        "<td>33</td><td>30</td><td>PO Box 9 32301</td><td>new</td><td></td><td>no</td>"
        in result.html
    )


def test_only_the_selected_years_are_parsed(db):
    _district(db)
    result = _run(db, years=[2025])
    # Only student 31 (and student 1, without an address) is enrolled in 2025.
    assert _parsed(db) == {35: (77, "N", "OAK", "AVE", None, None, "32302", True, None)}
    assert dict(result.counts)["considered"] == 1
    both = _run(db, years=[2026, 2025])
    assert dict(both.counts) == {
        "considered": 14,
        "parsed": 13,  # 35 is already parsed
        "changed": 13,
        "not_in_catalog": 1,
        "unreadable": 1,
    }
    assert both.summary.startswith("14 address(es) of students enrolled in 2025, 2026: 13 parsed")


def test_second_run_parses_nothing_and_says_so(db):
    _district(db)
    _run(db)
    again = _run(db, now=LATER)
    assert _parsed(db) == PARSED_2026
    assert set(_parsed_at(db).values()) == {FIRST_RUN}  # nothing was parsed again
    assert dict(again.counts) == {
        "considered": 13,
        "parsed": 0,
        "changed": 0,
        "not_in_catalog": 0,
        "unreadable": 0,
    }
    assert again.summary == (
        "13 address(es) of students enrolled in 2026: 0 parsed, 13 unchanged since their last "
        "parse against this Address Catalog; nothing changed."
    )
    assert "<table>" not in again.html


def test_a_changed_address_is_parsed_again(db):
    _district(db)
    _run(db)
    with db.begin() as conn:
        a = student_addresses
        conn.execute(
            sa.update(a).where(a.c.address_id == 24).values(address="160 North Oak Avenue")
        )
        # Only spaces differ: parsed again, same parts.
        conn.execute(sa.update(a).where(a.c.address_id == 21).values(address=" 11 MAIN ST "))
        conn.execute(sa.update(a).where(a.c.address_id == 33).values(address2="Apt 1"))
    result = _run(db, now=LATER)
    expected = dict(PARSED_2026)
    expected[24] = (160, "N", "OAK", "AVE", None, None, "32302", True, None)
    assert _parsed(db) == expected
    stamps = _parsed_at(db)
    assert {a for a, t in stamps.items() if t == LATER} == {21, 24, 33}
    assert dict(result.counts) == {
        "considered": 13,
        "parsed": 3,
        "changed": 1,  # only 24's parts changed
        "not_in_catalog": 0,
        "unreadable": 1,
    }
    assert (
        "address 24, student 24: '160 North Oak Avenue 32302' -> 160 N OAK AVE 32302 [changed]"
        in result.text
    )


def test_a_catalog_change_parses_every_address_again(db):
    _district(db)
    _run(db)
    with db.begin() as conn:  # a school change only: the same parts, but parsed again
        ac = address_catalog
        conn.execute(sa.update(ac).where(ac.c.catalog_id == 7).values(zoned_school_id=1))
    edited = _run(db, now=LATER)
    assert dict(edited.counts) == {
        "considered": 13,
        "parsed": 13,
        "changed": 0,
        "not_in_catalog": 1,
        "unreadable": 1,
    }
    assert set(_parsed_at(db).values()) == {LATER}
    third = dt.datetime(2026, 11, 30, 7, 0, tzinfo=dt.UTC)
    with db.begin() as conn:  # Maple Dr added: address 34 is now in the catalog
        conn.execute(
            sa.insert(address_catalog),
            [
                dict(
                    catalog_id=20,
                    syear=2026,
                    house_number_low=1,
                    house_number_high=99,
                    street_name="MAPLE",
                    street_type="DR",
                    zipcode="32301",
                    low_grade_id=G05,
                    high_grade_id=G05,
                    zoned_school_id=1,
                )
            ],
        )
    added = _run(db, now=third)
    assert dict(added.counts)["changed"] == 1
    assert _parsed(db)[34] == (9, None, "MAPLE", "DR", None, None, "32301", True, None)
    with db.begin() as conn:  # and removed again
        conn.execute(sa.delete(address_catalog).where(address_catalog.c.catalog_id == 20))
    removed = _run(db, now=third)
    assert dict(removed.counts)["parsed"] == 13
    assert _parsed(db) == PARSED_2026


def test_parse_all_parses_unchanged_addresses_again(db):
    _district(db)
    _run(db)
    result = _run(db, now=LATER, parse_all=True)
    assert dict(result.counts)["parsed"] == 13
    assert dict(result.counts)["changed"] == 0
    assert set(_parsed_at(db).values()) == {LATER}


def test_parsed_addresses_feed_set_zoned_school(db):
    """The job's parses zone the students exactly as load_zoning's hand-parsed rows do."""
    _district(db)
    with db.begin() as conn:  # keep only load_zoning's addresses
        conn.execute(student_addresses.delete().where(student_addresses.c.address_id >= 33))
    _run(db)
    run_in_transaction(db, SetZonedSchool(), SetZonedSchoolParams())
    after = enrollment_values(db, "zoned_school_id", "zoned_district")
    assert {k: after[k] for k in ZONED} == ZONED


def test_listing_is_capped_with_the_total(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.text.count("\n  address ") == 2
    assert "... and 11 more (listing capped at 2)." in result.text
    assert "<p>11 more not listed.</p>" in result.html


@pytest.mark.parametrize(
    ("years", "message"),
    [
        ([2026, 1999], "school years [1999]: no such school year; add it under School Years."),
    ],
)
def test_unknown_year_fails_and_changes_nothing(db, years, message):
    _district(db)
    result = _run(db, years=years)
    assert not result.success
    assert result.summary == message + " Nothing was changed."
    assert _parsed(db) == {}


def test_no_default_year_fails_and_changes_nothing(db):
    _district(db)
    with db.begin() as conn:
        conn.execute(sa.update(school_years).values(is_default=False))
    result = _run(db)
    assert not result.success
    assert "no default school year is set" in result.summary
    assert _parsed(db) == {}


def test_a_failure_midway_leaves_the_parses_as_they_were(db, monkeypatch):
    _district(db)
    _run(db)
    with db.begin() as conn:
        conn.execute(
            sa.update(student_addresses)
            .where(student_addresses.c.address_id == 24)
            .values(address="160 North Oak Avenue")
        )
    before, stamps = _parsed(db), _parsed_at(db)

    def boom(*args, **kwargs):
        raise RuntimeError("injected failure after the old rows were deleted")

    monkeypatch.setattr(module, "replace_rows", boom)
    with pytest.raises(RuntimeError, match="injected"):
        _run(db, now=LATER)
    assert _parsed(db) == before
    assert _parsed_at(db) == stamps
    monkeypatch.undo()
    assert dict(_run(db, now=LATER).counts)["changed"] == 1  # the next run does the work
