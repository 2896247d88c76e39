"""What the FTP submissions share: outboxes of files, uploaded over FTP or FTPS.

A run writes its file to an outbox (``<file store>/<job id>/outbox``, or
``<file store>/<job id>/<lane>/outbox`` for a second destination) and then uploads every file
of that outbox (an earlier run's failed upload first). An upload goes to ``<name>.partial`` and
is renamed to ``<name>`` on the server, then its size is read back and must match; the file is
then recorded in the processed-files ledger (in the run's transaction, counting its data rows
only) and moved to ``sent`` once that transaction commits. A failed upload, or a database error
that rolls the run back, leaves the file in the outbox and fails the run, so the next run sends
it (after a rollback the server may get the same bytes twice: the database never learnt of the
first copy). The connection (an Airflow FTP connection) gives host, port, login and password;
its extra ``tls`` (true: explicit FTPS, ``AUTH TLS`` with a protected data channel) and
``folder`` (where the files go) are read as well.
"""

from __future__ import annotations

import ftplib
import io
import os
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from job_library.base import ConnectionInfo, JobContext

_TIMEOUT = 30


@dataclass
class Uploads:
    sent: list[str] = field(default_factory=list)
    error: str | None = None
    pending: list[str] = field(default_factory=list)  # left in the outbox
    already: bool = False  # this run's file was sent before: not queued again


def outbox(context: JobContext, lane: str = "") -> Path:
    """The outbox of one destination (``lane``; the job's first one has none)."""
    path = Path(context.file_store) / context.job_id
    path = (path / lane if lane else path) / "outbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def put_in_outbox(context: JobContext, name: str, data: bytes, lane: str = "") -> Path:
    """Write ``data`` as ``name`` in the outbox, whole or not at all."""
    box = outbox(context, lane)
    partial = box / f".{name}.partial"
    partial.write_bytes(data)
    os.replace(partial, box / name)
    return box / name


def _is_true(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


def _client(info: ConnectionInfo, folder: str | None = None) -> ftplib.FTP:
    if not info.host:
        raise ValueError(f"the connection {info.conn_id!r} has no host")
    extra = dict(info.extra or {})
    if _is_true(extra.get("tls", False)):
        tls = ssl.create_default_context()
        ca = extra.get("ca_file")
        if ca:
            tls.load_verify_locations(cafile=str(ca))
        ftp: ftplib.FTP = ftplib.FTP_TLS(context=tls, timeout=_TIMEOUT)
    else:
        ftp = ftplib.FTP(timeout=_TIMEOUT)
    ftp.connect(info.host, info.port or 21)
    ftp.login(info.login or "anonymous", info.password or "")
    if isinstance(ftp, ftplib.FTP_TLS):
        ftp.prot_p()
    ftp.set_pasv(str(extra.get("passive", "true")).lower() not in ("0", "false", "no"))
    for where in (extra.get("folder"), folder):  # the job's folder is taken from there
        if where:
            ftp.cwd(str(where))
    return ftp


def upload_outbox(
    context: JobContext, conn_id: str, lane: str = "", folder: str | None = None
) -> tuple[Uploads, dict[str, bytes]]:
    """Send every file of the outbox over the connection ``conn_id`` (into ``folder`` when
    given), oldest name first; returns what happened and the bytes of each file sent. Files
    stay in the outbox: the caller moves them once its transaction commits."""
    box = outbox(context, lane)
    files = sorted(p for p in box.iterdir() if p.is_file() and not p.name.startswith("."))
    out, bodies = Uploads(), {}
    if not files:
        return out, bodies
    if context.connections is None:
        out.error = f"no Airflow connections are available to this run (needs {conn_id!r})"
        out.pending = [p.name for p in files]
        return out, bodies
    try:
        info = context.connections(conn_id)
        with _client(info, folder) as ftp:
            for path in files:
                data = path.read_bytes()
                ftp.storbinary(f"STOR {path.name}.partial", io.BytesIO(data))
                ftp.rename(f"{path.name}.partial", path.name)
                size = ftp.size(path.name)
                if size != len(data):
                    raise OSError(
                        f"{path.name} is {size} bytes on the server, {len(data)} were sent"
                    )
                out.sent.append(path.name)
                bodies[path.name] = data
    except (OSError, EOFError, ftplib.Error, LookupError, ValueError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    out.pending = [p.name for p in files if p.name not in bodies]
    return out, bodies


def told(
    out: Uploads,
    already: str,
    fresh: str,
    *,
    upload: str = "upload",
    box: str = "outbox",
    to: str = "",
) -> str:
    """What a run says of its file: ``already`` when identical bytes went before and nothing
    was sent now, else ``fresh``; then what was sent (``to`` whom) and what waits in ``box``."""
    head = already if out.already and not out.sent and out.error is None else fresh
    if out.sent:
        head += f" Sent {', '.join(out.sent)}{to}."
    if out.error is not None:
        head += (
            f" The {upload} failed ({out.error}); waiting in the {box} for the next run: "
            f"{', '.join(out.pending)}."
        )
    return head


def rows_before_trailer(body: bytes) -> int:
    """Data rows of a file whose last CR LF line is a trailer record."""
    return max(0, body.count(b"\r\n") - 1)


def every_line(body: bytes) -> int:
    """Data rows of a file without a trailer: every CR LF line."""
    return body.count(b"\r\n")


def ascii_field(value: object, width: int) -> str:
    """``value`` as a fixed-width text field: accents dropped, upper case, cut or padded."""
    import unicodedata

    text = unicodedata.normalize("NFKD", "" if value is None else str(value))
    text = text.encode("ascii", "ignore").decode().upper()
    text = "".join(c if c.isprintable() else " " for c in text)
    return text[:width].ljust(width)


def _last_sent_as(conn: sa.Connection, job_id: str, name: str) -> str | None:
    """The checksum of the file this job last sent under ``name``, if any."""
    from job_library.schema import processed_files as pf

    return conn.execute(
        sa.select(pf.c.sha256)
        .where(pf.c.job_id == job_id, pf.c.file_name == name)
        .order_by(pf.c.processed_at.desc())
        .limit(1)
    ).scalar()


def submit(
    context: JobContext,
    conn_id: str,
    name: str,
    data: bytes,
    *,
    lane: str = "",
    folder: str | None = None,
    data_rows: Callable[[bytes], int] = rows_before_trailer,
) -> Uploads:
    """Queue ``data`` as ``name`` unless identical bytes were sent before, then send the outbox.

    Every file sent is recorded in the ledger (in the run's transaction) with its data rows as
    ``data_rows`` counts them, and moves from the outbox to ``sent`` only once the run commits.
    """
    from job_library.file_drop import checksum, earlier_import, record_import

    conn = context.connection
    sha = checksum(data)
    already = earlier_import(conn, context.job_id, sha)
    if already is not None and _last_sent_as(conn, context.job_id, name) not in (None, sha):
        already = None  # A, then B, then A again under one name: the receiver must get A
    if already is None:
        put_in_outbox(context, name, data, lane)
    out, bodies = upload_outbox(context, conn_id, lane, folder)
    for sent, body in bodies.items():
        digest = checksum(body)
        again = earlier_import(conn, context.job_id, digest) is not None
        record_import(conn, context.job_id, sent, digest, data_rows(body), again=again)
    box = outbox(context, lane)
    sent_dir = box.parent / "sent"

    def move() -> None:
        sent_dir.mkdir(exist_ok=True)
        for sent in bodies:
            if (box / sent).exists():
                os.replace(box / sent, sent_dir / sent)

    if bodies:
        context.after_commit(move)
    out.already = already is not None
    return out
