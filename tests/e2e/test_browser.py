"""The Scheduled Jobs screen in real headless Chromium against a running Airflow."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from include.demo_district import DemoYear
from job_library.schema import job_output
from tests.conftest import IN_CI
from tests.e2e.conftest import Airflow

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(
    os.environ.get(
        "FOCUS_SCREENSHOTS", Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
    )
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        reason = "Debian chromium is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _login(browser, airflow: Airflow, user: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{airflow.url}/focus-jobs/")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(airflow.passwords[user])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/focus-jobs/$"), timeout=30_000)
    page.wait_for_selector("#jobs-table tbody tr")
    return context, page


def _row(page, job_id: str):
    return page.locator(f'#jobs-table tbody tr[data-id="{job_id}"]')


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_admin_creates_edits_runs_views_and_deletes_a_job(browser, airflow: Airflow):
    context, page = _login(browser, airflow, "admin")
    expect_rows = page.locator("#jobs-table tbody tr")
    assert _row(page, "legacy-php-export").get_attribute("class") == "missing"  # red
    # The demo chain: Rollover runs after Set Next School, whose last run is shown.
    nxt = DemoYear(dt.date.today()).syear + 1
    chain = _row(page, f"rollover-{nxt}").locator("td").nth(1).text_content()
    upstream = f"Set Next School for {nxt}-{nxt + 1}"
    assert chain.startswith(f"After {upstream}, not before 10:00 PM"), chain
    assert f"after {upstream}: last run never" in chain
    _shot(page, "01-jobs")

    # Sort: once ascending, twice descending.
    page.get_by_role("columnheader", name="Priority").click()
    page.wait_for_function(
        "document.querySelector('#jobs-table tbody td:nth-child(3)').textContent === '1'"
    )
    page.get_by_role("columnheader", name="Priority").click()
    page.wait_for_function(
        "document.querySelector('#jobs-table tbody td:nth-child(3)').textContent === '900'"
    )
    # Filters: green plus adds one, red minus removes it.
    page.locator("#add-filter").click()
    page.locator("#filters .filter select").select_option("class")
    page.locator("#filters .filter input").fill("maint")
    page.wait_for_function("document.querySelectorAll('#jobs-table tbody tr').length === 1")
    assert _row(page, "daily-maintenance").count() == 1
    page.locator("#filters .filter .minus").click()
    page.wait_for_function("document.querySelectorAll('#jobs-table tbody tr').length >= 4")

    # Import a file of 30 jobs, then page through the list (Prev / Next / page box + Enter).
    jobs = [
        {
            "id": f"bulk-{i:02d}",
            "title": f"Bulk {i:02d}",
            "class": "daily_maintenance",
            "run_time": "05:00",
            "active": False,
        }
        for i in range(30)
    ]
    page.locator("#import-file").set_input_files(
        files=[
            {
                "name": "bulk.yaml",
                "mimeType": "application/yaml",
                "buffer": yaml.safe_dump({"jobs": jobs}).encode(),
            }
        ]
    )
    page.wait_for_function("document.getElementById('message').textContent.includes('30 created')")
    # The message shows before the list reloads: wait for the list, not the message.
    page.wait_for_function("document.getElementById('pages').textContent === '2'")
    page.get_by_role("button", name="Next").click()
    page.wait_for_function("document.getElementById('page').value === '2'")
    assert expect_rows.count() == 35 - 25
    page.locator("#page").fill("1")
    page.locator("#page").press("Enter")
    page.wait_for_function("document.querySelectorAll('#jobs-table tbody tr').length === 25")
    page.get_by_role("button", name="Prev").click()  # already on the first page: stays
    assert page.locator("#page").input_value() == "1"

    # Back leaves the form without saving.
    page.get_by_role("button", name="Create Job").click()
    page.locator("#f-id").fill("never-saved")
    page.locator("#f-title").fill("Never saved")
    page.get_by_role("button", name="Back").click()
    page.locator("#jobs-table").wait_for()
    assert airflow.session.get(f"{airflow.url}/focus-jobs/api/jobs/never-saved").status_code == 404

    # Create: a bad priority is shown beside its field and nothing is saved.
    page.locator("#create-class").select_option("address_corrections")
    page.get_by_role("button", name="Create Job").click()
    page.locator("#f-id").fill("browser-job")
    page.locator("#f-title").fill("Browser Job")
    page.locator("#f-hour").select_option("4")
    page.locator("#f-minute").select_option("45")
    page.locator("#f-ampm").select_option("PM")
    for day in ("mon", "wed", "fri"):
        page.locator(f"input[name=weekday][value={day}]").uncheck()
    page.locator("input[name=weekday][value=tue]").check()
    page.locator("input[name=weekday][value=thu]").check()
    page.locator("#f-priority").fill("high")
    page.locator("#f-emails").fill("ops@district.org")
    page.get_by_role("button", name="Save").click()
    error = page.locator('[data-error-for="priority"]')
    error.wait_for()
    assert "valid integer" in error.text_content()
    assert airflow.session.get(f"{airflow.url}/focus-jobs/api/jobs/browser-job").status_code == 404
    page.locator("#f-priority").fill("777")
    page.get_by_role("button", name="Preview next 10 runs").click()
    page.wait_for_function("document.querySelectorAll('#preview-list li').length === 10")
    previews = page.locator("#preview-list li").all_text_contents()
    assert all(p.endswith("16:45") for p in previews), previews
    _shot(page, "02-create-job")
    page.get_by_role("button", name="Save").click()
    _row(page, "browser-job").wait_for()
    cells = _row(page, "browser-job").locator("td").all_text_contents()
    assert cells[1:4] == ["4:45 PM", "777", "tue,thu"]

    # The saved job reaches Airflow without a restart.
    airflow.wait_for(
        "browser-job in Airflow",
        lambda: airflow.get("/dags/browser-job").status_code == 200,
        timeout=120,
    )
    dags = context.new_page()
    dags.goto(f"{airflow.url}/dags")
    dags.get_by_text("browser-job").first.wait_for(timeout=60_000)
    _shot(dags, "03-airflow-dag-list")
    dags.close()

    # Edit opens the same form filled in.
    _row(page, "browser-job").get_by_role("button", name="Edit").click()
    # The form is filled after the job is fetched: wait for it (the create form left values).
    page.wait_for_function("document.getElementById('f-id').disabled")
    assert page.locator("#f-title").input_value() == "Browser Job"
    assert page.locator("#f-priority").input_value() == "777"
    assert page.locator("#f-id").is_disabled()
    page.locator("#f-priority").fill("800")
    page.get_by_role("button", name="Save").click()
    page.wait_for_function(
        "document.querySelector('#jobs-table tbody tr[data-id=\"browser-job\"] td:nth-child(3)')"
        "?.textContent === '800'"
    )

    # Run now, then its output in Execution History, as HTML and as text.
    _row(page, "browser-job").get_by_role("button", name="Run Job").click()
    page.wait_for_function("document.getElementById('message').textContent.includes('started')")
    run_id = page.locator("#message").text_content().split(": ", 1)[1]
    airflow.wait_for(
        "the browser run to finish",
        lambda: (
            airflow.get(f"/dags/browser-job/dagRuns/{run_id}").json()["state"]
            in ("success", "failed")
        ),
    )
    page.get_by_role("button", name="Execution History").click()
    page.get_by_role("button", name="Search").click()
    history_row = page.locator("#history-table tbody tr", has_text="Browser Job").first
    history_row.wait_for()
    _shot(page, "04-execution-history")
    history_row.get_by_role("link", name="View").click()
    frame = page.frame_locator("#output-html")
    frame.get_by_text("address(es)").first.wait_for()
    assert page.locator("#output-text").is_hidden()
    _shot(page, "05-output-html")
    page.get_by_role("button", name="Show as text").click()
    assert "address(es)" in page.locator("#output-text").text_content()
    _shot(page, "06-output-text")
    page.get_by_role("button", name="Back to list").click()
    page.locator("#history-table").wait_for()

    # Delete asks first.
    page.get_by_role("button", name="Jobs").click()
    _row(page, "browser-job").wait_for()
    page.once("dialog", lambda dialog: dialog.accept())
    _row(page, "browser-job").get_by_title("Delete").click()
    page.wait_for_function(
        "!document.querySelector('#jobs-table tbody tr[data-id=\"browser-job\"]')"
    )
    assert airflow.session.get(f"{airflow.url}/focus-jobs/api/jobs/browser-job").status_code == 404
    assert expect_rows.count() >= 4
    context.close()


def test_viewer_sees_jobs_and_history_without_edit_controls(browser, airflow: Airflow):
    context, page = _login(browser, airflow, "viewer")
    assert "(view only)" in page.locator("#who").text_content()
    assert page.get_by_role("button", name="Create Job").is_hidden()
    assert page.locator("#import-file").is_hidden()
    assert page.get_by_role("button", name="Edit").count() == 0
    assert page.get_by_role("button", name="Run Job").count() == 0
    assert page.get_by_title("Delete").count() == 0
    _shot(page, "07-viewer-jobs")
    page.get_by_role("button", name="Execution History").click()
    page.locator("#history-table").wait_for()
    context.close()


def test_hostile_output_never_executes(browser, airflow: Airflow):
    engine = sa.create_engine(airflow.focus_db)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(job_output).values(
                job_id="address-corrections",
                run_id="hostile",
                started_at=now,
                finished_at=now,
                success=True,
                summary="hostile",
                text_output="<script>alert(1)</script>",
                html_output="<p id='ok'>Visible</p><script>parent.document.title='pwned'</script>"
                "<img src=x onerror=\"parent.document.title='pwned'\">",
            )
        )
    engine.dispose()
    context, page = _login(browser, airflow, "admin")
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{airflow.url}/focus-jobs/output/address-corrections/hostile")
    page.frame_locator("#output-html").get_by_text("Visible").wait_for()
    page.wait_for_timeout(1000)
    assert page.title() == "Scheduled Jobs" and dialogs == []
    page.get_by_role("button", name="Show as text").click()
    assert page.locator("#output-text").text_content() == "<script>alert(1)</script>"
    assert dialogs == []
    context.close()


def test_output_view_is_offered_on_airflow_run_and_task_pages(browser, airflow: Airflow):
    plugins = airflow.get("/plugins").json()["plugins"]
    views = [v for p in plugins if p["name"] == "focus_jobs" for v in p["external_views"]]
    destinations = {v["destination"]: v["href"] for v in views}
    assert destinations["nav"] == "/focus-jobs/"
    assert (
        destinations["dag_run"]
        == destinations["task_instance"]
        == "/focus-jobs/output/{DAG_ID}/{RUN_ID}"
    )
    run = airflow.run_to_completion("address-corrections")
    context, page = _login(browser, airflow, "admin")
    page.goto(f"{airflow.url}/focus-jobs/output/address-corrections/{run['dag_run_id']}")
    page.frame_locator("#output-html").get_by_text("address(es)").first.wait_for()
    assert page.locator("#back-to-list").is_hidden()
    context.close()


def test_an_import_template_is_saved_as_a_job_of_kind_import(browser, airflow: Airflow):
    context, page = _login(browser, airflow, "admin")
    page.locator("#create-class").select_option("scheduled_import")
    page.get_by_role("button", name="Create Job").click()
    page.locator("#f-id").fill("hr-import")
    page.locator("#f-title").fill("HR import")
    page.locator('[data-param="connection"]').fill("district_sftp")
    page.locator('[data-param="directory"]').fill("/imports/hr")
    page.locator('[data-param="file_pattern"]').fill("hr_*.csv")
    # The target table is chosen from the Focus tables; mapping and keys are JSON.
    page.locator('[data-param="target_table"]').select_option("employees")
    mapping = page.locator('[data-param="column_mapping"]')
    mapping.fill('{"Employee ID": "ein", "Last": "last_name"}')
    page.locator('[data-param="key_columns"]').fill('["last_name"]')
    page.get_by_role("button", name="Save").click()
    error = page.locator('[data-error-for="params.key_columns"]')
    error.wait_for()
    assert "last_name do not identify a row of employees" in error.text_content()
    assert airflow.session.get(f"{airflow.url}/focus-jobs/api/jobs/hr-import").status_code == 404
    page.locator('[data-param="key_columns"]').fill('["ein"]')
    _shot(page, "08-import-template")
    page.get_by_role("button", name="Save").click()
    page.locator("#jobs-table").wait_for()
    page.locator("#add-filter").click()  # the list has more than a page of jobs by now
    page.locator("#filters .filter select").select_option("class")
    page.locator("#filters .filter input").fill("scheduled_import")
    _row(page, "hr-import").wait_for()
    assert _row(page, "hr-import").locator("td").all_text_contents()[7] == "import"
    saved = airflow.session.get(f"{airflow.url}/focus-jobs/api/jobs/hr-import").json()["job"]
    assert saved["kind"] == "import"
    assert saved["params"]["column_mapping"] == {"Employee ID": "ein", "Last": "last_name"}
    assert saved["params"]["key_columns"] == ["ein"]
    # Edit shows the template as it was saved.
    _row(page, "hr-import").get_by_role("button", name="Edit").click()
    page.wait_for_function("document.getElementById('f-id').disabled")
    assert page.locator('[data-param="key_columns"]').input_value() == '["ein"]'
    assert page.locator('[data-param="target_table"]').input_value() == "employees"
    context.close()


def test_preferences_tab_is_edited_by_an_admin_and_read_by_a_viewer(browser, airflow: Airflow):
    context, page = _login(browser, airflow, "admin")
    assert page.locator("#site").text_content().startswith("Site profile not set")
    page.get_by_role("button", name="System Preferences").click()
    row = page.locator('#prefs-table tbody tr[data-key="email_unsuccessful_only"]')
    row.wait_for()
    row.get_by_label("E-mail unsuccessful runs only value").select_option("on")
    row.get_by_role("button", name="Set").click()
    page.wait_for_function(
        "document.getElementById('message').textContent === 'E-mail unsuccessful runs only set.'"
    )
    assert row.locator(".pref-district").text_content() == "on"
    school = page.locator('#prefs-table tbody tr[data-key="class_rank_by"]')
    school.get_by_label("Class rank by school").fill("six")
    school.get_by_role("button", name="Set").click()
    assert "school 'six' is not a school id" in page.locator("#message").text_content()
    _shot(page, "09-system-preferences")
    context.close()
    context, page = _login(browser, airflow, "viewer")
    page.get_by_role("button", name="System Preferences").click()
    page.locator('#prefs-table tbody tr[data-key="timezone"]').wait_for()
    assert page.get_by_role("button", name="Set").count() == 0
    assert "only an administrator" in page.locator("#prefs-note").text_content()
    context.close()
    engine = sa.create_engine(airflow.focus_db)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM system_preferences"))
    engine.dispose()


def test_a_class_the_site_may_not_run_is_disabled_and_cannot_be_run(browser, airflow: Airflow):
    from job_library.site import SiteProfile, write_site_profile
    from tests.rows import good_row, insert_rows

    engine = sa.create_engine(airflow.focus_db)
    with engine.begin() as conn:
        write_site_profile(conn, SiteProfile(state="GA"), user="test")
    # Titled to sort first: the list shows 25 jobs a page.
    insert_rows(
        engine,
        good_row("fl-ids", title="AAA Florida ids", job_class="florida_test_id_assignment"),
    )
    try:
        context, page = _login(browser, airflow, "admin")
        assert page.locator("#site").text_content() == ("Site: GA · production · add-ons: none")
        option = page.locator('#create-class option[value="florida_test_id_assignment"]')
        assert option.is_disabled()
        assert "(not available: Florida Test ID Assignment is for FL districts" in (
            option.text_content()
        )
        assert not page.locator('#create-class option[value="address_corrections"]').is_disabled()
        row = _row(page, "fl-ids")
        assert "missing" in row.get_attribute("class")
        assert row.get_by_role("button", name="Run Job").count() == 0
        assert row.get_by_role("button", name="Edit").count() == 1
        assert "Unavailable: Florida Test ID Assignment" in row.text_content()
        _shot(page, "10-unavailable-class")
        context.close()
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM scheduled_jobs WHERE id = 'fl-ids'"))
            conn.execute(sa.text("DELETE FROM site_profile"))
        engine.dispose()
