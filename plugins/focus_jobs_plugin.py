"""Registers the Focus job timetable with Airflow's scheduler, dag-processor and api-server."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from include.timetable import FocusJobTimetable


class FocusJobsPlugin(AirflowPlugin):
    name = "focus_jobs"
    timetables = [FocusJobTimetable]
