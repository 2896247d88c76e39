"""The Jobs screen's routes for the district's configuration: site profile and System Preferences.

Reading needs the same access as the Jobs tab (role viewer and above); changing a preference
needs an administrator (SimpleAuthManager role admin; FAB: the right to edit users, Admin).
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import APIRouter, Body, Depends, HTTPException, Query
from fastapi.responses import JSONResponse

from include.api_guards import JsonBody, SameOrigin
from include.config import settings
from include.focus_db.engine import get_engine
from job_library.preferences import PreferenceError, Preferences
from job_library.site import read_site_profile

router = APIRouter()
CanRead = Depends(requires_access_dag("GET"))


def _engine() -> sa.Engine:
    return get_engine(settings().db_url)


def is_admin(user: Any) -> bool:
    """Whether ``user`` administers the site (may change System Preferences)."""
    from airflow.api_fastapi.auth.managers.simple.simple_auth_manager import SimpleAuthManager

    manager = get_auth_manager()
    if isinstance(manager, SimpleAuthManager):
        return str(getattr(user, "role", "") or "").upper() == "ADMIN"
    # FAB (and managers like it): only Admin may edit users.
    return manager.is_authorized_custom_view(method="PUT", resource_name="Users", user=user)


@router.get("/api/site", dependencies=[CanRead])
def site() -> dict[str, Any]:
    """The site profile, read-only (``focus-jobs site`` changes it); ``set``: whether it is."""
    with _engine().connect() as conn:
        profile = read_site_profile(conn)
    if profile is None:
        return {"set": False, "state": None, "kind": None, "add_ons": [], "add_on_titles": []}
    return {"set": True, **profile.to_json()}


@router.get("/api/prefs", dependencies=[CanRead])
def preferences(user: GetUserDep) -> dict[str, Any]:
    """Every System Preference with its district and school values; ``can_edit`` for admins."""
    with _engine().connect() as conn:
        entries = Preferences(conn).listing()
    return {"preferences": entries, "can_edit": is_admin(user)}


def _admin_only(user: Any) -> None:
    if not is_admin(user):
        raise HTTPException(403, "only an administrator may change System Preferences")


@router.put("/api/prefs/{key}", dependencies=[CanRead, SameOrigin, JsonBody])
def set_preference(
    key: str,
    user: GetUserDep,
    body: Annotated[dict[str, Any], Body(examples=[{"value": "on", "school_id": None}])],
) -> JSONResponse:
    """Check the value through the preference's type and store it (422 naming the problem)."""
    _admin_only(user)
    value, school_id = body.get("value"), body.get("school_id")
    bad_school = school_id is not None and (
        isinstance(school_id, bool) or not isinstance(school_id, int)
    )
    if not isinstance(value, str) or bad_school:
        return JSONResponse(
            status_code=422,
            content={
                "errors": [
                    {
                        "text": f"preference {key}: send a text value and an optional "
                        "whole-number school_id"
                    }
                ]
            },
        )
    try:
        with _engine().begin() as conn:
            prefs = Preferences(conn)
            prefs.set(key, value, school_id=school_id, user=user.get_name())
            stored = prefs.raw(key, school_id)
    except PreferenceError as exc:
        return JSONResponse(status_code=422, content={"errors": [{"text": str(exc)}]})
    return JSONResponse({"key": key, "school_id": school_id, "value": stored})


@router.delete("/api/prefs/{key}", dependencies=[CanRead, SameOrigin])
def unset_preference(
    key: str, user: GetUserDep, school_id: Annotated[int | None, Query()] = None
) -> JSONResponse:
    """Remove a value (a school then follows the district, the district the default)."""
    _admin_only(user)
    try:
        with _engine().begin() as conn:
            removed = Preferences(conn).unset(key, school_id=school_id)
    except PreferenceError as exc:
        return JSONResponse(status_code=422, content={"errors": [{"text": str(exc)}]})
    return JSONResponse({"key": key, "school_id": school_id, "removed": removed})
