"""The embedded default's file drops: an SFTP server, an FTP server and an Acelo stand-in.

`make run` has no vendor servers, so its SFTP, FTP and Acelo connections (airflow_settings.yaml)
point here: folders under ``.local/drops`` served on loopback, the SFTP one by asyncssh and the
FTP one by pyftpdlib, with the logins and passwords the connections carry. These are local
stand-ins only: plain passwords, no host key check, nothing reachable from another machine.
The Acelo stand-in answers the exchange the Acelo Integration job speaks (README) and keeps
every request as a file, as the mail catcher keeps every e-mail.

Ports follow Airflow's api port as the log servers do: at 8080 the file's own (SFTP 2222, FTP
2223, Acelo 2224), at 8081 three higher, and so on, so one variable moves a second make run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from include.config import PROJECT_ROOT
from include.web_standins.loopback import LoopbackHttpServer, json_post

SETTINGS_FILE = PROJECT_ROOT / "airflow_settings.yaml"
# The ports the settings file names, which go with Airflow's api port 8080.
SFTP_PORT, FTP_PORT, ACELO_PORT = 2222, 2223, 2224
_API_PORT = 8080
ACELO_CONN_ID = "acelo_api"

# What the jobs read and write, under the served roots (the jobs make their other folders).
SFTP_FOLDERS = ("peer", "regions", "pcard", "fleid/incoming", "fleid/outgoing")
FTP_FOLDERS = ("dmv", "learnfare", "fte")


def drop_ports(api_port: int) -> dict[int, int]:
    """The settings file's drop ports -> the ports used beside an api-server on ``api_port``.

    8080 keeps 2222-2224; 8081 gives 2225-2227 and so on; out of range, free ports.
    """
    shift = 3 * (api_port - _API_PORT)
    defaults = (SFTP_PORT, FTP_PORT, ACELO_PORT)
    if all(1024 <= p + shift <= 65535 for p in defaults):
        return {p: p + shift for p in defaults}
    from include.local_airflow import _free_port

    return {p: _free_port() for p in defaults}


def _connections(settings: dict[str, Any]) -> list[dict[str, Any]]:
    return list((settings.get("airflow") or {}).get("connections") or [])


def _is_drop(conn: dict[str, Any]) -> bool:
    """A connection of the settings file that points at one of the local drop servers: an
    SFTP or FTP connection to 127.0.0.1, or Acelo's on 127.0.0.1."""
    from urllib.parse import urlsplit

    host = str(conn.get("conn_host") or "")
    if conn.get("conn_id") == ACELO_CONN_ID:
        return urlsplit(host).hostname == "127.0.0.1"
    return host == "127.0.0.1" and conn.get("conn_type") in ("sftp", "ftp")


def moved_settings(settings: dict[str, Any], ports: dict[int, int]) -> dict[str, Any]:
    """``settings`` with every drop connection's port replaced as ``ports`` says."""
    out = dict(settings)
    airflow = dict(out.get("airflow") or {})
    moved = []
    for conn in _connections(settings):
        conn = dict(conn)
        if _is_drop(conn):
            if conn.get("conn_id") == ACELO_CONN_ID:
                conn["conn_host"] = str(conn["conn_host"]).replace(
                    f":{ACELO_PORT}", f":{ports[ACELO_PORT]}"
                )
            elif conn.get("conn_port") in ports:
                conn["conn_port"] = ports[conn["conn_port"]]
        moved.append(conn)
    airflow["connections"] = moved
    out["airflow"] = airflow
    return out


def settings_for(api_port: int, folder: Path, settings_file: Path = SETTINGS_FILE) -> Path:
    """The settings file make run applies: the project's own at api port 8080; otherwise a
    copy in ``folder`` whose drop connections name the moved ports."""
    ports = drop_ports(api_port)
    if all(k == v for k, v in ports.items()):
        return settings_file
    settings = yaml.safe_load(settings_file.read_text()) or {}
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "airflow_settings.yaml"
    target.write_text(
        "# Written by make run from airflow_settings.yaml: the local drops' ports moved with "
        f"the api port {api_port}.\n" + yaml.safe_dump(moved_settings(settings, ports))
    )
    return target


@dataclass(frozen=True)
class Drops:
    """Where each drop server listens and whom it lets in, read from a settings file."""

    sftp_port: int
    sftp_logins: frozenset[tuple[str, str]]
    ftp_port: int | None
    ftp_logins: frozenset[tuple[str, str]]
    acelo_port: int | None
    acelo_token: str | None

    @classmethod
    def from_settings(cls, settings_file: Path) -> Drops:
        settings = yaml.safe_load(settings_file.read_text()) or {}
        sftp, ftp = [], []
        acelo_port = acelo_token = None
        for conn in _connections(settings):
            if not _is_drop(conn):
                continue
            if conn.get("conn_id") == ACELO_CONN_ID:
                from urllib.parse import urlsplit

                acelo_port = urlsplit(str(conn["conn_host"])).port
                acelo_token = conn.get("conn_password")
            elif conn.get("conn_type") == "sftp":
                sftp.append(conn)
            elif conn.get("conn_type") == "ftp":
                ftp.append(conn)

        def logins(conns: list[dict[str, Any]]) -> frozenset[tuple[str, str]]:
            return frozenset((str(c["conn_login"]), str(c["conn_password"])) for c in conns)

        def port(conns: list[dict[str, Any]]) -> int | None:
            ports = {int(c["conn_port"]) for c in conns}
            if len(ports) > 1:
                raise ValueError(f"{settings_file}: the local drop connections name ports {ports}")
            return ports.pop() if ports else None

        return cls(
            sftp_port=port(sftp) or SFTP_PORT,
            sftp_logins=logins(sftp),
            ftp_port=port(ftp),
            ftp_logins=logins(ftp),
            acelo_port=acelo_port,
            acelo_token=acelo_token,
        )


# --- SFTP ------------------------------------------------------------------------------


class SftpDrop:
    """asyncssh serving ``root`` as ``/`` to the ``logins`` (user, password) on ``host:port``,
    on an event loop of its own thread; ``stop()`` it. The host key is kept in ``key_file`` so
    the server is the same one from one make run to the next."""

    def __init__(
        self, root: Path, host: str, port: int, logins: frozenset[tuple[str, str]], key_file: Path
    ) -> None:
        import logging

        import asyncssh

        # A line per connection and channel is asyncssh's default: make run shows warnings only.
        logging.getLogger("asyncssh").setLevel(logging.WARNING)
        root.mkdir(parents=True, exist_ok=True)
        if key_file.exists():
            key = asyncssh.read_private_key(str(key_file))
        else:
            key = asyncssh.generate_private_key("ssh-ed25519")
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_bytes(key.export_private_key())
            key_file.chmod(0o600)
        allowed = set(logins)

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                return (username, password) in allowed

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._connections: list[Any] = []
        chroot = str(root)

        async def listen() -> Any:
            return await asyncssh.listen(
                host,
                port,
                server_factory=Server,
                server_host_keys=[key],
                sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=chroot),
                allow_scp=False,
                acceptor=self._connections.append,
            )

        try:
            self._server = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(30)
        except BaseException:
            self._end_loop()
            raise
        self.port = int(self._server.sockets[0].getsockname()[1])

    def _end_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def stop(self) -> None:
        async def close() -> None:  # on the server's own loop: asyncio is not thread-safe
            self._server.close()
            for connection in self._connections:  # before waiting: newer Pythons' wait_closed
                connection.close()  # waits for every client to go
            await self._server.wait_closed()
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(30)
        self._end_loop()


# --- FTP -------------------------------------------------------------------------------


class FtpDrop:
    """pyftpdlib serving ``root`` to the ``logins`` on ``host:port`` in a thread; ``stop()`` it."""

    def __init__(
        self, root: Path, host: str, port: int, logins: frozenset[tuple[str, str]]
    ) -> None:
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.handlers import FTPHandler
        from pyftpdlib.servers import FTPServer

        root.mkdir(parents=True, exist_ok=True)
        authorizer = DummyAuthorizer()
        for user, password in sorted(logins):
            if not authorizer.has_user(user):
                authorizer.add_user(user, password, str(root), perm="elradfmwMT")

        class Handler(FTPHandler):
            pass

        Handler.authorizer = authorizer
        Handler.banner = "Focus make run: local FTP drop"
        self._server = FTPServer((host, port), Handler)
        self.port = int(self._server.address[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        import logging

        # No line per command: a handler of our own keeps pyftpdlib from adding its (at INFO).
        ftp_log = logging.getLogger("pyftpdlib")
        ftp_log.setLevel(logging.WARNING)
        if not ftp_log.handlers:
            ftp_log.addHandler(logging.NullHandler())
        while not self._stop.is_set():
            self._server.serve_forever(timeout=0.1, blocking=False, handle_exit=False)
        self._server.close_all()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


# --- Acelo -----------------------------------------------------------------------------


class AceloStandIn:
    """Answers ``POST <base>/transactions`` as the Acelo Integration job expects (README):
    a bearer token equal to ``token``, a JSON body ``{"transactions": [...]}`` whose items each
    carry externalId, period, account, amount (text, 2 decimals) and postedAt; the answer is
    ``{"accepted": [externalId...], "rejected": [{"externalId", "message"}]}``. An item
    missing a field is rejected with the field's name. Each request is kept in ``folder``."""

    FIELDS = ("externalId", "period", "account", "amount", "postedAt")

    def __init__(self, folder: Path, host: str, port: int, token: str | None) -> None:
        numbers = itertools.count(1)
        lock = threading.Lock()

        def answer(path: str, auth: str, raw: bytes) -> tuple[int, dict[str, Any]]:
            if not path.rstrip("/").endswith("/transactions"):
                return 404, {"error": f"no such resource {path}"}
            if token is None or auth != f"Bearer {token}":
                return 401, {"error": "a valid bearer access token is required"}
            try:
                body = json.loads(raw or b"null")
                items = body["transactions"]
                if not isinstance(items, list):
                    raise TypeError
            except (ValueError, KeyError, TypeError):
                return 400, {"error": 'the body must be {"transactions": [...]}'}
            accepted, rejected = [], []
            for item in items:
                item = item if isinstance(item, dict) else {}
                missing = [f for f in self.FIELDS if not item.get(f)]
                if missing:
                    rejected.append(
                        {"externalId": item.get("externalId"), "message": f"no {missing[0]}"}
                    )
                else:
                    accepted.append(item["externalId"])
            stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
            with lock:
                folder.mkdir(parents=True, exist_ok=True)
                record = {"request": body, "accepted": accepted, "rejected": rejected}
                (folder / f"{stamp}-{next(numbers)}-transactions.json").write_text(
                    json.dumps(record, indent=2) + "\n"
                )
            return 200, {"accepted": accepted, "rejected": rejected}

        self._server = LoopbackHttpServer(json_post(answer), host, port, keep=False).start()
        self.port = self._server.port

    def stop(self) -> None:
        self._server.stop()


# --- All of them -----------------------------------------------------------------------


class DropServers:
    """The drop servers make run started; ``lines`` says where each is (or why not)."""

    def __init__(self) -> None:
        self.servers: dict[str, Any] = {}
        self.lines: list[str] = []

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


def _bind_error(exc: OSError) -> str:
    """The system's words for a failed bind; asyncio and pyftpdlib each wrap them their way."""
    import re

    number = exc.errno or next((int(m) for m in re.findall(r"\[Errno (\d+)\]", str(exc))), None)
    return os.strerror(number) if number else str(exc)


def start_file_drops(
    root: Path, settings_file: Path = SETTINGS_FILE, host: str = "127.0.0.1"
) -> DropServers:
    """Start the SFTP, FTP and Acelo stand-ins the connections of ``settings_file`` name,
    serving ``root``/sftp, ``root``/ftp and keeping Acelo requests in ``root``/acelo. A port
    that is taken gives a line saying so and the others start all the same."""
    drops = Drops.from_settings(settings_file)
    out = DropServers()
    for folder in SFTP_FOLDERS:
        (root / "sftp" / folder).mkdir(parents=True, exist_ok=True)
    for folder in FTP_FOLDERS:
        (root / "ftp" / folder).mkdir(parents=True, exist_ok=True)
    plans = [
        (
            "sftp",
            drops.sftp_port,
            lambda: SftpDrop(
                root / "sftp", host, drops.sftp_port, drops.sftp_logins, root / "ssh_host_key"
            ),
            f"files for the SFTP jobs (peer_sftp, fleid_sftp ...) are served from {root / 'sftp'}",
        ),
        (
            "ftp",
            drops.ftp_port,
            lambda: FtpDrop(root / "ftp", host, drops.ftp_port, drops.ftp_logins),
            f"files the FTP jobs send (dmv_ftp, district_fte_ftp ...) land in {root / 'ftp'}",
        ),
        (
            "acelo",
            drops.acelo_port,
            lambda: AceloStandIn(root / "acelo", host, drops.acelo_port, drops.acelo_token),
            f"postings sent to Acelo (acelo_api) are kept in {root / 'acelo'}",
        ),
    ]
    for name, port, start, said in plans:
        if port is None:
            continue
        try:
            out.servers[name] = start()
            out.lines.append(f"  {said} ({host}:{port})")
        except OSError as exc:  # another make run (or a real server) has the port
            reason = _bind_error(exc)
            out.lines.append(f"  no local {name} drop: {host}:{port} is taken ({reason})")
    return out


# --- The demo's files ------------------------------------------------------------------


SEEDED_MARK = ".seeded"


def seed_demo_drops(root: Path, engine: Any, today: dt.date | None = None) -> list[str] | None:
    """On the first make run, the files the demo's import jobs find waiting, made from the
    demo district in ``engine`` (see include/demo_drops.py). Later runs leave the folders as
    the jobs left them (None)."""
    mark = root / SEEDED_MARK
    if mark.exists():
        return None
    from include.demo_drops import demo_drop_files

    files = demo_drop_files(engine, today or dt.date.today())
    # Dropped two days ago: settled, whatever the hour the demo is run.
    day = today or dt.date.today()
    stamp = dt.datetime.combine(day - dt.timedelta(days=2), dt.time(12), dt.UTC).timestamp()
    for relative, data in files.items():
        path = root / "sftp" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (stamp, stamp))
    for folder in FTP_FOLDERS:
        (root / "ftp" / folder).mkdir(parents=True, exist_ok=True)
    mark.write_text(f"seeded {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC\n")
    return sorted(files)
