"""Airflow's run history behind its REST API v2, as the Daily Maintenance job prunes it."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
from pathlib import Path
from urllib.parse import quote

import requests

API_CONN_ID = "focus_airflow_api"
_PAGE = 100

log = logging.getLogger(__name__)


class AirflowRunHistory:
    """Deletes finished DAG runs through ``DELETE /api/v2/dags/{dag_id}/dagRuns/{run_id}``.

    Airflow deletes a run's task instances and XComs with it and refuses a run that is
    not finished; the run's log folder is removed here.

    :param base_url: the api-server, e.g. ``http://127.0.0.1:8080``.
    :param username: an Airflow user allowed to delete DAG runs (role ``user`` or above).
    :param password: its password.
    :param log_folder: Airflow's ``[logging] base_log_folder``, or None to leave logs alone.
    """

    def __init__(
        self, base_url: str, username: str, password: str, log_folder: Path | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.log_folder = log_folder
        self._session: requests.Session | None = None

    @classmethod
    def from_connection(cls, conn_id: str = API_CONN_ID) -> AirflowRunHistory:
        """Built from an Airflow connection (host, port, login, password; schema http/https)."""
        from airflow.configuration import conf
        from airflow.sdk import BaseHook

        c = BaseHook.get_connection(conn_id)
        scheme = c.schema or "http"
        host = c.host or "127.0.0.1"
        if "://" not in host:
            host = f"{scheme}://{host}"
        url = f"{host}:{c.port}" if c.port else host
        folder = conf.get("logging", "base_log_folder", fallback=None)
        return cls(url, c.login or "", c.password or "", Path(folder) if folder else None)

    def _api(self) -> requests.Session:
        if self._session is None:
            response = requests.post(
                f"{self.base_url}/auth/token",
                json={"username": self.username, "password": self.password},
                timeout=30,
            )
            if response.status_code not in (200, 201):
                raise RuntimeError(
                    f"Airflow API at {self.base_url} refused user {self.username!r}: "
                    f"{response.status_code} {response.text[:200]}"
                )
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
            self._session = session
        return self._session

    def _finished_runs(self, job_id: str, before: dt.datetime) -> list[str]:
        run_ids: list[str] = []
        while True:
            response = self._api().get(
                f"{self.base_url}/api/v2/dags/{quote(job_id, safe='')}/dagRuns",
                params={
                    "end_date_lt": before.astimezone(dt.UTC).isoformat(),
                    "state": ["success", "failed"],
                    "order_by": "end_date",
                    "limit": _PAGE,
                    "offset": len(run_ids),
                },
                timeout=60,
            )
            if response.status_code == 404:  # no such DAG: nothing to prune
                return run_ids
            response.raise_for_status()
            page = [r["dag_run_id"] for r in response.json()["dag_runs"]]
            run_ids += page
            if len(page) < _PAGE:
                return run_ids

    def delete_finished_runs(self, job_id: str, before: dt.datetime) -> int:
        removed = 0
        for run_id in self._finished_runs(job_id, before):
            response = self._api().delete(
                f"{self.base_url}/api/v2/dags/{quote(job_id, safe='')}/dagRuns/"
                f"{quote(run_id, safe='')}",
                timeout=60,
            )
            if response.status_code == 409:  # it started again meanwhile: keep it
                continue
            if response.status_code != 404:
                response.raise_for_status()
                removed += 1
            self._remove_logs(job_id, run_id)
        return removed

    def running_jobs(self) -> list[str]:
        """The dag ids (job ids) with a queued or running DAG run, across every DAG."""
        jobs: set[str] = set()
        offset = 0
        while True:
            response = self._api().get(
                f"{self.base_url}/api/v2/dags/~/dagRuns",
                params={"state": ["queued", "running"], "limit": _PAGE, "offset": offset},
                timeout=60,
            )
            response.raise_for_status()
            page = response.json()["dag_runs"]
            jobs.update(r["dag_id"] for r in page)
            offset += len(page)
            if len(page) < _PAGE:
                return sorted(jobs)

    def _remove_logs(self, job_id: str, run_id: str) -> None:
        if self.log_folder is None:
            return
        base = self.log_folder.resolve()
        folder = (base / f"dag_id={job_id}" / f"run_id={run_id}").resolve()
        # Run ids come from the API; never follow one outside the log folder.
        if folder.parent.parent != base or not folder.is_dir():
            return
        shutil.rmtree(folder, ignore_errors=True)
