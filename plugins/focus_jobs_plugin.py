"""The Focus plugin: the job timetable, and the Scheduled Jobs API inside Airflow's api-server."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from include.jobs_api import app as jobs_api
from include.timetable import FocusJobTimetable


class FocusJobsPlugin(AirflowPlugin):
    name = "focus_jobs"
    timetables = [FocusJobTimetable]
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
