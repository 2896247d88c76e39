"""The contract between a job and whoever runs it: context in, JobResult out."""

from __future__ import annotations

import datetime as dt
import html
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from job_library.defaults import DefaultSchedule
    from job_library.messaging import Messaging
    from job_library.preferences import Preferences
    from job_library.site import AddOn, SiteKind
    from job_library.student_fields import StudentFields


class JobKind(StrEnum):
    """The three kinds of job the Focus Jobs screen lists."""

    BUILT_IN = "built-in"
    INTEGRATION = "integration"
    IMPORT = "import"


class NoParams(BaseModel):
    """Parameter model of a job that takes no parameters of its own."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class JobResult:
    """What a job reports: a business outcome, never an exception.

    :param success: whether the job did what it was asked to do.
    :param summary: one line for lists, subjects and logs.
    :param text: the full output as plain text.
    :param html: the full output as HTML (sanitised before display).
    :param counts: named numbers (rows changed, files read, ...).
    """

    success: bool
    summary: str
    text: str = ""
    html: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def message(
        cls, success: bool, summary: str, counts: Mapping[str, int] | None = None
    ) -> JobResult:
        """A result that is one sentence: the summary is also its text and (escaped) HTML."""
        return cls(success, summary, summary, f"<p>{html.escape(summary)}</p>", dict(counts or {}))

    def to_json(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "summary": self.summary,
            "text": self.text,
            "html": self.html,
            "counts": dict(self.counts),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> JobResult:
        return cls(
            success=bool(data["success"]),
            summary=str(data["summary"]),
            text=str(data.get("text", "")),
            html=str(data.get("html", "")),
            counts=dict(data.get("counts", {})),
        )


class RunHistory(Protocol):
    """The scheduler's history of a job's runs (Airflow's, behind its REST API)."""

    def delete_finished_runs(self, job_id: str, before: dt.datetime) -> int:
        """Delete the job's finished runs that ended before ``before``, with their task
        instances, XComs and log files; a run still running is never touched.

        :returns: how many runs were removed.
        """
        ...

    def running_jobs(self) -> list[str]:
        """The ids of the jobs that have a run in progress now (queued or running)."""
        ...


class RemoteFileError(OSError):
    """An operation on a vendor's file server failed; the message names it and the path.

    :param operation: what was being done (``read``, ``rename``, ``create folder`` ...).
    :param path: the path on the server (for a rename: ``source -> target``).
    :param reason: what the server said.
    :param advice: what an administrator can do about it, when we know.
    """

    def __init__(self, operation: str, path: str, reason: str, advice: str = "") -> None:
        self.operation, self.path, self.reason, self.advice = operation, path, reason, advice
        super().__init__(
            f"SFTP {operation} {path} failed: {reason}" + (f". {advice}" if advice else "")
        )


@dataclass(frozen=True)
class RemoteEntry:
    """One entry of a folder on the server, as listed (symbolic links are not followed).

    :param name: the name; ``bytes`` when it is not valid UTF-8 (never used as a path then).
    :param kind: ``file``, ``folder``, ``symlink`` or ``other``.
    :param size: size in bytes, when the server says.
    :param mtime: modification time (seconds since the epoch), when the server says.
    """

    name: str | bytes
    kind: str
    size: int | None = None
    mtime: int | None = None


class RemoteFiles(Protocol):
    """A vendor's file drop (an SFTP server), as a file integration reads and renames it.

    Every failure is a RemoteFileError naming the operation and the path.
    """

    # How long a file's size and modification time must stay the same before a job takes it.
    settle_seconds: float

    def stat(self, path: str) -> RemoteEntry | None:
        """The entry at ``path`` without following a symbolic link; None when nothing is there."""
        ...

    def scan(self, path: str) -> list[RemoteEntry]:
        """Every entry of the folder ``path`` but ``.`` and ``..`` (none when it is missing)."""
        ...

    def exists(self, path: str) -> bool:
        """Whether ``path`` is a regular file on the server (a symbolic link is not)."""
        ...

    def read(self, path: str) -> bytes:
        """The bytes of the file at ``path``."""
        ...

    def rename(self, source: str, target: str) -> None:
        """Rename ``source`` to ``target`` on the server; ``target`` must not exist."""
        ...

    def makedirs(self, path: str) -> bool:
        """Create the folder ``path`` and its parents; whether anything was created."""
        ...

    def listdir(self, path: str) -> list[str]:
        """The UTF-8 names of the regular files in the folder ``path``, sorted."""
        ...

    def write(self, path: str, data: bytes) -> None:
        """Write ``data`` to ``path`` in full or not at all (it replaces a file there)."""
        ...

    def remove(self, path: str) -> None:
        """Delete the file at ``path`` (nothing to do when it is already gone)."""
        ...


@dataclass(frozen=True)
class RemoteSource:
    """Where a file job's files arrive: the Airflow connection, the folder and a file pattern.

    :param connection: the Airflow connection id of the SFTP server.
    :param folder: the absolute folder on the server.
    :param pattern: an fnmatch pattern of the file names its DAG waits for.
    """

    connection: str
    folder: str
    pattern: str


@dataclass(frozen=True)
class ConnectionInfo:
    """An Airflow connection as a job sees it (credentials never come from job rows).

    :param conn_id: the connection's id.
    :param conn_type: its type (``postgres``, ``sqlite``, ``smtp``, ``http`` ...).
    :param host: host name (for ``sqlite``: the database file).
    :param port: port, when set.
    :param login: user name, when set.
    :param password: password, when set.
    :param schema: database name (``postgres``) or URL path (``http``), when set.
    :param extra: the connection's extra fields.
    """

    conn_id: str
    conn_type: str
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    schema: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


class ConnectionNotFound(LookupError):
    """No connection has the id a job asked for; the message names it."""


@dataclass(frozen=True)
class HttpEndpoint:
    """A web API's address and credentials, from an Airflow HTTP connection (never a job row).

    :param conn_id: the Airflow connection it came from (for messages).
    :param base_url: scheme, host, port and base path of the API.
    :param login: user name or OAuth2 client id.
    :param password: password or OAuth2 client secret.
    :param extra: the connection's extra fields (``token_url``, ``timeout_seconds`` ...).
    """

    conn_id: str
    base_url: str
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    extra: Mapping[str, Any] = field(default_factory=dict)


class HttpEndpoints(Protocol):
    """Where a job finds the web APIs it calls, by Airflow connection id."""

    def __call__(self, conn_id: str) -> HttpEndpoint:
        """The endpoint of ``conn_id``; raises LookupError naming it when there is none."""
        ...


@dataclass(frozen=True)
class JobContext:
    """Everything a job may touch, handed to it so it never opens connections itself.

    :param connection: a connection to the Focus database inside an open transaction;
        the runner commits when the job returns and rolls back when it raises.
    :param now: the clock, returning an aware datetime in the district time zone.
    :param log: where progress goes (the Airflow task log, the CLI's stderr).
    :param file_store: the folder for files the job reads or writes.
    :param job_id: the id (slug) of the scheduled job being run.
    :param job_title: its title, for output.
    :param history: the scheduler's run history, when the runner has access to it.
    :param remote: the vendor's file server, for jobs that name a connection.
    :param district_files: the district's shared files folder (uploads, photos), when set.
    :param connections: looks up an Airflow connection by id (ConnectionNotFound when none).
    :param http: the web APIs' endpoints by Airflow connection id, for web-API jobs.
    :param messaging: the mail server and the SMS/voice/push provider, for jobs that send.
    """

    connection: Connection
    now: Callable[[], dt.datetime]
    log: logging.Logger
    file_store: Path
    job_id: str
    job_title: str
    history: RunHistory | None = None
    remote: RemoteFiles | None = None
    district_files: Path | None = None
    connections: Callable[[str], ConnectionInfo] | None = None
    http: HttpEndpoints | None = None
    messaging: Messaging | None = None
    _after_commit: list[Callable[[], None]] = field(default_factory=list, repr=False)
    _finish: list[Callable[[JobResult], JobResult]] = field(default_factory=list, repr=False)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the job's changes are committed (never when they roll back).

        File jobs move their files this way: a file leaves the drop only after its rows are
        safely in the database, and the processed-files ledger covers a crash in between.
        """
        self._after_commit.append(action)

    def finish_after_commit(self, step: Callable[[JobResult], JobResult]) -> None:
        """Run ``step`` on the committed result once the job's changes (and the run's claim)
        are committed; its result becomes the run's output.

        For work that must commit on its own as it goes, such as sending queued messages:
        each message is marked as being sent (and committed) before it leaves, so a crash
        after sending never sends it again. A step that raises turns the run into a failure
        that keeps the committed result's output.
        """
        self._finish.append(step)

    def finished(self, result: JobResult) -> JobResult:
        """Called by the runner after the commit and the deferred actions: runs the steps."""
        steps = list(self._finish)
        self._finish.clear()
        for step in steps:
            try:
                result = step(result)
            except Exception as exc:
                note = (
                    f"The changes above were committed, but the work after the commit failed: "
                    f"{type(exc).__name__}: {exc}. The next run takes up what was left."
                )
                self.log.exception("%s", note)
                return JobResult(
                    success=False,
                    summary=f"{result.summary} {note}",
                    text=f"{result.text or result.summary}\n\n{note}",
                    html=f"{result.html}<p><strong>{html.escape(note)}</strong></p>",
                    counts={**result.counts, "after_commit_failed": 1},
                )
        return result

    @property
    def prefs(self) -> Preferences:
        """System Preferences, read (and written) in the job's own transaction."""
        from job_library.preferences import Preferences

        return Preferences(self.connection)

    @property
    def student_fields(self) -> StudentFields:
        """Student Fields by alias; changes are logged as made by this job."""
        from job_library.student_fields import StudentFields

        return StudentFields(self.connection, changed_by=f"job {self.job_id}", now=self.now)

    def committed(self) -> AfterCommitFailure | None:
        """Called by the runner after the commit: runs the deferred actions in order.

        The first action that raises stops the rest (a file is never removed once its copy
        failed); what failed is returned for the run's output, never raised, because the
        changes are committed. The jobs' ledgers let the next run finish what was left.
        """
        actions = list(self._after_commit)
        self._after_commit.clear()
        for done, action in enumerate(actions):
            try:
                action()
            except Exception as exc:
                error = str(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
                return AfterCommitFailure(error, done, len(actions) - done - 1)
        return None


@dataclass(frozen=True)
class AfterCommitFailure:
    """What went wrong after a job's commit: the error, the actions done and those not run."""

    error: str
    done: int
    not_run: int

    def describe(self) -> str:
        return (
            f"The changes above were committed, but a file action after the commit failed: "
            f"{self.error}. {self.done} file action(s) had finished; {self.not_run} were not "
            "run. The next run finishes them before anything else."
        )

    def applied_to(self, result: JobResult) -> JobResult:
        """``result`` turned into a failure that still carries everything it said."""
        note = self.describe()
        return JobResult(
            success=False,
            summary=f"{result.summary} {note}",
            text=f"{result.text or result.summary}\n\n{note}",
            html=f"{result.html or '<p>' + html.escape(result.summary) + '</p>'}"
            f"<p><strong>{html.escape(note)}</strong></p>",
            counts={**result.counts, "after_commit_failed": 1},
        )


class Job(ABC):
    """A job class of the catalog. Subclasses set the class attributes and ``run``."""

    key: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    module: ClassVar[str]
    kind: ClassVar[JobKind] = JobKind.BUILT_IN
    params_model: ClassVar[type[BaseModel]] = NoParams
    # Parameters a job of this class validates with, for benchmarks and the build checks;
    # None: the model's required fields filled in from their types (registry.example_params).
    example_params: ClassVar[dict[str, Any] | None] = None
    implemented: ClassVar[bool] = True
    # Whether the runner should hand it the scheduler's run history (JobContext.history).
    uses_run_history: ClassVar[bool] = False
    # The Airflow connection of the file server it reads (never taken from the job row).
    remote_connection: ClassVar[str | None] = None
    # The Airflow HTTP connection of the web API it calls (endpoint and credentials).
    http_connection: ClassVar[str | None] = None
    # (folder, file pattern) its DAG waits for on that server before the job runs.
    remote_wait: ClassVar[tuple[str, str] | None] = None
    # Whether its DAG waits for such a file before the job runs (False: the job also sends
    # files and runs on its schedule, taking whatever has arrived).
    waits_for_file: ClassVar[bool] = True
    # Whether a job of this class runs only on school days unless its definition says otherwise.
    school_days_only_default: ClassVar[bool] = False
    # What the site profile must have for this class to be offered and run (job_library.site).
    needs_state: ClassVar[str | None] = None
    needs_add_ons: ClassVar[frozenset[AddOn]] = frozenset()
    # Whether the runner hands it the mail server and message provider (JobContext.messaging).
    sends_messages: ClassVar[bool] = False
    # Kinds of site where Run Job is refused (it still runs on its schedule).
    manual_run_refused_on: ClassVar[frozenset[SiteKind]] = frozenset()
    # Per-class defaults: the schedule a new job starts with, a title built from its
    # parameters ("{title} for {syear}"), and whether seed-defaults installs it.
    default_schedule: ClassVar[DefaultSchedule | None] = None
    title_template: ClassVar[str | None] = None
    installed_by_default: ClassVar[bool] = False

    @classmethod
    def remote_source(cls, params: BaseModel) -> RemoteSource | None:
        """Where this job's files arrive, given its parameters (None: it reads no files)."""
        if cls.remote_connection is None or cls.remote_wait is None:
            return None
        folder, pattern = cls.remote_wait
        return RemoteSource(cls.remote_connection, folder, pattern)

    @abstractmethod
    def run(self, context: JobContext, params: BaseModel) -> JobResult:
        """Do the job's work through ``context`` and report it."""
