"""FLEID Export/Import over OpenSSH's SFTP on loopback, on SQLite and Postgres; the export is
compared byte for byte with a file worked out by hand from the layout (golden/)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from include.sftp_files import SftpFiles
from job_library.jobs.florida import fleid_exchange as module
from job_library.jobs.florida.fleid_exchange import FleidExportImport, FleidParams
from job_library.schemas.district import staff
from job_library.schemas.enrollment import students
from job_library.schemas.florida_reporting import fleid_history, fleid_requests, staff_fleids
from tests.job_library.district import load, load_adult
from tests.job_library.jobs_context import run_in_transaction

GOLDEN = Path(__file__).parent / "golden"
NOW = dt.datetime(2026, 11, 12, 20, 0, tzinfo=ZoneInfo("America/New_York"))
EXPORT = "FLEID_K12_20261112200000.txt"


def _district(engine) -> None:
    """Active K-12 students on 12 Nov: 1, 2, 4, 5 (3 left on 10 Nov, 6 starts 20 Nov); 2 has
    a FLEID, 5 one of zeros. Staff 201 and 202 have none."""
    load(engine)
    load_adult(engine)
    with engine.begin() as conn:
        s = students.c
        for sid, values in {
            1: dict(birthdate=dt.date(2015, 5, 6), gender="M"),
            2: dict(fleid="FL000000000002"),
            5: dict(fleid="FL000000000000"),
        }.items():
            conn.execute(sa.update(students).where(s.student_id == sid).values(**values))
        conn.execute(
            sa.insert(staff),
            [
                dict(staff_id=201, first_name="Ana", last_name="Rivera"),
                dict(staff_id=202, first_name="Li", last_name="Chen"),
            ],
        )


@pytest.fixture(autouse=True)
def fleid_folder(request: pytest.FixtureRequest) -> None:
    """/fleid made by the administrator, writable by the SFTP user."""
    if "sftp" in request.fixturenames:
        request.getfixturevalue("sftp").folder("fleid")


def _run(engine, sftp, now=NOW, **params):
    with sftp.client() as client:
        return run_in_transaction(
            engine, FleidExportImport(), FleidParams(**params), now=now, remote=SftpFiles(client)
        )


def _outgoing(sftp) -> dict[str, bytes]:
    folder = sftp.root / "fleid" / "outgoing"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def _fleids(engine) -> dict[tuple[str, int], str]:
    with engine.connect() as conn:
        found = {
            ("student", i): f
            for i, f in conn.execute(
                sa.select(students.c.student_id, students.c.fleid).where(
                    students.c.fleid.is_not(None)
                )
            )
        }
        found |= {("staff", i): f for i, f in conn.execute(sa.select(staff_fleids))}
    return found


def _requests(engine) -> set[tuple]:
    with engine.connect() as conn:
        r = fleid_requests.c
        return {tuple(x) for x in conn.execute(sa.select(r.person_kind, r.person_id))}


def test_export_matches_the_golden_file_and_a_second_run_sends_nothing(db, sftp):
    _district(db)
    result = _run(db, sftp)
    assert _outgoing(sftp) == {EXPORT: (GOLDEN / "fleid_export_k12.txt").read_bytes()}
    assert result.success
    assert result.summary == (
        f"FLEID K12: exported 5 record(s) to /fleid/outgoing/{EXPORT}; imported 0 file(s), "
        "0 student and 0 staff FLEID(s) set, 0 line(s) not applied."
    )
    assert _requests(db) == {
        ("student", 1),
        ("student", 4),
        ("student", 5),
        ("staff", 201),
        ("staff", 202),
    }
    again = _run(db, sftp, now=NOW + dt.timedelta(hours=1))
    assert again.counts["exported"] == 0
    assert list(_outgoing(sftp)) == [EXPORT]
    with db.connect() as conn:
        h = fleid_history.c
        assert conn.execute(sa.select(h.direction, h.source, h.file_name, h.records)).all() == [
            ("export", "K12", EXPORT, 5)
        ]


def test_record_limit_boundaries_and_the_rest_wait(db, sftp):
    _district(db)
    exact = _run(db, sftp, export_record_limit=5, dont_transmit_staff=False)
    assert (exact.counts["exported"], exact.counts["waiting"]) == (5, 0)


def test_record_limit_below_the_count_sends_the_first_ones(db, sftp):
    _district(db)
    first = _run(db, sftp, export_record_limit=2)
    assert (first.counts["exported"], first.counts["waiting"]) == (2, 3)
    assert "(3 more wait for the next run: Export Record Limit)" in first.summary
    assert _requests(db) == {("student", 1), ("student", 4)}
    second = _run(db, sftp, now=NOW + dt.timedelta(minutes=1), export_record_limit=2)
    assert (second.counts["exported"], second.counts["waiting"]) == (2, 1)
    assert _requests(db) >= {("student", 5), ("staff", 201)}
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        FleidParams(export_record_limit=0)
    with pytest.raises(ValidationError, match="fractional part"):
        FleidParams(export_record_limit=2.5)


def test_options_choose_who_is_exported(db, sftp):
    _district(db)
    no_staff = _run(db, sftp, dont_transmit_staff=True)
    assert no_staff.counts["exported"] == 3
    assert _requests(db) == {("student", 1), ("student", 4), ("student", 5)}
    inactive = _run(
        db, sftp, now=NOW + dt.timedelta(minutes=1), include_inactive=True, dont_transmit_staff=True
    )
    assert _requests(db) - no_staff_set() == {("student", 3), ("student", 6)}
    assert inactive.counts["exported"] == 2
    wdis = _run(
        db,
        sftp,
        now=NOW + dt.timedelta(minutes=2),
        source_indicator="WDIS",
        dont_transmit_staff=True,
    )
    assert wdis.counts["exported"] == 6  # adult students 11-15 and 17 (16 left on 3 Nov)
    name = "FLEID_WDIS_20261112200200.txt"
    assert _outgoing(sftp)[name].startswith(b"SWDIS370000000011Last11")
    last_year = _run(
        db,
        sftp,
        now=NOW + dt.timedelta(minutes=3),
        school_years=[2025],
        include_inactive=True,
        dont_transmit_staff=True,
    )
    assert last_year.counts["exported"] == 0  # 2025's only record is student 1's, requested
    unknown = _run(db, sftp, school_years=[2030])
    assert not unknown.success
    assert unknown.summary.startswith("school years [2030]: no such school year")


def no_staff_set() -> set[tuple]:
    return {("student", 1), ("student", 4), ("student", 5)}


def _answer(kind: str, local_id: int, last: str, birth: str, fleid: str) -> str:
    line = kind + str(local_id).rjust(10, "0") + last.ljust(25) + birth + fleid
    assert len(line) == 58
    return line


ANSWERS = "\r\n".join(
    [
        _answer("S", 1, "Last1", "20150506", "FL000000000101"),  # matches
        _answer("S", 4, "LAST4", "00000000", "FL000000000104"),  # any case, no birth date
        _answer("S", 5, "Last5", "00000000", "FL000000000000"),  # zeros: refused
        _answer("S", 3, "Wrong", "00000000", "FL000000000103"),  # name does not match
        _answer("S", 6, "Last6", "00000000", "FL000000000002"),  # student 2's FLEID
        _answer("T", 201, "Rivera", "00000000", "FL000000000201"),  # staff
        "S0000000001short",
    ]
)


def test_import_sets_matched_fleids_lists_the_rest_and_reads_a_file_once(db, sftp):
    _district(db)
    _run(db, sftp)
    sftp.put("fleid/incoming/FLEID_K12_20261113.txt", ANSWERS)
    sftp.put(
        "fleid/incoming/FLEID_WDIS_20261113.txt",
        _answer("S", 11, "Last11", "00000000", "FL000000000111"),
    )
    result = _run(db, sftp, now=NOW + dt.timedelta(days=1))
    assert _fleids(db) == {
        ("student", 1): "FL000000000101",
        ("student", 2): "FL000000000002",
        ("student", 4): "FL000000000104",
        ("student", 5): "FL000000000000",
        ("staff", 201): "FL000000000201",
    }
    assert result.counts["students_updated"] == 2
    assert result.counts["staff_updated"] == 1
    assert result.counts["not_applied"] == 4
    text = result.text
    assert (
        "  not applied: FLEID_K12_20261113.txt line 3: FLEID of zeros: the DOE no longer "
        "accepts zeros" in text
    )
    assert (
        "  not applied: FLEID_K12_20261113.txt line 4: no student matches this id, last name "
        "and birth date" in text
    )
    assert (
        "  not applied: FLEID_K12_20261113.txt line 5: FLEID FL000000000002 already belongs "
        "to someone else" in text
    )
    assert (
        "  not applied: FLEID_K12_20261113.txt line 7: layout FLEID response (project layout): "
        "the record is 16 characters long, expected 58" in text
    )
    assert _requests(db) == {("student", 5), ("staff", 202)}  # answered ones are done
    again = _run(db, sftp, now=NOW + dt.timedelta(days=2))
    assert again.counts["files_imported"] == 0
    assert "  already imported (FLEID history): FLEID_K12_20261113.txt" in again.text
    wdis = _run(
        db, sftp, now=NOW + dt.timedelta(days=2), source_indicator="WDIS", dont_transmit_staff=True
    )
    assert wdis.counts["students_updated"] == 1


def test_staff_answers_are_skipped_when_staff_is_not_transmitted(db, sftp):
    _district(db)
    sftp.put(
        "fleid/incoming/FLEID_K12_1.txt", _answer("T", 201, "Rivera", "00000000", "FL000000000201")
    )
    result = _run(db, sftp, dont_transmit_staff=True)
    assert _fleids(db).get(("staff", 201)) is None
    assert (
        "  not applied: FLEID_K12_1.txt line 1: staff record not imported (Don't "
        "Transmit/Import Staff is ticked)" in result.text
    )


def test_a_failure_midway_changes_nothing_and_sends_no_file(db, sftp, monkeypatch):
    _district(db)
    sftp.put("fleid/incoming/FLEID_K12_20261113.txt", ANSWERS)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="database went away"):
        _run(db, sftp)
    assert _fleids(db) == {("student", 2): "FL000000000002", ("student", 5): "FL000000000000"}
    assert _requests(db) == set()
    assert not [n for n in _outgoing(sftp) if not n.startswith(".")]  # nothing visible sent
    monkeypatch.undo()
    result = _run(db, sftp)
    assert list(_outgoing(sftp)) == [EXPORT]  # the leftover hidden file was removed
    assert result.counts["files_imported"] == 1


def test_on_the_demo_district_the_students_without_a_fleid_are_requested(db, sftp):
    from include.demo_district import FIRST_STUDENT_ID, REFERENCE_DAY, generate

    generate(db, 60, today=REFERENCE_DAY)
    evening = dt.datetime(2026, 1, 21, 23, 0, tzinfo=dt.UTC)
    k12 = _run(db, sftp, now=evening, dont_transmit_staff=True)
    wdis = _run(db, sftp, now=evening, dont_transmit_staff=True, source_indicator="WDIS")
    assert k12.counts["exported"] + wdis.counts["exported"] == 2
    assert _requests(db) == {("student", FIRST_STUDENT_ID + 59), ("student", FIRST_STUDENT_ID + 58)}
    again = _run(db, sftp, now=evening + dt.timedelta(minutes=30), dont_transmit_staff=True)
    assert again.counts["exported"] == 0


def _sent_at(engine) -> dict[tuple[str, int], tuple[str, dt.datetime]]:
    with engine.connect() as conn:
        r = fleid_requests.c
        return {
            (k, i): (f, t)
            for k, i, f, t in conn.execute(
                sa.select(r.person_kind, r.person_id, r.file_name, r.sent_at)
            )
        }


def _local_ids(data: bytes) -> list[str]:
    """Record type and local id (positions 1 and 8-17) of each line of an export."""
    return [f"{line[0]}{int(line[7:17])}" for line in data.decode("ascii").splitlines()]


def test_an_unanswered_request_is_sent_again_after_the_days_given(db, sftp):
    # Requests go out on 12 Nov 20:00 (EST, no clock change until March). With 30 days,
    # 11 Dec 20:00 is 29 days later: nothing is re-sent; 12 Dec 20:00 is exactly 30 days
    # later: the seven unanswered requests go out again, and their rows name the new file.
    # With inactive students included: students 1, 3, 4, 5, 6 (2 has a FLEID), staff 201, 202.
    _district(db)
    first = _run(db, sftp, include_inactive=True)
    assert first.counts["exported"] == 7 and first.counts["resent"] == 0
    before = _sent_at(db)
    day_29 = NOW + dt.timedelta(days=29)
    waited = _run(db, sftp, now=day_29, include_inactive=True)
    assert (waited.counts["exported"], waited.counts["resent"]) == (0, 0)
    assert _sent_at(db) == before
    day_30 = NOW + dt.timedelta(days=30)
    again = _run(db, sftp, now=day_30, include_inactive=True)
    resend = "FLEID_K12_20261212200000.txt"
    assert (again.counts["exported"], again.counts["resent"]) == (7, 7)
    assert again.summary.startswith(
        f"FLEID K12: exported 7 record(s) to /fleid/outgoing/{resend}, 7 of them re-sent "
        "(unanswered for 30 days or more);"
    )
    assert f"  re-sent: student 1: no answer to {EXPORT}" in again.text
    assert f"  re-sent: staff 202: no answer to {EXPORT}" in again.text
    assert _local_ids(_outgoing(sftp)[resend]) == ["S1", "S3", "S4", "S5", "S6", "T201", "T202"]
    after = _sent_at(db)
    assert set(after) == set(before)
    assert {f for f, _ in after.values()} == {resend}
    # The same day again: the fresh requests wait another 30 days.
    same_day = _run(db, sftp, now=day_30 + dt.timedelta(hours=1), include_inactive=True)
    assert same_day.counts["exported"] == 0


def test_resend_days_can_be_shorter_and_an_answered_person_is_not_resent(db, sftp):
    _district(db)
    _run(db, sftp, dont_transmit_staff=True, include_inactive=True)
    with db.begin() as conn:  # student 4 got a FLEID some other way
        conn.execute(
            sa.update(students).where(students.c.student_id == 4).values(fleid="FL000000000044")
        )
    early = _run(
        db, sftp, now=NOW + dt.timedelta(days=6), resend_after_days=7,
        dont_transmit_staff=True, include_inactive=True,
    )  # fmt: skip
    assert early.counts["resent"] == 0
    due = _run(
        db, sftp, now=NOW + dt.timedelta(days=7), resend_after_days=7,
        dont_transmit_staff=True, include_inactive=True,
    )  # fmt: skip
    # Students 1, 3, 4, 5, 6 were requested; 4 now has a FLEID, so four go out again.
    assert due.counts["resent"] == 4
    assert _local_ids(_outgoing(sftp)["FLEID_K12_20261119200000.txt"]) == ["S1", "S3", "S5", "S6"]
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        FleidParams(resend_after_days=0)
