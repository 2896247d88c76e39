"""Import Peer Data and Florida Peer Nightly Import on a real SFTP server, on SQLite and
Postgres; every expected value below was worked out by hand from the files."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from include.sftp_files import SftpFiles
from job_library.jobs.florida.import_peer_data import ImportPeerData, ImportPeerDataParams
from job_library.jobs.florida.peer_nightly_import import (
    FloridaPeerNightlyImport,
    PeerNightlyParams,
)
from job_library.schemas.enrollment import students
from job_library.schemas.florida_peer import PEER_TABLES
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 1, 30, 0, tzinfo=ZoneInfo("America/New_York"))
IEPS = PEER_TABLES["FL_PEER_ACTIVE_IEPS"]
LRE = PEER_TABLES["FL_PEER_IEP_LRE"]
EPS = PEER_TABLES["FL_PEER_ACTIVE_EPS"]

IEP_FILE = (
    "peer_id,fleid,plan_date,end_date\n"
    "P1,FL0001,2025-09-01,2026-09-01\n"  # unchanged
    "P2,FL0002,2025-10-01,2026-10-15\n"  # end date moved from 2026-10-01
    "P4,FL0002,2026-11-01,2026-11-01\n"  # new; a plan ending the day it starts is allowed
)
LRE_BAD = (
    "peer_id,fleid,plan_id,lre_code\n"
    "L1,FL0001,P1,B\n"  # fine on its own
    "L2,FL9999,P1,B\n"  # no such student
    "L1,FL0002,P2,C\n"  # L1 again
    "L3,FL0002,P2,\n"  # empty lre_code
)
EPS_BAD = (
    "peer_id,fleid,plan_date,end_date\n"
    "E1,FL0001,2026-09-02,2026-09-01\n"  # ends the day before it starts
    "E2,FL0002,2026-02-30,2026-09-01\n"  # no 30 February
)


@pytest.fixture
def district(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(students),
            [
                {"student_id": 1, "first_name": "Ana", "last_name": "Diaz", "fleid": "FL0001"},
                {"student_id": 2, "first_name": "Bo", "last_name": "Lee", "fleid": "FL0002"},
            ],
        )
        conn.execute(
            sa.insert(IEPS),
            [
                {
                    "peer_id": "P1",
                    "student_id": 1,
                    "plan_date": dt.date(2025, 9, 1),
                    "end_date": dt.date(2026, 9, 1),
                },
                {
                    "peer_id": "P2",
                    "student_id": 2,
                    "plan_date": dt.date(2025, 10, 1),
                    "end_date": dt.date(2026, 10, 1),
                },
                {
                    "peer_id": "P3",
                    "student_id": 1,
                    "plan_date": dt.date(2024, 9, 1),
                    "end_date": dt.date(2025, 9, 1),
                },
            ],
        )
        conn.execute(
            sa.insert(LRE), {"peer_id": "L9", "student_id": 2, "plan_id": "P2", "lre_code": "A"}
        )
    return engine


@pytest.fixture(autouse=True)
def peer_folder(request: pytest.FixtureRequest) -> None:
    if "sftp" in request.fixturenames:
        request.getfixturevalue("sftp").folder("peer")


def _run(engine, sftp, job=None, params=None, now=NOW):
    job = job or ImportPeerData()
    params = params or ImportPeerDataParams()
    with sftp.client() as client:
        return run_in_transaction(engine, job, params, now=now, remote=SftpFiles(client))


def _rows(engine, table) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c.peer_id))]


IEPS_AFTER = [
    ("P1", 1, dt.date(2025, 9, 1), dt.date(2026, 9, 1)),
    ("P2", 2, dt.date(2025, 10, 1), dt.date(2026, 10, 15)),
    ("P4", 2, dt.date(2026, 11, 1), dt.date(2026, 11, 1)),
]


def test_a_file_replaces_its_table_and_moves(district, sftp):
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    result = _run(district, sftp)
    assert result.success, result.text
    assert _rows(district, IEPS) == IEPS_AFTER
    assert result.counts == {"files": 1, "added": 1, "updated": 1, "removed": 1, "bad_rows": 0}
    assert "FL_PEER_ACTIVE_IEPS: imported; moved to " in result.text
    assert [p.name for p in (sftp.root / "peer" / "imported").iterdir()] == [
        "FL_PEER_ACTIVE_IEPS-20261128013000.csv"
    ]
    assert not (sftp.root / "peer" / "FL_PEER_ACTIVE_IEPS.csv").exists()
    # A second run finds nothing and changes nothing.
    again = _run(district, sftp, now=NOW + dt.timedelta(minutes=30))
    assert again.success and again.summary.startswith("No PEER file in /peer")
    assert _rows(district, IEPS) == IEPS_AFTER


def test_bad_rows_are_listed_and_their_file_is_not_applied(district, sftp):
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    sftp.put("peer/FL_PEER_IEP_LRE.csv", LRE_BAD)
    sftp.put("peer/FL_PEER_ACTIVE_EPS.csv", EPS_BAD)
    result = _run(district, sftp)
    assert result.success is False
    assert _rows(district, IEPS) == IEPS_AFTER  # the good file is imported
    assert _rows(district, LRE) == [("L9", 2, "P2", "A")]  # left as it was
    assert _rows(district, EPS) == []
    assert result.counts["bad_rows"] == 5
    text = result.text
    assert "FL_PEER_IEP_LRE line 3: L2: No student has the Florida student id 'FL9999'" in text
    assert "FL_PEER_IEP_LRE line 4: L1: The peer_id appears more than once in the file" in text
    assert "FL_PEER_IEP_LRE line 5: L3: The lre_code is empty" in text
    assert (
        "FL_PEER_ACTIVE_EPS line 2: E1: The end_date 2026-09-01 is before the plan_date "
        "2026-09-02" in text
    )
    assert "FL_PEER_ACTIVE_EPS line 3: E2: The plan_date '2026-02-30' is not a date" in text
    assert (sftp.root / "peer" / "FL_PEER_IEP_LRE.csv").exists()
    assert (sftp.root / "peer" / "FL_PEER_ACTIVE_EPS.csv").exists()
    assert not (sftp.root / "peer" / "FL_PEER_ACTIVE_IEPS.csv").exists()


def test_test_only_checks_and_changes_nothing(district, sftp):
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    before = _rows(district, IEPS)
    result = _run(district, sftp, params=ImportPeerDataParams(test_only=True))
    assert result.success and result.summary.startswith("Checked 1 PEER file(s)")
    assert "every row can be imported (test only, nothing changed)" in result.text
    assert _rows(district, IEPS) == before
    assert (sftp.root / "peer" / "FL_PEER_ACTIVE_IEPS.csv").exists()
    assert list((sftp.root / "peer" / "imported").iterdir()) == []


def test_only_the_chosen_tables_are_taken(district, sftp):
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    sftp.put("peer/FL_PEER_IEP_LRE.csv", "peer_id,fleid,plan_id,lre_code\nL1,FL0001,P1,B\n")
    result = _run(district, sftp, params=ImportPeerDataParams(tables=["FL_PEER_IEP_LRE"]))
    assert result.success and result.counts["files"] == 1
    assert _rows(district, LRE) == [("L1", 1, "P1", "B")]  # L9 removed, L1 added
    assert _rows(district, IEPS)[2][0] == "P3"  # the IEP table untouched
    assert (sftp.root / "peer" / "FL_PEER_ACTIVE_IEPS.csv").exists()


def test_a_header_only_file_empties_its_table(district, sftp):
    sftp.put("peer/FL_PEER_IEP_LRE.csv", "peer_id,fleid,plan_id,lre_code\n")
    result = _run(district, sftp)
    assert result.success and result.counts["removed"] == 1
    assert _rows(district, LRE) == []


def test_an_unreadable_file_is_reported_and_stays(district, sftp):
    sftp.put("peer/FL_PEER_IEP_LRE.csv", "peer_id,lre\nL1,B\n")
    result = _run(district, sftp)
    assert result.success is False
    assert "cannot be read: wrong header 'peer_id,lre'" in result.text
    assert _rows(district, LRE) == [("L9", 2, "P2", "A")]
    assert (sftp.root / "peer" / "FL_PEER_IEP_LRE.csv").exists()


def test_an_error_midway_changes_nothing_and_the_file_stays(district, sftp, monkeypatch):
    import job_library.jobs.florida._peer_work as work

    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    before = _rows(district, IEPS)

    def ledger_down(*args, **kwargs):
        raise ConnectionError("ledger write failed")

    monkeypatch.setattr(work, "record_import", ledger_down)
    with pytest.raises(ConnectionError, match="ledger write failed"):
        _run(district, sftp)
    assert _rows(district, IEPS) == before
    assert (sftp.root / "peer" / "FL_PEER_ACTIVE_IEPS.csv").exists()
    assert list((sftp.root / "peer" / "imported").iterdir()) == []


def test_the_nightly_import_takes_every_table_and_skips_a_file_seen_before(district, sftp):
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    sftp.put("peer/FL_PEER_IEP_LRE.csv", "peer_id,fleid,plan_id,lre_code\nL1,FL0001,P1,B\n")
    nightly, params = FloridaPeerNightlyImport(), PeerNightlyParams()
    result = _run(district, sftp, job=nightly, params=params)
    assert result.success, result.text
    assert result.counts == {"files": 2, "added": 2, "updated": 1, "removed": 2, "bad_rows": 0}
    assert _rows(district, IEPS) == IEPS_AFTER
    # The same bytes dropped again the next night (PEER re-sent them): moved, not applied.
    with district.begin() as conn:  # changed in Focus since
        conn.execute(sa.delete(IEPS).where(IEPS.c.peer_id == "P4"))
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    later = _run(district, sftp, job=nightly, params=params, now=NOW + dt.timedelta(days=1))
    assert later.success and "not applied again" in later.text
    assert [r[0] for r in _rows(district, IEPS)] == ["P1", "P2"]
    assert sorted(p.name for p in (sftp.root / "peer" / "imported").iterdir()) == [
        "FL_PEER_ACTIVE_IEPS-20261128013000.csv",
        "FL_PEER_ACTIVE_IEPS-20261129013000.csv",
        "FL_PEER_IEP_LRE-20261128013000.csv",
    ]


def test_the_listing_is_capped(district, sftp):
    rows = "".join(f"X{i},FL9999,P1,B\n" for i in range(5))
    sftp.put("peer/FL_PEER_IEP_LRE.csv", "peer_id,fleid,plan_id,lre_code\n" + rows)
    result = _run(district, sftp, params=ImportPeerDataParams(max_listed=2))
    assert result.counts["bad_rows"] == 5
    assert "... and 3 more (listing capped at 2)." in result.text
    assert result.text.count("No student has") == 2
