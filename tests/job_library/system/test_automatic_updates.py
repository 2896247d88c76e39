"""Automatic Updates against a real package index (pypiserver on loopback): wheels of a
stand-in focus-scheduled-jobs at several versions, installed by pip into a scratch venv, the
confirmation e-mail caught by the project's aiosmtpd mail catcher.

The job changes nothing in the Focus database (it only reads the index and runs pip), so
these tests use SQLite only for the context's connection."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator

import pytest
from packaging.version import Version

from include.mail_catcher import start_mail_catcher
from job_library.base import ConnectionInfo, ConnectionNotFound
from job_library.jobs.system._update_work import UpdateTarget, choose, index_url
from job_library.jobs.system.automatic_updates import AutomaticUpdates, AutomaticUpdatesParams
from tests.job_library.jobs_context import run_in_transaction
from tests.job_library.system.package_index import (
    PackageIndex,
    broken_wheel,
    build_wheel,
    free_port,
    running_version,
    scratch_environment,
)

RELEASES = ("11.0.48", "11.0.50", "11.0.56", "11.1.0", "12.0.0rc1")
RECIPIENT = "it-director@district.org"


class History:
    """Airflow's run history as the job asks it: which jobs are running, poll after poll."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.asked = 0

    def running_jobs(self) -> list[str]:
        self.asked += 1
        return self.answers.pop(0) if self.answers else []

    def delete_finished_runs(self, job_id, before) -> int:
        return 0


@pytest.fixture
def index(tmp_path) -> Iterator[PackageIndex]:
    packages = tmp_path / "packages"
    packages.mkdir()
    for version in RELEASES:
        build_wheel(packages, version)
    server = PackageIndex(packages).start()
    yield server
    server.stop()


@pytest.fixture
def python(tmp_path, index):
    """A scratch environment running 11.0.48."""
    return scratch_environment(tmp_path / "venv", index, "11.0.48")


@pytest.fixture
def mailbox(tmp_path) -> Iterator[tuple[int, object]]:
    port = free_port()
    folder = tmp_path / "mail"
    controller = start_mail_catcher(folder, "127.0.0.1", port)
    yield port, folder
    controller.stop()


def _connections(index, mail_port=None):
    known = {
        "focus_package_index": ConnectionInfo(
            "focus_package_index", "http", host="127.0.0.1", port=index.port
        ),
    }
    if mail_port:
        known["smtp_default"] = ConnectionInfo(
            "smtp_default",
            "smtp",
            host="127.0.0.1",
            port=mail_port,
            extra={"from_email": "focus-jobs@district.org"},
        )

    def find(conn_id):
        if conn_id not in known:
            raise ConnectionNotFound(f"no Airflow connection {conn_id!r}")
        return known[conn_id]

    return find


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds} s with no job running")


def _run(engine, python, index, history=None, mail_port=None, sleeps=None, **params):
    job = AutomaticUpdates(
        UpdateTarget(python, poll_seconds=7),
        sleep=(sleeps.append if sleeps is not None else _no_sleep),
    )
    return run_in_transaction(
        engine,
        job,
        AutomaticUpdatesParams(**params),
        history=history if history is not None else History(),
        connections=_connections(index, mail_port),
    )


def _mails(folder) -> list[email.message.Message]:
    if not folder.exists():
        return []
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(folder.glob("*.eml"))
    ]


def test_installs_the_newest_release(sqlite_engine, python, index):
    result = _run(sqlite_engine, python, index)
    assert result.success, result.text
    assert result.summary == "Updated focus-scheduled-jobs from 11.0.48 to 11.1.0."
    assert running_version(python) == "11.1.0"  # never the 12.0.0 pre-release


def test_bug_fix_only_stays_on_the_minor_line_and_mails_the_outcome(
    sqlite_engine, python, index, mailbox
):
    port, folder = mailbox
    result = _run(
        sqlite_engine,
        python,
        index,
        mail_port=port,
        bug_fix_only=True,
        confirmation_emails=[RECIPIENT],
    )
    assert result.success, result.text
    assert running_version(python) == "11.0.56"
    assert dict(result.counts) == {"installed": 1, "emailed": 1}
    (mail,) = _mails(folder)
    assert mail["To"] == RECIPIENT and mail["From"] == "focus-jobs@district.org"
    assert mail["Subject"].strip() == (
        "Focus automatic update: Updated focus-scheduled-jobs from 11.0.48 to 11.0.56."
    )
    # Once on the newest bug fix, nothing more is taken on that line.
    again = _run(
        sqlite_engine,
        python,
        index,
        mail_port=port,
        bug_fix_only=True,
        confirmation_emails=[RECIPIENT],
    )
    assert again.success
    assert again.summary == (
        "focus-scheduled-jobs 11.0.56 is the newest of the bug fix releases of 11.0.x on the index."
    )
    assert running_version(python) == "11.0.56"
    assert len(_mails(folder)) == 1  # nothing was tried: no e-mail


def test_the_guides_example_48_to_50(sqlite_engine, tmp_path):
    packages = tmp_path / "only-50"
    packages.mkdir()
    for version in ("11.0.48", "11.0.50"):
        build_wheel(packages, version)
    server = PackageIndex(packages).start()
    try:
        python = scratch_environment(tmp_path / "venv50", server, "11.0.48")
        result = _run(sqlite_engine, python, server)
        assert result.summary == "Updated focus-scheduled-jobs from 11.0.48 to 11.0.50."
        assert running_version(python) == "11.0.50"
    finally:
        server.stop()


def test_waits_while_other_jobs_run_then_installs(sqlite_engine, python, index):
    history = History(["rollover", "test-job"], ["rollover"], ["test-job"])
    sleeps: list[float] = []
    result = _run(sqlite_engine, python, index, history=history, sleeps=sleeps)
    assert result.success
    # Its own run does not count as another job: two waits, then quiet.
    assert sleeps == [7, 7] and history.asked == 3
    assert running_version(python) == "11.1.0"


def test_puts_the_update_off_when_jobs_keep_running(sqlite_engine, python, index):
    history = History(*[["rollover"]] * 3)
    result = _run(sqlite_engine, python, index, history=history, sleeps=[], wait_minutes=0)
    assert not result.success
    assert result.summary == (
        "Not updated to 11.1.0: rollover still running after 0 minute(s); 11.0.48 stays "
        "installed and the next run tries again."
    )
    assert dict(result.counts) == {"installed": 0, "postponed": 1}
    assert running_version(python) == "11.0.48"


def test_without_the_airflow_api_it_installs_nothing(sqlite_engine, python, index):
    result = run_in_transaction(
        sqlite_engine,
        AutomaticUpdates(UpdateTarget(python)),
        AutomaticUpdatesParams(),
        connections=_connections(index),
    )
    assert not result.success and "Not updated" in result.summary
    assert running_version(python) == "11.0.48"


def test_a_failed_install_leaves_the_running_version(sqlite_engine, python, index, mailbox):
    port, folder = mailbox
    broken_wheel(index.folder, "11.0.60")
    result = _run(
        sqlite_engine,
        python,
        index,
        mail_port=port,
        bug_fix_only=True,
        confirmation_emails=[RECIPIENT],
    )
    assert not result.success
    assert result.summary == (
        "Update of focus-scheduled-jobs to 11.0.60 failed; 11.0.48 is installed."
    )
    assert "pip said:" in result.text
    assert running_version(python) == "11.0.48"
    (mail,) = _mails(folder)
    assert "failed; 11.0.48 is installed" in mail["Subject"]


def test_an_unreachable_index_or_missing_connection_is_reported(sqlite_engine, python, index):
    index.stop()
    result = _run(sqlite_engine, python, index)
    assert not result.success
    assert "cannot be reached" in result.summary
    missing = _run(sqlite_engine, python, index, index_connection="nope")
    assert missing.summary == "Not updated: no Airflow connection 'nope'."
    assert running_version(python) == "11.0.48"


def test_a_mail_server_that_is_down_never_fails_the_update(sqlite_engine, python, index):
    result = _run(
        sqlite_engine, python, index, mail_port=free_port(), confirmation_emails=[RECIPIENT]
    )
    assert result.success
    assert result.counts["email_failed"] == 1
    assert "The confirmation e-mail was not sent: ConnectionRefusedError" in result.text


@pytest.mark.parametrize(
    ("current", "bug_fix_only", "expected"),
    [
        ("11.0.48", False, "11.1.0"),
        ("11.0.48", True, "11.0.56"),
        ("11.0.56", True, None),
        ("11.1.0", False, None),
        ("11.1.0", True, None),
    ],
)
def test_choose(current, bug_fix_only, expected):
    available = [Version(v) for v in RELEASES]
    chosen = choose(Version(current), available, bug_fix_only)
    assert chosen == (Version(expected) if expected else None)


def test_index_url_from_the_connection():
    assert index_url(ConnectionInfo("i", "http", host="pkgs.district.org", port=8080)) == (
        "http://pkgs.district.org:8080/simple/"
    )
    assert (
        index_url(ConnectionInfo("i", "http", extra={"index_url": "https://x.org/pypi/simple"}))
        == "https://x.org/pypi/simple/"
    )


def test_parameters_are_checked():
    with pytest.raises(ValueError, match="is not an e-mail address"):
        AutomaticUpdatesParams(confirmation_emails=["not an address"])
    schema = AutomaticUpdatesParams.model_json_schema()
    assert schema["properties"]["bug_fix_only"]["title"] == "Install latest bug fix release?"


def test_yanked_and_foreign_files_are_not_releases(tmp_path):
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from job_library.jobs.system._update_work import released_versions

    page = tmp_path / "simple" / "focus-scheduled-jobs"
    page.mkdir(parents=True)
    (page / "index.html").write_text(
        '<a href="../../f/focus_scheduled_jobs-11.0.50-py3-none-any.whl#sha256=00">w</a>'
        '<a href="../../f/focus_scheduled_jobs-11.0.51-py3-none-any.whl" data-yanked="">y</a>'
        '<a href="../../f/focus-scheduled-jobs-11.0.49.tar.gz">s</a>'
        '<a href="../../f/other_package-99.0-py3-none-any.whl">o</a>'
        '<a href="../../f/not-a-distribution.txt">t</a>'
    )

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
        info = ConnectionInfo("i", "http")
        assert released_versions(url, "focus-scheduled-jobs", info) == [
            Version("11.0.49"),
            Version("11.0.50"),
        ]
        assert released_versions(url, "never-published", info) == []
    finally:
        server.shutdown()
        server.server_close()
