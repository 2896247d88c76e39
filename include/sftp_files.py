"""A vendor's SFTP file drop over the Airflow SFTP provider's connection."""

from __future__ import annotations

import contextlib
import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import paramiko


class SftpFiles:
    """RemoteFiles on a paramiko SFTP client.

    Paths are absolute paths the job names; nothing here writes local files, so a name
    coming from the server never becomes a local path.

    :param client: a connected paramiko SFTP client.
    """

    def __init__(
        self, client: paramiko.SFTPClient, owned: contextlib.ExitStack | None = None
    ) -> None:
        self.client = client
        self._owned = owned

    @classmethod
    def from_connection(cls, conn_id: str) -> SftpFiles:
        """Connected through the Airflow connection ``conn_id`` (SFTPHook)."""
        from airflow.providers.sftp.hooks.sftp import SFTPHook

        # The managed connection closes the SSH connection too (close_conn leaves it open).
        owned = contextlib.ExitStack()
        client = owned.enter_context(SFTPHook(ssh_conn_id=conn_id).get_managed_conn())
        return cls(client, owned)

    def close(self) -> None:
        """Close the SFTP session and, when this opened it, the SSH connection under it."""
        if self._owned is not None:
            self._owned.close()
        else:
            self.client.close()

    def exists(self, path: str) -> bool:
        try:
            return stat.S_ISREG(self.client.stat(path).st_mode or 0)
        except FileNotFoundError:
            return False

    def read(self, path: str) -> bytes:
        with self.client.open(path, "rb") as f:
            return f.read()

    def rename(self, source: str, target: str) -> None:
        self.client.posix_rename(source, target)

    def makedirs(self, path: str) -> bool:
        created = False
        current = ""
        for part in [p for p in path.split("/") if p]:
            current = f"{current}/{part}"
            try:
                self.client.stat(current)
            except FileNotFoundError:
                self.client.mkdir(current)
                created = True
        return created

    def listdir(self, path: str) -> list[str]:
        try:
            entries = self.client.listdir_attr(path)
        except FileNotFoundError:
            return []  # a folder the vendor has not created yet holds no files
        return sorted(e.filename for e in entries if stat.S_ISREG(e.st_mode or 0))

    def write(self, path: str, data: bytes) -> None:
        # Written beside the target and renamed over it: a reader never sees half a file.
        partial = f"{path}.partial"
        with self.client.open(partial, "wb") as f:
            f.write(data)
        self.client.posix_rename(partial, path)

    def remove(self, path: str) -> None:
        self.client.remove(path)
