"""The Scheduled Jobs screen inside Airflow's UI (the timetable: focus_timetable_plugin.py).

The screen is a React app Airflow's own page loads (``react_apps``, AIP-68), served with its
JSON API by the plugin's FastAPI app at /focus-jobs (contract: docs/screen-api.md). Every
Airflow component loads this module with the plugins folder, so the app is imported on its
first request, not here.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from include.deferred_app import DeferredApp
from include.screen_routes import NAV_ROUTE, OUTPUT_ROUTE

jobs_api = DeferredApp("include.jobs_api:app")

PREFIX = "/focus-jobs"
# Relative: Airflow's page resolves them against its <base href>, so a base path works too.
_BUNDLE = {
    # One bundle for every entry: it sets globalThis["Scheduled Jobs"] and ["Job output"].
    "bundle_url": "focus-jobs/ui/main.js",
    "icon": "focus-jobs/icons/jobs.svg",
    "icon_dark_mode": "focus-jobs/icons/jobs-dark.svg",
}


class FocusJobsPlugin(AirflowPlugin):
    name = "focus_jobs"
    fastapi_apps = [{"app": jobs_api, "url_prefix": PREFIX, "name": "Focus Scheduled Jobs"}]
    react_apps = [
        {
            "name": "Scheduled Jobs",
            "destination": "nav",
            "url_route": NAV_ROUTE,
            "nav_top_level": True,
            **_BUNDLE,
        },
        {
            "name": "Job output",
            "destination": "dag_run",
            "url_route": OUTPUT_ROUTE,
            **_BUNDLE,
        },
        {
            "name": "Job output",
            "destination": "task_instance",
            "url_route": "task-job-output",
            **_BUNDLE,
        },
    ]
