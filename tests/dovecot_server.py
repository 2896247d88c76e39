"""Debian's Dovecot IMAP server on loopback, with a configuration and mailboxes of its own.

Messages are put in a user's Maildir ``new/`` folder, as a delivery agent would; Dovecot
serves them over IMAP (plain login on 127.0.0.1, no TLS).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
MAIL_UID = 65534  # nobody: Dovecot refuses to serve mail as root


def unavailable_reason() -> str | None:
    if not Path(DOVECOT).is_file():
        return "Debian's dovecot-imapd is not installed (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "the Dovecot tests start their own server as root"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DovecotServer:
    """One Dovecot instance serving one mailbox.

    :param root: a folder of its own (configuration, state, mail).
    :param user: the mailbox's login.
    :param password: its password.
    """

    def __init__(self, root: Path, user: str, password: str) -> None:
        self.root, self.user, self.password = root, user, password
        self.port = _free_port()
        self._process: subprocess.Popen | None = None

    @property
    def maildir(self) -> Path:
        return self.root / "home" / self.user / "Maildir"

    def start(self) -> DovecotServer:
        root = self.root
        for sub in ("run", "state", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("new", "cur", "tmp"):
            (self.maildir / sub).mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        (root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (root / "dovecot.conf").write_text(
            f"""protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 100
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={MAIL_UID} gid={MAIL_UID} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        )
        self._chown()
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
        raise RuntimeError(f"dovecot did not start on port {self.port}: {log[-2000:]}")

    def _chown(self) -> None:
        for path in [self.root / "home", *(self.root / "home").rglob("*")]:
            os.chown(path, MAIL_UID, MAIL_UID)

    def deliver(self, raw: bytes) -> None:
        """Put a message in the mailbox as new (unseen)."""
        name = f"{time.time():.6f}.{uuid.uuid4().hex}.localhost"
        path = self.maildir / "new" / name
        path.write_bytes(raw)
        os.chown(path, MAIL_UID, MAIL_UID)

    def connection(self) -> dict:
        """The Airflow connection (``AIRFLOW_CONN_COMMUNICATION_IMAP``) pointing here."""
        return {
            "conn_type": "imap",
            "host": "127.0.0.1",
            "port": self.port,
            "login": self.user,
            "password": self.password,
            "extra": {"ssl": False, "folder": "INBOX"},
        }

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        shutil.rmtree(self.root / "run", ignore_errors=True)
