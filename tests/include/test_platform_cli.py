"""focus-jobs prefs, site, seed-defaults and list's retention warning, on SQLite and Postgres."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from include import cli
from include.focus_db.schema import scheduled_jobs
from job_library import registry
from job_library.base import Job, JobResult
from job_library.defaults import DefaultSchedule
from job_library.platform_schema import seeded_defaults, site_profile, system_preferences
from job_library.site import AddOn, SiteKind
from tests.rows import good_row, insert_rows


@pytest.fixture
def db(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> sa.Engine:
    """The CLI pointed at the test database of each backend."""
    monkeypatch.setenv("FOCUS_DB_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("FOCUS_HOME", str(tmp_path))
    return engine


def _rows(engine: sa.Engine, table: sa.Table) -> set[tuple]:
    with engine.connect() as conn:
        return {tuple(r) for r in conn.execute(sa.select(table))}


def _prefs(engine: sa.Engine) -> set[tuple]:
    t = system_preferences
    with engine.connect() as conn:
        return set(conn.execute(sa.select(t.c.key, t.c.school_id, t.c.value)).all())


def test_prefs_set_get_list_and_unset(db, capsys):
    assert cli.main(["prefs", "get", "timezone"]) == 0
    assert capsys.readouterr().out == "America/New_York\n"
    assert cli.main(["prefs", "set", "class_rank_by", "Weighted", "--school", "6"]) == 0
    assert capsys.readouterr().out == "class_rank_by for school 6 = weighted\n"
    assert cli.main(["prefs", "set", "email_unsuccessful_only", "yes", "--user", "ann"]) == 0
    assert cli.main(["prefs", "get", "class_rank_by", "--school", "6"]) == 0
    assert cli.main(["prefs", "get", "class_rank_by", "--school", "7"]) == 0
    assert cli.main(["prefs", "get", "email_unsuccessful_only"]) == 0
    assert capsys.readouterr().out == (
        "email_unsuccessful_only = on\nweighted\n\non\n"  # school 7: not set
    )
    assert cli.main(["prefs"]) == 0
    listing = capsys.readouterr().out
    assert "timezone                         district  America/New_York (default)\n" in listing
    assert "class_rank_by                    school    not set (default)\n" in listing
    assert "                                 school 6  weighted\n" in listing
    assert "email_unsuccessful_only          district  on\n" in listing
    assert cli.main(["prefs", "unset", "class_rank_by", "--school", "6"]) == 0
    assert capsys.readouterr().out == "class_rank_by: unset\n"
    assert _prefs(db) == {("email_unsuccessful_only", 0, "true")}
    with db.connect() as conn:
        by = conn.execute(sa.select(system_preferences.c.updated_by)).scalar_one()
    assert by == "ann"


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["prefs", "set", "timezone", "Mars/Base"], "'Mars/Base' is not an IANA time zone"),
        (["prefs", "set", "timezone", "UTC", "--school", "3"], "not per school"),
        (["prefs", "set", "flavour", "x"], "no preference 'flavour'"),
        (["prefs", "set", "timezone"], "prefs set timezone needs a VALUE"),
        (["prefs", "get"], "prefs get needs a KEY"),
        (["settings", "email_unsuccessful_only", "maybe"], "'maybe' is not on or off"),
        (["settings", "nonsense"], "no preference 'nonsense'"),
    ],
)
def test_bad_preference_input_is_named_and_changes_nothing(db, capsys, argv, error):
    assert cli.main(["prefs", "set", "timezone", "America/Denver"]) == 0
    capsys.readouterr()
    assert cli.main(argv) == 1
    assert error in capsys.readouterr().err
    assert _prefs(db) == {("timezone", 0, "America/Denver")}


def test_settings_stays_an_alias_of_the_district_preferences(db, capsys):
    assert cli.main(["settings", "timezone", "America/Chicago"]) == 0
    assert cli.main(["settings", "timezone"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "America/Chicago"
    assert _prefs(db) == {("timezone", 0, "America/Chicago")}


def test_site_is_shown_set_and_changed_by_parts(db, capsys):
    assert cli.main(["site"]) == 0
    assert capsys.readouterr().out.startswith("Site profile: not set (every job class is offered)")
    assert cli.main(["site", "--state", "fl", "--kind", "survey", "--add-ons", "fps,sss"]) == 0
    assert capsys.readouterr().out == (
        "Site profile: state FL, survey site, add-ons: FPS (postsecondary and adult education), "
        "SSS (student support services)\n"
    )
    assert cli.main(["site", "--add", "erp", "--remove", "fps", "--kind", "production"]) == 0
    assert cli.main(["site"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-3:] == [
        "state:   FL",
        "kind:    production",
        "add-ons: SSS (student support services), ERP",
    ]


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["site", "--state", "Florida"], "'Florida' is not a two-letter state code such as FL"),
        (["site", "--add-ons", "fps,radio"], "add-on 'radio' is not one of communication"),
    ],
)
def test_a_bad_site_profile_is_refused_and_the_old_one_kept(db, capsys, argv, error):
    assert cli.main(["site", "--state", "FL", "--add-ons", "sss"]) == 0
    before = _rows(db, site_profile)
    assert cli.main(argv) == 1
    assert error in capsys.readouterr().err
    assert _rows(db, site_profile) == before


class _Queue(Job):
    key = "test_queue"
    title = "Test Queue"
    description = "test"
    module = "Communications"
    needs_add_ons = frozenset({AddOn.COMMUNICATION})
    manual_run_refused_on = frozenset({SiteKind.NON_PRODUCTION})
    installed_by_default = True
    default_schedule = DefaultSchedule(repeat_minutes=15)

    def run(self, context, params):
        return JobResult.message(True, "sent")


@pytest.fixture
def queue_class(monkeypatch: pytest.MonkeyPatch) -> type[Job]:
    """A class installed by default with an add-on, as Communication Queue will be."""
    monkeypatch.setitem(registry._LOCATIONS, "test_queue", "test_queue:TestQueue")
    monkeypatch.setitem(registry.REGISTRY._loaded, "test_queue", _Queue)
    return _Queue


def _jobs(engine: sa.Engine) -> dict[str, tuple]:
    t = scheduled_jobs
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.id, t.c.job_class, t.c.repeat_minutes, t.c.run_hour))
        return {r.id: (r.job_class, r.repeat_minutes, r.run_hour) for r in rows}


def test_seed_defaults_installs_once_never_twice_and_not_again_after_a_delete(
    db, capsys, queue_class
):
    assert cli.main(["site", "--state", "FL", "--add-ons", "sss"]) == 0
    assert cli.main(["seed-defaults"]) == 0
    out = capsys.readouterr().out
    assert "daily_maintenance: created job 'daily-maintenance'" in out
    assert "test_queue: not installed: Test Queue needs the Communication / Call Out add-on" in out
    assert (
        "communication_queue: not installed: Communication Queue needs the Communication / "
        "Call Out add-on" in out
    )
    assert _jobs(db) == {"daily-maintenance": ("daily_maintenance", None, 1)}
    # Bought the add-on: the queue comes now, every 15 minutes; maintenance is not doubled.
    assert cli.main(["site", "--add", "communication"]) == 0
    assert cli.main(["seed-defaults"]) == 0
    out = capsys.readouterr().out
    assert "daily_maintenance: seeded before (job 'daily-maintenance'); left as it is" in out
    assert "test_queue: created job 'test-queue'" in out
    assert "communication_queue: created job 'communication-queue'" in out
    assert _jobs(db) == {
        "daily-maintenance": ("daily_maintenance", None, 1),
        "test-queue": ("test_queue", 15, None),
        "communication-queue": ("communication_queue", 15, None),
    }
    # An administrator deletes the maintenance job: seeding again does not bring it back.
    with db.begin() as conn:
        conn.execute(sa.delete(scheduled_jobs).where(scheduled_jobs.c.id == "daily-maintenance"))
    assert cli.main(["seed-defaults"]) == 0
    assert set(_jobs(db)) == {"test-queue", "communication-queue"}
    assert {r[0] for r in _rows(db, seeded_defaults)} == {
        "daily_maintenance",
        "test_queue",
        "communication_queue",
    }


def test_seed_defaults_counts_an_existing_job_of_the_class(db, capsys):
    insert_rows(db, good_row("nightly-cleanup", job_class="daily_maintenance"))
    assert cli.main(["seed-defaults"]) == 0
    assert "job 'nightly-cleanup' already runs this class; none added" in capsys.readouterr().out
    assert set(_jobs(db)) == {"nightly-cleanup", "communication-queue"}


def test_list_says_when_retention_is_not_enforced(db, capsys):
    insert_rows(db, good_row("fix-addresses"))
    assert cli.main(["list"]) == 0
    assert (
        capsys.readouterr()
        .out.splitlines()[-1]
        .startswith("Retention is not enforced: no active Daily Maintenance job exists")
    )
    insert_rows(db, good_row("maintenance", job_class="daily_maintenance", active=False))
    assert cli.main(["list"]) == 0
    assert "Retention is not enforced" in capsys.readouterr().out  # inactive does not count
    with db.begin() as conn:
        conn.execute(sa.update(scheduled_jobs).values(active=True))
    assert cli.main(["list"]) == 0
    assert "Retention is not enforced" not in capsys.readouterr().out


def test_list_flags_a_class_the_site_may_not_run(db, capsys):
    insert_rows(db, good_row("fl-ids", job_class="florida_test_id_assignment"))
    assert cli.main(["site", "--state", "TX"]) == 0
    capsys.readouterr()
    assert cli.main(["list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("fl-ids"))
    assert line.endswith(
        "(unavailable: Florida Test ID Assignment is for FL districts; this site's state is TX "
        "(focus-jobs site --state))"
    )


def test_the_installed_entry_point_runs_prefs(focus_env):
    exe = Path(sys.executable).parent / "focus-jobs"
    env = dict(os.environ)
    done = subprocess.run(
        [str(exe), "prefs", "set", "rollover_second_school", "on", "--school", "2"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "rollover_second_school for school 2 = on\n"
    bad = subprocess.run(
        [str(exe), "prefs", "set", "rollover_second_school", "perhaps", "--school", "2"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stderr == (
        "error: preference rollover_second_school: 'perhaps' is not on or off (yes/no)\n"
    )
    assert "Traceback" not in bad.stderr


def test_run_job_is_refused_on_the_kinds_of_site_the_class_names(db, queue_class):
    from include.district_config import run_refusal

    assert cli.main(["site", "--add-ons", "communication", "--kind", "production"]) == 0
    with db.connect() as conn:
        assert run_refusal(conn, "test_queue") is None
        assert run_refusal(conn, "no_such_class") is None  # Missing Class runs and reports
    assert cli.main(["site", "--kind", "non-production"]) == 0
    with db.connect() as conn:
        assert run_refusal(conn, "test_queue") == (
            "Test Queue cannot be started with Run Job on a non-production site; it runs on "
            "its schedule, or with focus-jobs run on the server"
        )
        assert run_refusal(conn, "address_corrections") is None


def test_catalog_names_what_each_class_needs(capsys):
    assert cli.main(["catalog"]) == 0
    lines = capsys.readouterr().out.splitlines()
    fefp = next(x for x in lines if x.startswith("remove_fefp_code_from_dismissed_students"))
    assert fefp.endswith("(needs state FL, add-on sss)")
    address = next(x for x in lines if x.startswith("address_corrections"))
    assert "needs" not in address


def test_prefs_list_for_one_school_says_where_each_value_comes_from(db, capsys):
    assert cli.main(["prefs", "set", "rollover_second_school", "on"]) == 0
    assert cli.main(["prefs", "set", "rollover_second_school", "off", "--school", "4"]) == 0
    assert cli.main(["prefs", "set", "class_rank_by", "unweighted", "--school", "5"]) == 0
    capsys.readouterr()
    assert cli.main(["prefs", "list", "--school", "4"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{'timezone':<32} {'America/New_York':<20} (default)",
        f"{'email_unsuccessful_only':<32} {'off':<20} (default)",
        f"{'class_rank_by':<32} {'not set':<20} (default)",
        f"{'rollover_second_school':<32} {'off':<20} (school 4)",
        f"{'mtss_enrollment_alert_profile':<32} {'not set':<20} (default)",
        f"{'basic_skills_check_level':<32} {'off':<20} (default)",
        f"{'basic_skills_tabe_language_or_reading':<32} {'not set':<20} (default)",
        f"{'process_assessments_counts_only':<32} {'off':<20} (default)",
        f"{'authorize_net_settlement_time':<32} {'not set':<20} (default)",
        f"{'communication_not_before':<32} {'not set':<20} (default)",
        f"{'communication_not_after':<32} {'not set':<20} (default)",
        f"{'attendance_mobile_alert_codes':<32} {'not set':<20} (default)",
        f"{'callout_student_form':<32} {'not set':<20} (default)",
        f"{'callout_parent_form':<32} {'not set':<20} (default)",
        f"{'callout_form_review_profile':<32} {'Registrar':<20} (default)",
        f"{'pcard_reminder_days':<32} {'not set':<20} (default)",
        f"{'pcard_administrator_email':<32} {'not set':<20} (default)",
        f"{'medication_administrator_profile':<32} {'not set':<20} (default)",
        f"{'medication_administration_category':<32} {'not set':<20} (default)",
    ]
    assert cli.main(["prefs", "list", "--school", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == f"{'class_rank_by':<32} {'unweighted':<20} (school 5)"
    assert lines[3] == f"{'rollover_second_school':<32} {'on':<20} (district)"
