"""Florida ARMS Student Field Tracker on SQLite and Postgres, worked out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.jobs.sis import florida_arms_tracker as module
from job_library.jobs.sis.florida_arms_tracker import (
    ArmsTrackerParams,
    FloridaArmsStudentFieldTracker,
)
from job_library.schemas.florida import florida_arms_changes
from job_library.student_fields import (
    FieldType,
    RecordTable,
    StudentField,
    StudentFields,
    define_field,
)
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

NY = ZoneInfo("America/New_York")
T1 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=NY)
T2 = dt.datetime(2026, 11, 27, 23, 30, tzinfo=NY)  # late evening: still the 27th
T3 = dt.datetime(2026, 11, 28, 0, 30, tzinfo=NY)  # just after midnight: the 28th
FIELDS = {890: "ese", 626: "ell", 71: "lunch", 821: "zoned_district", 822: "zoned_school"}


def _write(engine, at: dt.datetime, alias: str, values: dict) -> None:
    with engine.begin() as conn:
        StudentFields(conn, changed_by="user", now=lambda: at).write(alias, values)


def _district(engine, *, lunch_logs: bool = True, no_log: frozenset = frozenset()) -> None:
    """The DOP field (custom_20009054) is not defined. Changes: 20 Nov: ESE of 1 set to K
    and of 2 to 'P,L' (primary P); ELL of 3 set to LY; lunch of 4 set to 1; zoned district
    and school of 5 set to 37 and 0011; photo release of 6 (not tracked). 27 Nov 23:30: ESE
    of 2 to 'P,K' and of 1 to 'K, G' (primary unchanged), lunch of 4 cleared. 28 Nov 00:30:
    ESE of 2 to 'G,K'."""
    load(engine)
    with engine.begin() as conn:
        for fid, alias in FIELDS.items():
            logs = (lunch_logs or fid != 71) and fid not in no_log
            define_field(
                conn, StudentField(fid, alias, alias, FieldType.TEXT, RecordTable.STUDENTS, logs)
            )
        define_field(
            conn,
            StudentField(1000, "photo", "Photo", FieldType.FLAG, RecordTable.STUDENTS, True),
        )
    _write(engine, T1, "ese", {1: "K", 2: "P,L"})
    _write(engine, T1, "ell", {3: "LY"})
    _write(engine, T1, "lunch", {4: "1"})
    _write(engine, T1, "zoned_district", {5: "37"})
    _write(engine, T1, "zoned_school", {5: "0011"})
    _write(engine, T1, "photo", {6: True})
    _write(engine, T2, "ese", {2: "P,K", 1: "K, G"})
    _write(engine, T2, "lunch", {4: None})
    _write(engine, T3, "ese", {2: "G,K"})


def d(day: int) -> dt.date:
    return dt.date(2026, 11, day)


EXPECTED = [
    (1, "ESE", d(20), None, "K"),
    (2, "ESE", d(20), None, "P"),
    (2, "ESE", d(28), "P", "G"),
    (3, "ELL", d(20), None, "LY"),
    (4, "LS", d(20), None, "1"),
    (4, "LS", d(27), "1", None),
    (5, "ZDS", d(20), None, "37"),
    (5, "ZDS", d(20), None, "0011"),
]


def _stamps(engine) -> list[tuple]:
    a = florida_arms_changes
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(a.c.student_id, a.c.element, a.c.change_date, a.c.old_value, a.c.new_value)
        ).all()
    return sorted((tuple(r) for r in rows), key=lambda r: (r[0], r[1], r[2], r[4] or ""))


def _run(engine, now=None, **params):
    return run_in_transaction(
        engine, FloridaArmsStudentFieldTracker(), ArmsTrackerParams(**params), now=now
    )


def test_every_tracked_change_is_dated(db):
    _district(db)
    result = _run(db)
    assert _stamps(db) == sorted(EXPECTED, key=lambda r: (r[0], r[1], r[2], r[4] or ""))
    assert result.success
    assert result.counts == {
        "stamped": 8,
        "ese": 3,
        "ell": 1,
        "ls": 2,
        "zds": 2,
        "dop": 0,
        "untracked_fields": 1,
    }
    assert result.summary == "Stamped 8 ARMS field change(s): 3 ESE, 1 ELL, 2 LS, 2 ZDS."
    assert "student 2 (Last2, First2) ESE on 2026-11-28: P -> G" in result.text
    assert "student 4 (Last4, First4) LS on 2026-11-27: 1 -> -" in result.text
    assert (
        "not tracked: DOP DOP Code (custom_20009054): not in the field catalog; define it "
        "to track its changes." in result.text
    )


def test_second_run_stamps_only_new_changes(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert again.counts["stamped"] == 0
    assert again.summary == (
        "No tracked Student Field changed since the last run; nothing stamped."
    )
    _write(db, dt.datetime(2026, 11, 29, 9, 0, tzinfo=NY), "ell", {3: "LF"})
    third = _run(db)
    assert third.counts["stamped"] == 1
    assert (3, "ELL", d(29), "LY", "LF") in _stamps(db)
    assert len(_stamps(db)) == 9


def test_chosen_elements_only(db):
    _district(db)
    result = _run(db, elements=["LS"])
    assert _stamps(db) == [(4, "LS", d(20), None, "1"), (4, "LS", d(27), "1", None)]
    assert result.counts["untracked_fields"] == 0
    rest = _run(db)
    assert rest.counts["stamped"] == 6


def test_a_field_without_change_log_is_compared_with_its_last_stamp(db):
    """Lunch status does not log: 4's value was set and cleared before the first run, so it
    has none then and nothing is stamped; the run day (28 Nov, district time) dates what a
    run finds changed since the last stamp."""
    _district(db, lunch_logs=False)
    result = _run(db)
    assert result.counts["ls"] == 0 and result.counts["stamped"] == 6
    assert "custom_71" not in result.text
    _write(db, T3, "lunch", {4: "2", 7: "1"})
    second = _run(db)
    assert second.counts == {**second.counts, "stamped": 2, "ls": 2}
    ls = [r for r in _stamps(db) if r[1] == "LS"]
    assert ls == [(4, "LS", d(28), None, "2"), (7, "LS", d(28), None, "1")]
    assert "student 7 (-) LS on 2026-11-28: - -> 1" in second.text
    assert _run(db).counts["stamped"] == 0  # nothing changed since
    _write(db, T3, "lunch", {4: "3", 7: None})
    day29 = dt.datetime(2026, 11, 29, 6, 0, tzinfo=NY)
    third = _run(db, now=day29)
    assert third.counts["ls"] == 2
    ls = [r for r in _stamps(db) if r[1] == "LS"]
    assert ls == [
        (4, "LS", d(28), None, "2"),
        (4, "LS", d(29), "2", "3"),
        (7, "LS", d(28), None, "1"),
        (7, "LS", d(29), "1", None),
    ]
    assert _run(db, now=day29).counts["stamped"] == 0


def test_zoned_district_and_school_without_change_log_are_kept_apart(db):
    """Both ZDS fields stamp the one element; each is compared with its own last stamp, so
    a second run stamps nothing (no flip-flop between 37 and 0011). ELL logged its change
    to LY, then its log is turned off: LY is still its last stamp, nothing new."""
    _district(db, no_log=frozenset({821, 822}))
    first = _run(db)
    assert first.counts["zds"] == 2
    zds = [r for r in _stamps(db) if r[1] == "ZDS"]
    assert zds == [(5, "ZDS", d(28), None, "0011"), (5, "ZDS", d(28), None, "37")]
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE custom_fields SET log_changes = FALSE WHERE field_id = 626"))
    assert _run(db).counts["stamped"] == 0
    _write(db, T3, "zoned_school", {5: "0022"})
    again = _run(db)
    assert again.counts["stamped"] == 1
    assert (5, "ZDS", d(28), "0011", "0022") in _stamps(db)


def test_dop_counts_its_primary_code_only(db):
    """DOP logs its changes and holds a comma list: 'A,B' then 'A,C' (primary A unchanged)
    then 'C,A' stamp None -> A on the 20th and A -> C on the 28th."""
    _district(db)
    with db.begin() as conn:
        define_field(
            conn,
            StudentField(20009054, "dop", "DOP", FieldType.TEXT, RecordTable.STUDENTS, True),
        )
    _write(db, T1, "dop", {8: "A,B"})
    _write(db, T2, "dop", {8: "A,C"})
    _write(db, T3, "dop", {8: "C,A"})
    result = _run(db, elements=["DOP"])
    assert result.counts["dop"] == 2 and result.counts["untracked_fields"] == 0
    assert _stamps(db) == [(8, "DOP", d(20), None, "A"), (8, "DOP", d(28), "A", "C")]


def test_bad_element_is_rejected_by_the_form():
    with pytest.raises(ValueError, match="ESE"):
        ArmsTrackerParams(elements=["XYZ"])


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=3)
    assert result.html.count("<tr><td>") == 3
    assert "... and 5 more (listing capped at 3)." in result.text


def test_a_failure_midway_leaves_nothing_stamped(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken_report)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _stamps(db) == []
