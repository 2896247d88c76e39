"""The site profile (state, kind of site, purchased add-ons) and which classes it allows."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, field_validator

if TYPE_CHECKING:
    from job_library.base import Job


class SiteKind(StrEnum):
    """What a Focus site is used for."""

    PRODUCTION = "production"
    NON_PRODUCTION = "non-production"
    SURVEY = "survey"


class AddOn(StrEnum):
    """Add-on modules a district buys; job classes that need one are offered only with it."""

    COMMUNICATION = "communication"
    DOCUMENT_MANAGEMENT = "document_management"
    MEDICAL = "medical"
    ATTENDANCE_SCANNER = "attendance_scanner"
    FPS = "fps"
    SSS = "sss"
    ERP = "erp"


ADD_ON_TITLES: dict[AddOn, str] = {
    AddOn.COMMUNICATION: "Communication / Call Out",
    AddOn.DOCUMENT_MANAGEMENT: "Document Management",
    AddOn.MEDICAL: "Medical",
    AddOn.ATTENDANCE_SCANNER: "Attendance Scanner",
    AddOn.FPS: "FPS (postsecondary and adult education)",
    AddOn.SSS: "SSS (student support services)",
    AddOn.ERP: "ERP",
}

_STATE = re.compile(r"[A-Z]{2}")


class SiteProfile(BaseModel):
    """Which district and site this is.

    :param state: the two-letter state code (FL), or None when not recorded.
    :param kind: production, non-production or survey.
    :param add_ons: the purchased add-on modules.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    state: str | None = None
    kind: SiteKind = SiteKind.PRODUCTION
    add_ons: frozenset[AddOn] = frozenset()

    @field_validator("state", mode="before")
    @classmethod
    def _state(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not _STATE.fullmatch(value.strip().upper()):
            raise ValueError(f"{value!r} is not a two-letter state code such as FL")
        return value.strip().upper()

    def ordered_add_ons(self) -> list[AddOn]:
        """The add-ons in the order the catalog lists them."""
        return [a for a in AddOn if a in self.add_ons]

    def describe(self) -> str:
        add_ons = ", ".join(ADD_ON_TITLES[a] for a in self.ordered_add_ons()) or "none"
        return f"state {self.state or 'not set'}, {self.kind} site, add-ons: {add_ons}"

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "kind": str(self.kind),
            "add_ons": [str(a) for a in self.ordered_add_ons()],
            "add_on_titles": [ADD_ON_TITLES[a] for a in self.ordered_add_ons()],
        }


# What a DAG-file parse reads of the profile, as a bare table clause: a worker reads it before
# every task, and job_library.platform_schema (with job_library.schema) costs more than the read.
_PROFILE = sa.table(
    "site_profile",
    *(sa.column(name) for name in ("id", "state", "site_kind", "add_ons")),
)


def read_site_profile(conn: sa.Connection) -> SiteProfile | None:
    """The stored profile, or None when it was never set (then every class is offered)."""
    site_profile = _PROFILE
    row = conn.execute(
        sa.select(site_profile.c.state, site_profile.c.site_kind, site_profile.c.add_ons).where(
            site_profile.c.id == 1
        )
    ).one_or_none()
    if row is None:
        return None
    add_ons = [a for a in (row.add_ons or "").split(",") if a]
    return SiteProfile(state=row.state, kind=row.site_kind, add_ons=frozenset(add_ons))


def write_site_profile(conn: sa.Connection, profile: SiteProfile, *, user: str) -> None:
    from job_library.platform_schema import site_profile

    values = {
        "state": profile.state,
        "site_kind": str(profile.kind),
        "add_ons": ",".join(sorted(str(a) for a in profile.add_ons)),
        "updated_at": dt.datetime.now(dt.UTC),
        "updated_by": user,
    }
    if not conn.execute(
        sa.update(site_profile).where(site_profile.c.id == 1).values(**values)
    ).rowcount:
        conn.execute(sa.insert(site_profile).values(id=1, **values))


def unavailable_reason(job_class: type[Job], profile: SiteProfile | None) -> str | None:
    """Why this site may not run ``job_class`` (its state or an add-on it lacks), or None.

    Only the class's title, needs_state and needs_add_ons are read, so the facts a parse
    remembers of a class serve as well as the class itself.
    """
    if profile is None:
        return None
    if job_class.needs_state and profile.state != job_class.needs_state:
        return (
            f"{job_class.title} is for {job_class.needs_state} districts; this site's state is "
            f"{profile.state or 'not set'} (focus-jobs site --state)"
        )
    missing = [a for a in AddOn if a in job_class.needs_add_ons and a not in profile.add_ons]
    if missing:
        names = ", ".join(ADD_ON_TITLES[a] for a in missing)
        return f"{job_class.title} needs the {names} add-on, which this site has not purchased"
    return None


def manual_run_refusal(job_class: type[Job], profile: SiteProfile | None) -> str | None:
    """Why Run Job is refused for ``job_class`` on this kind of site, or None."""
    if profile is None or profile.kind not in job_class.manual_run_refused_on:
        return None
    return (
        f"{job_class.title} cannot be started with Run Job on a {profile.kind} site; it runs "
        "on its schedule, or with focus-jobs run on the server"
    )
