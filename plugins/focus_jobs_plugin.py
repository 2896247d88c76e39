"""The Scheduled Jobs screen in Airflow's api-server (timetable: focus_timetable_plugin.py)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from include.deferred_app import DeferredApp

# Imported on the first request: every component loads this module with the plugins folder.
jobs_api = DeferredApp("include.jobs_api:app")


class FocusJobsPlugin(AirflowPlugin):
    name = "focus_jobs"
    fastapi_apps = [{"app": jobs_api, "url_prefix": "/focus-jobs", "name": "Focus Scheduled Jobs"}]
    external_views = [
        {
            "name": "Scheduled Jobs",
            "href": "/focus-jobs/",
            "destination": "nav",
            "url_route": "scheduled-jobs",
        },
        {
            "name": "Job output",
            "href": "/focus-jobs/output/{DAG_ID}/{RUN_ID}",
            "destination": "dag_run",
            "url_route": "job-output",
        },
        {
            "name": "Job output",
            "href": "/focus-jobs/output/{DAG_ID}/{RUN_ID}",
            "destination": "task_instance",
            "url_route": "task-job-output",
        },
    ]
