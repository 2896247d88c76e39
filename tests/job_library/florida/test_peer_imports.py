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
from job_library.schema import processed_files
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


def _run(engine, sftp, job=None, params=None, now=NOW, job_id="test-job"):
    job = job or ImportPeerData()
    params = params or ImportPeerDataParams()
    with sftp.client() as client:
        return run_in_transaction(
            engine, job, params, now=now, remote=SftpFiles(client), job_id=job_id
        )


def _ledger(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(
                    processed_files.c.job_id, processed_files.c.file_name, processed_files.c.rows
                ).order_by(processed_files.c.file_name)
            )
        ]


def _imported(sftp) -> list[str]:
    return sorted(p.name for p in (sftp.root / "peer" / "imported").iterdir())


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
    assert _ledger(district) == []
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
    assert _ledger(district) == []
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


# File B of the A, B, A tests: P1 ends a day earlier, P5 is new, P2 and P4 are gone.
IEP_FILE_B = (
    "peer_id,fleid,plan_date,end_date\n"
    "P1,FL0001,2025-09-01,2026-08-31\n"
    "P5,FL0001,2026-11-20,2027-11-19\n"
)
IEPS_AFTER_B = [
    ("P1", 1, dt.date(2025, 9, 1), dt.date(2026, 8, 31)),
    ("P5", 1, dt.date(2026, 11, 20), dt.date(2027, 11, 19)),
]
DAY = dt.timedelta(days=1)


def test_a_file_equal_to_an_older_one_is_applied_when_another_came_between(district, sftp):
    nightly, params = FloridaPeerNightlyImport(), PeerNightlyParams()
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)  # A
    first = _run(district, sftp, job=nightly, params=params)
    assert first.counts == {"files": 1, "added": 1, "updated": 1, "removed": 1, "bad_rows": 0}
    assert _rows(district, IEPS) == IEPS_AFTER

    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE_B)  # B: P1 changed, P5 new, P2 P4 gone
    second = _run(district, sftp, job=nightly, params=params, now=NOW + DAY)
    assert second.counts == {"files": 1, "added": 1, "updated": 1, "removed": 2, "bad_rows": 0}
    assert _rows(district, IEPS) == IEPS_AFTER_B

    # A again: the newest file, so applied although its bytes were imported two nights ago.
    # From B's table: P1 back to 2026-09-01, P2 and P4 added, P5 removed.
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    third = _run(district, sftp, job=nightly, params=params, now=NOW + 2 * DAY)
    assert third.success, third.text
    assert third.counts == {"files": 1, "added": 2, "updated": 1, "removed": 1, "bad_rows": 0}
    assert "FL_PEER_ACTIVE_IEPS: imported; moved to " in third.text
    assert _rows(district, IEPS) == IEPS_AFTER

    # A a fourth time: identical to the file last applied, so only moved away.
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    fourth = _run(district, sftp, job=nightly, params=params, now=NOW + 3 * DAY)
    assert fourth.success
    assert fourth.counts == {"files": 0, "added": 0, "updated": 0, "removed": 0, "bad_rows": 0}
    assert "not applied again; moved to /peer/imported/FL_PEER_ACTIVE_IEPS-20261201013000" in (
        fourth.text
    )
    assert _rows(district, IEPS) == IEPS_AFTER
    assert _imported(sftp) == [
        "FL_PEER_ACTIVE_IEPS-20261128013000.csv",
        "FL_PEER_ACTIVE_IEPS-20261129013000.csv",
        "FL_PEER_ACTIVE_IEPS-20261130013000.csv",
        "FL_PEER_ACTIVE_IEPS-20261201013000.csv",
    ]
    # One ledger row per content: A's names its latest import (the third night), B's the second.
    assert _ledger(district) == [
        ("test-job", "/peer/imported/FL_PEER_ACTIVE_IEPS-20261129013000.csv", 2),
        ("test-job", "/peer/imported/FL_PEER_ACTIVE_IEPS-20261130013000.csv", 3),
    ]


def test_the_last_file_either_peer_job_applied_decides_what_is_skipped(district, sftp):
    nightly, nightly_params = FloridaPeerNightlyImport(), PeerNightlyParams()
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)  # A by the nightly import
    _run(district, sftp, job=nightly, params=nightly_params, job_id="peer-nightly")
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE_B)  # B by a run of Import Peer Data
    by_hand = _run(district, sftp, now=NOW + DAY, job_id="peer-by-hand")
    assert by_hand.counts["files"] == 1
    assert _rows(district, IEPS) == IEPS_AFTER_B
    # A again at night: the nightly job imported these bytes itself, but B came after.
    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    night = _run(
        district, sftp, job=nightly, params=nightly_params, now=NOW + 2 * DAY, job_id="peer-nightly"
    )
    assert night.counts == {"files": 1, "added": 2, "updated": 1, "removed": 1, "bad_rows": 0}
    assert _rows(district, IEPS) == IEPS_AFTER
    assert _ledger(district) == [
        ("peer-by-hand", "/peer/imported/FL_PEER_ACTIVE_IEPS-20261129013000.csv", 2),
        ("peer-nightly", "/peer/imported/FL_PEER_ACTIVE_IEPS-20261130013000.csv", 3),
    ]


def test_the_same_bytes_for_two_tables_are_applied_to_both(district, sftp):
    """The accommodation tables share a header: a header-only file is the same bytes for each."""
    assessment = PEER_TABLES["FL_PEER_ASSESSMENT_ACCOMMODATIONS"]
    classroom = PEER_TABLES["FL_PEER_CLASSROOM_ACCOMMODATIONS"]
    with district.begin() as conn:
        row = {"student_id": 1, "plan_id": "P1", "accommodation": "Extended time"}
        conn.execute(sa.insert(assessment), {"peer_id": "A1", **row})
        conn.execute(sa.insert(classroom), {"peer_id": "C1", **row})
    header = "peer_id,fleid,plan_id,accommodation\n"
    sftp.put("peer/FL_PEER_ASSESSMENT_ACCOMMODATIONS.csv", header)
    sftp.put("peer/FL_PEER_CLASSROOM_ACCOMMODATIONS.csv", header)
    result = _run(district, sftp)
    assert result.success, result.text
    assert result.counts == {"files": 2, "added": 0, "updated": 0, "removed": 2, "bad_rows": 0}
    assert _rows(district, assessment) == [] and _rows(district, classroom) == []
    assert [name for _, name, _ in _ledger(district)] == [
        "/peer/imported/FL_PEER_ASSESSMENT_ACCOMMODATIONS-20261128013000.csv",
        "/peer/imported/FL_PEER_CLASSROOM_ACCOMMODATIONS-20261128013000.csv",
    ]


def test_a_failure_in_the_second_table_undoes_the_first_and_keeps_both_files(
    district, sftp, monkeypatch
):
    import job_library.jobs.florida._peer_work as work

    sftp.put("peer/FL_PEER_ACTIVE_IEPS.csv", IEP_FILE)
    sftp.put("peer/FL_PEER_IEP_LRE.csv", "peer_id,fleid,plan_id,lre_code\nL1,FL0001,P1,B\n")
    ieps_before, lre_before = _rows(district, IEPS), _rows(district, LRE)
    real_replace = work._replace

    def fails_after_the_lre_table(conn, table, wanted):
        counts = real_replace(conn, table, wanted)
        if table is LRE:  # the IEP table (earlier in the list) was applied and ledgered
            raise ConnectionError("connection lost while applying FL_PEER_IEP_LRE")
        return counts

    monkeypatch.setattr(work, "_replace", fails_after_the_lre_table)
    with pytest.raises(ConnectionError, match="while applying FL_PEER_IEP_LRE"):
        _run(district, sftp)
    assert _rows(district, IEPS) == ieps_before
    assert _rows(district, LRE) == lre_before
    assert _ledger(district) == []
    assert (sftp.root / "peer" / "FL_PEER_ACTIVE_IEPS.csv").exists()
    assert (sftp.root / "peer" / "FL_PEER_IEP_LRE.csv").exists()
    assert _imported(sftp) == []

    # The next run (nothing failing) takes both files: nothing of the failed one is in the way.
    monkeypatch.setattr(work, "_replace", real_replace)
    result = _run(district, sftp, now=NOW + dt.timedelta(hours=1))
    assert result.counts == {"files": 2, "added": 2, "updated": 1, "removed": 2, "bad_rows": 0}
    assert _rows(district, IEPS) == IEPS_AFTER
    assert _rows(district, LRE) == [("L1", 1, "P1", "B")]


def test_empty_and_overlong_values_are_listed_with_the_reason(district, sftp):
    long_id, long_service = "M" * 41, "S" * 101
    sftp.put(
        "peer/FL_PEER_MATRIX_SERVICES.csv",
        "peer_id,fleid,plan_id,service,matrix_level\n"
        ",FL0001,P1,Speech,251\n"  # no peer_id
        f"{long_id},FL0001,P1,Speech,251\n"  # 41 characters
        f"M3,FL0002,P2,{long_service},252\n"  # 101 characters
        "M4,FL0002,P2,Speech,252\n",  # fine, but its file is not applied
    )
    result = _run(district, sftp)
    assert result.success is False
    assert result.counts == {"files": 0, "added": 0, "updated": 0, "removed": 0, "bad_rows": 3}
    assert "FL_PEER_MATRIX_SERVICES line 2: (no peer_id): The peer_id is empty" in result.text
    assert (
        f"FL_PEER_MATRIX_SERVICES line 3: {long_id}: The peer_id is longer than 40 characters"
        in result.text
    )
    assert (
        "FL_PEER_MATRIX_SERVICES line 4: M3: The service is longer than 100 characters"
        in result.text
    )
    assert "FL_PEER_MATRIX_SERVICES: 3 row(s) cannot be taken: table left as it was" in result.text
    assert _rows(district, PEER_TABLES["FL_PEER_MATRIX_SERVICES"]) == []
    assert (sftp.root / "peer" / "FL_PEER_MATRIX_SERVICES.csv").exists()
    assert _ledger(district) == []


def test_a_line_with_too_few_fields_leaves_the_file_unread(district, sftp):
    sftp.put("peer/FL_PEER_IEP_LRE.csv", "peer_id,fleid,plan_id,lre_code\nL1,FL0001,P1,B\nL2,B\n")
    result = _run(district, sftp)
    assert result.success is False
    assert "cannot be read: line 3 has 2 field(s), expected 4; nothing taken" in result.text
    assert _rows(district, LRE) == [("L9", 2, "P2", "A")]
    assert (sftp.root / "peer" / "FL_PEER_IEP_LRE.csv").exists()
