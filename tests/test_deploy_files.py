"""The deployment files name the same image, profile and settings as the code."""

from __future__ import annotations

from pathlib import Path

import yaml

from include.cluster import FAB_AUTH_MANAGER

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


class _Loader(yaml.SafeLoader):
    """Reads Compose's !override / !reset tags as plain values."""


_Loader.add_multi_constructor("!", lambda loader, tag, node: loader.construct_sequence(node))


def test_helm_values_run_the_production_profile_on_our_image():
    values = yaml.safe_load((DEPLOY / "helm-values.yaml").read_text())
    assert values["executor"] == "CeleryExecutor"
    assert values["config"]["core"]["auth_manager"] == FAB_AUTH_MANAGER
    assert values["images"]["airflow"]["repository"].endswith("/focus-jobs")
    assert values["dags"]["gitSync"]["enabled"] is False  # the DAG file is in the image
    init = values["scheduler"]["extraInitContainers"][0]["command"][-1]
    assert "focus-jobs migrate" in init and "airflow_settings.yaml" in init


def test_compose_override_gives_every_service_the_focus_image_and_database():
    compose = yaml.load((DEPLOY / "docker-compose.override.yaml").read_text(), Loader=_Loader)
    services = compose["services"]
    for name in ("airflow-apiserver", "airflow-scheduler", "airflow-worker", "airflow-init"):
        assert services[name]["image"] == "focus-jobs:1"
        assert "FOCUS_DB_URL" in services[name]["environment"]
    assert "focus-jobs migrate" in services["airflow-init"]["command"][-1]


def test_dockerfile_installs_the_project_and_places_the_dag_file_and_plugin():
    text = (DEPLOY / "Dockerfile").read_text()
    assert text.startswith("# ") and "FROM apache/airflow:3.3.2-python3.11" in text
    assert "pip install --no-cache-dir -r /opt/focus/requirements.txt" in text
    assert "/opt/airflow/dags/focus_jobs.py" in text
    assert "/opt/airflow/plugins/focus_jobs_plugin.py" in text
    assert "/opt/airflow/plugins/focus_timetable_plugin.py" in text
