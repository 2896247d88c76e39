"""Communication Queue benchmark: 100,000 due e-mails sent to a local SMTP server.

    python bench/communication_bench.py                       # SQLite in a temporary folder
    python bench/communication_bench.py --url postgresql+psycopg2://postgres@127.0.0.1:5432/x

Queues ``--messages`` due e-mails (default 100,000), starts an aiosmtpd server in a process
of its own that counts what it receives, and sends the queue with the Communication Queue's
delivery (the same code the job runs after its commit: batches marked, sent over one SMTP
session through the provider's SmtpHook, outcomes recorded). The sending runs in a child
process that reports its peak memory above its own baseline (after imports and
connecting). Targets: at least 1,000 e-mails a minute, memory below 150 MB whatever the
queue's length, every message sent exactly once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

MIN_PER_MINUTE = 1_000
MAX_MEMORY_MB = 150
NOW = dt.datetime(2026, 11, 16, 15, 0, tzinfo=dt.UTC)

# The SMTP server: counts messages and recipients, writes the counts when told to stop.
SERVER = """
import asyncio, json, signal, sys
from aiosmtpd.controller import Controller

class Count:
    messages = 0
    recipients = set()
    async def handle_DATA(self, server, session, envelope):
        Count.messages += 1
        Count.recipients.update(envelope.rcpt_tos)
        return "250 OK"

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # wait for it below, in order
controller = Controller(Count(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM})
controller.stop()
with open(sys.argv[2], "w") as out:
    json.dump({"messages": Count.messages, "recipients": len(Count.recipients)}, out)
"""


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _queue(url: str, n: int) -> None:
    from include.focus_db.engine import create_focus_engine, migrate
    from job_library.schemas.communications import communication_queue

    engine = create_focus_engine(url) if url.startswith("sqlite") else sa.create_engine(url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(communication_queue))
    due = NOW - dt.timedelta(minutes=5)
    chunk = 10_000
    for start in range(0, n, chunk):
        rows = [
            dict(
                channel="email",
                source="query",
                recipient=f"family{i}@families.example",
                recipient_name=f"Family {i}",
                subject=f"Report cards are ready ({i})",
                body="Report cards for the first quarter are in the parent portal.\n" * 3,
                send_after=due,
                status="queued",
                attempts=0,
                created_at=due,
            )
            for i in range(start, min(n, start + chunk))
        ]
        with engine.begin() as conn:
            conn.execute(sa.insert(communication_queue), rows)
    engine.dispose()


def _send(url: str, batch_size: int) -> dict:
    """The child: send the whole queue, report time, memory and counts."""
    from include.focus_db.engine import create_focus_engine
    from include.messaging_transports import AirflowMessaging
    from job_library.jobs.communications._queue import DeliverySettings, deliver
    from job_library.messaging import Channel

    engine = create_focus_engine(url) if url.startswith("sqlite") else sa.create_engine(url)
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    # The provider's hook is imported with the first transport: count it in the baseline.
    AirflowMessaging().open(Channel.EMAIL).close()
    baseline = _peak_mb()
    start = time.perf_counter()
    report = deliver(
        engine,
        AirflowMessaging(),
        job_id="bench",
        now=NOW,
        log=logging.getLogger("bench"),
        settings=DeliverySettings(batch_size=batch_size),
    )
    seconds = time.perf_counter() - start
    with engine.connect() as conn:
        states = dict(
            conn.execute(
                sa.text("SELECT status, COUNT(*) FROM communication_queue GROUP BY status")
            ).all()
        )
        attempts = conn.execute(sa.text("SELECT COUNT(*) FROM communication_attempts")).scalar()
    return {
        "seconds": seconds,
        "memory_mb": _peak_mb() - baseline,
        "counts": report.counts,
        "states": states,
        "attempts": attempts,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="database URL (default: SQLite in a temporary folder)")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_send(args.url, args.batch_size)))
        return 0
    folder = Path(tempfile.mkdtemp(prefix="communication-bench-"))
    url = args.url or f"sqlite:///{folder / 'focus.db'}"
    t0 = time.perf_counter()
    _queue(url, args.messages)
    print(f"queued {args.messages} e-mails in {time.perf_counter() - t0:.1f} s", flush=True)
    port = _free_port()
    counts_file = folder / "received.json"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), str(counts_file)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    env = {
        **os.environ,
        "AIRFLOW_CONN_SMTP_DEFAULT": json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "extra": {
                    "from_email": "focus@district.example",
                    "disable_ssl": True,
                    "disable_tls": True,
                    "timeout": 30,
                },
            }
        ),
    }
    try:
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--url",
                url,
                "--batch-size",
                str(args.batch_size),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = json.loads(child.stdout.strip().splitlines()[-1])
    received = json.loads(counts_file.read_text())
    per_minute = args.messages / result["seconds"] * 60
    backend = sa.engine.make_url(url).get_backend_name()
    print(
        "| backend | e-mails | batch | seconds | e-mails/minute | peak memory above baseline "
        "| received by the server |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {backend} | {args.messages:,} | {args.batch_size} | {result['seconds']:.1f} "
        f"| {per_minute:,.0f} | {result['memory_mb']:.1f} MB "
        f"| {received['messages']:,} ({received['recipients']:,} distinct) |"
    )
    print(f"queue states: {result['states']}; attempts recorded: {result['attempts']:,}")
    ok = (
        per_minute >= MIN_PER_MINUTE
        and result["memory_mb"] < MAX_MEMORY_MB
        and received["messages"] == args.messages == received["recipients"]
        and result["states"] == {"sent": args.messages}
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
