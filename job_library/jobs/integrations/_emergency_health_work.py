"""Emergency Services Health Check's work: read InformaCast's scenarios, judge each school."""

from __future__ import annotations

import html
from typing import Any

import sqlalchemy as sa

from job_library.base import JobContext, JobResult
from job_library.http_client import ApiClient, ApiError
from job_library.jobs.integrations.emergency_health_check import EmergencyHealthCheckParams
from job_library.output import html_table
from job_library.schemas.district import schools
from job_library.schemas.integrations import emergency_services_schools

SCENARIOS = "scenarios"
PAGE = 100


def scenarios(client: ApiClient) -> dict[str, dict[str, Any]]:
    """Every scenario of the InformaCast account by id, following the ``next`` page token."""
    found: dict[str, dict[str, Any]] = {}
    params: dict[str, Any] = {"limit": PAGE}
    while True:
        body = client.json("GET", SCENARIOS, params=params)
        for scenario in body.get("data", []):
            found[str(scenario["id"])] = scenario
        if not body.get("next"):
            return found
        params = {"limit": PAGE, "start": body["next"]}


def check(context: JobContext, params: EmergencyHealthCheckParams, conn_id: str) -> JobResult:
    conn = context.connection
    s, e = schools, emergency_services_schools
    query = (
        sa.select(s.c.school_id, s.c.title, e.c.lockdown_scenario_id, e.c.assistance_scenario_id)
        .select_from(s.outerjoin(e, e.c.school_id == s.c.school_id))
        .order_by(s.c.school_id)
    )
    if params.schools:
        query = query.where(s.c.school_id.in_(params.schools))
    rows = conn.execute(query).all()
    missing = sorted(set(params.schools) - {r[0] for r in rows})
    if missing:
        return JobResult.message(
            False, f"school(s) {', '.join(map(str, missing))}: no such school; nothing was checked"
        )
    if context.http is None:
        raise RuntimeError("this runner gives jobs no web-API endpoints (JobContext.http)")
    try:
        with ApiClient(context.http(conn_id), auth="bearer") as client:
            known = scenarios(client)
    except ApiError as exc:
        reason = (
            "InformaCast refused the access token: renew it in InformaCast and in the "
            f"{conn_id} connection"
            if exc.status in (401, 403)
            else f"InformaCast could not be reached: {exc}"
        )
        summary = f"No school's lockdown or request assistance would work: {reason}."
        cap = params.max_listed
        lines = [summary] + [f"  NOT READY: {title}: {reason}" for _, title, _, _ in rows[:cap]]
        lines += _more(cap, len(rows))
        return JobResult(
            False,
            summary,
            "\n".join(lines),
            f"<p>{html.escape(summary)}</p>",
            {"schools": len(rows), "ready": 0, "not_ready": len(rows)},
        )
    verdicts: list[tuple[str, str, str]] = []
    for _, title, lockdown, assistance in rows:
        problems = [
            problem
            for what, scenario in (("lockdown", lockdown), ("request assistance", assistance))
            if (problem := _problem(what, scenario, known))
        ]
        verdicts.append(
            (title, "not ready" if problems else "ready", "; ".join(problems) or "both would work")
        )
    bad = [v for v in verdicts if v[1] != "ready"]
    summary = (
        f"InformaCast: {len(verdicts) - len(bad)} of {len(verdicts)} school(s) ready for "
        "lockdown and request assistance" + (f"; {len(bad)} not ready." if bad else ".")
    )
    cap = params.max_listed
    ordered = bad + [v for v in verdicts if v[1] == "ready"]  # what needs a fix comes first
    lines = [summary] + [
        f"  {'NOT READY' if state != 'ready' else 'ready'}: {title}: {why}"
        for title, state, why in ordered[:cap]
    ]
    lines += _more(cap, len(ordered))
    return JobResult(
        success=not bad,
        summary=summary,
        text="\n".join(lines),
        html=f"<p>{html.escape(summary)}</p>"
        + html_table(("School", "State", "Details"), ordered[:cap]),
        counts={"schools": len(verdicts), "ready": len(verdicts) - len(bad), "not_ready": len(bad)},
    )


def _problem(what: str, scenario: str | None, known: dict[str, dict[str, Any]]) -> str | None:
    if not scenario:
        return f"no InformaCast scenario is chosen for {what}"
    if scenario not in known:
        return f"the {what} scenario {scenario} is not in InformaCast (deleted or renamed?)"
    return None


def _more(cap: int, total: int) -> list[str]:
    return [f"  ... and {total - cap} more (listing capped at {cap})."] if total > cap else []
