"""The embedded default: Airflow on SQLite beside a SQLite Focus database, for one laptop."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
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
        "AIRFLOW__SCHEDULER__STANDALONE_DAG_PROCESSOR": "True",
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


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
        [focus_jobs, "airflow-settings", str(PROJECT_ROOT / "airflow_settings.yaml")],
        [focus_jobs, "seed-demo", "--students", env.get("FOCUS_DEMO_STUDENTS") or "300"],
        *platform_setup_commands(focus_jobs),
    ):
        subprocess.run(cmd, env=env, check=True)
    return passwords


def platform_setup_commands(focus_jobs: str) -> list[list[str]]:
    """After the demo: the jobs the site profile installs by default (once per class, so a
    default job an administrator deleted is not created again by the next ``make run``)."""
    return [[focus_jobs, "seed-defaults"]]


def main() -> int:
    env = airflow_env(focus_home=Path(os.environ.get("FOCUS_HOME") or PROJECT_ROOT / ".local"))
    passwords = prepare(env)
    url = env["AIRFLOW__API__BASE_URL"]
    print(f"\nFocus Scheduled Jobs on Airflow: {url}", flush=True)
    print(
        f"  log in as admin / {passwords['admin']}  (viewer / {passwords['viewer']} is read-only)"
    )
    print(
        f"  logins are kept in {env['AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE']}\n",
        flush=True,
    )
    airflow = shutil.which("airflow", path=env["PATH"]) or "airflow"
    os.execvpe(airflow, [airflow, "standalone"], env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
