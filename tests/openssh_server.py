"""A real OpenSSH sshd on loopback, as districts run it: chrooted internal-sftp, key-only login."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import paramiko

SSHD = "/usr/sbin/sshd"
# The unprivileged account the vendor's files are dropped for (created once, never removed).
USER = "focus-sftp"
# sshd refuses a chroot unless every folder above it is root's and writable by root only:
# /tmp (world-writable) cannot hold one, so servers live here.
BASE = Path("/var/lib/focus-openssh-tests")


def unavailable_reason() -> str | None:
    """Why a real sshd cannot run here, or None when it can."""
    if not Path(SSHD).exists():
        return f"{SSHD} is missing (apt-get install openssh-server; .ci/run installs it)"
    if os.geteuid() != 0:
        return "sshd with a chroot needs root"
    if shutil.which("ssh-keygen") is None or shutil.which("useradd") is None:
        return "ssh-keygen or useradd is missing"
    return None


def _ensure_user() -> pwd.struct_passwd:
    with contextlib.suppress(KeyError):
        return pwd.getpwnam(USER)
    done = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", USER],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode not in (0, 9):  # 9: another test run created it meanwhile
        raise RuntimeError(f"useradd {USER} failed: {done.stderr.strip()}")
    # A "!" password marks the account locked, and sshd then refuses even a key; "*" is none.
    subprocess.run(["usermod", "-p", "*", USER], check=True, capture_output=True)
    return pwd.getpwnam(USER)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OpenSshServer:
    """Debian's sshd serving a chroot (owned by root, read-only for the user) on 127.0.0.1.

    Drop folders the vendor writes in are made with ``folder`` (owned by the SFTP user);
    files arrive with ``put``. The chroot's root itself is root's: the user cannot create
    anything there, as on a district's server.
    """

    def __init__(self) -> None:
        self.user = _ensure_user()
        BASE.mkdir(mode=0o755, exist_ok=True)
        os.chmod(BASE, 0o755)
        self.home = BASE / uuid.uuid4().hex[:12]
        self.home.mkdir(mode=0o755)
        self.root = self.home / "chroot"
        self.root.mkdir(mode=0o755)
        etc = self.home / "etc"
        etc.mkdir(mode=0o755)
        keys = etc / "authorized_keys"
        keys.mkdir(mode=0o755)
        self.client_key = self.home / "client_rsa"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-f",
             str(self.client_key)],
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(etc / "host_ed25519")],
            check=True,
            capture_output=True,
        )
        shutil.copy(f"{self.client_key}.pub", keys / USER)
        os.chmod(keys / USER, 0o644)
        self.port = _free_port()
        self.config = etc / "sshd_config"
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {etc / 'host_ed25519'}",
                    "PidFile none",
                    f"AuthorizedKeysFile {keys}/%u",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "PermitRootLogin no",
                    f"AllowUsers {USER}",
                    "AllowTcpForwarding no",
                    "X11Forwarding no",
                    "Subsystem sftp internal-sftp",
                    f"ChrootDirectory {self.root}",
                    "ForceCommand internal-sftp",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        self.log = self.home / "sshd.log"
        self._process: subprocess.Popen | None = None

    def start(self) -> OpenSshServer:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        check = subprocess.run([SSHD, "-t", "-f", str(self.config)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"sshd refuses its test config: {check.stderr.strip()}")
        with self.log.open("wb") as log:
            self._process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self.config)], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"sshd exited at start: {self.log.read_text()}")
            with contextlib.suppress(OSError), socket.create_connection(
                ("127.0.0.1", self.port), timeout=1
            ):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"sshd did not listen on port {self.port}: {self.log.read_text()}")

    def stop(self) -> None:
        """Stop this sshd and the per-connection processes it forked (only those)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            for child in self._children(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGTERM)
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        shutil.rmtree(self.home, ignore_errors=True)

    @staticmethod
    def _children(pid: int) -> list[int]:
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    found.append(int(proc.name))
        return found

    def folder(self, relative: str) -> Path:
        """A drop folder inside the chroot (and its parents), writable by the SFTP user."""
        path = self.root
        for part in [p for p in relative.split("/") if p]:
            path = path / part
            if not path.exists():
                path.mkdir(mode=0o755)
                os.chown(path, self.user.pw_uid, self.user.pw_gid)
        return path

    def put(self, relative: str, data: str | bytes) -> Path:
        """A file the vendor dropped (owned by the SFTP user)."""
        folder, _, name = relative.strip("/").rpartition("/")
        path = self.folder(folder) / name if folder else self.root / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        os.chown(path, self.user.pw_uid, self.user.pw_gid)
        return path

    def client(self) -> paramiko.SFTPClient:
        ssh = paramiko.SSHClient()
        ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # a throwaway test host key
        ssh.connect(
            "127.0.0.1",
            port=self.port,
            username=USER,
            key_filename=str(self.client_key),
            look_for_keys=False,
            allow_agent=False,
        )
        sftp = ssh.open_sftp()
        # Closing the SFTP client closes the SSH connection too (sshd's process then ends).
        _close = sftp.close

        def close() -> None:
            _close()
            ssh.close()

        sftp.close = close  # type: ignore[method-assign]
        return sftp

    def airflow_connection(self) -> dict:
        """The Airflow connection (JSON form) that reaches this server."""
        return {
            "conn_type": "sftp",
            "host": "127.0.0.1",
            "port": self.port,
            "login": USER,
            "extra": {"key_file": str(self.client_key), "no_host_key_check": True},
        }
