"""The work of Automatic Updates: the index read over PEP 503, pip installs, e-mail confirms."""

from __future__ import annotations

import base64
import html
import os
import smtplib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from job_library.base import (
    ConnectionInfo,
    ConnectionNotFound,
    JobContext,
    JobResult,
    RunHistory,
)

if TYPE_CHECKING:
    from job_library.jobs.system.automatic_updates import AutomaticUpdatesParams

PACKAGE = "focus-scheduled-jobs"
SMTP_CONNECTION = "smtp_default"
INSTALL_SECONDS = 900


@dataclass(frozen=True)
class UpdateTarget:
    """The installation to update (server settings, never a job row's).

    :param python: the Python of the environment to update.
    :param package: the distribution name of this project.
    :param poll_seconds: how often to look again whether other jobs still run.
    """

    python: Path
    package: str = PACKAGE
    poll_seconds: float = 30.0

    @classmethod
    def from_environment(cls) -> UpdateTarget:
        """This process's own environment, or ``FOCUS_UPDATE_PYTHON`` when set."""
        return cls(
            Path(os.environ.get("FOCUS_UPDATE_PYTHON") or sys.executable),
            os.environ.get("FOCUS_UPDATE_PACKAGE") or PACKAGE,
        )


class UpdateError(Exception):
    """Something the update needs is missing or broken; the message says what."""


def index_url(info: ConnectionInfo) -> str:
    """The simple-index URL of a package index connection (``extra.index_url`` wins)."""
    url = info.extra.get("index_url")
    if not url:
        if not info.host:
            raise UpdateError(f"connection {info.conn_id!r} has no host and no index_url")
        scheme = info.schema or "http"
        host = info.host if "://" in info.host else f"{scheme}://{info.host}"
        url = f"{host}:{info.port}" if info.port else host
        url = url.rstrip("/") + "/" + str(info.extra.get("path", "simple")).strip("/") + "/"
    return url if url.endswith("/") else url + "/"


def _with_login(url: str, info: ConnectionInfo) -> str:
    """``url`` with the connection's login in it, as pip takes basic credentials."""
    if not info.login:
        return url
    from urllib.parse import quote

    parts = urlsplit(url)
    secret = f"{quote(info.login, safe='')}:{quote(info.password or '', safe='')}"
    return parts._replace(netloc=f"{secret}@{parts.netloc}").geturl()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.files: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            found = dict(attrs)
            href = found.get("href") or ""
            self.files.append((href.split("#", 1)[0].rsplit("/", 1)[-1], "data-yanked" in found))


def released_versions(url: str, package: str, info: ConnectionInfo) -> list[Version]:
    """Every version of ``package`` with a file on the index (yanked files left out)."""
    page = urljoin(url, canonicalize_name(package) + "/")
    request = urllib.request.Request(page, headers={"Accept": "text/html"})
    if info.login:
        token = base64.b64encode(f"{info.login}:{info.password or ''}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise UpdateError(f"the package index at {url} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UpdateError(f"the package index at {url} cannot be reached: {reason}") from None
    parser = _Links()
    parser.feed(body)
    versions: set[Version] = set()
    for name, yanked in parser.files:
        if yanked:
            continue
        try:
            if name.endswith(".whl"):
                dist, version, _, _ = parse_wheel_filename(name)
            else:
                dist, version = parse_sdist_filename(name)
        except (InvalidWheelFilename, InvalidSdistFilename):
            continue
        if dist == canonicalize_name(package):
            versions.add(version)
    return sorted(versions)


def choose(current: Version, available: list[Version], bug_fix_only: bool) -> Version | None:
    """The release to install: the newest final release above ``current`` (on the same
    major.minor line when ``bug_fix_only``), or None."""
    candidates = [
        v
        for v in available
        if v > current
        and not v.is_prerelease
        and not v.is_devrelease
        and (not bug_fix_only or v.release[:2] == current.release[:2])
    ]
    return max(candidates, default=None)


def installed_version(target: UpdateTarget) -> Version:
    """The version of the package installed in the target environment."""
    done = subprocess.run(
        [
            str(target.python),
            "-I",  # isolated: a project folder in the working directory must not answer
            "-c",
            "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))",
            target.package,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise UpdateError(f"{target.package} is not installed for {target.python}: {last}")
    return Version(done.stdout.strip())


def pip_install(target: UpdateTarget, url: str, version: Version) -> subprocess.CompletedProcess:
    """``pip install package==version`` into the target, from the district's index only."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(target.python),
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--no-cache-dir",
            "--index-url",
            url,
            f"{target.package}=={version}",
        ],
        capture_output=True,
        text=True,
        timeout=INSTALL_SECONDS,
        check=False,
    )


def wait_for_quiet(
    history: RunHistory,
    context: JobContext,
    minutes: int,
    poll: float,
    sleep: Callable[[float], None],
) -> list[str]:
    """Wait until no other job runs; the jobs still running when the time is up ([]: quiet)."""
    deadline = time.monotonic() + minutes * 60
    while True:
        busy = [j for j in history.running_jobs() if j != context.job_id]
        if not busy or time.monotonic() >= deadline:
            return busy
        context.log.info("waiting for running jobs before updating: %s", ", ".join(busy))
        sleep(poll)


def update(
    context: JobContext,
    params: AutomaticUpdatesParams,
    target: UpdateTarget,
    sleep: Callable[[float], None],
) -> JobResult:
    history = context.history
    if history is None:
        return JobResult.message(
            False,
            "Not updated: whether other jobs are running cannot be seen without the Airflow "
            "API connection (focus_airflow_api); nothing was installed.",
            {"postponed": 1},
        )
    try:
        if context.connections is None:
            raise UpdateError("no Airflow connections are available to this run")
        try:
            info = context.connections(params.index_connection)
        except ConnectionNotFound as exc:
            raise UpdateError(str(exc)) from None
        url = index_url(info)
        current = installed_version(target)
        latest = choose(current, released_versions(url, target.package, info), params.bug_fix_only)
    except UpdateError as exc:
        return JobResult.message(False, f"Not updated: {exc}.", {"installed": 0, "failed": 1})
    line = "bug fix releases of " + ".".join(map(str, current.release[:2])) + ".x"
    if latest is None:
        scope = line if params.bug_fix_only else "releases"
        return JobResult.message(
            True,
            f"{target.package} {current} is the newest of the {scope} on the index.",
            {"installed": 0},
        )
    busy = wait_for_quiet(history, context, params.wait_minutes, target.poll_seconds, sleep)
    if busy:
        return JobResult.message(
            False,
            f"Not updated to {latest}: {', '.join(busy)} still running after "
            f"{params.wait_minutes} minute(s); {current} stays installed and the next run "
            "tries again.",
            {"installed": 0, "postponed": 1},
        )
    context.log.info("installing %s %s (now %s)", target.package, latest, current)
    done = pip_install(target, _with_login(url, info), latest)
    try:
        now_installed = installed_version(target)
    except UpdateError as exc:
        now_installed = None
        context.log.error("%s", exc)
    output = (done.stdout + done.stderr).strip().splitlines()[-15:]
    if done.returncode == 0 and now_installed == latest:
        summary = f"Updated {target.package} from {current} to {latest}."
        result = JobResult.message(True, summary, {"installed": 1})
    else:
        summary = (
            f"Update of {target.package} to {latest} failed; {now_installed or 'no version'} "
            "is installed."
        )
        text = summary + "\n\npip said:\n" + "\n".join(f"  {x}" for x in output)
        result = JobResult(False, summary, text, f"<pre>{html.escape(text)}</pre>", {"failed": 1})
    return _confirm(context, params, result)


def _confirm(context: JobContext, params: AutomaticUpdatesParams, result: JobResult) -> JobResult:
    """Send the confirmation e-mail; a mail failure is noted in the output, never raised."""
    if not params.confirmation_emails:
        return result
    try:
        if context.connections is None:
            raise ConnectionNotFound("no Airflow connections are available to this run")
        smtp = context.connections(SMTP_CONNECTION)
        message = EmailMessage()
        message["Subject"] = f"Focus automatic update: {result.summary}"
        message["From"] = str(smtp.extra.get("from_email") or "focus-jobs@localhost")
        message["To"] = ", ".join(params.confirmation_emails)
        message.set_content(f"Job: {context.job_title} ({context.job_id})\n\n{result.text}\n")
        with smtplib.SMTP(smtp.host or "127.0.0.1", smtp.port or 25, timeout=30) as client:
            if smtp.login:
                client.login(smtp.login, smtp.password or "")
            client.send_message(message)
    except (ConnectionNotFound, OSError, smtplib.SMTPException) as exc:
        note = f"The confirmation e-mail was not sent: {type(exc).__name__}: {exc}"
        context.log.warning("%s", note)
        return JobResult(
            result.success,
            result.summary,
            f"{result.text}\n{note}",
            f"{result.html}<p>{html.escape(note)}</p>",
            {**result.counts, "email_failed": 1},
        )
    return JobResult(
        result.success, result.summary, result.text, result.html, {**result.counts, "emailed": 1}
    )
