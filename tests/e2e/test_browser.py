"""The Scheduled Jobs screen in real headless Chromium, inside Airflow's own page.

Every test signs in on Airflow's login page and opens the screen from Airflow's navigation
(never the plugin's URL): the screen is a ``react_apps`` bundle rendered by Airflow's UI.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from job_library.schema import job_output
from tests.conftest import IN_CI
from tests.e2e.conftest import Airflow

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
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
SHOTS = Path(os.environ.get("FOCUS_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))
# axe-core from the screen's own Node packages (ui/package-lock.json pins it).
AXE = ROOT / "ui" / "node_modules" / "axe-core" / "axe.min.js"
SCREEN = "[data-testid=focus-jobs-screen]"
# A laptop screen: the table and its controls must fit without wrapping.
VIEWPORT = {"width": 1280, "height": 800}


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        _unavailable("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _login(browser, airflow: Airflow, user: str, *, dark: bool = False):
    """Sign in on Airflow's page, then open Scheduled Jobs from Airflow's navigation."""
    context = browser.new_context(
        viewport=VIEWPORT, color_scheme="dark" if dark else "light", locale="en-US"
    )
    # Airflow's page is a 7 MB script: on a busy CI machine it takes a while to start.
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{airflow.url}/")
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(airflow.passwords[user])
    page.get_by_role("button", name="Sign in").click()
    nav = page.get_by_role("link", name="Scheduled Jobs").first
    try:
        nav.wait_for(timeout=120_000)
    except Exception as exc:
        _shot(page, "login-failure")
        links = page.evaluate("[...document.querySelectorAll('a')].map((a) => a.href).join(' ')")
        raise AssertionError(
            f"no Scheduled Jobs in Airflow's navigation at {page.url}: {links}"
        ) from exc
    nav.click()
    page.wait_for_url(re.compile(r".*/plugin/scheduled-jobs$"))
    page.locator("#jobs-table tbody tr[data-id]").first.wait_for(timeout=120_000)
    return context, page


def _row(page, job_id: str):
    return page.locator(f'#jobs-table tbody tr[data-id="{job_id}"]')


def _cells(page, job_id: str) -> list[str]:
    return [c.strip() for c in _row(page, job_id).locator("td").all_inner_texts()]


def _status(airflow: Airflow, job_id: str) -> int:
    return airflow.session.get(f"{airflow.url}/focus-jobs/api/jobs/{job_id}").status_code


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _axe(page, where: str = SCREEN) -> None:
    """No serious or critical accessibility violation in the screen (axe-core's WCAG rules)."""
    if not AXE.exists():
        _unavailable(f"axe-core is not installed: run `make ui` (looked for {AXE})")
    page.mouse.move(0, 0)  # the resting page: no button under the pointer
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async (where) => {
            // A dialog fades in: colours measured mid-fade are not the ones a user reads.
            await Promise.all(document.getAnimations()
                .filter((a) => a.effect?.getComputedTiming().endTime !== Infinity)
                .map((a) => a.finished.catch(() => null)));
            const result = await axe.run(document.querySelectorAll(where), {
                runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
                resultTypes: ["violations"],
            });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(
                    (n) => [n.target.join(" "), n.html.slice(0, 160), n.failureSummary]),
            }));
        }""",
        where,
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


def _fits(page) -> None:
    """The table's controls do not wrap and the page needs no sideways scroll at 1280 px."""
    wrapped = page.evaluate(
        """() => [...document.querySelectorAll('#jobs-table tbody tr td:last-child')]
            .filter((td) => {
                const buttons = [...td.querySelectorAll('button')];
                const tops = buttons.map((b) => Math.round(b.getBoundingClientRect().top));
                return new Set(tops).size > 1;
            }).length"""
    )
    assert wrapped == 0
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    table = page.locator("#jobs-table").bounding_box()
    assert table is not None and table["x"] + table["width"] <= VIEWPORT["width"]


@pytest.fixture
def schools(airflow: Airflow) -> Iterator[dict[str, int]]:
    """Two schools for the lookups (the e2e Focus database has no district); removed after."""
    from job_library.schemas.district import schools as table

    rows = {"Oak Ridge Elementary": 9101, "Pine Hills Middle": 9102}
    engine = sa.create_engine(airflow.focus_db)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(table),
            [
                {
                    "school_id": school_id,
                    "title": title,
                    "short_name": f"E2E{school_id}",
                    "school_number": str(school_id),
                    "district_number": "99",
                }
                for title, school_id in rows.items()
            ],
        )
    try:
        yield rows
    finally:
        with engine.begin() as conn:
            conn.execute(sa.delete(table).where(table.c.school_id.in_(list(rows.values()))))
        engine.dispose()


def test_admin_lists_filters_creates_edits_deletes_and_runs(browser, airflow: Airflow, schools):
    context, page = _login(browser, airflow, "admin")
    try:
        # The Jobs tab: district zone on every time, next run also relative; the missing
        # class in red, an inactive job marked and without Run Job.
        cells = _cells(page, "address-corrections")
        assert re.fullmatch(r"\d{1,2}:\d\d [AP]M E[SD]T", cells[1]), cells
        assert re.search(r"[AP]M E[SD]T\s+in \d+ (s|min|h|d)$", cells[8]), cells
        assert _row(page, "legacy-php-export").get_attribute("data-flagged") == "true"
        assert _row(page, "legacy-php-export").get_by_text("Missing class").is_visible()
        assert (
            _row(page, "legacy-php-export")
            .get_by_role("button", name=re.compile("^Run Job"))
            .count()
            == 0
        )
        inactive = page.locator("#jobs-table tbody tr[data-inactive=true]").first
        assert inactive.get_by_text("Inactive", exact=True).is_visible()
        assert inactive.get_by_role("button", name=re.compile("^Run Job")).count() == 0
        _fits(page)
        _shot(page, "01-jobs")
        _axe(page)

        # Sort by a header: once ascending, twice descending.
        first_priority = (
            "document.querySelector('#jobs-table tbody tr td:nth-child(3)')?.textContent"
        )
        page.get_by_role("button", name="Priority", exact=True).click()
        page.wait_for_function(f"{first_priority} === '1'")
        page.get_by_role("button", name=re.compile("^Priority")).click()
        page.wait_for_function(f"{first_priority} === '900'")

        # A filter: plus adds it, the gray arrow picks the operator, minus removes it.
        page.get_by_role("button", name="Add filter").click()
        page.get_by_label("Filter 1 column").select_option("priority")
        page.get_by_role("button", name=re.compile("Filter 1 operator")).click()
        page.get_by_role("menuitem", name="at least").click()
        page.get_by_label(re.compile("Filter 1 value")).fill("800")
        page.wait_for_function(
            "document.querySelectorAll('#jobs-table tbody tr[data-id]').length === 1"
        )
        assert _row(page, "daily-maintenance").count() == 1
        page.get_by_role("button", name=re.compile("Filter 1 operator")).click()
        page.get_by_role("menuitem", name="contains").click()
        page.get_by_label("Filter 1 column").select_option("class_title")
        page.get_by_label(re.compile("Filter 1 value")).fill("maint")
        _row(page, "daily-maintenance").wait_for()
        _shot(page, "02-filters")
        page.get_by_role("button", name="Remove filter 1").click()
        page.wait_for_function(
            "document.querySelectorAll('#jobs-table tbody tr[data-id]').length >= 4"
        )

        # Create: class from a searchable list grouped by module, schools from a lookup,
        # a 12-hour time; the preview runs before any id is typed; errors beside fields.
        page.get_by_role("button", name="Create Job").click()
        page.get_by_label("Search job classes").fill("daily attend")
        page.locator("#f-class").select_option("recalculate_daily_attendance")
        page.locator("#f-title").fill("Browser Attendance")
        page.locator("#f-school-days").select_option("no")  # the e2e district has no calendar
        assert page.locator("#f-id").input_value() == "browser-attendance"
        page.get_by_label("Run time hour").select_option("4")
        page.get_by_label("Run time minute").select_option("45")
        page.get_by_label("Run time AM or PM").select_option("PM")
        preview = page.locator("#preview-list li")
        page.wait_for_function(
            "(() => { const runs = [...document.querySelectorAll('#preview-list li')];"
            " return runs.length === 10 && runs.every((li) => li.textContent.includes('4:45 PM'))"
            " })()"
        )
        assert all(re.search(r"4:45 PM E[SD]T$", p) for p in preview.all_inner_texts())
        schools_box = page.locator('[data-field="params.schools"]')
        schools_box.get_by_text("Oak Ridge Elementary").click()
        page.locator("#f-priority").fill("high")
        page.get_by_role("button", name="Save").click()
        error = page.locator('[data-error-for="priority"]')
        error.wait_for()
        assert error.inner_text().strip()
        page.get_by_text(re.compile("The job was not saved")).first.wait_for()
        assert _status(airflow, "browser-attendance") == 404
        page.locator("#f-priority").fill("777")
        page.get_by_role("heading", name="Create Job").scroll_into_view_if_needed()
        _shot(page, "03-create-job")
        _axe(page)
        page.get_by_role("button", name="Save").click()
        _row(page, "browser-attendance").wait_for()
        saved = airflow.session.get(f"{airflow.url}/focus-jobs/api/jobs/browser-attendance").json()
        assert saved["job"]["params"]["schools"] == [schools["Oak Ridge Elementary"]]
        assert saved["job"]["run_time"] == "16:45"
        assert _cells(page, "browser-attendance")[2] == "777"

        # Edit opens the same form filled in, the school still picked by name.
        page.get_by_role("button", name="Edit Browser Attendance").click()
        page.wait_for_function("document.getElementById('f-id')?.disabled")
        assert page.locator("#f-title").input_value() == "Browser Attendance"
        assert page.get_by_label("Run time AM or PM").input_value() == "PM"
        oak = page.locator('[data-field="params.schools"] label', has_text="Oak Ridge Elementary")
        oak.wait_for()
        assert oak.locator("input").is_checked()
        page.locator("#f-priority").fill("800")
        page.get_by_role("button", name="Save").click()
        page.wait_for_function(
            'document.querySelector(\'#jobs-table tbody tr[data-id="browser-attendance"] '
            "td:nth-child(3)')?.textContent === '800'"
        )

        # Delete asks in a dialog of the page (Cancel keeps the job).
        page.get_by_role("button", name="Delete Browser Attendance").click()
        dialog = page.get_by_role("alertdialog")
        dialog.wait_for()
        assert "Browser Attendance" in dialog.inner_text()
        _shot(page, "04-delete-dialog")
        _axe(page, "[role=alertdialog]")
        dialog.get_by_role("button", name="Cancel").click()
        dialog.wait_for(state="hidden")
        assert _row(page, "browser-attendance").count() == 1
        page.get_by_role("button", name="Delete Browser Attendance").click()
        page.get_by_role("alertdialog").get_by_role("button", name="Delete job").click()
        _row(page, "browser-attendance").wait_for(state="detached")
        assert _status(airflow, "browser-attendance") == 404

        # Run Job: a toast links to the new run; the history row appears and turns to
        # success while the page stays open (no reload).
        page.get_by_role("button", name="Run Job Address Corrections").click()
        link = page.get_by_role("link", name="Open the run in Airflow")
        link.wait_for()
        href = link.get_attribute("href")
        assert href and "/dags/address-corrections/runs/" in href
        _shot(page, "05-run-toast")
        page.get_by_role("tab", name="Execution History").click()
        history_row = page.locator("#history-table tbody tr[data-job=address-corrections]").first
        history_row.wait_for(timeout=60_000)
        states = {history_row.get_attribute("data-state")}
        page.wait_for_function(
            "document.querySelector('#history-table tbody tr[data-job=\"address-corrections\"]')"
            "?.dataset.state === 'success'",
            timeout=240_000,
            polling=250,
        )
        states.add("success")
        assert states <= {"queued", "running", "success"}, states
        first = page.locator("#history-table tbody tr[data-job=address-corrections]").first
        assert "admin" in first.inner_text()
        _shot(page, "06-execution-history")
        _axe(page)

        # Its output: as HTML first, as text on the other tab, links to the run and logs.
        first.get_by_role("button", name=re.compile("^View output")).click()
        page.locator("#output-html").get_by_text("address(es)").first.wait_for()
        assert page.get_by_role("tab", name="Show as HTML").get_attribute("aria-selected") == "true"
        assert (
            page.get_by_role("link", name="Task logs")
            .get_attribute("href")
            .endswith("/tasks/run_job")
        )
        _shot(page, "07-output-html")
        page.get_by_role("tab", name="Show as text").click()
        page.locator("#output-text").get_by_text("address(es)").first.wait_for()
        _shot(page, "08-output-text")
        page.get_by_role("button", name="Back to list").click()
        page.locator("#jobs-table, #history-table").first.wait_for()
    finally:
        context.close()


def test_viewer_reads_jobs_and_opens_one_read_only(browser, airflow: Airflow):
    context, page = _login(browser, airflow, "viewer")
    try:
        assert "(view only)" in page.locator("#who").inner_text()
        assert page.get_by_role("button", name="Create Job").count() == 0
        assert page.get_by_role("button", name="Import").count() == 0
        assert page.get_by_role("button", name=re.compile("^Run Job")).count() == 0
        assert page.get_by_role("button", name=re.compile("^Delete")).count() == 0
        _shot(page, "09-viewer-jobs")
        # By keyboard: add a filter, open its operator menu, pick "equals", type the value.
        page.get_by_role("button", name="Add filter").focus()
        page.keyboard.press("Enter")
        page.get_by_role("button", name=re.compile("Filter 1 operator")).focus()
        page.keyboard.press("Enter")
        page.get_by_role("menuitem", name="equals").wait_for()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.get_by_role("button", name="Filter 1 operator: equals").wait_for()
        page.get_by_label(re.compile("Filter 1 value")).focus()
        page.keyboard.type("Address Corrections")
        page.wait_for_function(
            "document.querySelectorAll('#jobs-table tbody tr[data-id]').length === 1"
        )
        page.get_by_role("button", name="View Address Corrections").focus()
        page.keyboard.press("Enter")
        page.get_by_role("heading", name=re.compile("View job: Address Corrections")).wait_for()
        assert page.get_by_role("button", name="Save").count() == 0
        assert page.locator("#f-title").is_disabled()
        assert page.get_by_label("Run time hour").is_disabled()
        _shot(page, "10-viewer-job")
        _axe(page)
        page.get_by_role("button", name="Back").click()
        page.get_by_role("tab", name="Execution History").click()
        page.locator("#history-table").wait_for()
    finally:
        context.close()


def test_dark_mode_is_airflows_and_readable(browser, airflow: Airflow):
    context, page = _login(browser, airflow, "admin", dark=True)
    try:
        assert "dark" in (page.locator("html").get_attribute("class") or "")
        text = page.evaluate(
            "getComputedStyle(document.querySelector('#jobs-table tbody td')).color"
        )
        channels = [int(c) for c in re.findall(r"\d+", text)[:3]]
        assert sum(channels) > 3 * 170, text  # light text on Airflow's dark background
        _shot(page, "11-dark-jobs")
        _axe(page)  # colour contrast is one of its serious rules
        page.get_by_role("button", name="Create Job").click()
        page.locator("#f-class").select_option("address_corrections")
        page.locator("#preview-list li").first.wait_for()
        _shot(page, "12-dark-create-job")
        _axe(page)
    finally:
        context.close()


def test_job_output_tab_on_airflow_run_and_task_pages_never_runs_scripts(browser, airflow: Airflow):
    plugins = airflow.get("/plugins").json()["plugins"]
    apps = [a for p in plugins if p["name"] == "focus_jobs" for a in p["react_apps"]]
    by_destination = {a["destination"]: a for a in apps}
    assert set(by_destination) == {"nav", "dag_run", "task_instance"}
    assert len({a["bundle_url"] for a in apps}) == 1
    assert [v for p in plugins if p["name"] == "focus_jobs" for v in p["external_views"]] == []

    run = airflow.run_to_completion("address-corrections")
    run_id = run["dag_run_id"]
    engine = sa.create_engine(airflow.focus_db)
    hostile = (
        "<p id='ok'>Visible</p><script>parent.document.title='pwned'</script>"
        "<img src=x onerror=\"document.title='pwned'\">"
    )
    with engine.begin() as conn:
        found = conn.execute(
            sa.update(job_output)
            .where(job_output.c.job_id == "address-corrections", job_output.c.run_id == run_id)
            .values(html_output=hostile, text_output="<script>alert(1)</script>")
        ).rowcount
    engine.dispose()
    assert found == 1
    context, page = _login(browser, airflow, "admin")
    try:
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{airflow.url}/dags/address-corrections/runs/{run_id}")
        page.get_by_role("tab", name="Job output").or_(
            page.get_by_role("link", name="Job output")
        ).first.click()
        page.locator("#output-html").get_by_text("Visible").wait_for(timeout=30_000)
        page.wait_for_timeout(1000)
        assert page.title() != "pwned" and dialogs == []
        assert page.get_by_role("button", name="Back to list").count() == 0
        _shot(page, "13-airflow-run-job-output")
        page.get_by_role("tab", name="Show as text").click()
        assert page.locator("#output-text").inner_text() == "<script>alert(1)</script>"
        assert dialogs == [] and page.title() != "pwned"
        # The task instance's page offers the same tab.
        page.goto(f"{airflow.url}/dags/address-corrections/runs/{run_id}/tasks/run_job")
        page.get_by_role("tab", name="Job output").or_(
            page.get_by_role("link", name="Job output")
        ).first.click()
        page.locator("#output-html").get_by_text("Visible").wait_for(timeout=30_000)
    finally:
        context.close()


def test_a_class_the_site_may_not_run_is_flagged_and_cannot_be_run(browser, airflow: Airflow):
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
        assert page.locator("#site").inner_text() == "Site: GA · production · add-ons: none"
        row = _row(page, "fl-ids")
        assert row.get_attribute("data-flagged") == "true"
        assert row.get_by_role("button", name=re.compile("^Run Job")).count() == 0
        assert "Unavailable: Florida Test ID Assignment" in row.inner_text()
        _shot(page, "14-unavailable-class")
        page.get_by_role("button", name="Create Job").click()
        option = page.locator('#f-class option[value="florida_test_id_assignment"]')
        assert option.is_disabled()
        assert "(not available: Florida Test ID Assignment is for FL districts" in (
            option.inner_text()
        )
        assert not page.locator('#f-class option[value="address_corrections"]').is_disabled()
        context.close()
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM scheduled_jobs WHERE id = 'fl-ids'"))
            conn.execute(sa.text("DELETE FROM site_profile"))
        engine.dispose()


def test_preferences_are_set_by_an_admin_and_read_by_a_viewer(browser, airflow: Airflow):
    try:
        context, page = _login(browser, airflow, "admin")
        page.get_by_role("tab", name="System Preferences").click()
        row = page.locator('#prefs-table tbody tr[data-key="email_unsuccessful_only"]')
        row.wait_for()
        row.get_by_label("E-mail unsuccessful runs only value").select_option("on")
        row.get_by_role("button", name="Set E-mail unsuccessful runs only").click()
        page.get_by_text("E-mail unsuccessful runs only set.").first.wait_for()
        page.wait_for_function(
            'document.querySelector(\'#prefs-table tr[data-key="email_unsuccessful_only"] '
            "[data-testid=pref-district]')?.textContent === 'on'"
        )
        _shot(page, "15-system-preferences")
        context.close()
        context, page = _login(browser, airflow, "viewer")
        page.get_by_role("tab", name="System Preferences").click()
        page.locator('#prefs-table tbody tr[data-key="timezone"]').wait_for()
        assert page.get_by_role("button", name=re.compile("^Set ")).count() == 0
        assert "only an administrator" in page.locator("#prefs-note").inner_text()
        context.close()
    finally:
        engine = sa.create_engine(airflow.focus_db)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM system_preferences"))
        engine.dispose()


def test_history_search_by_dates_finds_nothing_before_the_runs(browser, airflow: Airflow):
    context, page = _login(browser, airflow, "admin")
    try:
        page.get_by_role("tab", name="Execution History").click()
        page.locator("#history-table").wait_for()
        page.get_by_label("From", exact=True).fill("2001-01-01")
        page.get_by_label("To", exact=True).fill("2001-01-31")
        page.get_by_role("button", name="Search").click()
        page.get_by_text("No runs in these dates.").wait_for()
        today = dt.date.today()
        page.get_by_label("From", exact=True).fill(f"{today - dt.timedelta(days=1)}")
        page.get_by_label("To", exact=True).fill(f"{today + dt.timedelta(days=1)}")
        page.get_by_role("button", name="Search").click()
        page.locator("#history-table tbody tr[data-job]").first.wait_for(timeout=60_000)
    finally:
        context.close()


def test_import_then_export_the_jobs_file(browser, airflow: Airflow):
    import yaml

    jobs = [
        {
            "id": f"bulk-{i}",
            "title": f"Bulk {i}",
            "class": "daily_maintenance",
            "run_time": "05:00",
            "active": False,
        }
        for i in range(2)
    ]
    context, page = _login(browser, airflow, "admin")
    try:
        page.get_by_test_id("import-file").set_input_files(
            files=[
                {
                    "name": "bulk.yaml",
                    "mimeType": "application/yaml",
                    "buffer": yaml.safe_dump({"jobs": jobs}).encode(),
                }
            ]
        )
        page.get_by_text("2 created, 0 updated.").wait_for()
        _row(page, "bulk-0").wait_for()
        with page.expect_download() as download:
            page.get_by_role("link", name="Export").click()
        exported = yaml.safe_load(Path(download.value.path()).read_text())
        assert {"bulk-0", "bulk-1"} <= {j["id"] for j in exported["jobs"]}
    finally:
        context.close()
        engine = sa.create_engine(airflow.focus_db)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM scheduled_jobs WHERE id IN ('bulk-0', 'bulk-1')"))
        engine.dispose()
