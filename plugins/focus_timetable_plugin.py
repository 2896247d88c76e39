"""The Focus job timetable, registered with every Airflow component; imports nothing else.

The dag-processor and the scheduler load the plugins whenever they serialise or read a DAG
with this timetable: this module keeps that to the timetable itself (the Jobs screen is in
focus_jobs_plugin.py, whose app is imported on its first request).
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from include.timetable import FocusJobTimetable


class FocusTimetablePlugin(AirflowPlugin):
    name = "focus_timetable"
    timetables = [FocusJobTimetable]
