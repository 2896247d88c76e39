"""Bad input through the CLI: refused quickly in one line, nothing written, other jobs intact."""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from include import cli
from include.focus_db.schema import scheduled_jobs
from include.jobs_file import MAX_IMPORT_BYTES, MAX_IMPORT_JOBS, dump_jobs
from tests.rows import good_row, insert_rows

JOB = """\
jobs:
  - id: nightly
    title: Nightly
    class: address_corrections
    run_time: {run_time}
    timeframe_start: {start}
    timeframe_end: {end}
"""

# A time zone written behind the CLI's and the screen's back, as a direct edit would.
_RAW_TIMEZONE = (
    "INSERT INTO system_preferences (key, school_id, value, updated_at, updated_by) "
    "VALUES ('timezone', 0, :v, CURRENT_TIMESTAMP, 'sql')"
)


@pytest.fixture
def db(engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    """The CLI pointed at ``engine`` (SQLite or Postgres)."""
    monkeypatch.setenv("FOCUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FOCUS_DB_URL", engine.url.render_as_string(hide_password=False))
    return engine


def _ids(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(scheduled_jobs.c.id)).scalars())


def _import(tmp_path: Path, data: bytes | str, *extra: str) -> int:
    path = tmp_path / "jobs.yaml"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return cli.main(["import", str(path), *extra])


ALIAS_BOMB = "a: &a [x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(25)
)
REFUSED = [
    ("alias-bomb", ALIAS_BOMB + "jobs: []\n", "anchors (&a) are not allowed"),
    ("alias", "jobs:\n  - *ref\n", "aliases (*ref) are not allowed"),
    ("merge-key", "jobs:\n  - <<: {id: x}\n    title: t\n", "merge keys (<<) are not allowed"),
    ("deep", "jobs: " + "[" * 5000 + "]" * 5000 + "\n", "nested deeper than 20 levels"),
    ("latin-1", "jobs:\n  - id: caf\xe9\n".encode("latin-1"), "not UTF-8: byte 0xe9"),
    ("utf-16", "jobs: []\n".encode("utf-16"), "not UTF-8: byte 0xff at offset 0"),
    ("unclosed", "jobs: [\n  - {id: x\n", "not valid YAML, line"),
    ("tab-indent", "jobs:\n\t- id: x\n", "not valid YAML, line 2"),
    ("not-a-list", "jobs: {id: x}\n", "expected a mapping with a 'jobs' list"),
    ("python-tag", "jobs: !!python/object/apply:os.system [echo hi]\n", "not valid YAML"),
    ("too-many", "jobs:\n" + "  - {id: x}\n" * (MAX_IMPORT_JOBS + 1), "more than 5000 jobs"),
    ("too-big", "jobs: []\n" + "#" * MAX_IMPORT_BYTES, "more than the 5 MB an import"),
]


@pytest.mark.parametrize(("name", "data", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_file_gets_one_line_fast_and_nothing_changes(
    db, tmp_path, capsys, name, data, message
):
    insert_rows(db, good_row("kept"))
    started = time.monotonic()
    assert _import(tmp_path, data) == 1
    assert time.monotonic() - started < 1.0
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and len(err) < 300 and "Traceback" not in err
    assert _ids(db) == ["kept"]


@pytest.mark.parametrize(
    ("run_time", "start", "end"),
    [("14:30", "14:00", "15:00"), ("2:05", "1:00", "23:59"), ('"14:30"', "'14:00'", "15:00")],
)
def test_unquoted_times_mean_the_time_written(db, tmp_path, run_time, start, end):
    assert _import(tmp_path, JOB.format(run_time=run_time, start=start, end=end)) == 0
    with db.connect() as conn:
        row = conn.execute(sa.select(scheduled_jobs)).one()
    written = run_time.strip("\"'")
    hour, minute = written.split(":")
    assert (row.run_hour, row.run_minute) == (int(hour), int(minute))
    hour, minute = start.strip("'").split(":")
    assert row.timeframe_start == f"{int(hour):02d}:{minute}"
    assert row.timeframe_end == end


@pytest.mark.parametrize("field", ["run_time", "timeframe_start", "timeframe_end"])
@pytest.mark.parametrize("number", ["870", "0", "14.5"])
def test_a_time_given_as_a_number_is_refused_with_quote_it(db, tmp_path, capsys, field, number):
    times = {"run_time": "14:30", "start": "00:00", "end": "23:59"}
    times[{"timeframe_start": "start", "timeframe_end": "end"}.get(field, field)] = number
    assert _import(tmp_path, JOB.format(**times)) == 1
    err = capsys.readouterr().err
    assert f"{field} {number}: is a number, not a time: write it quoted" in err
    assert _ids(db) == []


def test_export_quotes_every_time_and_reimports(db, tmp_path, capsys):
    assert _import(tmp_path, JOB.format(run_time="14:30", start="02:00", end="23:00")) == 0
    out = tmp_path / "out.yaml"
    assert cli.main(["export", str(out)]) == 0
    text = out.read_text()
    assert 'run_time: "14:30"' in text
    assert 'timeframe_start: "02:00"' in text and 'timeframe_end: "23:00"' in text
    # Any YAML 1.1 reader (PyYAML's own) reads the times back as text, not base-60 numbers.
    assert yaml.safe_load(text)["jobs"][0]["run_time"] == "14:30"
    assert cli.main(["import", str(out)]) == 0
    assert "0 created, 1 updated" in capsys.readouterr().out


def test_export_to_stdout_and_import_from_stdin(db, tmp_path, capsys, monkeypatch):
    assert _import(tmp_path, JOB.format(run_time="14:30", start="02:00", end="23:00")) == 0
    capsys.readouterr()
    assert cli.main(["export", "-"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("jobs:\n") and "Exported 1 job(s)" in captured.err
    with db.begin() as conn:
        conn.execute(sa.delete(scheduled_jobs))
    stdin = io.TextIOWrapper(io.BytesIO(captured.out.encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert cli.main(["import", "-"]) == 0
    assert "Imported standard input: 1 created" in capsys.readouterr().out
    assert _ids(db) == ["nightly"]


def test_a_class_not_in_the_catalog_is_refused_unless_allowed(db, tmp_path, capsys):
    doc = dump_jobs([{"id": "old-php", "title": "Old", "class": "php_thing", "run_time": "02:00"}])
    assert _import(tmp_path, doc) == 1
    err = capsys.readouterr().err
    assert "job 'old-php': class 'php_thing': is not in the job catalog" in err
    assert "--allow-missing-class" in err
    assert _ids(db) == []
    assert _import(tmp_path, doc, "--allow-missing-class") == 0
    # A job whose class disappeared later is not refused for keeping it.
    assert _import(tmp_path, doc) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("start_date", "2100-01-01"), ("end_date", "9999-12-31"), ("start_date", "1900-01-01")],
)
def test_dates_beyond_the_horizon_are_refused(db, tmp_path, capsys, field, value):
    doc = JOB.format(run_time="14:30", start="00:00", end="23:59") + f"    {field}: {value}\n"
    assert _import(tmp_path, doc) == 1
    assert (
        f"{field} '{value}': must be between 2000-01-01 and 2099-12-31"
        in (capsys.readouterr().err.replace("datetime.date", ""))
        or f"{field}" in capsys.readouterr().err
    )
    assert _ids(db) == []


def test_a_huge_value_is_quoted_cut_short(db, tmp_path, capsys):
    doc = dump_jobs([{"id": "x", "title": "T" * 100_000, "class": "address_corrections"}])
    assert _import(tmp_path, doc) == 1
    err = capsys.readouterr().err
    assert "title 'TTTT" in err and "..." in err
    assert max(len(line) for line in err.splitlines()) < 400


def test_list_and_export_survive_any_bad_row_and_flag_it(db, tmp_path, capsys):
    insert_rows(
        db,
        good_row("healthy"),
        good_row("deep-params", params="[" * 3000 + "]" * 3000),
        good_row("bad-weekday", weekdays="someday"),
        good_row("Not A Slug!"),
    )
    assert cli.main(["list"]) == 1
    out = capsys.readouterr().out
    assert "healthy" in out
    assert "deep-params                  INVALID: cannot be read (RecursionError" in out
    assert "bad-weekday                  INVALID:" in out
    assert "Not A Slug!                  INVALID: job 'Not A Slug!': id" in out
    target = tmp_path / "export.yaml"
    assert cli.main(["export", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.count("left out, invalid") == 3
    text = target.read_text()
    assert [j["id"] for j in yaml.safe_load(text)["jobs"]] == ["healthy"]
    assert text.count("# left out, invalid: ") == 3


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "A" * 300, "UTC+5"])
def test_the_settings_command_refuses_a_time_zone_that_is_not_iana(db, capsys, zone):
    assert cli.main(["settings", "timezone", zone]) == 1
    assert "is not an IANA time zone" in capsys.readouterr().err
    assert cli.main(["settings", "timezone"]) == 0
    assert capsys.readouterr().out.strip() == "America/New_York"


def test_a_bad_time_zone_written_directly_flags_every_listed_job(db, capsys):
    insert_rows(db, good_row("healthy"))
    with db.begin() as conn:
        conn.execute(sa.text(_RAW_TIMEZONE), {"v": "Nowhere/Land"})
    assert cli.main(["list"]) == 1
    assert "district setting timezone 'Nowhere/Land'" in capsys.readouterr().out


def test_demo_jobs_are_seeded_only_into_an_empty_table(db, capsys):
    assert cli.main(["seed-demo", "--students", "0"]) == 0
    seeded = _ids(db)
    assert "daily-maintenance" in seeded
    with db.begin() as conn:
        conn.execute(sa.delete(scheduled_jobs).where(scheduled_jobs.c.id == "daily-maintenance"))
    assert cli.main(["seed-demo", "--students", "0"]) == 0
    assert "none added" in capsys.readouterr().out
    assert "daily-maintenance" not in _ids(db)


def test_run_and_export_answer_one_line_for_what_they_cannot_do(db, tmp_path, capsys):
    insert_rows(db, good_row("deep-params", params="[" * 3000 + "]" * 3000), good_row("ok"))
    assert cli.main(["run", "deep-params"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: job 'deep-params': cannot be read (RecursionError")
    assert err.count("\n") == 1
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert cli.main(["export", str(blocker / "jobs.yaml")]) == 1
    err = capsys.readouterr().err
    assert f"error: cannot write {blocker / 'jobs.yaml'}: Not a directory" in err
    with db.begin() as conn:
        conn.execute(sa.text(_RAW_TIMEZONE), {"v": "Nowhere/Land"})
    assert cli.main(["run", "ok"]) == 1
    assert "district setting timezone 'Nowhere/Land'" in capsys.readouterr().err


def test_a_daily_maintenance_row_that_cannot_be_read_never_breaks_the_list(db, capsys):
    """The retention check reads Daily Maintenance rows too: one nested too deep for Python
    (RecursionError) is an invalid row there as well, so retention is reported not enforced."""
    insert_rows(
        db,
        good_row("healthy"),
        good_row("deep-maintenance", job_class="daily_maintenance", params="[" * 3000 + "]" * 3000),
    )
    assert cli.main(["list"]) == 1
    out = capsys.readouterr().out
    assert "deep-maintenance             INVALID: cannot be read (RecursionError" in out
    assert "healthy" in out
    assert "Retention is not enforced" in out
