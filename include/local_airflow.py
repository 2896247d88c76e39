"""The embedded default: Airflow on SQLite beside a SQLite Focus database, for one laptop."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from include.config import PROJECT_ROOT

# SimpleAuthManager users and roles; focus_maintenance is the account Daily Maintenance
# uses to prune run history through the REST API (role user may delete DAG runs).
USERS = {
    "admin": "admin",
    "op": "op",
    "user": "user",
    "viewer": "viewer",
    "focus_maintenance": "user",
}


def airflow_env(
    *,
    focus_home: Path,
    airflow_home: Path | None = None,
    port: int = 8080,
    parallelism: int = 4,
    base: dict[str, str] | None = None,
) -> dict[str, str]:
    """Environment for every Airflow process of the embedded profile.

    Values already set in ``base`` (default: this process's environment) win, so the
    production profile is a matter of setting variables (see README).
    """
    airflow_home = airflow_home or focus_home / "airflow"
    env = dict(os.environ if base is None else base)
    # A port given in the environment moves everything that follows from it (base URL,
    # execution API, the log servers), so a second Airflow on the machine needs one variable.
    port = int(env.get("AIRFLOW__API__PORT") or port)
    worker_logs, trigger_logs = log_server_ports(port)
    bindir = str(Path(sys.executable).parent)
    defaults = {
        "FOCUS_HOME": str(focus_home),
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(parallelism),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in USERS.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(airflow_home / "passwords.json"),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(worker_logs),
        "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(trigger_logs),
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


# Airflow's own defaults: the api-server on 8080, the worker and triggerer log servers on
# 8793 and 8794.
_API_PORT, _WORKER_LOG_PORT = 8080, 8793
# Ctrl-C: how long Airflow gets to stop before what is left is killed (under 20 s in all).
STOP_GRACE_SECONDS = 12


def log_server_ports(api_port: int) -> tuple[int, int]:
    """The worker and triggerer log-server ports that go with ``api_port``.

    8080 keeps Airflow's 8793/8794; 8081 gives 8795/8796 and so on, so two embedded
    Airflows on one machine never share them; out of range, two free ports.
    """
    worker = _WORKER_LOG_PORT + 2 * (api_port - _API_PORT)
    if 1024 <= worker <= 65534:
        return worker, worker + 1
    return _free_port(), _free_port()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_passwords(env: dict[str, str]) -> dict[str, str]:
    """Create the SimpleAuthManager password file; later runs keep the same logins."""
    path = Path(env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"])
    passwords = json.loads(path.read_text()) if path.exists() else {}
    missing = [user for user in USERS if user not in passwords]
    if missing:
        passwords |= {user: secrets.token_urlsafe(9) for user in missing}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(passwords) + "\n")
        path.chmod(0o600)
    return passwords


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate both databases, apply airflow_settings.yaml and seed the demo jobs.

    Also adds the API connection of Daily Maintenance to ``env``; returns the logins.
    """
    bindir = Path(sys.executable).parent
    focus_jobs = str(bindir / "focus-jobs")
    airflow = shutil.which("airflow", path=env["PATH"]) or "airflow"
    passwords = ensure_passwords(env)
    # Every Airflow process (so every task) sees the API connection Daily Maintenance uses.
    env.setdefault(
        "AIRFLOW_CONN_FOCUS_AIRFLOW_API",
        json.dumps(
            {
                "conn_type": "http",
                "host": "127.0.0.1",
                "port": int(env["AIRFLOW__API__PORT"]),
                "schema": "http",
                "login": "focus_maintenance",
                "password": passwords["focus_maintenance"],
            }
        ),
    )
    for cmd in (
        [focus_jobs, "migrate"],
        [airflow, "db", "migrate"],
        [focus_jobs, "airflow-settings", str(local_settings_file(env))],
        [focus_jobs, "seed-demo", "--students", env.get("FOCUS_DEMO_STUDENTS") or "300"],
        *platform_setup_commands(focus_jobs),
    ):
        subprocess.run(cmd, env=env, check=True)
    # Survey Site Maintenance's target. Its database is migrated in a child process, as the
    # commands above are: this process stays up for the whole make run, and what a migration
    # imports (Alembic, every table definition) would stay in its memory.
    from include.demo_survey import add_survey_connection

    subprocess.run(
        [sys.executable, "-m", "include.local_airflow", "survey-site"], env=env, check=True
    )
    add_survey_connection(env)
    return passwords


def local_settings_file(env: dict[str, str]) -> Path:
    """airflow_settings.yaml, or, beside an api-server off 8080, its copy whose local-drop
    connections name the moved ports (include/file_drops.py).

    Worked out once per make run and kept in ``env`` (FOCUS_SETTINGS_FILE): far from 8080 the
    ports are free ones, and Airflow's connections and the servers must get the same ones.
    """
    from include.file_drops import settings_for

    if not env.get("FOCUS_SETTINGS_FILE"):
        path = settings_for(int(env["AIRFLOW__API__PORT"]), Path(env["AIRFLOW_HOME"]))
        env["FOCUS_SETTINGS_FILE"] = str(path)
    return Path(env["FOCUS_SETTINGS_FILE"])


def start_local_drops(env: dict[str, str], focus_home: Path) -> tuple[object, list[str]]:
    """Start the SFTP, FTP and Acelo stand-ins and, on the first make run, put the demo's
    files on them; returns the servers (``stop()`` them) and the lines to print."""
    from include.file_drops import start_file_drops

    root = focus_home / "drops"
    drops = start_file_drops(root, local_settings_file(env))
    lines = list(drops.lines)
    # Made from the demo district in a child process (it reads the database through the job
    # library), so that none of it stays in this long-lived process's memory.
    child = subprocess.run(
        [sys.executable, "-m", "include.local_airflow", "seed-drops", str(root)],
        env=env,
        capture_output=True,
        text=True,
    )
    try:
        answer = json.loads(child.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        answer = {"error": (child.stderr.strip().splitlines() or ["no answer"])[-1][:300]}
    if answer.get("error"):  # the demo files are a convenience: Airflow starts without them
        lines.append(f"  the demo's drop files were not written: {answer['error']}")
    elif answer.get("seeded"):
        lines.append(
            f"  the demo's files for the import jobs: {answer['seeded']} put in {root / 'sftp'}"
        )
    return drops, lines


def seed_drops(root: Path) -> dict[str, object]:
    """The child's part of start_local_drops: the demo's files, once per make run's home."""
    from include.config import settings
    from include.file_drops import seed_demo_drops
    from include.focus_db.engine import create_focus_engine

    engine = create_focus_engine(settings().db_url)
    try:
        seeded = seed_demo_drops(root, engine)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        engine.dispose()
    return {"seeded": len(seeded) if seeded else None}


def platform_setup_commands(focus_jobs: str) -> list[list[str]]:
    """After the demo: the jobs the site profile installs by default (once per class, so a
    default job an administrator deleted is not created again by the next ``make run``)."""
    return [[focus_jobs, "seed-defaults"]]


def stop_process_tree(proc: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM the process, its group and every descendant; SIGKILL what is left after ``grace``.

    Descendants are collected first: an Airflow component that started its own session
    would escape a signal to the group alone.
    """
    import psutil  # an Airflow dependency

    try:
        family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        for member in family:
            with contextlib.suppress(psutil.NoSuchProcess):
                member.send_signal(sig)
        _, family = psutil.wait_procs(family, timeout=wait)
        if not family:
            break
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def supervise(cmd: list[str], env: dict[str, str]) -> int:
    """Run ``cmd`` in its own process group until it ends or Ctrl-C / SIGTERM arrives.

    The group is stopped as a whole (see stop_process_tree), so Ctrl-C never leaves a
    scheduler or worker behind and never waits more than about 20 s.
    """
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)

    def _interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        print("\nStopping Airflow (every process within 20 s)...", flush=True)
        started = time.monotonic()
        stop_process_tree(proc)
        print(f"Stopped in {time.monotonic() - started:.1f} s.", flush=True)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
        if proc.poll() is None:
            stop_process_tree(proc)


# What `airflow standalone` starts, started by run_components() instead: standalone's own
# process imports the whole of Airflow only to relay the components' output, about 150 MB of
# the embedded default's memory (bench/memory_bench.py).
# Every component runs on this machine and writes its logs to the one log folder, which the
# api-server reads directly: the scheduler's and the triggerer's log servers (a process of
# about 70 MB each) would only serve the same files again. While a task runs or waits, the log
# view lists "Could not read served logs" among its sources and shows the file as it grows.
COMPONENTS = {
    "scheduler": ["--skip-serve-logs"],
    "dag-processor": [],
    "api-server": [],
    "triggerer": ["--skip-serve-logs"],
}


def run_components(airflow: str, env: dict[str, str]) -> int:
    """Start Airflow's components, print their output prefixed with their names (as
    standalone does), and stop them all on SIGTERM / Ctrl-C; returns when all have ended."""
    import threading

    procs = {
        name: subprocess.Popen(
            [airflow, name, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for name, args in COMPONENTS.items()
    }
    width = max(map(len, COMPONENTS))

    def relay(name: str, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            text = line.decode("utf-8", "replace").rstrip()
            print(f"{name:<{width}} | {text}", flush=True)
        print(f"{name:<{width}} | exited with {proc.wait()}", flush=True)

    def stop(signum: int, _frame: object) -> None:
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    threads = [threading.Thread(target=relay, args=item, daemon=True) for item in procs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return max((p.returncode or 0) for p in procs.values())


def main() -> int:
    if sys.argv[1:] == ["components"]:  # the process supervise() starts (below)
        airflow = shutil.which("airflow", path=os.environ["PATH"]) or "airflow"
        return run_components(airflow, dict(os.environ))
    if sys.argv[1:] == ["survey-site"]:  # prepare()'s child
        from include.demo_survey import prepare_survey_site

        prepare_survey_site(dict(os.environ))
        return 0
    if sys.argv[1:2] == ["seed-drops"]:  # start_local_drops()'s child
        print(json.dumps(seed_drops(Path(sys.argv[2]))), flush=True)
        return 0
    from include.mail_catcher import smtp_address, start_mail_catcher
    from include.text_catcher import start_text_catcher, text_address
    from include.web_standins import start_local_standins

    focus_home = Path(os.environ.get("FOCUS_HOME") or PROJECT_ROOT / ".local")
    env = airflow_env(focus_home=focus_home)
    passwords = prepare(env)
    url = env["AIRFLOW__API__BASE_URL"]
    mail_folder = focus_home / "mail"
    host, smtp_port = smtp_address()
    try:
        catcher = start_mail_catcher(mail_folder, host, smtp_port)
        mail_line = (
            f"  e-mail from jobs (smtp_default, {host}:{smtp_port}) is kept in {mail_folder}"
        )
    except OSError as exc:  # another make run (or a real server) has the port: use that one
        catcher = None
        mail_line = f"  no local mail catcher: {host}:{smtp_port} is taken ({exc.strerror})"
    text_folder = focus_home / "texts"
    text_host, text_port = text_address()
    try:
        texts = start_text_catcher(text_folder, text_host, text_port)
        text_line = (
            f"  texts, calls and push from jobs (twilio_default, {text_host}:{text_port}) "
            f"are kept in {text_folder}"
        )
    except OSError as exc:
        texts = None
        text_line = f"  no local text catcher: {text_host}:{text_port} is taken ({exc.strerror})"
    drops, drop_lines = start_local_drops(env, focus_home)
    standins = start_local_standins()  # the web APIs' stand-ins (include/web_standins)
    print(f"\nFocus Scheduled Jobs on Airflow: {url}", flush=True)
    print(
        f"  log in as admin / {passwords['admin']}  (viewer / {passwords['viewer']} is read-only)"
    )
    print(
        f"  logins are kept in {env['AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE']}",
        flush=True,
    )
    print(mail_line, flush=True)
    print(text_line, flush=True)
    print(standins.line, flush=True)
    print("\n".join(drop_lines) + "\n", flush=True)
    try:
        return supervise([sys.executable, "-m", "include.local_airflow", "components"], env)
    finally:
        if catcher is not None:
            catcher.stop()
        if texts is not None:
            texts.stop()
        drops.stop()
        standins.stop()


if __name__ == "__main__":
    sys.exit(main())
