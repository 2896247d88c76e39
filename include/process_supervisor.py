"""Keeping long-running processes up: restart with back-off, clean up after the dead, keep logs."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil


@dataclass(frozen=True)
class ProcessSpec:
    """One supervised process.

    :param name: how messages name it (``w1``, ``scheduler``).
    :param argv: the command.
    :param env: its whole environment.
    :param log: its log file: appended to, rotated to ``<log>.1`` when above ``rotate_bytes``.
    :param restart: restart it when it dies (else the supervisor gives up and stops all).
    """

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]
    log: Path
    restart: bool = True


@dataclass
class _Running:
    spec: ProcessSpec
    proc: subprocess.Popen | None = None
    started: float = 0.0
    quick_failures: int = 0
    restart_at: float | None = None
    # Every process seen under it: a task process moves to its own process group, and an
    # orphan is re-parented away from it, so neither the group nor the tree finds them later.
    seen: dict[int, float] = field(default_factory=dict)


class GaveUp(Exception):
    """A process cannot be kept up (it keeps dying right after starting, or cannot start)."""


class Supervisor:
    """Starts processes in sessions of their own and keeps them running.

    A process that dies is cleaned up (every process of its session and every process seen
    under it is killed: a Celery worker's log server and task processes with it), its death
    is reported with its log, and it is started again after a back-off that doubles from
    ``backoff_seconds`` up to ``max_backoff_seconds`` (reset once it stays up for
    ``stable_seconds``). The others are never touched. When one dies ``give_up_after`` times
    in a row within ``stable_seconds`` of starting, ``poll`` raises ``GaveUp``.

    :param report: where messages go (one line each).
    """

    def __init__(
        self,
        report: Callable[[str], None] = print,
        *,
        backoff_seconds: float = 2.0,
        max_backoff_seconds: float = 60.0,
        stable_seconds: float = 60.0,
        give_up_after: int = 5,
        rotate_bytes: int = 20_000_000,
    ) -> None:
        self.report = report
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.stable_seconds = stable_seconds
        self.give_up_after = give_up_after
        self.rotate_bytes = rotate_bytes
        self.running: dict[str, _Running] = {}

    def add(self, spec: ProcessSpec) -> None:
        """Start ``spec`` now and keep it running."""
        entry = _Running(spec)
        self.running[spec.name] = entry
        self._start(entry)

    def pid(self, name: str) -> int | None:
        proc = self.running[name].proc
        return None if proc is None or proc.poll() is not None else proc.pid

    def _start(self, entry: _Running) -> None:
        spec = entry.spec
        spec.log.parent.mkdir(parents=True, exist_ok=True)
        if spec.log.exists() and spec.log.stat().st_size > self.rotate_bytes:
            spec.log.replace(spec.log.with_name(spec.log.name + ".1"))
        with spec.log.open("a") as log:
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            log.write(f"\n===== {spec.name} started at {stamp}: {' '.join(spec.argv)}\n")
            log.flush()
            try:
                entry.proc = subprocess.Popen(
                    list(spec.argv),
                    env=spec.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise GaveUp(f"{spec.name} cannot start: {exc}") from exc
        entry.started = time.monotonic()
        entry.restart_at = None
        entry.seen = {}

    def poll(self) -> None:
        """Look after every process once: note its children, clean up and restart the dead.

        :raises GaveUp: when a process cannot be kept up.
        """
        now = time.monotonic()
        for entry in self.running.values():
            if entry.restart_at is not None:
                if now >= entry.restart_at:
                    self._start(entry)
                continue
            if entry.proc is None:
                continue
            code = entry.proc.poll()
            if code is None:
                self._note_children(entry)
                if now - entry.started >= self.stable_seconds:
                    entry.quick_failures = 0
                continue
            killed = self._clean_up(entry)
            name, log = entry.spec.name, entry.spec.log
            left = f"; killed {killed} process(es) it left behind" if killed else ""
            if not entry.spec.restart:
                raise GaveUp(f"{name} exited with {code}{left}; see {log}")
            entry.quick_failures = (
                entry.quick_failures + 1 if now - entry.started < self.stable_seconds else 1
            )
            if entry.quick_failures >= self.give_up_after:
                raise GaveUp(
                    f"{name} exited with {code} {entry.quick_failures} times in a row within "
                    f"{self.stable_seconds:.0f} s of starting; see {log}"
                )
            delay = min(
                self.max_backoff_seconds,
                self.backoff_seconds * 2 ** (entry.quick_failures - 1),
            )
            entry.restart_at = now + delay
            self.report(f"{name} exited with {code}{left}; restarting it in {delay:g} s; see {log}")

    def _note_children(self, entry: _Running) -> None:
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(entry.proc.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    entry.seen.setdefault(child.pid, child.create_time())

    def _clean_up(self, entry: _Running) -> int:
        """Kill what the dead process left: its session and every process seen under it."""
        session = entry.proc.pid  # start_new_session: the session id is the leader's pid
        doomed: list[psutil.Process] = []
        for proc in psutil.process_iter(["pid", "create_time"]):
            pid = proc.info["pid"]
            same_session = False
            with contextlib.suppress(OSError):
                same_session = os.getsid(pid) == session
            seen = entry.seen.get(pid) == proc.info["create_time"]
            if (same_session or seen) and pid != os.getpid():
                doomed.append(proc)
        for proc in doomed:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(doomed, timeout=10)
        entry.seen = {}
        return len(doomed)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM every process's whole session, then SIGKILL what is left after ``timeout``."""
        for entry in self.running.values():
            entry.restart_at = None
            if entry.proc is not None and entry.proc.poll() is None:
                self._note_children(entry)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(entry.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for entry in self.running.values():
            if entry.proc is None:
                continue
            try:
                entry.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                entry.proc.kill()
                entry.proc.wait()
            self._clean_up(entry)

    def stop_one(self, name: str, timeout: float = 30.0) -> None:
        """Stop one process and what it left, without restarting it (``restart`` starts it)."""
        entry = self.running[name]
        entry.restart_at = None
        if entry.proc is None:
            return
        if entry.proc.poll() is None:
            self._note_children(entry)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(entry.proc.pid, signal.SIGTERM)
            try:
                entry.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                entry.proc.kill()
                entry.proc.wait()
        self._clean_up(entry)
        entry.proc = None

    def restart(self, name: str) -> None:
        """Start a stopped process again now (cleaning up after it first if it had died)."""
        entry = self.running[name]
        if entry.proc is not None and entry.proc.poll() is not None:
            self._clean_up(entry)
        if entry.proc is None or entry.proc.poll() is not None:
            self._start(entry)
