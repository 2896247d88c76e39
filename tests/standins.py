"""Stand-ins for the parts of Airflow's task context the job task reads (run, task instance)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from airflow.utils.types import DagRunType


@dataclass
class RunStandIn:
    """The attributes of Airflow's dag_run that the task reads."""

    run_id: str
    run_type: DagRunType
    logical_date: dt.datetime | None
    conf: dict[str, Any] = field(default_factory=dict)
    triggering_user_name: str | None = None


@dataclass
class TaskInstanceStandIn:
    pushed: dict[str, Any] = field(default_factory=dict)
    try_number: int = 1

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def context(run_type: DagRunType, logical: dt.datetime | None, **run: Any) -> dict[str, Any]:
    return {"dag_run": RunStandIn("run-1", run_type, logical, **run), "ti": TaskInstanceStandIn()}
