"""What the parse and task benches share: a district's job mix, the plain Airflow and
dag-factory files of the same DAGs, forked measurements, alternation and its statistics."""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import venv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TIMEZONE = "America/New_York"
DAG_FACTORY = "dag-factory==1.1.0"
CACHE = ROOT / ".bench-venvs"

WEEKDAY_SETS = [["mon", "tue", "wed", "thu", "fri"], ["sat"], ["mon", "wed", "fri"], None]
_CRON_DAYS = {"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}


def machine() -> str:
    """Date, cores and load: what a reader needs to weigh the figures."""
    one, five, fifteen = os.getloadavg()
    return (
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"
    )


def district_mix() -> list[str]:
    """One cycle of 20 rows as a district has them: half SIS jobs, a quarter scheduled imports,
    the vendor file integrations and the system jobs."""
    from job_library.registry import REGISTRY

    packages = {key: cls.__module__.split(".")[2] for key, cls in REGISTRY.items()}
    sis = sorted(k for k, p in packages.items() if p not in ("erp", "integrations", "system"))
    erp = sorted(k for k, p in packages.items() if p == "erp")
    system = ["daily_maintenance", "worker_check", "address_corrections"]
    cycle = [sis[i % len(sis)] for i in range(10)]
    cycle += ["scheduled_import"] * 5 + [erp[i % len(erp)] for i in range(3)] + system[:2]
    return cycle


def documents(n: int, classes: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """N job definitions: daily and repeating, several weekday sets, e-mails, parameters.
    Classes cycle through ``classes`` (the district mix by default); SIS classes move through
    the catalog from cycle to cycle so every class appears."""
    from job_library.registry import REGISTRY

    mix = list(classes or district_mix())
    sis_all = sorted(
        k
        for k, cls in REGISTRY.items()
        if cls.__module__.split(".")[2] not in ("erp", "integrations", "system")
    )
    docs = []
    for i in range(n):
        cls = mix[i % len(mix)]
        if classes is None and cls in sis_all:
            cls = sis_all[(i // len(mix) + i) % len(sis_all)]
        doc: dict[str, Any] = {
            "id": f"job-{i:05d}",
            "title": f"Job {i}",
            "class": cls,
            "kind": str(REGISTRY[cls].kind),
            "priority": 100 + i % 900,
            "emails": [f"owner{i % 7}@district.org"] if i % 3 == 0 else [],
            "store_history": "1 month",
            "params": sample_params(cls),
        }
        if i % 10 == 0:
            doc |= {"repeat_minutes": 15, "timeframe_start": "06:00", "timeframe_end": "18:00"}
        else:
            doc |= {"run_time": f"{i % 24:02d}:{i % 60:02d}"}
        if days := WEEKDAY_SETS[i % len(WEEKDAY_SETS)]:
            doc["weekdays"] = days
        docs.append(doc)
    return docs


def sample_params(key: str) -> dict[str, Any]:
    """Parameters a job of this class validates with (job_library.registry.example_params)."""
    from job_library.registry import example_params

    return example_params(key)


def focus_home(home: Path, docs: list[dict[str, Any]]) -> None:
    """A migrated SQLite Focus database at ``home`` holding ``docs``."""
    import sqlalchemy as sa

    from include.focus_db.engine import migrate
    from include.repository import upsert, validate_documents

    home.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{home / 'focus.db'}")
    migrate(engine)
    definitions, errors = validate_documents(docs)
    if errors:
        raise SystemExit(f"bench data invalid: {errors[0]}")
    with engine.begin() as conn:
        upsert(conn, definitions, user="bench")
    engine.dispose()


def cron(doc: dict[str, Any]) -> str:
    """The cron expression a plain Airflow file would give the same job."""
    days = doc.get("weekdays")
    dow = ",".join(str(_CRON_DAYS[d]) for d in days) if days else "*"
    if doc.get("repeat_minutes"):
        return f"*/{doc['repeat_minutes']} 6-17 * * {dow}"
    hour, minute = doc["run_time"].split(":")
    return f"{int(minute)} {int(hour)} * * {dow}"


def write_plain_file(path: Path, docs: list[dict[str, Any]]) -> None:
    """A hand-written Airflow file building the same one-task DAGs (CronTriggerTimetable)."""
    jobs = [(d["id"], cron(d), f"focus-jobs run {d['id']}", d["priority"]) for d in docs]
    lines = [
        '"""The same jobs as plain Airflow DAGs: one task each, on a cron trigger."""',
        "import pendulum",
        "from airflow.providers.standard.operators.bash import BashOperator",
        "from airflow.sdk import DAG",
        "from airflow.timetables.trigger import CronTriggerTimetable",
        "",
        "JOBS = [",
        *(f"    {job!r}," for job in jobs),
        "]",
        "for dag_id, cron, command, priority in JOBS:",
        "    with DAG(",
        "        dag_id,",
        f"        schedule=CronTriggerTimetable(cron, timezone={TIMEZONE!r}),",
        '        start_date=pendulum.datetime(2020, 1, 1, tz="UTC"),',
        "        catchup=False,",
        "        max_active_runs=1,",
        "    ) as dag:",
        '        BashOperator(task_id="run_job", bash_command=command, priority_weight=priority)',
        "    globals()[dag_id] = dag",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def write_dag_factory_files(folder: Path, docs: list[dict[str, Any]]) -> Path:
    """dag-factory's way: the DAGs in a YAML file and a two-line DAG file that loads it."""
    import yaml

    config: dict[str, Any] = {
        "default": {"default_args": {"start_date": "2020-01-01", "owner": "airflow"},
                    "catchup": False, "max_active_runs": 1},
    }  # fmt: skip
    for d in docs:
        config[d["id"]] = {
            "schedule": {
                "__type__": "airflow.timetables.trigger.CronTriggerTimetable",
                "cron": cron(d),
                "timezone": TIMEZONE,
            },
            "tasks": [
                {
                    "task_id": "run_job",
                    "operator": "airflow.providers.standard.operators.bash.BashOperator",
                    "bash_command": f"focus-jobs run {d['id']}",
                    "priority_weight": d["priority"],
                }
            ],
        }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "jobs.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    dag_file = folder / "factory_dags.py"
    dag_file.write_text(
        '"""dag-factory: one airflow DAG per entry of jobs.yml."""\n'
        "from pathlib import Path\n\n"
        "from dagfactory import load_yaml_dags\n\n"
        "load_yaml_dags(globals_dict=globals(), "
        'config_filepath=str(Path(__file__).resolve().with_name("jobs.yml")))\n'
    )
    return dag_file


def dag_factory_python() -> Path:
    """A virtual environment of its own with dag-factory, seeing this project's Airflow
    through a .pth file (so both run the same Airflow); made once under .bench-venvs/."""
    env_dir = CACHE / DAG_FACTORY.replace("==", "-")
    python = env_dir / "bin" / "python"
    if not (env_dir / ".ready").exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
        site = subprocess.run(
            [str(python), "-c", "import site; print(site.getsitepackages()[0])"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        ours = next(p for p in sys.path if p.endswith("site-packages"))
        # After its own site-packages: dag-factory and anything it brings come first.
        (Path(site) / "zz_project_airflow.pth").write_text(ours + "\n")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--no-deps", DAG_FACTORY],
            check=True,
        )
        (env_dir / ".ready").write_text(DAG_FACTORY + "\n")
    return python


class Zygote:
    """One pre-imported Airflow (bench/zygote.py) forking a fresh child per measurement."""

    def __init__(self, name: str, env: dict[str, str], python: Path | str = sys.executable):
        self.name = name
        self.proc = subprocess.Popen(
            [str(python), str(ROOT / "bench" / "zygote.py")],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for line in self.proc.stdout:  # skip whatever Airflow printed while importing
            if line.startswith('{"ready"'):
                break
        else:
            raise SystemExit(f"{name}: the measuring process did not start")

    def measure(self, kind: str, **args: Any) -> dict[str, Any]:
        self.proc.stdin.write(json.dumps({"kind": kind, "args": args}) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if answer.get("error"):
            raise SystemExit(f"{self.name}: {answer['error']}")
        return answer

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def base_env(work: Path, plugins: Path | None) -> dict[str, str]:
    """Airflow's settings for a measuring process; no variable of the caller's Airflow."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "FOCUS_", "_AIR"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a deployed Airflow imports from byte-code
    empty = work / "no-plugins"
    empty.mkdir(parents=True, exist_ok=True)
    return env | {
        "AIRFLOW_HOME": str(work / "airflow"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(plugins or empty),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # Airflow's default (30 s) stops dag-factory's file of 5,000 DAGs on a busy 2-core
        # machine: every variant gets as long as it needs, so each is measured to the end.
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "900",
        "PYTHONPATH": str(ROOT),
    }


def compile_sources(*folders: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *(str(f) for f in folders)], check=True
    )


def alternate(
    variants: dict[str, Callable[[], float]], rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run the variants in turn (A B C A B C ...); ``warmup`` rounds first, not kept."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for r in range(warmup + rounds):
        for name, run in variants.items():
            seconds = run()
            if r >= warmup:
                times[name].append(seconds)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 1 else f"{seconds * 1000:,.0f} ms"


def ratio(ours: list[float], base: list[float]) -> str:
    """The median of per-round ratios, with their range."""
    pairs = [a / b for a, b in zip(ours, base, strict=True)]
    return f"{statistics.median(pairs):.2f}x ({min(pairs):.2f}-{max(pairs):.2f})"


def med_min(times: list[float]) -> str:
    return f"{ms(statistics.median(times))} / {ms(min(times))}"
