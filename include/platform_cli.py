"""focus-jobs prefs, site and seed-defaults: the district's configuration from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys

from include.config import settings
from include.focus_db.engine import get_engine
from job_library.preferences import PREFERENCES, PreferenceError, Preferences, preference
from job_library.site import (
    ADD_ON_TITLES,
    AddOn,
    SiteKind,
    SiteProfile,
    read_site_profile,
    write_site_profile,
)


def _engine():
    return get_engine(settings().db_url)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _shown(pref, text: str) -> str:
    """A stored value as a person reads it; one that no longer checks out is marked."""
    try:
        return pref.show(pref.parse(text))
    except PreferenceError:
        return f"{text!r} (invalid: set it again)"


def _list_for_school(school_id: int) -> int:
    """What one school gets: each preference's value and where it comes from."""
    with _engine().connect() as conn:
        prefs = Preferences(conn)
        for pref in PREFERENCES.values():
            school = school_id if pref.scope == "school" else None
            try:
                value = prefs.get(pref.key, school_id=school)
            except PreferenceError as exc:
                print(f"{pref.key:<32} invalid: {exc}")
                continue
            if school is not None and prefs.raw(pref.key, school) is not None:
                source = f"school {school_id}"
            elif prefs.raw(pref.key) is not None:
                source = "district"
            else:
                source = "default"
            print(f"{pref.key:<32} {pref.show(value) or 'not set':<20} ({source})")
    return 0


def cmd_prefs(args: argparse.Namespace) -> int:
    action = args.action or "list"
    try:
        if action == "list" and args.school is not None:
            return _list_for_school(args.school)
        if action == "list":
            with _engine().connect() as conn:
                entries = Preferences(conn).listing()
            for e in entries:
                pref = PREFERENCES[e["key"]]
                if e["district"] is None:
                    shown = f"{e['default'] or 'not set'} (default)"
                else:
                    shown = _shown(pref, e["district"])
                print(f"{e['key']:<32} {e['scope']:<9} {shown}")
                for school, text in e["schools"].items():
                    print(f"{'':<32} {'school ' + school:<9} {_shown(pref, text)}")
                print(f"{'':<32} {e['description']}")
            return 0
        if args.key is None:
            return _fail(f"prefs {action} needs a KEY (focus-jobs prefs list shows them)")
        pref = preference(args.key)
        if action == "get":
            with _engine().connect() as conn:
                print(pref.show(Preferences(conn).get(args.key, school_id=args.school)))
            return 0
        if action == "set":
            if args.value is None:
                return _fail(f"prefs set {args.key} needs a VALUE")
            with _engine().begin() as conn:
                value = Preferences(conn).set(
                    args.key, args.value, school_id=args.school, user=args.user
                )
            where = f" for school {args.school}" if args.school else ""
            print(f"{args.key}{where} = {pref.show(value)}")
            return 0
        with _engine().begin() as conn:
            removed = Preferences(conn).unset(args.key, school_id=args.school)
        print(f"{args.key}: {'unset' if removed else 'was not set'}")
        return 0
    except PreferenceError as exc:
        return _fail(str(exc))


def _add_ons(text: str) -> set[AddOn]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if names == ["none"]:
        return set()
    unknown = [n for n in names if n not in AddOn._value2member_map_]
    if unknown:
        raise ValueError(f"add-on {unknown[0]!r} is not one of {', '.join(a.value for a in AddOn)}")
    return {AddOn(n) for n in names}


def cmd_site(args: argparse.Namespace) -> int:
    changes = (args.state, args.kind, args.add_ons, args.add, args.remove)
    if all(c is None for c in changes):
        with _engine().connect() as conn:
            profile = read_site_profile(conn)
        if profile is None:
            print("Site profile: not set (every job class is offered); set it with")
            print("  focus-jobs site --state FL --kind production --add-ons fps,sss,erp")
            return 0
        print(f"state:   {profile.state or 'not set'}")
        print(f"kind:    {profile.kind}")
        print(
            "add-ons: " + (", ".join(ADD_ON_TITLES[a] for a in profile.ordered_add_ons()) or "none")
        )
        return 0
    try:
        with _engine().begin() as conn:
            current = read_site_profile(conn) or SiteProfile()
            add_ons = set(current.add_ons)
            if args.add_ons is not None:
                add_ons = _add_ons(args.add_ons)
            add_ons |= _add_ons(args.add or "")
            add_ons -= _add_ons(args.remove or "")
            profile = SiteProfile(
                state=current.state if args.state is None else args.state,
                kind=current.kind if args.kind is None else args.kind,
                add_ons=frozenset(add_ons),
            )
            write_site_profile(conn, profile, user=args.user)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError too
        message = exc.errors()[0]["msg"] if hasattr(exc, "errors") else str(exc)
        return _fail(f"site profile not changed: {message}")
    print(f"Site profile: {profile.describe()}")
    return 0


def cmd_seed_defaults(args: argparse.Namespace) -> int:
    from include.district_config import seed_defaults
    from include.focus_db.engine import migrate

    engine = _engine()
    migrate(engine)
    with engine.begin() as conn:
        lines = seed_defaults(conn, user=args.user)
    for line in lines or ["no class is installed by default"]:
        print(line)
    return 0


def add_platform_commands(sub: argparse._SubParsersAction) -> None:
    """Add prefs, site and seed-defaults to the focus-jobs parser."""
    p = sub.add_parser("prefs", help="System Preferences: list, get, set or unset one")
    p.add_argument("action", nargs="?", choices=("list", "get", "set", "unset"))
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")
    p.add_argument("--school", type=int, help="a school preference's school id")
    p.add_argument("--user", default=getpass.getuser(), help="recorded as updated by")
    p.set_defaults(func=cmd_prefs)
    s = sub.add_parser("site", help="show or change the site profile (state, kind, add-ons)")
    s.add_argument("--state", help="two-letter state code, e.g. FL ('' clears it)")
    s.add_argument("--kind", choices=[k.value for k in SiteKind])
    s.add_argument(
        "--add-ons",
        help=f"the purchased add-ons, comma-separated ({', '.join(a.value for a in AddOn)}) "
        "or none",
    )
    s.add_argument("--add", help="add-ons to add, comma-separated")
    s.add_argument("--remove", help="add-ons to remove, comma-separated")
    s.add_argument("--user", default=getpass.getuser(), help="recorded as updated by")
    s.set_defaults(func=cmd_site)
    d = sub.add_parser("seed-defaults", help="create the jobs installed by default, once per class")
    d.add_argument("--user", default="seed-defaults", help="recorded as created by")
    d.set_defaults(func=cmd_seed_defaults)
