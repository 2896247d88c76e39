"""focus-jobs: the data engineer's command line for scheduled jobs."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import logging
import sys
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from include.config import settings
from include.definitions import (
    FieldError,
    InvalidDefinition,
    district_timezone_error,
    parse_definition,
    row_to_document,
)
from include.focus_db.engine import get_engine, migrate, redact_url
from include.job_order import check_order
from include.jobs_file import MAX_IMPORT_BYTES, ImportFileError, dump_jobs, read_jobs_file
from include.platform_cli import add_platform_commands
from include.repository import (
    get_definition,
    get_setting,
    get_timezone,
    read_table,
    set_setting,
    upsert,
    validate_documents,
)
from include.runner import DISTRICT_FILES, run_job
from include.save_checks import save_errors
from include.school_calendar import (
    describe_order,
    describe_skips,
    job_schedule,
    next_run_and_skips,
    read_district_calendar,
)
from job_library.base import RemoteFileError
from job_library.registry import catalog, get_job_class


def demo_jobs(today: dt.date) -> list[dict[str, Any]]:
    """The demo jobs: the chain Set Next School -> Rollover rolls the demo district's year
    (see DemoYear) over; Rollover starts when Set Next School succeeds, not before 22:00."""
    from include.demo_district import DemoYear

    year = DemoYear(today).syear
    # After the last school day, before the next year's first.
    window = {
        "weekdays": ["sat"],
        "priority": 100,
        "start_date": f"{year + 1}-06-01",
        "end_date": f"{year + 1}-07-31",
    }
    set_next_school = {
        "id": f"set-next-school-{year + 1}",
        "title": f"Set Next School for {year + 1}-{year + 2}",
        "class": "set_next_school",
        "run_time": "21:00",
        **window,
    }
    rollover = {
        "id": f"rollover-{year + 1}",
        "title": f"Rollover to {year + 1}-{year + 2}",
        "class": "rollover",
        "run_after": [set_next_school["id"]],
        "not_before": "22:00",
        **window,
        "params": {
            "enrollment_date": DemoYear(dt.date(year + 1, 7, 1)).first_day.isoformat(),
            "enrollment_code": "E01",
        },
        "active": False,
    }
    return [*_DEMO_JOBS[:2], set_next_school, rollover, *_DEMO_JOBS[2:]]


_DEMO_JOBS: list[dict[str, Any]] = [
    {
        "id": "daily-maintenance",
        "title": "Daily Maintenance",
        "class": "daily_maintenance",
        "run_time": "01:00",
        "timeframe_start": "00:30",
        "timeframe_end": "04:00",
        "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "priority": 900,
        "store_history": "1 month",
        "params": {"days": 30},
    },
    {
        "id": "address-corrections",
        "title": "Address Corrections",
        "class": "address_corrections",
        "run_time": "02:00",
        "timeframe_start": "01:00",
        "timeframe_end": "05:00",
        "weekdays": ["mon", "tue", "wed", "thu", "fri"],
        "store_history": "3 months",
    },
    {
        "id": "legacy-php-export",
        "title": "Legacy PHP Export",
        "class": "legacy_php_export",
        "run_time": "03:30",
        "weekdays": ["sun"],
        "priority": 1,
    },
]

# Students of the district `make run` seeds into an empty database (FOCUS_DEMO_STUDENTS).
DEMO_STUDENTS = 300

DEMO_ADDRESSES = [
    (1001, " 123 North Main Street ", "Apt 4", "Tallahassee ", "FL", "32301"),
    (1002, "45 South Ocean Boulevard", None, "Palm Beach", "FL", " 33480"),
    (1003, "9 Court Street West", None, "North Port", "FL", "34286"),
    (1004, "700 NW 3rd Ave", None, "Miami", "FL", "33136"),
]


def _engine():
    return get_engine(settings().db_url)


def _print_errors(errors: list[FieldError]) -> None:
    for error in errors:
        print(f"error: {error}", file=sys.stderr)


def cmd_migrate(_: argparse.Namespace) -> int:
    migrate(_engine())
    print(f"Focus database at {redact_url(settings().db_url)} is up to date.")
    return 0


def cmd_catalog(args: argparse.Namespace) -> int:
    entries = catalog()
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    for e in entries:
        planned = "" if e["implemented"] else "  (catalogued, not implemented yet)"
        needs = [f"state {e['needs_state']}"] if e["needs_state"] else []
        needs += [f"add-on {a}" for a in e["needs_add_ons"]]
        planned += f"  (needs {', '.join(needs)})" if needs else ""
        print(f"{e['key']:<24} {e['title']} [{e['module']}, {e['kind']}]{planned}")
        props = e["params_schema"].get("properties", {})
        required = set(e["params_schema"].get("required", []))
        for name, prop in props.items():
            flag = "required" if name in required else f"default {prop.get('default')!r}"
            print(
                f"    {name}: {prop.get('type') or prop.get('format') or 'value'} ({flag})"
                f" - {prop.get('title', '')}"
            )
    return 0


def cmd_list(_: argparse.Namespace) -> int:
    from include.district_config import class_status, retention_warning
    from job_library.site import read_site_profile

    with _engine().connect() as conn:
        table = read_table(conn, active_only=False)
        calendar = read_district_calendar(conn, dt.date.today())
        site = read_site_profile(conn)
    now = dt.datetime.now(dt.UTC)
    invalid = 0
    header = f"{'ID':<28} {'TITLE':<30} {'PRI':>5} {'ACTIVE':<6} {'SCHEDULE':<45}"
    print(f"{header} NEXT RUN ({table.timezone})")
    for raw in table.rows:
        try:  # whatever one row holds, the others are still listed
            if bad_zone := district_timezone_error(_shown(raw.get("id")), table.timezone):
                raise bad_zone
            d = parse_definition(row_to_document(raw))
            schedule = job_schedule(d, table.timezone, lambda: calendar)
            nxt, skipped = next_run_and_skips(schedule, now) if d.active else (None, [])
            tz = ZoneInfo(table.timezone)
            when = nxt.astimezone(tz).strftime("%Y-%m-%d %H:%M") if nxt else "-"
            described = describe_order(d, schedule) if d.run_after else schedule.describe()
        except Exception as exc:
            invalid += 1
            print(f"{_shown(raw.get('id')):<28} INVALID: {_first_error(exc)}")
            continue
        missing = "" if get_job_class(d.job_class) else f"  (missing class {d.job_class})"
        if unavailable := class_status(get_job_class(d.job_class), site)["unavailable"]:
            missing += f"  (unavailable: {unavailable})"
        if skipped:
            missing += f"  (skips {describe_skips(skipped)}: not school days)"
        print(
            f"{d.id:<28} {d.title[:30]:<30} {d.priority:>5} {'yes' if d.active else 'no':<6} "
            f"{described:<45} {when}{missing}"
        )
    if warning := retention_warning(table.rows):
        print(warning)
    return 1 if invalid else 0


def _shown(raw_id: Any) -> str:
    return (raw_id if isinstance(raw_id, str) else repr(raw_id))[:60]


def _first_error(exc: Exception) -> str:
    """One line about a row that cannot be used, whatever went wrong with it."""
    if isinstance(exc, InvalidDefinition) and exc.errors:
        return str(exc.errors[0])
    return f"cannot be read ({type(exc).__name__}: {str(exc)[:200]})"


def valid_documents(
    rows: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[str]]:
    """The YAML documents of the rows that validate, and one line per row that does not."""
    documents, left_out = [], []
    for raw in rows:
        try:
            documents.append(parse_definition(row_to_document(raw)).to_document())
        except Exception as exc:  # one bad row never stops an export
            left_out.append(f"{_shown(raw.get('id'))}: {_first_error(exc)}")
    return documents, left_out


def cmd_export(args: argparse.Namespace) -> int:
    """Every valid job; an invalid row is named in a comment and on stderr, exit code 1."""
    with _engine().connect() as conn:
        table = read_table(conn, active_only=False)
    documents, left_out = valid_documents(table.rows)
    text = dump_jobs(documents, left_out)
    to_stdout = args.file == "-"
    if to_stdout:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        try:
            Path(args.file).write_text(text)
        except OSError as exc:
            print(f"error: cannot write {args.file}: {exc.strerror}", file=sys.stderr)
            return 1
    for line in left_out:
        print(f"error: left out, invalid: {line}", file=sys.stderr)
    where = "standard output" if to_stdout else args.file
    print(f"Exported {len(documents)} job(s) to {where}.", file=sys.stderr if to_stdout else None)
    return 1 if left_out else 0


def _read_import_bytes(name: str) -> bytes:
    """The file (``-``: standard input), at most one byte past the limit."""
    if name == "-":
        return sys.stdin.buffer.read(MAX_IMPORT_BYTES + 1)
    with open(name, "rb") as f:
        return f.read(MAX_IMPORT_BYTES + 1)


def cmd_import(args: argparse.Namespace) -> int:
    source = "standard input" if args.file == "-" else args.file
    try:
        entries = read_jobs_file(_read_import_bytes(args.file), source)
    except (OSError, ImportFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    definitions, errors = validate_documents(entries)
    engine = _engine()
    if not errors:
        with engine.connect() as conn:
            stored = read_table(conn, active_only=False).rows
        errors = save_errors(
            definitions,
            stored,
            allow_missing_class=args.allow_missing_class,
            missing_class_hint="--allow-missing-class",
        )
    if not errors:  # run-after links are checked against the jobs already in the table
        with engine.connect() as conn:
            errors = check_order(conn, definitions, rows=True)
    if errors:
        _print_errors(errors)
        print(f"Nothing imported: {len(errors)} error(s) in {source}.", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"{len(definitions)} job(s) in {source} are valid; nothing written (dry run).")
        return 0
    with engine.begin() as conn:
        created, updated = upsert(conn, definitions, user=args.user)
    print(f"Imported {source}: {created} created, {updated} updated.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    engine = _engine()
    with engine.connect() as conn:
        try:
            definition = get_definition(conn, args.job_id)
        except InvalidDefinition as exc:
            _print_errors(exc.errors)
            return 1
        except Exception as exc:  # a row that cannot even be converted
            print(f"error: job {args.job_id!r}: {_first_error(exc)}", file=sys.stderr)
            return 1
        tz = get_timezone(conn)
    if definition is not None and (bad_zone := district_timezone_error(definition.id, tz)):
        _print_errors(bad_zone.errors)
        return 1
    if definition is None:
        print(f"error: no job with id {args.job_id!r} (see 'focus-jobs list')", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    s = settings()
    from include.sftp_files import open_remote  # the provider is imported for file jobs only

    try:  # the operator's way: AIRFLOW_CONN_* or Airflow's metadata database
        remote = open_remote(definition, s.file_settle_seconds)
    except OSError as exc:
        print(f"error: job {definition.id!r}: {exc}", file=sys.stderr)
        return 1
    try:
        result = run_job(
            definition,
            engine=engine,
            timezone=tz,
            file_store=s.file_store / definition.id,
            log=logging.getLogger(f"focus_jobs.{definition.id}"),
            run_id=f"cli__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S.%f}",
            remote=remote,
        )
    except RemoteFileError as exc:  # rolled back: the file server failed during the job
        print(f"error: job {definition.id!r}: {exc}; nothing was changed", file=sys.stderr)
        return 1
    finally:
        if remote is not None:
            remote.close()
    print(result.text or result.summary)
    return 0 if result.success else 1


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from sqlalchemy import func, insert, select

    from job_library.schema import student_addresses

    engine = _engine()
    migrate(engine)
    definitions, errors = validate_documents(demo_jobs(args.today))
    if errors:  # the demo set is ours: a failure here is a bug
        _print_errors(errors)
        return 1
    with engine.begin() as conn:
        # Only into an empty table: a demo job someone deleted stays deleted.
        present = len(read_table(conn, active_only=False).rows)
        created, _ = upsert(conn, [] if present else definitions, user="demo")
        if not conn.execute(select(func.count()).select_from(student_addresses)).scalar():
            conn.execute(
                insert(student_addresses),
                [
                    dict(
                        zip(
                            ("student_id", "address", "address2", "city", "state", "zipcode"),
                            a,
                            strict=True,
                        )
                    )
                    for a in DEMO_ADDRESSES
                ],
            )
    if present:
        print(f"Demo jobs: none added ({present} job(s) already defined).")
    else:
        print(f"Demo jobs: {created} created.")
    return _seed_district(engine, args.students, args.today)


def _seed_district(engine, count: int, today: dt.date) -> int:
    """A small demo district for a new database; an existing district is never replaced."""
    from sqlalchemy import func, select

    from include.demo_district import generate
    from job_library.schemas.enrollment import students

    if count <= 0:
        print("Demo district: not seeded (0 students asked for).")
        return 0
    with engine.connect() as conn:
        present = conn.execute(select(func.count()).select_from(students)).scalar_one()
    if present:
        print(f"Demo district: {present} students already present, left as they are.")
        return 0
    district = generate(engine, count, today=today, files=settings().file_store / DISTRICT_FILES)
    print(district.describe())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from include.demo_district import generate

    engine = _engine()
    migrate(engine)
    try:
        district = generate(
            engine,
            args.students,
            today=args.today,
            files=settings().file_store / DISTRICT_FILES,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(district.describe())
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    engine = _engine()
    if args.value is None:
        try:
            with engine.connect() as conn:
                value = (
                    get_timezone(conn) if args.name == "timezone" else get_setting(conn, args.name)
                )
        except ValueError as exc:  # an unknown preference
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(value if value is not None else "")
        return 0
    try:
        with engine.begin() as conn:
            set_setting(conn, args.name, args.value)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.name} = {args.value}")
    return 0


def cmd_airflow_settings(args: argparse.Namespace) -> int:
    from include.airflow_settings import apply_settings_file

    for line in apply_settings_file(Path(args.file)):
        print(line)
    return 0


_TODAY = "the date the demo district is built for, YYYY-MM-DD (default: today)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="focus-jobs", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="create or upgrade the Focus database").set_defaults(
        func=cmd_migrate
    )
    c = sub.add_parser("catalog", help="job classes and their parameter schemas")
    c.add_argument("--json", action="store_true", help="print the catalog as JSON")
    c.set_defaults(func=cmd_catalog)
    sub.add_parser("list", help="scheduled jobs and their next run").set_defaults(func=cmd_list)
    e = sub.add_parser("export", help="write every job to a YAML file")
    e.add_argument("file", help="the file to write; - writes to standard output")
    e.set_defaults(func=cmd_export)
    i = sub.add_parser("import", help="validate a YAML file and upsert its jobs by id")
    i.add_argument(
        "file", help=f"the file to read (at most {MAX_IMPORT_BYTES // 2**20} MB); - reads stdin"
    )
    i.add_argument("--dry-run", action="store_true", help="validate only, write nothing")
    i.add_argument(
        "--allow-missing-class",
        action="store_true",
        help="keep a class that is not in the catalog (it runs as the Missing Class job)",
    )
    i.add_argument("--user", default=getpass.getuser(), help="recorded as created/updated by")
    i.set_defaults(func=cmd_import)
    r = sub.add_parser("run", help="run one job now, outside Airflow, and print its output")
    r.add_argument("job_id")
    r.set_defaults(func=cmd_run)
    sd = sub.add_parser("seed-demo", help="add the demo jobs and, to an empty database, a district")
    sd.add_argument(
        "--students",
        type=int,
        default=DEMO_STUDENTS,
        help=f"students of the demo district (default {DEMO_STUDENTS}; 0: none)",
    )
    sd.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today(), help=_TODAY)
    sd.set_defaults(func=cmd_seed_demo)
    d = sub.add_parser("demo", help="replace the SIS data with a deterministic demo district")
    d.add_argument("--students", type=int, default=2000, help="number of students (default 2000)")
    d.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today(), help=_TODAY)
    d.set_defaults(func=cmd_demo)
    s = sub.add_parser(
        "settings", help="read or change a district preference (the same as focus-jobs prefs)"
    )
    s.add_argument("name")
    s.add_argument("value", nargs="?")
    s.set_defaults(func=cmd_settings)
    add_platform_commands(sub)
    a = sub.add_parser("airflow-settings", help="apply airflow_settings.yaml to Airflow's database")
    a.add_argument("file")
    a.set_defaults(func=cmd_airflow_settings)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
