"""Submit LearnFare via FTP against a real FTP/FTPS server (pyftpdlib) on loopback, on SQLite
and Postgres; the file is compared byte for byte with a golden file worked out by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.base import ConnectionInfo
from job_library.jobs.florida.submit_learnfare import (
    SubmitLearnFare,
    SubmitLearnFareParams,
    month_bounds,
)
from job_library.schemas.attendance import attendance_day
from job_library.schemas.district import school_years, schools
from job_library.schemas.enrollment import students
from tests.ftp_server import PASSWORD, USER, ftp_server
from tests.job_library.florida.ledger_refusal import MESSAGE, ledger, ledger_refused
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 12, 2, 20, 0, tzinfo=ZoneInfo("America/New_York"))  # reports November
NAME = "LEARNFARE_202611.txt"
# Record: L, student id 9, last name 20, first name 15, birthdate 8, month 6, unexcused 2,
# excused 2 = 63 characters, then CR LF; the trailer: T, count 6, month 6, spaces to 63.
GOLDEN = (
    "L" + "000000001" + "DIAZ" + " " * 16 + "ANA" + " " * 12 + "20201101" + "202611" + "02" + "01"
    + "\r\n"
    + "L" + "000000004" + "FOX" + " " * 17 + "DEE" + " " * 12 + "20061102" + "202611" + "01" + "00"
    + "\r\n"
    + "T" + "000002" + "202611" + " " * 50 + "\r\n"
).encode("ascii")  # fmt: skip


def _day(student_id, day, kind="unexcused", state="0.0"):
    return {
        "student_id": student_id, "school_date": day, "syear": 2026, "school_id": 1,
        "minutes_present": 0 if state == "0.0" else 150, "state_value": Decimal(state),
        "absence_type": kind,
    }  # fmt: skip


@pytest.fixture
def district(engine: sa.Engine) -> sa.Engine:
    nov = lambda d: dt.date(2026, 11, d)  # noqa: E731
    with engine.begin() as conn:
        conn.execute(
            sa.insert(school_years).values(
                syear=2026, title="2026-27", start_date=dt.date(2026, 8, 1),
                end_date=dt.date(2027, 6, 30), is_default=True,
            )
        )  # fmt: skip
        conn.execute(
            sa.insert(schools).values(
                school_id=1, title="Elm", short_name="ELM", school_number="0101",
                district_number="13",
            )
        )  # fmt: skip
        people = [
            (1, "Ana", "Díaz", dt.date(2020, 11, 1)),  # 6 on the 1st: in
            (2, "Bo", "Lee", dt.date(2020, 11, 2)),  # 6 only on the 2nd: out
            (3, "Cy", "Kim", dt.date(2006, 11, 1)),  # 20 on the 1st: out
            (4, "Dee", "Fox", dt.date(2006, 11, 2)),  # still 19: in
            (5, "Eve", "Ng", None),  # no birthdate: listed
            (6, "Fay", "Orr", dt.date(2012, 1, 1)),  # excused only: not reported
        ]
        conn.execute(
            sa.insert(students),
            [
                {"student_id": i, "first_name": f, "last_name": la, "birthdate": b}
                for i, f, la, b in people
            ],
        )
        conn.execute(
            sa.insert(attendance_day),
            [
                _day(1, nov(3)),
                _day(1, nov(30)),  # the month's last day
                _day(1, nov(4), "excused"),
                _day(1, nov(5), state="0.5"),  # a half day: not counted
                *(_day(2, nov(d)) for d in (3, 4, 5)),
                _day(3, nov(3)),
                _day(4, nov(1)),  # the month's first day
                _day(4, dt.date(2026, 10, 31)),
                _day(4, dt.date(2026, 12, 1)),
                _day(5, nov(3)),
                _day(6, nov(3), "excused"),
            ],
        )
    return engine


def _connections(server: dict, *, tls: bool = False):
    def lookup(conn_id: str) -> ConnectionInfo:
        assert conn_id == "learnfare_ftp"
        extra = {"tls": "true" if tls else "false", "ca_file": server.get("ca_file")}
        return ConnectionInfo(
            conn_id, "ftp", host=server["host"], port=server["port"], login=USER,
            password=PASSWORD, extra=extra,
        )  # fmt: skip

    return lookup


def _run(engine, store: Path, connections, now=NOW, **params):
    return run_in_transaction(
        engine, SubmitLearnFare(), SubmitLearnFareParams(**params), now=now, tmp=store,
        connections=connections,
    )  # fmt: skip


def test_month_bounds():
    assert month_bounds(None, dt.date(2026, 12, 2)) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert month_bounds(None, dt.date(2026, 1, 1)) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    assert month_bounds("2028-02", dt.date(2026, 1, 1)) == (
        dt.date(2028, 2, 1), dt.date(2028, 2, 29),
    )  # fmt: skip


def test_the_file_reaches_the_server_byte_for_byte_and_once(district, tmp_path):
    root = tmp_path / "ftp"
    with ftp_server(root) as server:
        result = _run(district, tmp_path / "store", _connections(server))
        assert result.success, result.text
        assert (root / NAME).read_bytes() == GOLDEN
        assert result.counts == {"students": 2, "not_sent": 1, "files_sent": 1, "files_waiting": 0}
        assert "  not sent: #5 Ng, Eve: No birthdate: not sent" in result.text
        assert "  #1 Díaz, Ana: 2 unexcused, 1 excused" in result.text
        (root / NAME).unlink()
        again = _run(district, tmp_path / "store", _connections(server), NOW.replace(hour=21))
    assert again.success and "was sent before: not sent again" in again.summary
    assert not (root / NAME).exists()


def test_a_chosen_month(district, tmp_path):
    root = tmp_path / "ftp"
    with ftp_server(root) as server:
        result = _run(district, tmp_path / "store", _connections(server), month="2026-10")
    assert result.success and result.counts["students"] == 1
    assert (root / "LEARNFARE_202610.txt").read_bytes() == (
        "L" + "000000004" + "FOX" + " " * 17 + "DEE" + " " * 12 + "20061102" + "202610" + "01"
        + "00" + "\r\n" + "T" + "000001" + "202610" + " " * 50 + "\r\n"
    ).encode("ascii")  # fmt: skip


def test_over_ftps(district, tmp_path):
    root = tmp_path / "ftp"
    with ftp_server(root, tls=True, certs=tmp_path) as server:
        result = _run(district, tmp_path / "store", _connections(server, tls=True))
    assert result.success, result.text
    assert (root / NAME).read_bytes() == GOLDEN


def test_a_failed_upload_waits_for_the_next_run(district, tmp_path):
    root = tmp_path / "ftp"
    with ftp_server(root) as server:
        down = dict(server)
    failed = _run(district, tmp_path / "store", _connections(down))
    assert failed.success is False and "waiting in the outbox for the next run" in failed.summary
    assert failed.counts["files_waiting"] == 1
    with ftp_server(root) as server:
        later = _run(district, tmp_path / "store", _connections(server), NOW.replace(hour=21))
    assert later.success and (root / NAME).read_bytes() == GOLDEN


def test_a_refused_upload_leaves_the_file_waiting_and_the_ledger_empty(district, tmp_path):
    root = tmp_path / "ftp"
    root.mkdir()
    (root / NAME).mkdir()  # a folder in the way: the rename onto it is refused
    outbox = tmp_path / "store" / "test-job" / "outbox"
    with ftp_server(root) as server:
        failed = _run(district, tmp_path / "store", _connections(server))
        assert failed.success is False and "error_perm" in failed.summary
        assert (outbox / NAME).read_bytes() == GOLDEN
        assert ledger(district) == []
        (root / NAME).rmdir()
        later = _run(district, tmp_path / "store", _connections(server), NOW.replace(hour=21))
    assert later.success and (root / NAME).read_bytes() == GOLDEN
    assert list(outbox.iterdir()) == []
    assert ledger(district) == [(NAME, 2, "test-job")]


def test_the_ledger_counts_student_lines_not_the_trailer(district, tmp_path):
    root = tmp_path / "ftp"
    with ftp_server(root) as server:
        down = dict(server)
    _run(district, tmp_path / "store", _connections(down))  # November's file waits
    # A month later December is reported: its one absence is Dee's on the 1st, but she turned
    # 20 on 2 November, so December's file has nobody in it.
    with ftp_server(root) as server:
        later = _run(
            district, tmp_path / "store", _connections(server), NOW.replace(month=1, year=2027)
        )
    assert later.success, later.text
    assert (root / NAME).read_bytes() == GOLDEN
    assert (root / "LEARNFARE_202612.txt").read_bytes() == (b"T000000202612" + b" " * 50 + b"\r\n")
    assert ledger(district) == [
        ("LEARNFARE_202611.txt", 2, "test-job"),
        ("LEARNFARE_202612.txt", 0, "test-job"),
    ]


def test_a_database_error_after_the_upload_rolls_back_and_the_next_run_sends_again(
    district, tmp_path
):
    root = tmp_path / "ftp"
    outbox = tmp_path / "store" / "test-job" / "outbox"
    with ftp_server(root) as server:
        with ledger_refused(district), pytest.raises(sa.exc.DBAPIError, match=MESSAGE):
            _run(district, tmp_path / "store", _connections(server))
        assert ledger(district) == []  # the database is as it was
        assert (outbox / NAME).read_bytes() == GOLDEN  # still waiting
        assert (root / NAME).read_bytes() == GOLDEN  # the upload had happened
        (root / NAME).unlink()
        later = _run(district, tmp_path / "store", _connections(server), NOW.replace(hour=22))
    assert later.success and later.counts["files_sent"] == 1
    assert (root / NAME).read_bytes() == GOLDEN
    assert list(outbox.iterdir()) == []
    assert ledger(district) == [(NAME, 2, "test-job")]
