"""NeoGov New Hires and User Data against a real SFTP server and real databases, by hand."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from include.sftp_files import SftpFiles
from job_library.base import NoParams
from job_library.jobs.erp.neogov import NeoGovNewHires, NeoGovUserData
from job_library.schema import employees, processed_files, users
from tests.job_library.jobs_context import run_in_transaction
from tests.openssh_server import OpenSshServer

NOW = dt.datetime(2026, 11, 28, 3, 15, 0, tzinfo=ZoneInfo("America/New_York"))
USER_FILE_A = (
    "ein|username|email\n"
    'E1|"ana.diaz"|ana@new.org\n'  # both fields change; quotes are optional
    "E2||\n"  # empty fields never clear anything
    "E3|cy|cy@x.org\n"  # an employee without a user account: never created
    "E77|new.hire|nh@x.org\n"  # no such employee yet: retried later
)
USER_FILE_B = (
    "EIN|EMAIL|USERNAME\n"  # any column order, any case
    "E2|bo@new.org|\n"  # merges with E2 above: only the e-mail changes
    "E4|t@new.org|blee\n"  # E2's username: refused
)


def _put(sftp: OpenSshServer, folder: str, name: str, text: str | bytes) -> Path:
    return sftp.put(f"{folder}/{name}", text)


def _run(engine: sa.Engine, sftp: OpenSshServer, job, now: dt.datetime = NOW):
    with sftp.client() as client:
        return run_in_transaction(engine, job, NoParams(), now=now, remote=SftpFiles(client))


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- User Data -------------------------------------------------------------------------


@pytest.fixture
def staff(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(sa.insert(employees), [{"ein": e} for e in ("E1", "E2", "E3", "E4")])
        conn.execute(
            sa.insert(users),
            [
                {"ein": "E1", "username": "adiaz", "email": "ana@old.org"},
                {"ein": "E2", "username": "blee", "email": "bo@old.org"},
                {"ein": "E4", "username": "taken", "email": "t@x.org"},
            ],
        )
    return engine


def _users(engine: sa.Engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(users.c.ein, users.c.username, users.c.email)).all()
    return {r.ein: (r.username, r.email) for r in rows}


def test_first_run_creates_the_userdata_folder(staff, sftp):
    sftp.folder("neogov")  # the administrator's drop folder; the chroot's root is not writable
    result = _run(staff, sftp, NeoGovUserData())
    assert result.success and "Created the folder /neogov/userdata" in result.summary
    assert (sftp.root / "neogov" / "userdata").is_dir() and (sftp.root / "neogov" / "done").is_dir()


def test_user_data_updates_only_defers_unknown_eins_and_copies_records_to_done(staff, sftp):
    _put(sftp, "neogov/userdata", "a.csv", USER_FILE_A)
    _put(sftp, "neogov/userdata", "b.txt", USER_FILE_B)
    result = _run(staff, sftp, NeoGovUserData())
    assert _users(staff) == {
        "E1": ("ana.diaz", "ana@new.org"),
        "E2": ("blee", "bo@new.org"),
        "E4": ("taken", "t@x.org"),
    }
    assert {k: result.counts[k] for k in ("files", "updated", "deferred", "not_applied")} == {
        "files": 2,
        "updated": 2,
        "deferred": 1,
        "not_applied": 2,
    }
    assert "EIN 'E3': the employee has no user account; user data never creates users" in (
        result.text
    )
    assert "EIN 'E4': the username 'blee' belongs to another user" in result.text
    userdata = sftp.root / "neogov" / "userdata"
    assert _names(userdata) == ["neogov_retries.csv"]
    assert (userdata / "neogov_retries.csv").read_text() == (
        "ein|username|email\nE77|new.hire|nh@x.org\n"
    )
    done = sftp.root / "neogov" / "done"
    assert _names(done) == ["neogov_userdata_20261128031500.csv"]
    assert (done / "neogov_userdata_20261128031500.csv").read_text().splitlines() == [
        "ein|username|email",
        "E1|ana.diaz|ana@new.org",
        "E2||",
        "E3|cy|cy@x.org",
        "E77|new.hire|nh@x.org",
        "E2||bo@new.org",
        "E4|blee|t@new.org",
    ]

    # No new file, E77 still unknown: the retry changes nothing and says so.
    again = _run(staff, sftp, NeoGovUserData(), now=NOW + dt.timedelta(days=1))
    assert again.summary.startswith("Nothing changed") and again.counts["deferred"] == 1
    assert _names(userdata) == ["neogov_retries.csv"]

    # E77 is hired and gets an account: the retry succeeds and leaves the retry file.
    with staff.begin() as conn:
        conn.execute(sa.insert(employees).values(ein="E77"))
        conn.execute(sa.insert(users).values(ein="E77", username="tmp77"))
    later = _run(staff, sftp, NeoGovUserData(), now=NOW + dt.timedelta(days=2))
    assert later.counts["updated"] == 1 and later.counts["retries_resolved"] == 1
    assert _users(staff)["E77"] == ("new.hire", "nh@x.org")
    assert _names(userdata) == []


def test_malformed_user_file_is_left_and_the_others_are_processed(staff, sftp):
    _put(sftp, "neogov/userdata", "a.csv", USER_FILE_A)
    _put(sftp, "neogov/userdata", "commas.csv", "ein,username,email\nE4,x,y@z.org\n")
    _put(sftp, "neogov/userdata", "short.csv", "ein|username|email\nE4|only-two\n")
    _put(sftp, "neogov/userdata", "odd\nname.csv", "ein|username|email\nE4|odd|o@x.org\n")
    result = _run(staff, sftp, NeoGovUserData())
    assert result.success is False
    assert "/neogov/userdata/commas.csv is malformed: the first line is 'ein,username,email'" in (
        result.text
    )
    assert "/neogov/userdata/short.csv is malformed: line 2 has 2 field(s), expected 3" in (
        result.text
    )
    assert "'odd\\nname.csv' is not a usable file name" in result.text
    assert _users(staff)["E1"] == ("ana.diaz", "ana@new.org")
    assert _users(staff)["E4"] == ("taken", "t@x.org")
    assert _names(sftp.root / "neogov" / "userdata") == [
        "commas.csv",
        "neogov_retries.csv",
        "odd\nname.csv",
        "short.csv",
    ]


def test_malformed_retries_file_stops_the_run_and_changes_nothing(staff, sftp):
    _put(sftp, "neogov/userdata", "a.csv", USER_FILE_A)
    _put(sftp, "neogov/userdata", "neogov_retries.csv", "ein|username\nE77|x\n")
    before = _users(staff)
    result = _run(staff, sftp, NeoGovUserData())
    assert result.success is False and "mend or delete neogov_retries.csv" in result.summary
    assert _users(staff) == before
    assert _names(sftp.root / "neogov" / "userdata") == ["a.csv", "neogov_retries.csv"]


def test_an_error_midway_keeps_users_files_and_retries(staff, sftp, monkeypatch):
    import job_library.jobs.erp.neogov as neogov

    _put(sftp, "neogov/userdata", "a.csv", USER_FILE_A)
    before = _users(staff)

    def ledger_down(*args, **kwargs):
        raise ConnectionError("ledger write failed")

    monkeypatch.setattr(neogov, "record_import", ledger_down)
    with pytest.raises(ConnectionError, match="ledger write failed"):
        _run(staff, sftp, NeoGovUserData())
    assert _users(staff) == before
    userdata = sftp.root / "neogov" / "userdata"
    assert _names(userdata) == ["a.csv", "neogov_retries.csv"]
    assert "E77|new.hire|nh@x.org" in (userdata / "neogov_retries.csv").read_text()
    assert _names(sftp.root / "neogov" / "done") == []
    monkeypatch.undo()
    result = _run(staff, sftp, NeoGovUserData())
    assert result.counts["updated"] == 1 and result.counts["deferred"] == 1
    assert _names(userdata) == ["neogov_retries.csv"]


def test_an_identical_user_file_is_never_applied_twice(staff, sftp):
    _put(sftp, "neogov/userdata", "a.csv", USER_FILE_A)
    _run(staff, sftp, NeoGovUserData())
    with staff.begin() as conn:  # changed by hand since
        conn.execute(sa.update(users).where(users.c.ein == "E1").values(email="hand@x.org"))
    _put(sftp, "neogov/userdata", "a-again.csv", USER_FILE_A)
    result = _run(staff, sftp, NeoGovUserData(), now=NOW + dt.timedelta(hours=1))
    assert (
        "Already imported by an earlier run, archived and removed: /neogov/userdata/a-again.csv"
        in result.text
    )
    assert _users(staff)["E1"] == ("ana.diaz", "hand@x.org")
    assert _names(sftp.root / "neogov" / "userdata") == ["neogov_retries.csv"]


# --- New Hires -------------------------------------------------------------------------

HIRES = (
    "ein|ssn|first_name|last_name|email|hire_date\n"
    "N1|111223333|Ana|Diaz|ana@d.org|2026-11-02\n"
    '"N2"|"222-33-4444"|"Bo, Jr"|Lee||11/15/2026\n'
    "E1|555-66-7777|Old|Timer||\n"  # the EIN exists
    "N3|999-88-7777|Same|Ssn||\n"  # the SSN exists
    "N4|12345|Bad|Ssn||\n"
    "N1|111-22-3333|Ana|Diaz||\n"  # the same person twice
)


@pytest.fixture
def hr(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(employees),
            [
                {"ein": "E1", "ssn": "123-45-6789", "first_name": "Eve", "last_name": "One"},
                {"ein": "E2", "ssn": "999-88-7777", "first_name": "Ed", "last_name": "Two"},
            ],
        )
    return engine


def _employees(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(
                    employees.c.ein,
                    employees.c.ssn,
                    employees.c.first_name,
                    employees.c.last_name,
                    employees.c.email,
                    employees.c.hire_date,
                ).order_by(employees.c.ein)
            )
        ]


def test_new_hires_never_overwrite_and_every_file_but_retries_is_processed(hr, sftp):
    _put(sftp, "neogov", "hires_1.csv", HIRES)
    _put(sftp, "neogov", "neogov_retries.csv", "not a new-hire file\n")
    _put(sftp, "neogov/userdata", "u.csv", "ein|username|email\n")
    result = _run(hr, sftp, NeoGovNewHires())
    assert _employees(hr) == [
        ("E1", "123-45-6789", "Eve", "One", None, None),
        ("E2", "999-88-7777", "Ed", "Two", None, None),
        ("N1", "111-22-3333", "Ana", "Diaz", "ana@d.org", dt.date(2026, 11, 2)),
        ("N2", "222-33-4444", "Bo, Jr", "Lee", None, dt.date(2026, 11, 15)),
    ]
    assert result.success and result.counts["created"] == 2
    assert result.counts["not_imported"] == 4
    assert "line 4: EIN 'E1': an employee with this EIN exists; it is never overwritten" in (
        result.text
    )
    assert "line 5: EIN 'N3': an employee with this SSN exists" in result.text
    assert "line 6: EIN 'N4': the SSN '12345' is not 9 digits" in result.text
    assert "line 7: EIN 'N1': an employee with this EIN exists" in result.text
    assert _names(sftp.root / "neogov") == ["done", "neogov_retries.csv", "userdata"]
    done = sftp.root / "neogov" / "done" / "neogov_newhires_20261128031500.csv"
    lines = done.read_text().splitlines()
    assert lines[0] == "ein|ssn|first_name|last_name|email|hire_date" and len(lines) == 7
    assert lines[2] == "N2|222-33-4444|Bo, Jr|Lee||11/15/2026"

    # A second file naming the same people changes nothing.
    _put(sftp, "neogov", "hires_2.csv", HIRES.replace("Ana|Diaz", "Anna|Dias"))
    again = _run(hr, sftp, NeoGovNewHires(), now=NOW + dt.timedelta(days=1))
    assert again.counts["created"] == 0 and len(_employees(hr)) == 4
    assert _employees(hr)[2][2:4] == ("Ana", "Diaz")


def test_new_hires_without_files_do_nothing_and_a_bad_header_is_left(hr, sftp):
    sftp.folder("neogov")
    assert _run(hr, sftp, NeoGovNewHires()).summary == "No files in /neogov: nothing to do."
    _put(sftp, "neogov", "x.csv", "ein|ssn\nN9|111-22-3333\n")
    result = _run(hr, sftp, NeoGovNewHires())
    assert result.success is False and "the first line is 'ein|ssn'" in result.text
    assert _names(sftp.root / "neogov") == ["done", "x.csv"] and len(_employees(hr)) == 2
    with hr.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(processed_files)).scalar() == 0


def test_a_folder_the_user_cannot_create_is_reported_with_what_to_do(staff, sftp):
    # /neogov does not exist and the chroot's root belongs to root: OpenSSH says no.
    for job in (NeoGovUserData(), NeoGovNewHires()):
        result = _run(staff, sftp, job)
        assert result.success is False
        assert "SFTP create folder /neogov failed: Permission denied" in result.summary
        assert "create /neogov on the server, writable by the SFTP user" in result.summary
    assert _names(sftp.root) == []


def test_two_identical_files_in_one_run_import_once_and_the_run_succeeds(hr, sftp):
    # Two days without hires: two header-only files with the same bytes.
    header_only = "ein|ssn|first_name|last_name|email|hire_date\n"
    _put(sftp, "neogov", "hires_1127.csv", header_only)
    _put(sftp, "neogov", "hires_1128.csv", header_only)
    _put(sftp, "neogov", "hires_a.csv", HIRES)
    _put(sftp, "neogov", "hires_b.csv", HIRES)
    result = _run(hr, sftp, NeoGovNewHires())
    assert result.success, result.text
    assert result.counts["created"] == 2 and result.counts["files"] == 2
    assert (
        "/neogov/hires_1128.csv is identical to /neogov/hires_1127.csv of this run: imported "
        "once, removed." in result.text
    )
    assert "/neogov/hires_b.csv is identical to /neogov/hires_a.csv of this run" in result.text
    with hr.connect() as conn:
        ledger = conn.execute(
            sa.select(processed_files.c.file_name).order_by(processed_files.c.file_name)
        ).scalars()
        assert list(ledger) == ["/neogov/hires_1127.csv", "/neogov/hires_a.csv"]
    assert _names(sftp.root / "neogov") == ["done"]
    again = _run(hr, sftp, NeoGovNewHires(), now=NOW + dt.timedelta(days=1))
    assert again.success and again.summary == "No files in /neogov: nothing to do."


def test_a_failed_copy_to_done_is_finished_by_the_next_run_before_the_file_goes(hr, sftp):
    _put(sftp, "neogov", "hires_1.csv", HIRES)
    done = sftp.folder("neogov/done")
    done.chmod(0o555)  # the copy to done/ fails after the commit
    result = _run(hr, sftp, NeoGovNewHires())
    assert result.success is False and result.counts["after_commit_failed"] == 1
    assert "Created 2 employee(s) from 1 file(s)" in result.summary  # what was committed
    assert "SFTP write /neogov/done/neogov_newhires_20261128031500.csv.partial failed" in (
        result.summary
    )
    assert "Permission denied" in result.summary and "next run finishes them" in result.text
    assert len(_employees(hr)) == 4 and _names(sftp.root / "neogov") == ["done", "hires_1.csv"]

    done.chmod(0o755)
    later = _run(hr, sftp, NeoGovNewHires(), now=NOW + dt.timedelta(hours=1))
    assert later.success and later.counts["created"] == 0 and len(_employees(hr)) == 4
    assert "archived and removed: /neogov/hires_1.csv" in later.text
    assert _names(sftp.root / "neogov") == ["done"]
    assert _names(done) == ["neogov_newhires_20261128041500.csv"]
    lines = (done / "neogov_newhires_20261128041500.csv").read_text().splitlines()
    assert lines[0] == "ein|ssn|first_name|last_name|email|hire_date" and len(lines) == 7


def test_links_and_names_that_are_not_utf8_are_reported_and_left_alone(hr, sftp, tmp_path):
    secret = tmp_path / "host-secret.csv"
    secret.write_text(HIRES)
    folder = sftp.folder("neogov")
    (folder / "linked.csv").symlink_to(secret)  # absolute: outside the chroot
    (folder / "inside.csv").symlink_to("hires_1.csv")
    _put(sftp, "neogov", "hires_1.csv", HIRES)
    odd = os.fsencode(folder) + b"/caf\xe9.csv"
    with open(odd, "wb") as f:
        f.write(HIRES.encode())
    _put(sftp, "neogov", ".hidden.csv", HIRES)
    _put(sftp, "neogov", "upload.csv.partial", HIRES)
    _put(sftp, "neogov", "editor.tmp", HIRES)
    result = _run(hr, sftp, NeoGovNewHires())
    assert result.counts["created"] == 2 and result.counts["files"] == 1
    assert "/neogov/linked.csv is a symbolic link: refused and left alone" in result.text
    assert "/neogov/inside.csv is a symbolic link: refused and left alone" in result.text
    assert "/neogov/caf\\xe9.csv has a name that is not UTF-8 (shown with \\x escapes)" in (
        result.text
    )
    assert result.success is False  # the administrator has something to look at
    left = sorted(os.listdir(os.fsencode(folder)))
    assert left == [
        b".hidden.csv",
        b"caf\xe9.csv",
        b"done",
        b"editor.tmp",
        b"inside.csv",
        b"linked.csv",
        b"upload.csv.partial",
    ]
    assert secret.read_text() == HIRES
