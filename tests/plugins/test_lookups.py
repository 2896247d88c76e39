"""Lookups: district records as value and label for the screen's pickers, on SQLite and Postgres."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from include import lookups
from include.demo_district import generate
from job_library.preferences import PREFERENCES, Preferences
from job_library.registry import catalog

CONNECTIONS = [("sftp_frontline", "sftp"), ("focus_airflow_api", "http"), ("neogov", "sftp")]


@pytest.fixture
def district(engine: sa.Engine) -> sa.Engine:
    generate(engine, 20, today=dt.date(2026, 10, 14))
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO users (user_id, username, email) VALUES (:i, :u, :e)"),
            [
                {"i": 901, "u": "jdoe", "e": "jdoe@district.org"},
                {"i": 902, "u": "svc_import", "e": None},
            ],
        )
        conn.execute(
            sa.text(
                "INSERT INTO staff (staff_id, first_name, last_name, user_id) "
                "VALUES (9001, 'Jane', 'Doe', 901)"
            )
        )
        conn.execute(
            sa.text("INSERT INTO deduction_codes (code, title) VALUES ('MLSUP', 'MetLife Life')")
        )
        student = conn.execute(sa.text("SELECT MIN(student_id) FROM students")).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO portal_alerts (student_id, alert_type, profile, message, created_at) "
                "VALUES (:s, 'sss_event', 'School Nurse', 'x', :t)"
            ),
            {"s": student, "t": dt.datetime(2026, 10, 1, tzinfo=dt.UTC)},
        )
    return engine


def _items(engine: sa.Engine, name: str, **kwargs):
    with engine.connect() as conn:
        return lookups.items(conn, name, connections=lambda: CONNECTIONS, **kwargs)


def test_schools_by_title_filtered_picked_and_capped(district):
    schools, more = _items(district, "schools")
    assert more is False
    labels = [s["label"] for s in schools]
    assert labels == sorted(labels) and "Oak Ridge Elementary" in labels
    oak = next(s for s in schools if s["label"] == "Oak Ridge Elementary")
    assert isinstance(oak["value"], int) and "group" not in oak
    elementary, _ = _items(district, "schools", q="ELEM")
    assert elementary and all("Elementary" in s["label"] for s in elementary)
    picked, _ = _items(district, "schools", values=[str(oak["value"]), "9999"])
    assert picked == [oak]
    two, more = _items(district, "schools", limit=2)
    assert len(two) == 2 and more is True
    assert _items(district, "schools", q="%")[0] == []  # a wildcard is just a character


def test_users_codes_profiles_and_fields(district):
    users, _ = _items(district, "users")
    assert {"value": 901, "label": "Doe, Jane (jdoe)"} in users
    assert {"value": 902, "label": "svc_import"} in users
    assert _items(district, "users", q="jane")[0] == [{"value": 901, "label": "Doe, Jane (jdoe)"}]

    codes, _ = _items(district, "attendance_codes")
    values = [c["value"] for c in codes]
    assert len(values) == len(set(values))  # one per short name, whatever the school years
    absent = next(c for c in codes if c["value"] == "A")
    assert absent["label"].startswith("A - ") and absent["group"] == "unexcused"

    drops = {c["value"] for c in _items(district, "drop_codes")[0]}
    adds = {c["value"] for c in _items(district, "enrollment_codes")[0]}
    assert drops and adds and not drops & adds

    with district.begin() as conn:  # a profile only a preference names (a school's own)
        Preferences(conn).set("medication_administrator_profile", "Health Aide", school_id=7)
    profiles = [p["value"] for p in _items(district, "profiles")[0]]
    assert {"Counselor", "School Nurse", "Teacher", "Health Aide"} <= set(profiles)
    assert len(profiles) == len(set(profiles))

    fields = _items(district, "student_fields")[0]
    assert fields and all(f["group"] in ("students", "schedule") for f in fields)
    assert _items(district, "deduction_codes")[0] == [
        {"value": "MLSUP", "label": "MLSUP - MetLife Life"}
    ]
    assert _items(district, "grade_levels", values=["01"])[0][0]["value"] == "01"
    assert _items(district, "tests")[0]


def test_connections_come_from_airflow_grouped_by_type(district):
    found, _ = _items(district, "connections")
    assert found == [
        {"value": "focus_airflow_api", "label": "focus_airflow_api (http)", "group": "http"},
        {"value": "neogov", "label": "neogov (sftp)", "group": "sftp"},
        {"value": "sftp_frontline", "label": "sftp_frontline (sftp)", "group": "sftp"},
    ]
    assert [c["value"] for c in _items(district, "connections", q="front")[0]] == ["sftp_frontline"]


def test_an_unknown_lookup_names_the_ones_there_are(sqlite_engine):
    with pytest.raises(lookups.UnknownLookup, match="no lookup named 'colours'") as caught:
        _items(sqlite_engine, "colours")
    assert "schools" in str(caught.value)


def test_a_district_without_a_table_gets_no_items_not_an_error(tmp_path):
    bare = sa.create_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    for name in set(lookups.names()) - {"connections"}:
        assert _items(bare, name) == ([], False), name


def test_every_lookup_a_parameter_declares_exists():
    declared = set()
    for entry in catalog():
        text = json.dumps(entry["params_schema"])
        declared |= {part.split('"')[0] for part in text.split('"x-focus-lookup": "')[1:]}
    assert {"schools", "users", "attendance_codes", "drop_codes", "connections"} <= declared
    assert declared <= set(lookups.names())


# Words that, ending a parameter's name or title, say its value names district records.
_RECORD_WORDS = {"school", "schools", "user", "users", "profile", "profiles", "code", "codes"}
_ID_SUFFIXES = {"id", "ids"}


def _value_types(prop: dict) -> set[str]:
    """The JSON types a property (or its list's items) holds, ``null`` left out."""
    found: set[str] = set()
    for option in prop.get("anyOf", [prop]):
        kind = option.get("type")
        if kind == "array":
            found |= _value_types(option.get("items", {}))
        elif isinstance(kind, list):
            found |= set(kind)
        elif kind:
            found.add(kind)
    return found - {"null"}


def names_district_records(name: str, prop: dict) -> bool:
    """Whether a parameter holds school ids, user ids, profiles or codes: its name or title
    ends with such a word (``schools``, ``school_id``, ``drop_code``, "Alert users"), and its
    values are ids or text (a yes/no like "Only records without a next school" is not)."""
    if not _value_types(prop) or not _value_types(prop) <= {"integer", "string"}:
        return False
    words = name.lower().split("_")
    if words[-1] in _ID_SUFFIXES and len(words) > 1:
        words = words[:-1]
    title = str(prop.get("title", "")).lower().replace("'", " ").split()
    return words[-1] in _RECORD_WORDS or bool(title and title[-1] in _RECORD_WORDS)


def test_the_rule_finds_record_parameters_and_leaves_others():
    ids = {"type": "array", "items": {"type": "integer"}}
    assert names_district_records("schools", {"title": "Schools", **ids})
    assert names_district_records("school_id", {"anyOf": [{"type": "integer"}, {"type": "null"}]})
    assert names_district_records("notify", {"title": "Alert users", **ids})
    assert names_district_records("alert_profile", {"type": "string"})
    assert names_district_records("drop_code", {"type": "string", "title": "Drop code"})
    assert not names_district_records("school_years", {"title": "School Years", **ids})
    school_year = {"type": ["integer", "null"], "title": "School year"}
    assert not names_district_records("syear", school_year)
    assert not names_district_records(
        "only_blank", {"type": "boolean", "title": "Only records without a next school"}
    )
    assert not names_district_records("max_listed", {"type": "integer", "title": "Codes listed"})


def test_every_parameter_naming_district_records_declares_a_lookup():
    """Schools, users, profiles and codes are picked by name on the screen, never typed as ids."""
    found, missing = [], []
    for entry in catalog():
        for name, prop in entry["params_schema"].get("properties", {}).items():
            if names_district_records(name, prop):
                found.append(f"{entry['key']}.{name}")
                if not prop.get("x-focus-lookup"):
                    missing.append(f"{entry['key']}.{name} ({prop.get('title', name)})")
    assert not missing, "declare json_schema_extra={'x-focus-lookup': ...} on: " + ", ".join(
        missing
    )
    # The rule does see the parameters it is meant for (it would pass vacuously otherwise).
    assert {
        "recalculate_daily_attendance.schools",
        "import_ics_file.school_id",
        "cte_consecutive_absences.users",
        "cte_consecutive_absences.codes",
        "auto_withdraw.drop_code",
        "calculate_adult_fees.schools",
        "automatic_application_of_district_template_fees.schools",
    } <= set(found)


def test_profile_preferences_are_picked_from_the_profiles_lookup():
    """A System Preference that holds a profile is offered from the profiles list, not typed."""
    profile_keys = {k for k in PREFERENCES if k.endswith("_profile")}
    assert profile_keys >= {"mtss_enrollment_alert_profile", "callout_form_review_profile"}
    assert {k for k, p in PREFERENCES.items() if p.lookup == "profiles"} == profile_keys
    assert {p.lookup for p in PREFERENCES.values() if p.lookup} <= set(lookups.names())
