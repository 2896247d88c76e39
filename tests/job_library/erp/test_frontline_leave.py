"""Frontline Leave against a real SFTP server and real databases, values worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from airflow.utils.types import DagRunType

from include.sftp_files import SftpFiles
from job_library.jobs.erp.frontline_leave import FrontlineLeave, FrontlineLeaveParams
from job_library.schema import employees, leave_requests, processed_files, substitute_fulfillments
from tests.job_library.jobs_context import run_in_transaction
from tests.openssh_server import OpenSshServer  # the sftp fixture: tests/conftest.py

NOW = dt.datetime(2026, 11, 28, 2, 0, 5, tzinfo=ZoneInfo("America/New_York"))
HEADER = (
    "confirmation_number,ein,leave_date,start_time,end_time,hours,reason,substitute_ein,"
    "substitute_name"
)
FIRST = (
    "\n".join(
        [
            HEADER,
            "CN1,E100,2026-11-02,08:00,15:00,7,Sick,S900,Sam Sub",
            "CN2,E200,2026-11-03,,,3.5,Personal,,",
            "CN3,E999,2026-11-04,,,7,Sick,,",  # no such employee
            "CN4,E100,2026-13-40,,,7,Sick,,",  # no such date
        ]
    )
    + "\n"
)


@pytest.fixture
def district(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(employees),
            [
                {"ein": "E100", "first_name": "Ana", "last_name": "Diaz"},
                {"ein": "E200", "first_name": "Bo", "last_name": "Lee"},
                {"ein": "S900", "first_name": "Sam", "last_name": "Sub"},
            ],
        )
    return engine


def _run(engine: sa.Engine, sftp: OpenSshServer, now: dt.datetime = NOW, **params):
    with sftp.client() as client:
        return run_in_transaction(
            engine,
            FrontlineLeave(),
            FrontlineLeaveParams(**params),
            now=now,
            remote=SftpFiles(client),
        )


def _put(sftp: OpenSshServer, text: str | bytes, name: str = "Frontline_Leave.csv") -> None:
    sftp.put(f"FromAesop/{name}", text)


def _files(sftp: OpenSshServer) -> list[str]:
    folder = sftp.root / "FromAesop"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _leave(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(
                    leave_requests.c.confirmation_number,
                    leave_requests.c.hours,
                    leave_requests.c.paid,
                ).order_by(leave_requests.c.confirmation_number)
            )
        ]


def _subs(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.select(
                    substitute_fulfillments.c.confirmation_number,
                    substitute_fulfillments.c.substitute_ein,
                    substitute_fulfillments.c.hours,
                )
            )
        ]


def test_no_file_ends_with_no_action(district, sftp):
    result = _run(district, sftp)
    assert result.success and result.summary.startswith("No new file")
    assert _leave(district) == [] and _files(sftp) == []


def test_valid_file_is_renamed_and_imported_with_rejected_rows_listed(district, sftp):
    _put(sftp, FIRST)
    result = _run(district, sftp)
    assert _files(sftp) == ["Leave_20261128020005.csv"]
    assert _leave(district) == [("CN1", Decimal("7.00"), False), ("CN2", Decimal("3.50"), False)]
    assert _subs(district) == [("CN1", "S900", Decimal("7.00"))]
    assert result.counts["leave_created"] == 2 and result.counts["substitutes_created"] == 1
    assert result.counts["rejected_rows"] == 2
    assert "line 4: ein 'E999': no employee has this EIN" in result.text
    assert "line 5: leave_date '2026-13-40': is not a date (YYYY-MM-DD)" in result.text
    assert "<td>E999</td>" in result.html
    again = _run(district, sftp, now=NOW + dt.timedelta(hours=1))
    assert again.summary.startswith("No new file") and _files(sftp) == ["Leave_20261128020005.csv"]


def test_resent_leave_overwrites_unpaid_never_paid_and_never_duplicates(district, sftp):
    _put(sftp, FIRST)
    _run(district, sftp)
    with district.begin() as conn:
        conn.execute(
            sa.update(leave_requests)
            .where(leave_requests.c.confirmation_number == "CN2")
            .values(paid=True)
        )
    _put(
        sftp,
        "\n".join(
            [
                HEADER,
                "CN1,E100,2026-11-02,08:00,16:00,8,Sick,S900,Sam Sub",
                "CN2,E200,2026-11-03,,,5,Personal,,",
                "CN5,E200,2026-11-05,,,2,Dentist,,",
            ]
        )
        + "\n",
    )
    result = _run(district, sftp, now=NOW + dt.timedelta(days=1))
    assert _leave(district) == [
        ("CN1", Decimal("8.00"), False),
        ("CN2", Decimal("3.50"), True),
        ("CN5", Decimal("2.00"), False),
    ]
    assert (
        result.counts["leave_created"],
        result.counts["leave_updated"],
        result.counts["leave_paid_unchanged"],
    ) == (1, 1, 1)
    assert _subs(district) == [("CN1", "S900", Decimal("8.00"))]


def test_skip_substitutes(district, sftp):
    _put(sftp, FIRST)
    result = _run(district, sftp, skip_substitutes=True)
    assert _subs(district) == [] and len(_leave(district)) == 2
    assert "Substitutes were not processed" in result.text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("ein,hours\nE100,7\n", "wrong header 'ein,hours': missing ['confirmation_number'"),
        (HEADER + "\nCN1,E100,2026-11-02,08:00\n", "line 2 has 4 field(s), expected 9"),
        (
            (HEADER + "\nCN1,E100,2026-11-02,,,7,Ni\xf1o,,\n").encode("latin-1"),
            "not UTF-8: byte 0xf1 at offset",
        ),
        ("", "the file is empty"),
    ],
    ids=["wrong-header", "truncated-line", "bad-encoding", "empty"],
)
def test_malformed_file_changes_nothing_and_stays_put(district, sftp, content, message):
    _put(sftp, content)
    result = _run(district, sftp)
    assert result.success is False
    assert message in result.summary
    assert "left where it is" in result.summary
    assert _files(sftp) == ["Frontline_Leave.csv"] and _leave(district) == []


def _ledger(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(processed_files.c.file_name)).scalars())


def test_a_leave_file_renamed_back_is_imported_again_on_purpose(district, sftp):
    # The guide's way to re-run an import: rename Leave_....csv back to Frontline_Leave.csv.
    _put(sftp, FIRST)
    _run(district, sftp)
    with district.begin() as conn:  # edited since; CN2 has been paid meanwhile
        conn.execute(sa.update(leave_requests).values(hours=1))
        conn.execute(
            sa.update(leave_requests)
            .where(leave_requests.c.confirmation_number == "CN2")
            .values(paid=True)
        )
    folder = sftp.root / "FromAesop"
    (folder / "Leave_20261128020005.csv").rename(folder / "Frontline_Leave.csv")
    result = _run(district, sftp, now=NOW + dt.timedelta(minutes=5))
    assert result.success and "imported again" in result.summary
    assert result.counts["leave_updated"] == 1 and result.counts["leave_paid_unchanged"] == 1
    # Unpaid leave overwritten from the file (7 hours again), paid leave left as it was.
    assert _leave(district) == [("CN1", Decimal("7.00"), False), ("CN2", Decimal("1.00"), True)]
    assert _files(sftp) == ["Leave_20261128020505.csv"]
    assert _ledger(district) == ["/FromAesop/Leave_20261128020505.csv"]  # still one row
    again = _run(district, sftp, now=NOW + dt.timedelta(minutes=10))
    assert again.summary.startswith("No new file") and again.counts == {"files": 0}


def test_the_same_bytes_sent_again_are_imported_again_and_the_old_claim_stays_quiet(district, sftp):
    _put(sftp, FIRST)
    _run(district, sftp)
    _put(sftp, FIRST)  # Frontline sends the same file again; the first claim is still there
    result = _run(district, sftp, now=NOW + dt.timedelta(days=1))
    assert "imported again" in result.summary
    assert _files(sftp) == ["Leave_20261128020005.csv", "Leave_20261129020005.csv"]
    # The older claim's bytes are in the ledger under the newer name: never imported again.
    later = _run(district, sftp, now=NOW + dt.timedelta(days=2))
    assert later.summary.startswith("No new file") and later.counts == {"files": 0}
    assert _ledger(district) == ["/FromAesop/Leave_20261129020005.csv"]


def test_a_claimed_file_whose_import_died_is_imported_by_the_next_run(district, sftp, monkeypatch):
    import job_library.jobs.erp.frontline_leave as frontline

    _put(sftp, FIRST)

    def dies(conn, stage, table):
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(frontline, "_upsert", dies)
    with pytest.raises(ConnectionError, match="closed the connection"):
        _run(district, sftp)
    # Renamed as the job started; the import rolled back: no rows, no ledger entry.
    assert _files(sftp) == ["Leave_20261128020005.csv"] and _leave(district) == []
    with district.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(processed_files)).scalar() == 0
    monkeypatch.undo()
    result = _run(district, sftp, now=NOW + dt.timedelta(minutes=5))  # Airflow's retry
    assert result.success and result.counts["leave_created"] == 2
    assert _leave(district) == [("CN1", Decimal("7.00"), False), ("CN2", Decimal("3.50"), False)]
    assert _files(sftp) == ["Leave_20261128020005.csv"]
    again = _run(district, sftp, now=NOW + dt.timedelta(minutes=10))
    assert again.summary.startswith("No new file") and again.counts == {"files": 0}


def test_job_task_reaches_the_server_through_the_airflow_connection(focus_env, sftp, monkeypatch):
    from include.dag_builder import TASK_ID, build_dags
    from include.focus_db.engine import get_engine
    from tests.rows import good_row, insert_rows
    from tests.standins import context

    monkeypatch.setenv("AIRFLOW_CONN_FRONTLINE_SFTP", json.dumps(sftp.airflow_connection()))
    engine = get_engine(os.environ["FOCUS_DB_URL"])
    with engine.begin() as conn:
        conn.execute(sa.insert(employees), [{"ein": "E100"}, {"ein": "E200"}, {"ein": "S900"}])
    insert_rows(engine, good_row("frontline", job_class="frontline_leave", kind="integration"))
    _put(sftp, FIRST)
    output = build_dags()["frontline"].get_task(TASK_ID).execute(context(DagRunType.MANUAL, None))
    assert output["counts"]["leave_created"] == 2
    assert [f for f in _files(sftp) if f.startswith("Leave_")]


def test_file_job_dag_waits_for_the_file_deferrably_within_its_timeframe(focus_env):
    from include.dag_builder import TASK_ID, WAIT_TASK_ID, build_dags
    from include.focus_db.engine import get_engine
    from tests.rows import good_row, insert_rows

    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row(
            "frontline",
            job_class="frontline_leave",
            kind="integration",
            run_hour=5,
            run_minute=30,
            timeframe_start="05:00",
            timeframe_end="07:00",
        ),
        good_row("plain"),
    )
    dags = build_dags()
    wait = dags["frontline"].get_task(WAIT_TASK_ID)
    assert type(wait).__name__ == "FocusFileSensor"  # the provider's SFTPSensor, our trigger
    assert wait.deferrable is True and wait.soft_fail is True
    assert (wait.path, wait.file_pattern, wait.sftp_conn_id) == (
        "/FromAesop",
        "Frontline_Leave.csv",
        "frontline_sftp",
    )
    assert wait.timeout == 90 * 60  # from the 05:30 run time to the 07:00 end of the timeframe
    run = dags["frontline"].get_task(TASK_ID)
    assert run.upstream_task_ids == {WAIT_TASK_ID}
    assert run.trigger_rule == "none_failed"
    assert dags["plain"].task_ids == [TASK_ID]  # jobs without files do not wait


def test_the_sensor_sees_the_file_on_the_real_server(focus_env, sftp, monkeypatch):
    from include.dag_builder import WAIT_TASK_ID, build_dags
    from include.focus_db.engine import get_engine
    from tests.rows import good_row, insert_rows

    monkeypatch.setenv("AIRFLOW_CONN_FRONTLINE_SFTP", json.dumps(sftp.airflow_connection()))
    insert_rows(
        get_engine(os.environ["FOCUS_DB_URL"]),
        good_row("frontline", job_class="frontline_leave", kind="integration"),
    )
    wait = build_dags()["frontline"].get_task(WAIT_TASK_ID)
    sftp.folder("FromAesop")  # Frontline's drop folder, empty so far
    assert not wait.poke({})
    _put(sftp, FIRST)
    assert wait.poke({})


def test_spaces_around_fields_and_blank_lines_are_ignored(district, sftp):
    _put(sftp, HEADER + "\n\n CN7 , E100 ,2026-11-09, 08:00 ,, 4 , Jury duty ,S900, Sam \n\n")
    result = _run(district, sftp)
    assert result.counts["leave_created"] == 1 and result.counts["rejected_rows"] == 0
    with district.connect() as conn:
        row = conn.execute(
            sa.select(
                leave_requests.c.confirmation_number,
                leave_requests.c.reason,
                leave_requests.c.start_time,
                leave_requests.c.end_time,
            )
        ).one()
    assert tuple(row) == ("CN7", "Jury duty", "08:00", None)
    assert _subs(district) == [("CN7", "S900", Decimal("4.00"))]


def test_quoted_fields_may_hold_commas(district, sftp):
    _put(sftp, HEADER + '\nCN8,E100,2026-11-10,,,2,"Sick, flu",S900,"Sub, Sam"\n')
    result = _run(district, sftp)
    assert result.counts["leave_created"] == 1
    with district.connect() as conn:
        assert conn.execute(sa.select(leave_requests.c.reason)).scalar() == "Sick, flu"


def test_values_a_column_cannot_hold_reject_their_row_not_the_file(district, sftp):
    long_reason = "R" * 101
    _put(
        sftp,
        "\n".join(
            [
                HEADER,
                "CN1,E100,2026-11-02,,,NaN,Sick,,",  # line 2
                "CN2,E100,2026-11-03,,,inf,Sick,,",  # line 3
                "CN3,E100,2026-11-04,,,1e300,Sick,,",  # line 4
                f"CN4,E100,2026-11-05,,,7,{long_reason},,",  # line 5
                f"{'C' * 41},E100,2026-11-06,,,7,Sick,,",  # line 6
                "CN7,E100,2026-11-07,08:00:00,,7,Sick,,",  # line 7: start_time holds HH:MM
                "CN8,E100,2026-02-30,,,7,Sick,,",  # line 8: no such day
                f"CN9,E100,2026-11-09,,,7,Sick,S900,{'N' * 201}",  # line 9
                "CN10,E200,2026-11-10,,,7.5,Sick,,",  # line 10: the only good row
            ]
        )
        + "\n",
    )
    result = _run(district, sftp)
    assert result.success and result.counts["rejected_rows"] == 8
    assert "line 2: hours 'NaN': is not a number of hours (0-24]" in result.text
    assert "line 3: hours 'inf': is not a number of hours (0-24]" in result.text
    assert "line 4: hours '1e300': is not a number of hours (0-24]" in result.text
    assert f"line 5: reason {long_reason!r}: is longer than 100 characters" in result.text
    assert "line 6: confirmation_number 'CCCC" in result.text
    assert "line 7: start_time '08:00:00': is longer than 5 characters" in result.text
    assert "line 8: leave_date '2026-02-30': is not a date (YYYY-MM-DD)" in result.text
    assert "line 9: substitute_name 'NNNN" in result.text
    assert _leave(district) == [("CN10", Decimal("7.50"), False)]


def test_a_linked_frontline_file_is_refused_and_never_claimed(district, sftp, tmp_path):
    outside = tmp_path / "elsewhere.csv"
    outside.write_text(FIRST)
    folder = sftp.folder("FromAesop")
    (folder / "Frontline_Leave.csv").symlink_to(outside)
    result = _run(district, sftp)
    assert result.success is False and _leave(district) == []
    assert "/FromAesop/Frontline_Leave.csv is a symbolic link: refused and left alone" in (
        result.summary
    )
    assert _files(sftp) == ["Frontline_Leave.csv"] and (folder / "Frontline_Leave.csv").is_symlink()


def test_a_name_that_is_not_utf8_blocks_nothing(district, sftp):
    folder = sftp.folder("FromAesop")
    with open(os.fsencode(folder) + b"/Absences_\xe9t\xe9.csv", "wb") as f:
        f.write(b"someone else's file")
    _put(sftp, FIRST)
    result = _run(district, sftp)
    assert result.success and result.counts["leave_created"] == 2
    assert "/FromAesop/Absences_\\xe9t\\xe9.csv has a name that is not UTF-8" in result.text
    assert sorted(os.listdir(os.fsencode(folder))) == [
        b"Absences_\xe9t\xe9.csv",
        b"Leave_20261128020005.csv",
    ]


def test_a_claimed_file_that_cannot_be_read_is_retried_until_imported(district, sftp):
    _put(sftp, FIRST)
    claimed = sftp.root / "FromAesop" / "Leave_20261128015000.csv"
    (sftp.root / "FromAesop" / "Frontline_Leave.csv").rename(claimed)  # an earlier run's claim
    claimed.chmod(0o000)
    result = _run(district, sftp)
    assert result.success is False and _leave(district) == []
    assert (
        "SFTP read /FromAesop/Leave_20261128015000.csv failed: Permission denied. "
        "/FromAesop/Leave_20261128015000.csv stays claimed and the next run tries it again"
        in result.text
    )
    claimed.chmod(0o644)
    later = _run(district, sftp, now=NOW + dt.timedelta(minutes=5))
    assert later.success and later.counts["leave_created"] == 2
    again = _run(district, sftp, now=NOW + dt.timedelta(minutes=10))
    assert again.summary.startswith("No new file")


def test_hidden_and_partial_files_are_ignored(district, sftp):
    for name in (".Frontline_Leave.csv", "Frontline_Leave.csv.partial", "upload.tmp"):
        _put(sftp, FIRST, name=name)
    result = _run(district, sftp)
    assert result.success
    assert result.summary == "No new file /FromAesop/Frontline_Leave.csv: nothing to do."
    assert _files(sftp) == [".Frontline_Leave.csv", "Frontline_Leave.csv.partial", "upload.tmp"]


def test_columns_in_another_order_land_in_their_own_columns(district, sftp):
    header = (
        "hours,substitute_name,ein,reason,leave_date,confirmation_number,end_time,start_time,"
        "substitute_ein"
    )
    _put(sftp, header + "\n6.5,Sam Sub,E200,Dentist,2026-11-12,CN9,12:00,08:00,S900\n")
    result = _run(district, sftp)
    assert result.counts["leave_created"] == 1 and result.counts["rejected_rows"] == 0
    with district.connect() as conn:
        row = conn.execute(
            sa.select(
                leave_requests.c.confirmation_number,
                leave_requests.c.leave_date,
                leave_requests.c.hours,
                leave_requests.c.reason,
                leave_requests.c.start_time,
                leave_requests.c.end_time,
                leave_requests.c.source_file,
                employees.c.ein,
            ).join(employees, employees.c.employee_id == leave_requests.c.employee_id)
        ).one()
    assert tuple(row) == (
        "CN9",
        dt.date(2026, 11, 12),
        Decimal("6.50"),
        "Dentist",
        "08:00",
        "12:00",
        "/FromAesop/Leave_20261128020005.csv",
        "E200",
    )
    assert _subs(district) == [("CN9", "S900", Decimal("6.50"))]


def test_a_short_line_and_a_long_one_are_named_even_when_their_commas_add_up(district, sftp):
    content = (
        HEADER
        + "\nCN1,E100,2026-11-02,08:00,15:00,7,Sick,S900\n"  # one field short
        + "CN2,E200,2026-11-03,,,3.5,Personal,,,\n"  # one field too many
    )
    _put(sftp, content)
    result = _run(district, sftp)
    assert result.success is False
    assert "line 2 has 8 field(s), expected 9" in result.summary
    assert _leave(district) == []
