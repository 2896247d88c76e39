"""The job catalog: stable snake_case keys to job classes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from job_library.base import Job
from job_library.jobs.address_corrections import AddressCorrections
from job_library.jobs.attendance_summary import AttendanceSummaryCalculation
from job_library.jobs.auto_withdraw import AutoWithdraw
from job_library.jobs.cte_consecutive_absences import CteConsecutiveAbsences
from job_library.jobs.cte_pay_period_2 import CtePayPeriod2
from job_library.jobs.daily_maintenance import DailyMaintenance
from job_library.jobs.deactivate_mtss_events import DeactivateMtssEvents
from job_library.jobs.detentions_from_tardies import CreateDetentionsFromTardies
from job_library.jobs.eoy_attendance import EoyAttendanceCalculation
from job_library.jobs.florida_test_id import FloridaTestIdAssignment
from job_library.jobs.frontline_leave import FrontlineLeave
from job_library.jobs.metlife_incoming import MetLifeIncoming
from job_library.jobs.missing_class import MissingClass
from job_library.jobs.mtss_enrollment_alert import MtssEnrollmentAlert
from job_library.jobs.neogov import NeoGovNewHires, NeoGovUserData
from job_library.jobs.recalculate_daily_attendance import RecalculateDailyAttendance
from job_library.jobs.remove_fefp_code import RemoveFefpCode
from job_library.jobs.remove_scheduled_from_waitlist import RemoveScheduledFromWaitlist
from job_library.jobs.rollover import Rollover
from job_library.jobs.scheduled_import import ScheduledImport
from job_library.jobs.worker_check import WorkerCheck

_CLASSES: tuple[type[Job], ...] = (
    AddressCorrections,
    AttendanceSummaryCalculation,
    AutoWithdraw,
    CreateDetentionsFromTardies,
    CteConsecutiveAbsences,
    CtePayPeriod2,
    DailyMaintenance,
    DeactivateMtssEvents,
    EoyAttendanceCalculation,
    FloridaTestIdAssignment,
    FrontlineLeave,
    MetLifeIncoming,
    MissingClass,
    MtssEnrollmentAlert,
    NeoGovNewHires,
    NeoGovUserData,
    RecalculateDailyAttendance,
    RemoveFefpCode,
    RemoveScheduledFromWaitlist,
    Rollover,
    ScheduledImport,
    WorkerCheck,
)

REGISTRY: Mapping[str, type[Job]] = MappingProxyType({cls.key: cls for cls in _CLASSES})


def get_job_class(key: str) -> type[Job] | None:
    """The job class registered under ``key``, or None when there is none."""
    return REGISTRY.get(key)


def catalog() -> list[dict[str, object]]:
    """Every class with its metadata and parameter JSON schema (for forms and the CLI)."""
    return [
        {
            "key": cls.key,
            "title": cls.title,
            "description": cls.description,
            "module": cls.module,
            "kind": str(cls.kind),
            "implemented": cls.implemented,
            "params_schema": cls.params_model.model_json_schema(),
        }
        for cls in sorted(REGISTRY.values(), key=lambda c: c.title)
    ]
