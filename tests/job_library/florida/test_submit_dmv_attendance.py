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
from job_library.schemas.florida_reporting import florida_pk12_initial
from tests.ftp_server import PASSWORD, USER, ftp_server
from tests.job_library.florida.ledger_refusal import MESSAGE, ledger, ledger_refused
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


FOLDERS = {"dmv_ftp": "/incoming", "district_fte_ftp": "/district"}


def _connections(server: dict, *, tls: bool = False):
    def lookup(conn_id: str) -> ConnectionInfo:
        if conn_id not in FOLDERS:
            raise ConnectionNotFound(conn_id)
        extra = {"tls": tls, "folder": FOLDERS[conn_id]}
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
    assert result.counts == {
        "students": 2, "not_sent": 1, "files_sent": 1, "files_waiting": 0, "fte_records": 0,
    }  # fmt: skip
    assert result.summary.endswith(
        "FTE not sent: no PK-12 records of any survey for school year 2026; run Florida DOE "
        "Extracts and Verification Reports first."
    )
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


def test_the_ledger_counts_student_lines_not_the_trailer(district, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)
    with ftp_server(root) as server:
        down = dict(server)
    _run(district, tmp_path / "store", _connections(down))  # the 27th's file waits
    # The next day's run sends the waiting file (not this run's bytes) and its own. On the 28th
    # the window starts 31 August (Ana's 30 August falls out: 14) and Dee turns 18: nobody.
    with ftp_server(root) as server:
        later = _run(district, tmp_path / "store", _connections(server), NOW + dt.timedelta(days=1))
    assert later.success, later.text
    assert (root / "incoming" / NAME).read_bytes() == GOLDEN
    assert (root / "incoming" / "DMV_ATTENDANCE_20261128.txt").read_bytes() == (
        b"T00000020261128" + b" " * 65 + b"\r\n"
    )
    assert ledger(district) == [
        ("DMV_ATTENDANCE_20261127.txt", 2, "test-job"),
        ("DMV_ATTENDANCE_20261128.txt", 0, "test-job"),
    ]


def test_a_database_error_after_the_upload_rolls_back_and_the_next_run_sends_again(
    district, tmp_path
):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)
    outbox = tmp_path / "store" / "test-job" / "outbox"
    with ftp_server(root) as server:
        with ledger_refused(district), pytest.raises(sa.exc.DBAPIError, match=MESSAGE):
            _run(district, tmp_path / "store", _connections(server))
        assert ledger(district) == []  # the database is as it was
        assert (outbox / NAME).read_bytes() == GOLDEN  # still waiting
        assert not (tmp_path / "store" / "test-job" / "sent" / NAME).exists()
        # The upload itself had happened: the server has the bytes once already.
        assert (root / "incoming" / NAME).read_bytes() == GOLDEN
        (root / "incoming" / NAME).unlink()
        later = _run(district, tmp_path / "store", _connections(server), NOW.replace(minute=50))
    assert later.success and later.counts["files_sent"] == 1
    assert (root / "incoming" / NAME).read_bytes() == GOLDEN
    assert list(outbox.iterdir()) == []
    assert ledger(district) == [(NAME, 2, "test-job")]


# The district's submitted FTE: PK-12 Federal/State Indicator Status records (the DOE's
# 2025-26 layout, 160 characters) as the DOE extracts job stores them, written out here field
# by field: district 2, school 4, filler 10, survey 1, fiscal year 4, then positions 22-62
# (military Z, immunization, filler 2, homeless N, unaccompanied Z, filler 6, transaction A,
# filler 4, PE waiver N, bullied Z Z Z, fund source Z, 504 Z, bullied Z, arrest N, academy N,
# filler 7, immigrant N, Z Z Z Z Z, filler 1, federally connected Z), local student number
# 10 (left, blank-filled), FLEID 14, filler 74.
def _fte(school: str, student: str, survey: str, immunization: str = " ") -> str:
    return (
        "13" + school + " " * 10 + survey + "2627"
        + "Z" + immunization + "  " + "NZ" + " " * 6 + "A" + " " * 4 + "N" + "ZZZ" + "Z" + "Z"
        + "Z" + "NN" + " " * 7 + "N" + "ZZZZZ" + " " + "Z"
        + student + " " * (10 - len(student)) + f"FL{int(student):012d}" + " " * 74
    )  # fmt: skip


FTE_ROWS = [  # (survey, school id, student id, record), stored out of order on purpose
    ("3", 2, 4, _fte("2001", "4", "3")),
    ("3", 1, 2, _fte("0101", "2", "3", "2")),
    ("2", 1, 1, _fte("0101", "1", "2")),
    ("3", 1, 1, _fte("0101", "1", "3", "2")),
]
# Survey 3 is the latest: school 1's students 1 and 2, then school 2's student 4; no trailer.
FTE_NAME = "FTE_2627_SURVEY3.txt"
INDICATORS = "  NZ      A    NZZZZZZNN       NZZZZZ Z"  # positions 24-62, as above
FTE_GOLDEN = (
    "130101" + " " * 10 + "32627" + "Z2" + INDICATORS + "1         FL000000000001" + " " * 74
    + "\r\n"
    + "130101" + " " * 10 + "32627" + "Z2" + INDICATORS + "2         FL000000000002" + " " * 74
    + "\r\n"
    + "132001" + " " * 10 + "32627" + "Z " + INDICATORS + "4         FL000000000004" + " " * 74
    + "\r\n"
).encode("ascii")  # fmt: skip


@pytest.fixture
def with_fte(district: sa.Engine) -> sa.Engine:
    with district.begin() as conn:
        conn.execute(
            sa.insert(florida_pk12_initial),
            [
                {"syear": 2026, "survey": sv, "school_id": sc, "student_id": st, "record": r}
                for sv, sc, st, r in FTE_ROWS
            ],
        )
    return district


def _folders(root: Path) -> None:
    (root / "incoming").mkdir(parents=True)
    (root / "district").mkdir()


def test_the_fte_goes_to_the_district_beside_the_dmv_file(with_fte, tmp_path):
    assert len(FTE_GOLDEN) == 3 * 162
    root = tmp_path / "ftp"
    _folders(root)
    with ftp_server(root) as server:
        result = _run(with_fte, tmp_path / "store", _connections(server))
        assert result.success, result.text
        assert (root / "incoming" / NAME).read_bytes() == GOLDEN
        assert (root / "district" / FTE_NAME).read_bytes() == FTE_GOLDEN
        assert sorted(p.name for p in (root / "district").iterdir()) == [FTE_NAME]
        assert result.counts == {
            "students": 2, "not_sent": 1, "files_sent": 2, "files_waiting": 0,
            "fte_records": 3,
        }  # fmt: skip
        assert (
            f"{FTE_NAME} (3 FTE record(s), survey 3 of 2026). Sent {FTE_NAME} to the district."
            in result.summary
        )
        fte_sent = tmp_path / "store" / "test-job" / "fte" / "sent" / FTE_NAME
        assert fte_sent.read_bytes() == FTE_GOLDEN
        assert ledger(with_fte) == [(NAME, 2, "test-job"), (FTE_NAME, 3, "test-job")]
        (root / "district" / FTE_NAME).unlink()
        again = _run(with_fte, tmp_path / "store", _connections(server), NOW.replace(minute=5))
    assert again.success and again.counts["files_sent"] == 0
    assert f"{FTE_NAME} (3 FTE record(s), survey 3 of 2026) was sent before" in again.summary
    assert not (root / "district" / FTE_NAME).exists()
    assert len(ledger(with_fte)) == 2


def test_a_chosen_survey_into_the_jobs_fte_folder(with_fte, tmp_path):
    root = tmp_path / "ftp"
    _folders(root)
    (root / "district" / "fte").mkdir()
    with ftp_server(root) as server:
        result = _run(
            with_fte, tmp_path / "store", _connections(server), fte_survey="2", fte_folder="fte"
        )
    assert result.success, result.text
    assert (root / "district" / "fte" / "FTE_2627_SURVEY2.txt").read_bytes() == (
        "130101" + " " * 10 + "22627" + "Z " + INDICATORS + "1         FL000000000001"
        + " " * 74 + "\r\n"
    ).encode("ascii")  # fmt: skip
    assert result.counts["fte_records"] == 1


def test_another_fte_connection_and_a_survey_without_records(with_fte, tmp_path):
    root = tmp_path / "ftp"
    _folders(root)
    (root / "other").mkdir()
    FOLDERS["other_fte"] = "/other"
    try:
        with ftp_server(root) as server:
            sent = _run(
                with_fte, tmp_path / "store", _connections(server), fte_connection="other_fte"
            )
            empty = _run(
                with_fte, tmp_path / "s2", _connections(server), fte_survey="5", as_of=AS_OF
            )
    finally:
        del FOLDERS["other_fte"]
    assert sent.success, sent.text
    assert (root / "other" / FTE_NAME).read_bytes() == FTE_GOLDEN
    assert not (root / "district" / FTE_NAME).exists()
    assert empty.success and empty.counts["fte_records"] == 0
    assert "FTE not sent: no PK-12 records of survey 5 for school year 2026" in empty.summary


def test_an_older_fte_that_comes_back_is_sent_again(with_fte, tmp_path):
    # A, then B (student 4's immunization changes), then A again: the district must end
    # with A. Bytes identical to the file last sent under the name are not sent again.
    indicators = INDICATORS.encode()
    b_golden = FTE_GOLDEN.replace(b"32627Z " + indicators, b"32627Z3" + indicators)
    assert b_golden != FTE_GOLDEN

    def immunization_of_student_4(value: str) -> None:
        with with_fte.begin() as conn:
            conn.execute(
                sa.update(florida_pk12_initial)
                .where(florida_pk12_initial.c.student_id == 4)
                .values(record=_fte("2001", "4", "3", value))
            )

    root = tmp_path / "ftp"
    _folders(root)
    landed = root / "district" / FTE_NAME
    with ftp_server(root) as server:
        runs = []
        for minute, value in ((1, " "), (2, "3"), (3, " "), (4, " ")):
            immunization_of_student_4(value)
            landed.unlink(missing_ok=True)
            result = _run(
                with_fte, tmp_path / "store", _connections(server), NOW.replace(minute=minute)
            )
            assert result.success, result.text
            runs.append(landed.read_bytes() if landed.exists() else None)
    assert runs == [FTE_GOLDEN, b_golden, FTE_GOLDEN, None]
    # One ledger row per content: the DMV file, FTE A (sent twice) and FTE B.
    assert sorted(ledger(with_fte)) == sorted(
        [(NAME, 2, "test-job"), (FTE_NAME, 3, "test-job"), (FTE_NAME, 3, "test-job")]
    )


def test_without_an_fte_connection_the_dmv_file_goes_and_the_run_says_why(with_fte, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)
    with ftp_server(root) as server:
        result = _run(
            with_fte, tmp_path / "store", _connections(server), fte_connection="no_such_fte"
        )
    assert result.success, result.text
    assert (root / "incoming" / NAME).read_bytes() == GOLDEN
    assert result.counts == {
        "students": 2, "not_sent": 1, "files_sent": 1, "files_waiting": 0, "fte_records": 0,
    }  # fmt: skip
    assert (
        "FTE not sent: Airflow has no connection 'no_such_fte' for the district's FTE server"
        in result.summary
    )
    assert not (tmp_path / "store" / "test-job" / "fte").exists()
    assert ledger(with_fte) == [(NAME, 2, "test-job")]


def test_the_fte_can_be_left_out(with_fte, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)  # no /district folder: it is never asked for
    with ftp_server(root) as server:
        result = _run(with_fte, tmp_path / "store", _connections(server), send_fte=False)
    assert result.success, result.text
    assert result.counts == {"students": 2, "not_sent": 1, "files_sent": 1, "files_waiting": 0}
    assert "FTE" not in result.summary


def test_a_refused_fte_upload_fails_the_run_and_waits_in_its_own_outbox(with_fte, tmp_path):
    root = tmp_path / "ftp"
    (root / "incoming").mkdir(parents=True)  # no /district folder: CWD is refused
    fte_box = tmp_path / "store" / "test-job" / "fte" / "outbox"
    with ftp_server(root) as server:
        failed = _run(with_fte, tmp_path / "store", _connections(server))
        assert failed.success is False
        assert "The FTE upload failed (error_perm" in failed.summary
        assert f"waiting in the FTE outbox for the next run: {FTE_NAME}." in failed.summary
        assert failed.counts["files_sent"] == 1 and failed.counts["files_waiting"] == 1
        assert (root / "incoming" / NAME).read_bytes() == GOLDEN  # the DMV file went
        assert (fte_box / FTE_NAME).read_bytes() == FTE_GOLDEN
        assert ledger(with_fte) == [(NAME, 2, "test-job")]
        (root / "district").mkdir()
        later = _run(with_fte, tmp_path / "store", _connections(server), NOW.replace(minute=9))
    assert later.success, later.text
    assert later.counts["files_sent"] == 1  # only the FTE: the DMV file was sent before
    assert (root / "district" / FTE_NAME).read_bytes() == FTE_GOLDEN
    assert list(fte_box.iterdir()) == []
    assert ledger(with_fte) == [(NAME, 2, "test-job"), (FTE_NAME, 3, "test-job")]


def test_a_database_error_leaves_the_fte_file_waiting_too(with_fte, tmp_path):
    root = tmp_path / "ftp"
    _folders(root)
    with ftp_server(root) as server:
        with ledger_refused(with_fte), pytest.raises(sa.exc.DBAPIError, match=MESSAGE):
            _run(with_fte, tmp_path / "store", _connections(server))
        assert ledger(with_fte) == []
        store = tmp_path / "store" / "test-job"
        assert (store / "outbox" / NAME).read_bytes() == GOLDEN
        # The DMV ledger row failed first: the FTE file was queued only after it, so it was
        # never built into its outbox nor uploaded.
        assert not (root / "district" / FTE_NAME).exists()
        later = _run(with_fte, tmp_path / "store", _connections(server), NOW.replace(minute=20))
    assert later.success and later.counts["files_sent"] == 2
    assert (root / "district" / FTE_NAME).read_bytes() == FTE_GOLDEN
    assert ledger(with_fte) == [(NAME, 2, "test-job"), (FTE_NAME, 3, "test-job")]
