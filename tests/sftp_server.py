"""An asyncssh SFTP server on loopback, for the tests that need a server to misbehave."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncssh
import paramiko


class _NoPosixRename(asyncssh.SFTPServer):
    """A server without OpenSSH's posix-rename extension, whose rename never replaces."""

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        raise asyncssh.SFTPOpUnsupported("posix-rename not supported")

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        import os

        if os.path.lexists(self.map_path(newpath)):
            raise asyncssh.SFTPFailure("File already exists")
        os.rename(self.map_path(oldpath), self.map_path(newpath))


class SftpServer:
    """Serves ``root`` (as ``/``) on 127.0.0.1 to the holder of ``client_key``.

    :param root: the folder the server shows as its root.
    :param keys: a folder for the generated host and client keys.
    """

    def __init__(self, root: Path, keys: Path, *, posix_rename: bool = True) -> None:
        self.root = root
        self.client_key = keys / "client_rsa"
        host_key = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
        client_key = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
        self.client_key.write_bytes(client_key.export_private_key("pkcs1-pem"))
        self.client_key.chmod(0o600)
        (keys / "authorized_keys").write_bytes(client_key.export_public_key())
        self._authorized = str(keys / "authorized_keys")
        self._host_key = host_key
        self._posix_rename = posix_rename
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._connections: list[asyncssh.SSHServerConnection] = []
        self.port = 0

    def start(self) -> SftpServer:
        self._thread.start()
        root = str(self.root)
        server_class = asyncssh.SFTPServer if self._posix_rename else _NoPosixRename

        async def listen():
            return await asyncssh.listen(
                "127.0.0.1",
                0,
                server_host_keys=[self._host_key],
                authorized_client_keys=self._authorized,
                sftp_factory=lambda chan: server_class(chan, chroot=root),
                allow_scp=False,
                acceptor=self._connections.append,
            )

        self._server = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(30)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def close():  # on the server's own loop: asyncio is not thread-safe
            self._server.close()
            await self._server.wait_closed()
            # Close every client connection now (not at interpreter exit, after the report).
            for connection in self._connections:
                connection.close()
            for connection in self._connections:
                await connection.wait_closed()
            # End the sessions of clients that never said goodbye, quietly.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def folder(self, relative: str) -> Path:
        """A folder inside the served root (and its parents)."""
        path = self.root / relative.strip("/")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def put(self, relative: str, data: str | bytes) -> Path:
        """A file the vendor dropped."""
        path = self.root / relative.strip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def client(self, username: str = "focus") -> paramiko.SFTPClient:
        ssh = paramiko.SSHClient()
        ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # a throwaway test host key
        ssh.connect(
            "127.0.0.1",
            port=self.port,
            username=username,
            key_filename=str(self.client_key),
            look_for_keys=False,
            allow_agent=False,
        )
        return ssh.open_sftp()

    def airflow_connection(self) -> dict:
        """The Airflow connection (JSON form) that reaches this server."""
        return {
            "conn_type": "sftp",
            "host": "127.0.0.1",
            "port": self.port,
            "login": "focus",
            "extra": {"key_file": str(self.client_key), "no_host_key_check": True},
        }
