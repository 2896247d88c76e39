"""What the two FTP submissions share: an outbox of files, uploaded over FTP or FTPS.

A run writes its file to ``<file store>/<job id>/outbox`` and then uploads every file of the
outbox (an earlier run's failed upload first). An upload goes to ``<name>.partial`` and is
renamed to ``<name>`` on the server, then its size is read back and must match; only then is
the local file moved to ``sent``. A failed upload leaves the file in the outbox and fails the
run, so the next run sends it. The connection (an Airflow FTP connection) gives host, port,
login and password; its extra ``tls`` (true: explicit FTPS, ``AUTH TLS`` with a protected data
channel) and ``folder`` (where the files go) are read as well.
"""

from __future__ import annotations

import ftplib
import os
import ssl
from dataclasses import dataclass, field
from pathlib import Path

from job_library.base import ConnectionInfo, JobContext

_TIMEOUT = 30


@dataclass
class Uploads:
    sent: list[str] = field(default_factory=list)
    error: str | None = None
    pending: list[str] = field(default_factory=list)  # left in the outbox
    already: bool = False  # this run's file was sent before: not queued again


def outbox(context: JobContext) -> Path:
    path = Path(context.file_store) / context.job_id / "outbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def put_in_outbox(context: JobContext, name: str, data: bytes) -> Path:
    """Write ``data`` as ``name`` in the outbox, whole or not at all."""
    box = outbox(context)
    partial = box / f".{name}.partial"
    partial.write_bytes(data)
    os.replace(partial, box / name)
    return box / name


def _is_true(value: object) -> bool:
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


def _client(info: ConnectionInfo) -> ftplib.FTP:
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
    folder = extra.get("folder")
    if folder:
        ftp.cwd(str(folder))
    return ftp


def upload_outbox(context: JobContext, conn_id: str) -> Uploads:
    """Send every file of the outbox over the connection ``conn_id``, oldest name first."""
    box = outbox(context)
    sent_dir = box.parent / "sent"
    sent_dir.mkdir(exist_ok=True)
    files = sorted(p for p in box.iterdir() if p.is_file() and not p.name.startswith("."))
    out = Uploads()
    if not files:
        return out
    if context.connections is None:
        out.error = f"no Airflow connections are available to this run (needs {conn_id!r})"
        out.pending = [p.name for p in files]
        return out
    try:
        info = context.connections(conn_id)
        with _client(info) as ftp:
            for path in files:
                data = path.read_bytes()
                with path.open("rb") as fh:
                    ftp.storbinary(f"STOR {path.name}.partial", fh)
                ftp.rename(f"{path.name}.partial", path.name)
                size = ftp.size(path.name)
                if size != len(data):
                    raise OSError(
                        f"{path.name} is {size} bytes on the server, {len(data)} were sent"
                    )
                os.replace(path, sent_dir / path.name)
                out.sent.append(path.name)
    except (OSError, EOFError, ftplib.Error, LookupError, ValueError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    out.pending = sorted(
        p.name for p in box.iterdir() if p.is_file() and not p.name.startswith(".")
    )
    return out


def ascii_field(value: object, width: int) -> str:
    """``value`` as a fixed-width text field: accents dropped, upper case, cut or padded."""
    import unicodedata

    text = unicodedata.normalize("NFKD", "" if value is None else str(value))
    text = text.encode("ascii", "ignore").decode().upper()
    text = "".join(c if c.isprintable() else " " for c in text)
    return text[:width].ljust(width)


def submit(context: JobContext, conn_id: str, name: str, data: bytes, rows: int) -> Uploads:
    """Queue ``data`` as ``name`` unless identical bytes were sent before, then send the outbox;
    every file sent is recorded in the ledger (in the run's transaction)."""
    from job_library.file_drop import checksum, earlier_import, record_import

    conn = context.connection
    sha = checksum(data)
    already = earlier_import(conn, context.job_id, sha)
    if already is None:
        put_in_outbox(context, name, data)
    out = upload_outbox(context, conn_id)
    sent_dir = outbox(context).parent / "sent"
    for sent in out.sent:
        body = (sent_dir / sent).read_bytes()
        digest = checksum(body)
        again = earlier_import(conn, context.job_id, digest) is not None
        count = rows if digest == sha else body.count(b"\r\n")
        record_import(conn, context.job_id, sent, digest, count, again=again)
    out.already = already is not None
    return out
