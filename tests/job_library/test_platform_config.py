"""System Preferences, the site profile and Student Fields, as jobs and the glue use them."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import default_title
from job_library.platform_schema import custom_field_log, system_preferences
from job_library.preferences import PreferenceError, Preferences
from job_library.registry import REGISTRY
from job_library.site import (
    AddOn,
    SiteKind,
    SiteProfile,
    manual_run_refusal,
    read_site_profile,
    unavailable_reason,
    write_site_profile,
)
from job_library.student_fields import (
    FieldType,
    RecordTable,
    StudentField,
    StudentFieldError,
    StudentFields,
    define_field,
)

AT = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


def _context(conn: sa.Connection) -> JobContext:
    return JobContext(conn, lambda: AT, logging.getLogger("t"), Path("."), "nightly", "Nightly")


def _stored(engine) -> set[tuple]:
    t = system_preferences
    with engine.connect() as conn:
        return set(conn.execute(sa.select(t.c.key, t.c.school_id, t.c.value)).all())


# --- System Preferences ----------------------------------------------------------------------


def test_a_preference_is_read_as_its_type_with_its_default(engine):
    with engine.begin() as conn:
        prefs = _context(conn).prefs
        assert prefs.get("timezone") == "America/New_York"  # the default, nothing stored
        assert prefs.get("email_unsuccessful_only") is False
        assert prefs.get("class_rank_by", school_id=3) is None
        assert prefs.set("email_unsuccessful_only", " Yes ") is True
        assert prefs.set("timezone", "America/Chicago") == "America/Chicago"
        assert prefs.set("class_rank_by", "Unweighted", school_id=3) == "unweighted"
    assert _stored(engine) == {
        ("email_unsuccessful_only", 0, "true"),
        ("timezone", 0, "America/Chicago"),
        ("class_rank_by", 3, "unweighted"),
    }
    with engine.connect() as conn:
        assert Preferences(conn).get("email_unsuccessful_only") is True


def test_a_school_uses_its_own_value_else_the_districts_else_the_default(engine):
    with engine.begin() as conn:
        prefs = Preferences(conn)
        prefs.set("rollover_second_school", "on", school_id=2)
        assert prefs.get("rollover_second_school", school_id=2) is True
        assert prefs.get("rollover_second_school", school_id=5) is False  # the default
        prefs.set("rollover_second_school", "on")  # the district's value
        prefs.set("rollover_second_school", "off", school_id=7)
        assert prefs.get("rollover_second_school", school_id=5) is True
        assert prefs.get("rollover_second_school", school_id=7) is False
        assert prefs.by_school("rollover_second_school") == {2: True, 7: False}
        assert prefs.unset("rollover_second_school", school_id=7) is True
        assert prefs.unset("rollover_second_school", school_id=7) is False
        assert prefs.get("rollover_second_school", school_id=7) is True


@pytest.mark.parametrize(
    ("key", "value", "school", "message"),
    [
        ("timezone", "Mars/Olympus", None, "'Mars/Olympus' is not an IANA time zone"),
        ("timezone", "", None, "a time zone is required"),
        ("email_unsuccessful_only", "maybe", None, "'maybe' is not on or off"),
        ("class_rank_by", "percentile", 2, "'percentile' is not one of weighted, unweighted"),
        ("timezone", "America/Chicago", 4, "is set for the district, not per school"),
        ("rollover_second_school", "on", -1, "school -1 is not a school id"),
        ("mtss_enrollment_alert_profile", "  ", None, "the value is empty"),
        ("authorize_net_settlement_time", "4:30 pm", None, "'4:30 pm' is not a time of day"),
        ("authorize_net_settlement_time", "24:00", None, "is not a time of day HH:MM"),
        (
            "no_such_thing",
            "1",
            None,
            "no preference 'no_such_thing'; known: attendance_mobile_alert_codes, "
            "authorize_net_settlement_time, basic_skills_check_level",
        ),
    ],
)
def test_a_bad_value_is_refused_naming_it_and_nothing_is_stored(
    engine, key, value, school, message
):
    with engine.begin() as conn:
        Preferences(conn).set("timezone", "America/Denver")
    with pytest.raises(PreferenceError, match=message), engine.begin() as conn:
        Preferences(conn).set(key, value, school_id=school)
    assert _stored(engine) == {("timezone", 0, "America/Denver")}


def test_a_bad_stored_value_names_where_it_is_and_how_to_fix_it(engine):
    with engine.begin() as conn:
        conn.execute(
            sa.insert(system_preferences).values(
                key="class_rank_by", school_id=4, value="median", updated_at=AT, updated_by="x"
            )
        )
    with engine.connect() as conn, pytest.raises(PreferenceError) as caught:
        Preferences(conn).get("class_rank_by", school_id=4)
    assert str(caught.value) == (
        "preference class_rank_by: 'median' is not one of weighted, unweighted (stored for "
        "school 4); set it again with focus-jobs prefs set class_rank_by VALUE --school 4"
    )


def test_the_listing_shows_every_preference_with_district_and_school_values(engine):
    with engine.begin() as conn:
        Preferences(conn).set("class_rank_by", "weighted", school_id=6)
        listing = {e["key"]: e for e in Preferences(conn).listing()}
    assert set(listing) == {
        "timezone",
        "email_unsuccessful_only",
        "class_rank_by",
        "rollover_second_school",
        "mtss_enrollment_alert_profile",
        "basic_skills_check_level",
        "basic_skills_tabe_language_or_reading",
        "process_assessments_counts_only",
        "authorize_net_settlement_time",
        # Communications (#21)
        "communication_not_before",
        "communication_not_after",
        "attendance_mobile_alert_codes",
        "callout_student_form",
        "callout_parent_form",
        "callout_form_review_profile",
        "pcard_reminder_days",
        "pcard_administrator_email",
        "medication_administrator_profile",
        "medication_administration_category",
    }
    assert listing["authorize_net_settlement_time"]["type"] == "time"
    assert listing["class_rank_by"]["schools"] == {"6": "weighted"}
    assert listing["class_rank_by"]["choices"] == ["weighted", "unweighted"]
    assert listing["timezone"]["district"] is None
    assert listing["timezone"]["default"] == "America/New_York"
    assert listing["email_unsuccessful_only"]["default"] == "off"


# --- Site profile ----------------------------------------------------------------------------


def test_site_profile_is_stored_and_read_back(engine):
    with engine.begin() as conn:
        assert read_site_profile(conn) is None  # never set: every class is offered
        write_site_profile(
            conn, SiteProfile(state="fl", kind="survey", add_ons={"sss", "fps"}), user="me"
        )
        write_site_profile(conn, SiteProfile(state="FL", kind="survey", add_ons={"sss"}), user="me")
    with engine.connect() as conn:
        profile = read_site_profile(conn)
    assert profile == SiteProfile(state="FL", kind=SiteKind.SURVEY, add_ons={AddOn.SSS})
    assert profile.describe() == "state FL, survey site, add-ons: SSS (student support services)"


def test_a_bad_state_is_refused():
    with pytest.raises(ValueError, match="'Florida' is not a two-letter state code"):
        SiteProfile(state="Florida")
    with pytest.raises(ValueError, match="Input should be 'production'"):
        SiteProfile(kind="staging")


class _Queue(Job):
    key = "test_queue"
    title = "Test Queue"
    description = "test"
    module = "Communications"
    needs_add_ons = frozenset({AddOn.COMMUNICATION})
    manual_run_refused_on = frozenset({SiteKind.NON_PRODUCTION, SiteKind.SURVEY})

    def run(self, context, params):
        return JobResult.message(True, "ran")


def test_what_a_site_may_run_follows_state_and_add_ons():
    florida = REGISTRY["florida_test_id_assignment"]
    fps = REGISTRY["auto_withdraw"]
    fefp = REGISTRY["remove_fefp_code_from_dismissed_students"]
    everything = SiteProfile(state="FL", add_ons=frozenset(AddOn))
    texas = SiteProfile(state="TX", add_ons={AddOn.SSS})
    for job_class in (florida, fps, fefp, REGISTRY["address_corrections"]):
        assert unavailable_reason(job_class, None) is None
        assert unavailable_reason(job_class, everything) is None
    assert unavailable_reason(florida, texas) == (
        "Florida Test ID Assignment is for FL districts; this site's state is TX "
        "(focus-jobs site --state)"
    )
    assert unavailable_reason(fps, texas) == (
        "AutoWithdraw needs the FPS (postsecondary and adult education) add-on, which this "
        "site has not purchased"
    )
    assert unavailable_reason(fefp, SiteProfile(state="FL")) == (
        "Remove FEFP code from dismissed students needs the SSS (student support services) "
        "add-on, which this site has not purchased"
    )
    assert unavailable_reason(REGISTRY["address_corrections"], texas) is None


def test_manual_runs_refused_only_on_the_kinds_the_class_names():
    production = SiteProfile(kind="production", add_ons={AddOn.COMMUNICATION})
    assert manual_run_refusal(_Queue, production) is None
    assert manual_run_refusal(_Queue, None) is None
    assert manual_run_refusal(_Queue, SiteProfile(kind="non-production")) == (
        "Test Queue cannot be started with Run Job on a non-production site; it runs on its "
        "schedule, or with focus-jobs run on the server"
    )


def test_title_templates_fill_from_parameters_or_fall_back_to_the_title():
    summary = REGISTRY["attendance_summary_calculation"]
    assert default_title(summary, {"syear": 2026}) == "Attendance Summary Calculation for 2026"
    assert default_title(summary, {"syear": None}) == "Attendance Summary Calculation"
    assert default_title(summary) == "Attendance Summary Calculation"
    assert default_title(REGISTRY["address_corrections"], {"x": 1}) == "Address Corrections"


# --- Student Fields --------------------------------------------------------------------------

ARMS = StudentField(
    200000222, "arms_status", "ARMS Status", FieldType.TEXT, RecordTable.STUDENTS, True
)
HOURS = StudentField(57, "total_hours", "Total Hours", FieldType.NUMBER, RecordTable.SCHEDULE)


def _fields(engine) -> None:
    with engine.begin() as conn:
        define_field(conn, ARMS)
        define_field(conn, HOURS)


def _log(engine) -> list[tuple]:
    t = custom_field_log
    with engine.connect() as conn:
        return conn.execute(
            sa.select(t.c.record_id, t.c.old_value, t.c.new_value, t.c.changed_by).order_by(t.c.id)
        ).all()


def test_values_are_written_by_alias_as_a_set_and_a_second_write_changes_nothing(engine):
    _fields(engine)
    with engine.begin() as conn:
        fields = _context(conn).student_fields
        assert fields.write("ARMS_status", {1: "enrolled", 2: "exited", 3: None}) == 2
        assert fields.write("arms_status", {1: "enrolled", 2: "exited", 3: None}) == 0
        assert fields.write("custom_57", {10: "3.50", 11: 12}) == 2
    with engine.connect() as conn:
        fields = StudentFields(conn, changed_by="reader")
        assert fields.read("arms_status") == {1: "enrolled", 2: "exited"}
        assert fields.read("total_hours") == {10: decimal.Decimal("3.5"), 11: decimal.Decimal(12)}
        assert fields.read("total_hours", [11, 99]) == {11: decimal.Decimal(12)}
    # Only the logged field keeps a change log; the job that made it is named.
    assert _log(engine) == [
        (1, None, "enrolled", "job nightly"),
        (2, None, "exited", "job nightly"),
    ]


def test_changes_and_clears_are_logged_with_old_and_new_values(engine):
    _fields(engine)
    with engine.begin() as conn:
        first = StudentFields(conn, changed_by="first", now=lambda: AT)
        first.write("arms_status", {1: "a", 2: "b", 3: "c"})
    later = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        fields = StudentFields(conn, changed_by="job arms", now=lambda: later)
        assert fields.write("arms_status", {1: "a", 2: "B", 3: None, 4: "d"}) == 3
        assert fields.read("arms_status") == {1: "a", 2: "B", 4: "d"}
        changes = fields.changes("arms_status", since=AT)
    assert [(c.record_id, c.old_value, c.new_value, c.changed_by) for c in changes] == [
        (2, "b", "B", "job arms"),
        (3, "c", None, "job arms"),
        (4, None, "d", "job arms"),
    ]
    assert all(c.changed_at.replace(tzinfo=c.changed_at.tzinfo or dt.UTC) == later for c in changes)


def test_values_can_come_from_a_query_in_one_statement(engine):
    _fields(engine)
    source = sa.select(
        sa.literal_column("1").label("record_id"), sa.literal_column("'from sql'").label("value")
    )
    with engine.begin() as conn:
        fields = StudentFields(conn, changed_by="sql")
        assert fields.write_from("arms_status", source) == 1
        assert fields.write_from("arms_status", source) == 0
        assert fields.read("arms_status") == {1: "from sql"}


def test_a_bad_value_or_alias_is_named_and_nothing_is_written(engine):
    _fields(engine)
    with engine.begin() as conn:
        StudentFields(conn, changed_by="t").write("total_hours", {1: 4})
    bad = r"total_hours \(custom_57, number\): 'four' is not a valid number"
    with pytest.raises(StudentFieldError, match=bad), engine.begin() as conn:
        StudentFields(conn, changed_by="t").write("total_hours", {1: 5, 2: "four"})
    unknown = "no student field with alias 'ese_kode'"
    with pytest.raises(StudentFieldError, match=unknown), engine.begin() as conn:
        StudentFields(conn, changed_by="t").read("ese_kode")
    with engine.connect() as conn:
        assert StudentFields(conn, changed_by="t").read("total_hours") == {1: decimal.Decimal(4)}
