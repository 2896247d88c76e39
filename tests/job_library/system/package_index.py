"""A real package index on loopback for the Automatic Updates tests: wheels built here, served
by pypiserver, installed with pip into a scratch virtual environment."""

from __future__ import annotations

import base64
import hashlib
import socket
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path

DIST = "focus_scheduled_jobs"


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def build_wheel(folder: Path, version: str) -> Path:
    """A wheel of a stand-in focus-scheduled-jobs whose module says its version."""
    files = {
        "focus_release.py": f'VERSION = "{version}"\n'.encode(),
        f"{DIST}-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: focus-scheduled-jobs\nVersion: {version}\n"
        ).encode(),
        f"{DIST}-{version}.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: focus-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = f"{DIST}-{version}.dist-info/RECORD"
    lines = [f"{name},{_record_hash(data)},{len(data)}" for name, data in files.items()]
    files[record] = ("\n".join([*lines, f"{record},,"]) + "\n").encode()
    path = folder / f"{DIST}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    return path


def broken_wheel(folder: Path, version: str) -> Path:
    """A file named as a wheel of ``version`` that is not a zip: pip fails on it."""
    path = folder / f"{DIST}-{version}-py3-none-any.whl"
    path.write_bytes(b"this is not a wheel")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PackageIndex:
    """pypiserver serving ``folder`` on 127.0.0.1 (no fallback to any public index)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/simple/"

    def start(self) -> PackageIndex:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pypiserver",
                "run",
                "-p",
                str(self.port),
                "-i",
                "127.0.0.1",
                "-a",
                ".",
                "-P",
                ".",
                "--disable-fallback",
                "--backend",
                "simple-dir",
                "--log-stream",
                "none",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pypiserver exited: {self.process.stderr.read().decode()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("pypiserver did not start within 30 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def scratch_environment(folder: Path, index: PackageIndex, version: str) -> Path:
    """A virtual environment with the stand-in at ``version``; returns its Python."""
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--index-url",
            index.url,
            f"focus-scheduled-jobs=={version}",
        ],
        check=True,
        capture_output=True,
    )
    return python


def running_version(python: Path) -> str:
    """What the installed module says, imported in the environment (not just its metadata)."""
    done = subprocess.run(
        [str(python), "-c", "import focus_release; print(focus_release.VERSION)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()
