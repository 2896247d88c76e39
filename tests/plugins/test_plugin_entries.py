"""The plugin's UI entries as Airflow reads them: react_apps only, each file they name served."""

from __future__ import annotations

import importlib.util

from airflow.api_fastapi.core_api.datamodels.plugins import ReactAppResponse
from fastapi.testclient import TestClient

from include.config import PROJECT_ROOT


def _plugin():
    spec = importlib.util.spec_from_file_location(
        "focus_jobs_plugin_under_test", PROJECT_ROOT / "plugins" / "focus_jobs_plugin.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FocusJobsPlugin


def test_the_screens_are_react_apps_airflow_accepts():
    plugin = _plugin()
    assert not getattr(plugin, "external_views", [])  # no iframe remains
    apps = [ReactAppResponse.model_validate(app) for app in plugin.react_apps]
    assert [(a.name, a.destination, a.url_route) for a in apps] == [
        ("Scheduled Jobs", "nav", "scheduled-jobs"),
        ("Job output", "dag_run", "job-output"),
        ("Job output", "task_instance", "task-job-output"),
    ]
    assert apps[0].nav_top_level is True
    # The timetable is registered by a plugin of its own (focus_timetable_plugin.py).
    assert not getattr(plugin, "timetables", [])


def test_every_file_the_entries_name_is_served_by_the_plugins_app():
    plugin = _plugin()
    [mounted] = plugin.fastapi_apps
    client = TestClient(mounted["app"])
    prefix = mounted["url_prefix"].strip("/") + "/"
    for app in plugin.react_apps:
        for key in ("bundle_url", "icon", "icon_dark_mode"):
            url = app[key]
            assert url.startswith(prefix), url  # relative to Airflow's <base href>
            answer = client.get("/" + url[len(prefix) :])
            assert answer.status_code == 200, (key, url, answer.text[:200])
    # The committed bundle (ui/ builds it) registers both names the entries use.
    bundle = client.get("/ui/main.js").text
    assert "Scheduled Jobs" in bundle and "Job output" in bundle
