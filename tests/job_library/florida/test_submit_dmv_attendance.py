"""Submit DMV Attendance via FTP against a real FTP/FTPS server (pyftpdlib) on loopback, on
SQLite and Postgres; the file is compared byte for byte with a golden file worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.base import ConnectionInfo, ConnectionNotFound
from job_library.jobs.florida.submit_dmv_attendance import (
    SubmitDmvAttendance,
    SubmitDmvAttendanceParams,
    eighteenth_birthday_cutoff,
)
from job_library.schemas.attendance import attendance_day
from job_library.schemas.district import school_years, schools
from job_library.schemas.enrollment import students
from tests.ftp_server import PASSWORD, USER, ftp_server
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 27, 19, 0, tzinfo=ZoneInfo("America/New_York"))
AS_OF = dt.date(2026, 11, 27)  # the window is 2026-08-30 .. 2026-11-27 (90 days)
NAME = "DMV_ATTENDANCE_20261127.txt"

# The golden file, field by field (README layout): district 2, school 4, FLEID 14, last name
# 25, first name 15, birthdate 8, unexcused days 3, as-of date 8, status 1 = 80, then CR LF.
GOLDEN = (
    "13" + "0101" + "FL0001" + " " * 8 + "DIAZ" + " " * 21 + "ANA" + " " * 12
    + "20090315" + "015" + "20261127" + "A" + "\r\n"
    + "13" + "2001" + "FL0004" + " " * 8 + "FOX" + " " * 22 + "DEE" + " " * 12
    + "20081128" + "015" + "20261127" + "A" + "\r\n"
    + "T" + "000002" + "20261127" + " " * 65 + "\r\n"
).encode("ascii")  # fmt: skip


def _days(student_id, school_id, dates, state="0.0", kind="unexcused"):
    return [
        {
            "student_id": student_id,
            "school_date": d,
            "syear": 2026,
            "school_id": school_id,
            "minutes_present": 0 if state == "0.0" else 150,
            "state_value": Decimal(state),
            "absence_type": kind,
        }
        for d in dates
    ]


NOV = [dt.date(2026, 11, d) for d in range(1, 28)]  # 27 days, 1 to 27 November


@pytest.fixture
def district(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years).values(
                syear=2026, title="2026-27", start_date=dt.date(2026, 8, 1),
                end_date=dt.date(2027, 6, 30), is_default=True,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(schools),
            [
                {"school_id": 1, "title": "North High", "short_name": "NHS",
                 "school_number": "0101", "district_number": "13"},
                {"school_id": 2, "title": "South High", "short_name": "SHS",
                 "school_number": "2001", "district_number": "13"},
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(students),
            [
                {"student_id": 1, "first_name": "Ana", "last_name": "Díaz",
                 "fleid": "FL0001", "birthdate": dt.date(2009, 3, 15)},
                {"student_id": 2, "first_name": "Bo", "last_name": "Lee",
                 "fleid": "FL0002", "birthdate": dt.date(2010, 1, 1)},
                {"student_id": 3, "first_name": "Cy", "last_name": "Kim",
                 "fleid": "FL0003", "birthdate": dt.date(2008, 11, 27)},
                {"student_id": 4, "first_name": "Dee", "last_name": "Fox",
                 "fleid": "FL0004", "birthdate": dt.date(2008, 11, 28)},
                {"student_id": 5, "first_name": "Eve", "last_name": "Ng",
                 "fleid": None, "birthdate": dt.date(2010, 5, 5)},
            ],
        )  # fmt: skip
        rows = (
            # Ana: 14 in November and the window's first day: 15, in.
            _days(1, 1, [*NOV[:14], dt.date(2026, 8, 30)])
            # Bo: 14 in November; the day before the window, a half day and an excused day
            # do not count: 14, out.
            + _days(2, 1, [*NOV[:14], dt.date(2026, 8, 29)])
            + _days(2, 1, [NOV[20]], state="0.5")
            + _days(2, 1, [NOV[21]], kind="excused")
            # Cy: 16, but 18 years old on the as-of day: out.
            + _days(3, 1, NOV[:16])
            # Dee: 15, 18 only tomorrow: in, at the school of her latest absence (South).
            + _days(4, 1, NOV[:14])
            + _days(4, 2, [NOV[26]])
            # Eve: 15 but no Florida student id: listed, not sent.
            + _days(5, 1, NOV[:15])
        )
        conn.execute(sa.insert(attendance_day), rows)
    return engine


def _connections(server: dict, *, tls: bool = False):
    def lookup(conn_id: str) -> ConnectionInfo:
        if conn_id != "dmv_ftp":
            raise ConnectionNotFound(conn_id)
        extra = {"tls": tls, "folder": "/incoming"}
        if "ca_file" in server:
            extra["ca_file"] = server["ca_file"]
        return ConnectionInfo(
            conn_id, "ftp", host=server["host"], port=server["port"], login=USER,
            password=PASSWORD, extra=extra,
        )  # fmt: skip

    return lookup


def _run(engine, store: Path, connections, now=NOW, **params):
    return run_in_transaction(
        engine,
        SubmitDmvAttendance(),
        SubmitDmvAttendanceParams(**params),
        now=now,
        tmp=store,
        connections=connections,
    )


def test_the_eighteenth_birthday_cutoff():
    assert eighteenth_birthday_cutoff(dt.date(2026, 11, 27)) == dt.date(2008, 11, 27)
    assert eighteenth_birthday_cutoff(dt.date(2028, 2, 29)) == dt.date(2010, 2, 28)


def test_the_file_reaches_the_server_byte_for_byte(district, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)
    with ftp_server(root) as server:
        result = _run(district, tmp_path / "store", _connections(server))
    assert result.success, result.text
    assert (root / "incoming" / NAME).read_bytes() == GOLDEN
    assert not (root / "incoming" / f"{NAME}.partial").exists()
    assert result.counts == {"students": 2, "not_sent": 1, "files_sent": 1, "files_waiting": 0}
    assert "  not sent: #5 Ng, Eve: No Florida student id: not sent" in result.text
    assert "  FL0001 Díaz, Ana: 15 day(s)" in result.text
    assert (tmp_path / "store" / "test-job" / "sent" / NAME).read_bytes() == GOLDEN


def test_a_second_run_sends_nothing(district, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)
    with ftp_server(root) as server:
        _run(district, tmp_path / "store", _connections(server))
        (root / "incoming" / NAME).unlink()
        again = _run(district, tmp_path / "store", _connections(server), NOW.replace(minute=30))
    assert again.success and "was sent before: not sent again" in again.summary
    assert again.counts["files_sent"] == 0
    assert not (root / "incoming" / NAME).exists()


def test_over_ftps_when_the_connection_asks_for_tls(district, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)
    with ftp_server(root, tls=True, certs=tmp_path) as server:
        plain = _run(district, tmp_path / "store", _connections(server, tls=False))
        assert plain.success is False  # the server requires TLS: refused, the file waits
        assert not (root / "incoming" / NAME).exists()
        result = _run(district, tmp_path / "store", _connections(server, tls=True))
    assert result.success, result.text
    assert (root / "incoming" / NAME).read_bytes() == GOLDEN


def test_a_failed_upload_fails_the_run_and_the_next_run_sends_the_file(district, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)
    with ftp_server(root) as server:
        down = dict(server)
    failed = _run(district, tmp_path / "store", _connections(down))  # nobody listens now
    assert failed.success is False and "The upload failed (ConnectionRefusedError" in failed.summary
    assert f"waiting in the outbox for the next run: {NAME}" in failed.summary
    outbox = tmp_path / "store" / "test-job" / "outbox"
    assert (outbox / NAME).read_bytes() == GOLDEN
    with ftp_server(root) as server:
        later = _run(district, tmp_path / "store", _connections(server), NOW.replace(minute=45))
    assert later.success and later.counts["files_sent"] == 1
    assert (root / "incoming" / NAME).read_bytes() == GOLDEN
    assert list(outbox.iterdir()) == []


def test_a_server_that_refuses_the_file_leaves_it_waiting(district, tmp_path):
    root = tmp_path / "ftp"
    root.mkdir()  # no /incoming folder: CWD fails
    with ftp_server(root) as server:
        result = _run(district, tmp_path / "store", _connections(server))
    assert result.success is False and "error_perm" in result.summary
    assert (tmp_path / "store" / "test-job" / "outbox" / NAME).exists()
    with district.connect() as conn:  # nothing in the ledger: the next run sends it
        assert conn.execute(sa.text("SELECT COUNT(*) FROM processed_files")).scalar_one() == 0


def test_the_threshold_is_inclusive_and_a_lower_one_takes_bo(district, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)
    with ftp_server(root) as server:
        result = _run(district, tmp_path / "store", _connections(server), unexcused_days=14)
    assert result.counts["students"] == 3  # Ana, Bo (14) and Dee
    data = (root / "incoming" / NAME).read_bytes().split(b"\r\n")
    assert [line[6:12] for line in data[:3]] == [b"FL0001", b"FL0004", b"FL0002"]
    assert data[3].startswith(b"T000003")


def test_the_listing_is_capped(district, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)
    with ftp_server(root) as server:
        result = _run(district, tmp_path / "store", _connections(server), max_listed=1)
    assert "... and 1 more (listing capped at 1)." in result.text
