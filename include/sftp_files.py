"""A vendor's SFTP file drop over the Airflow SFTP provider's connection."""

from __future__ import annotations

import contextlib
import errno
import stat
from typing import TYPE_CHECKING

from job_library.base import RemoteEntry, RemoteFileError

if TYPE_CHECKING:
    import paramiko

    from include.definitions import JobDefinition


def _kind(mode: int | None) -> str:
    if mode is None:
        return "other"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    return "other"


def _reason(exc: BaseException) -> str:
    """What the server said, in words (paramiko puts the errno first or nothing at all)."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return exc.strerror or errno.errorcode.get(exc.errno, str(exc.errno))
    text = str(exc.args[0]) if getattr(exc, "args", None) else str(exc)
    return text or type(exc).__name__


def _unsupported(exc: OSError) -> bool:
    text = _reason(exc).lower()
    return exc.errno is None and ("unsupported" in text or "not supported" in text)


class SftpFiles:
    """RemoteFiles on a paramiko SFTP client.

    Paths are absolute paths the job names; nothing here writes local files, so a name
    coming from the server never becomes a local path. Every failure is a RemoteFileError
    naming the operation and the path.

    :param client: a connected paramiko SFTP client.
    :param owned: what to close with it (the SSH connection it was opened on).
    :param settle_seconds: how long a file must stay unchanged before a job takes it.
    """

    def __init__(
        self,
        client: paramiko.SFTPClient,
        owned: contextlib.ExitStack | None = None,
        *,
        settle_seconds: float = 0.0,
    ) -> None:
        self.client = client
        self._owned = owned
        self.settle_seconds = settle_seconds
        # Learned on the first rename: servers without OpenSSH's posix-rename extension.
        self._posix_rename: bool | None = None

    @classmethod
    def from_connection(cls, conn_id: str, *, settle_seconds: float = 0.0) -> SftpFiles:
        """Connected through the Airflow connection ``conn_id`` (SFTPHook)."""
        from airflow.providers.sftp.hooks.sftp import SFTPHook

        # The managed connection closes the SSH connection too (close_conn leaves it open).
        owned = contextlib.ExitStack()
        try:
            client = owned.enter_context(SFTPHook(ssh_conn_id=conn_id).get_managed_conn())
        except Exception as exc:
            owned.close()
            raise RemoteFileError(
                "connect", f"(Airflow connection {conn_id!r})", f"{type(exc).__name__}: {exc}"
            ) from exc
        return cls(client, owned, settle_seconds=settle_seconds)

    def close(self) -> None:
        """Close the SFTP session and, when this opened it, the SSH connection under it."""
        if self._owned is not None:
            self._owned.close()
        else:
            self.client.close()

    def stat(self, path: str) -> RemoteEntry | None:
        try:
            attrs = self.client.lstat(path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise RemoteFileError("stat", path, _reason(exc)) from exc
        return RemoteEntry(
            path.rsplit("/", 1)[-1], _kind(attrs.st_mode), attrs.st_size, attrs.st_mtime
        )

    def scan(self, path: str) -> list[RemoteEntry]:
        """Every entry of ``path``; names that are not UTF-8 stay bytes.

        paramiko's own listing decodes every name as UTF-8 and fails on the first that is
        not, so this reads the server's answer itself.
        """
        from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR
        from paramiko.sftp_attr import SFTPAttributes

        try:
            kind, msg = self.client._request(CMD_OPENDIR, path)
        except FileNotFoundError:
            return []  # a folder the vendor has not created yet holds no files
        except OSError as exc:
            raise RemoteFileError("list", path, _reason(exc)) from exc
        if kind != CMD_HANDLE:
            raise RemoteFileError("list", path, "the server did not open the folder")
        handle = msg.get_binary()
        entries: list[RemoteEntry] = []
        try:
            while True:
                try:
                    kind, msg = self.client._request(CMD_READDIR, handle)
                except EOFError:
                    break
                if kind != CMD_NAME:
                    raise RemoteFileError("list", path, "the server sent no names")
                for _ in range(msg.get_int()):
                    raw = msg.get_string()
                    msg.get_string()  # the long (ls -l) form
                    attrs = SFTPAttributes._from_msg(msg)
                    if raw in (b".", b".."):
                        continue
                    try:
                        name: str | bytes = raw.decode("utf-8")
                    except UnicodeDecodeError:
                        name = raw
                    entries.append(
                        RemoteEntry(name, _kind(attrs.st_mode), attrs.st_size, attrs.st_mtime)
                    )
        except OSError as exc:
            raise RemoteFileError("list", path, _reason(exc)) from exc
        finally:
            with contextlib.suppress(Exception):
                self.client._request(CMD_CLOSE, handle)
        return sorted(
            entries, key=lambda e: e.name if isinstance(e.name, bytes) else e.name.encode()
        )

    def exists(self, path: str) -> bool:
        entry = self.stat(path)
        return entry is not None and entry.kind == "file"

    def listdir(self, path: str) -> list[str]:
        return sorted(
            e.name for e in self.scan(path) if e.kind == "file" and isinstance(e.name, str)
        )

    def read(self, path: str) -> bytes:
        try:
            with self.client.open(path, "rb") as f:
                return f.read()
        except OSError as exc:
            raise RemoteFileError("read", path, _reason(exc)) from exc

    def rename(self, source: str, target: str) -> None:
        if self.stat(target) is not None:
            raise RemoteFileError(
                "rename", f"{source} -> {target}", "the target already exists; nothing was renamed"
            )
        self._rename(source, target)

    def _rename(self, source: str, target: str) -> None:
        where = f"{source} -> {target}"
        if self._posix_rename is not False:
            try:
                self.client.posix_rename(source, target)
                self._posix_rename = True
                return
            except OSError as exc:
                if not _unsupported(exc):
                    raise RemoteFileError("rename", where, _reason(exc)) from exc
                self._posix_rename = False
        try:
            self.client.rename(source, target)
        except OSError as exc:
            raise RemoteFileError("rename", where, _reason(exc)) from exc

    def makedirs(self, path: str) -> bool:
        created = False
        current = ""
        for part in [p for p in path.split("/") if p]:
            current = f"{current}/{part}"
            entry = self.stat(current)
            if entry is not None and entry.kind == "folder":
                continue
            if entry is not None:
                raise RemoteFileError(
                    "create folder", current, f"a {entry.kind} of that name is in the way"
                )
            try:
                self.client.mkdir(current)
            except OSError as exc:
                parent = current.rsplit("/", 1)[0] or "/"
                raise RemoteFileError(
                    "create folder",
                    current,
                    _reason(exc),
                    f"An administrator must create {current} on the server, writable by the "
                    f"SFTP user (this user may not write in {parent})",
                ) from exc
            created = True
        return created

    def write(self, path: str, data: bytes) -> None:
        # Written beside the target and renamed over it: a reader never sees half a file.
        partial = f"{path}.partial"
        try:
            with self.client.open(partial, "wb") as f:
                f.write(data)
        except OSError as exc:
            raise RemoteFileError("write", partial, _reason(exc)) from exc
        try:
            self._rename(partial, path)  # posix-rename replaces the old file at once
        except RemoteFileError:
            if self._posix_rename is not False or self.stat(path) is None:
                raise
            # A plain rename never replaces: the file at ``path`` is ours (we write it), so it
            # is removed first; a reader may miss it for that moment, never see half of it.
            self.remove(path)
            self._rename(partial, path)

    def remove(self, path: str) -> None:
        try:
            self.client.remove(path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise RemoteFileError("remove", path, _reason(exc)) from exc


def open_remote(definition: JobDefinition, settle_seconds: float = 0.0) -> SftpFiles | None:
    """The file server of a file job, through its Airflow connection (None for other jobs).

    The operator and ``focus-jobs run`` both open it this way: an ``AIRFLOW_CONN_*``
    variable or Airflow's metadata database, whatever Airflow's hooks find.
    """
    from include.runner import resolve

    job_class, params = resolve(definition)
    source = job_class.remote_source(params)
    # A job that reads its server without waiting for a file (the PEER imports, Pcard
    # Imports) names only the connection: it needs the server all the same.
    conn_id = source.connection if source is not None else job_class.remote_connection
    if conn_id is None:
        return None
    return SftpFiles.from_connection(conn_id, settle_seconds=settle_seconds)
