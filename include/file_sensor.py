"""The file jobs' sensor and its trigger: they fire only on a file the job will take."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowException
from airflow.triggers.base import BaseTrigger, TriggerEvent

# asyncssh's FILEXFER_TYPE_REGULAR, _DIRECTORY and _SYMLINK (derived from the mode on SFTPv3).
_TYPES = {1: "file", 2: "folder", 3: "symlink"}


def _kind(file_type: int, mode: int | None) -> str:
    if file_type in _TYPES:
        return _TYPES[file_type]
    if mode is None:
        return "other"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    return "folder" if stat.S_ISDIR(mode) else "other"


class FocusFileTrigger(BaseTrigger):
    """Runs in the triggerer: looks at a drop folder until a file the job takes is there.

    The SFTP provider's trigger matches the pattern against every name the server lists,
    ``.`` and ``..`` included (``*`` and ``*.*`` match them), and decodes names as UTF-8;
    this one lists names as bytes and applies the jobs' own rule (``is_candidate``).

    :param path: the folder on the server.
    :param file_pattern: an fnmatch pattern of the file names.
    :param sftp_conn_id: the Airflow connection of the server.
    :param poke_interval: seconds between looks.
    """

    def __init__(
        self, path: str, file_pattern: str, sftp_conn_id: str, poke_interval: float = 60.0
    ) -> None:
        super().__init__()
        self.path = path
        self.file_pattern = file_pattern
        self.sftp_conn_id = sftp_conn_id
        self.poke_interval = poke_interval

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "path": self.path,
                "file_pattern": self.file_pattern,
                "sftp_conn_id": self.sftp_conn_id,
                "poke_interval": self.poke_interval,
            },
        )

    async def matching(self) -> list[str]:
        """The names in the folder that the job would take now (none when it is missing)."""
        import asyncssh
        from airflow.providers.sftp.hooks.sftp import SFTPHookAsync

        from job_library.base import RemoteEntry
        from job_library.file_drop import is_candidate

        hook = SFTPHookAsync(sftp_conn_id=self.sftp_conn_id)
        async with hook.get_managed_conn() as sftp:
            try:
                # A bytes path makes asyncssh return names as bytes, never failing to decode.
                names = await sftp.readdir(self.path.encode())
            except asyncssh.SFTPNoSuchFile:
                return []
        found = []
        for item in names:
            raw = item.filename
            try:
                name: str | bytes = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            except UnicodeDecodeError:
                name = raw
            entry = RemoteEntry(name, _kind(item.attrs.type, item.attrs.permissions))
            if is_candidate(entry, self.file_pattern):
                found.append(str(name))
        return sorted(found)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        while True:
            try:
                found = await self.matching()
            except Exception as exc:
                # Keep waiting: when the wait ends the job runs anyway and reports the server's
                # error (operation and path) in its output and e-mail, which a failed sensor
                # would never send.
                self.log.warning(
                    "SFTP list %s (connection %r) failed: %s: %s",
                    self.path, self.sftp_conn_id, type(exc).__name__, exc,
                )  # fmt: skip
                found = []
            if found:
                yield TriggerEvent(
                    {"status": "success", "message": f"Found in {self.path}: {', '.join(found)}"}
                )
                return
            await asyncio.sleep(self.poke_interval)


class FocusFileSensor(BaseSensorOperator):
    """Waits for a file the job will take in an SFTP folder, deferring to FocusFileTrigger.

    The SFTP provider's own sensor is not the base: importing it (and paramiko with it) costs
    every parse of a file job's DAG on a worker about 0.2 s; this one imports the provider only
    when it pokes. Nothing is templated: a row's folder and pattern are never rendered.

    :param path: the folder on the server.
    :param file_pattern: an fnmatch pattern of the file names.
    :param sftp_conn_id: the Airflow connection of the server.
    :param deferrable: wait in the triggerer instead of holding a worker slot.
    :param row: instead of path, pattern, connection and timeout, the job's raw row (a
        worker's build, include/worker_dag.py): they are worked out from it when the task
        runs, as the dag-processor's build works them out.
    """

    template_fields = ()

    def __init__(
        self,
        *,
        path: str | None = None,
        file_pattern: str | None = None,
        sftp_conn_id: str | None = None,
        deferrable: bool = True,
        row: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (row is None) == (path is None or file_pattern is None or sftp_conn_id is None):
            raise TypeError("FocusFileSensor takes a path, pattern and connection, or a row")
        self.path = path
        self.file_pattern = file_pattern
        self.sftp_conn_id = sftp_conn_id
        self.deferrable = deferrable
        self._row = row

    def _resolve(self) -> None:
        """A worker's sensor: where and how long to wait, from the job's validated row."""
        if self._row is None:
            return
        from include.job_task import _validated, file_source, wait_seconds

        definition = _validated(self._row, None)
        source = file_source(definition)
        if source is None:
            raise AirflowException(f"job {definition.id!r} no longer waits for a file")
        self.path, self.file_pattern = source.folder, source.pattern
        self.sftp_conn_id = source.connection
        self.timeout = wait_seconds(definition)
        self._row = None

    def poke(self, context: Any) -> bool:
        from include.sftp_files import SftpFiles
        from job_library.file_drop import is_candidate

        self._resolve()
        assert self.path is not None and self.file_pattern is not None
        assert self.sftp_conn_id is not None
        self.log.info("Looking for %s in %s", self.file_pattern, self.path)
        files = SftpFiles.from_connection(self.sftp_conn_id)
        try:
            return any(is_candidate(e, self.file_pattern) for e in files.scan(self.path))
        finally:
            files.close()

    def execute(self, context: Any) -> Any:
        self._resolve()
        if not self.deferrable:
            return super().execute(context)
        assert self.path is not None and self.file_pattern is not None
        assert self.sftp_conn_id is not None
        self.defer(
            timeout=timedelta(seconds=self.timeout),
            trigger=FocusFileTrigger(
                path=self.path,
                file_pattern=self.file_pattern,
                sftp_conn_id=self.sftp_conn_id,
                poke_interval=self.poke_interval,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: Any = None) -> None:
        """The trigger found a file (its only event): log what it found."""
        if not event or event.get("status") != "success":
            raise AirflowException(f"the file trigger ended without finding a file: {event!r}")
        self.log.info("%s", event.get("message"))
