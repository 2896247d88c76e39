"""System Preferences: a typed registry of district and school preferences, stored in Focus."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

DISTRICT = 0  # the school_id of a district-level value
_TRUE = ("true", "on", "yes", "y", "1")
_FALSE = ("false", "off", "no", "n", "0")


class Scope(StrEnum):
    """Where a preference is set: once for the district, or per school (with a district default)."""

    DISTRICT = "district"
    SCHOOL = "school"


class PrefType(StrEnum):
    """How a preference's text is read and checked."""

    TEXT = "text"
    FLAG = "flag"
    TIMEZONE = "timezone"
    CHOICE = "choice"
    INTEGER = "integer"
    TIME = "time"  # a time of day, HH:MM on the 24-hour clock


class PreferenceError(ValueError):
    """A preference key, school or value that cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Preference:
    """One entry of the registry.

    :param key: the stable snake_case name (``focus-jobs prefs get KEY``).
    :param title: the name the screen shows.
    :param type: how values are read and checked.
    :param scope: district, or school (a school without its own value uses the district's).
    :param default: the typed value when none is stored (None: not set).
    :param description: what the preference changes, in this project's words.
    :param choices: the allowed values of a choice preference.
    :param lookup: the lookup the screen offers values from (``profiles``), none: typed.
    """

    key: str
    title: str
    type: PrefType
    scope: Scope
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    lookup: str | None = None

    def parse(self, text: str) -> Any:
        """The typed value of ``text``; raises PreferenceError naming the key and the value."""
        value = text.strip()
        if self.type is PrefType.FLAG:
            if value.lower() in _TRUE:
                return True
            if value.lower() in _FALSE:
                return False
            raise PreferenceError(f"preference {self.key}: {text!r} is not on or off (yes/no)")
        if self.type is PrefType.TIMEZONE:
            from zoneinfo import ZoneInfo

            if not value:
                raise PreferenceError(f"preference {self.key}: a time zone is required")
            try:
                ZoneInfo(value)
            except Exception:  # unknown key, a folder such as "America", a name too long...
                raise PreferenceError(
                    f"preference {self.key}: {text!r} is not an IANA time zone "
                    "(e.g. America/Chicago)"
                ) from None
            return value
        if self.type is PrefType.CHOICE:
            if value.lower() not in self.choices:
                raise PreferenceError(
                    f"preference {self.key}: {text!r} is not one of {', '.join(self.choices)}"
                )
            return value.lower()
        if self.type is PrefType.INTEGER:
            try:
                return int(value)
            except ValueError:
                raise PreferenceError(
                    f"preference {self.key}: {text!r} is not a whole number"
                ) from None
        if self.type is PrefType.TIME:
            try:
                return dt.datetime.strptime(value, "%H:%M").time()
            except ValueError:
                raise PreferenceError(
                    f"preference {self.key}: {text!r} is not a time of day HH:MM (e.g. 16:30)"
                ) from None
        if not value:
            raise PreferenceError(f"preference {self.key}: the value is empty; use unset instead")
        if len(value) > 200:
            raise PreferenceError(f"preference {self.key}: longer than 200 characters")
        return value

    def format(self, value: Any) -> str:
        """The stored text of a typed value."""
        if self.type is PrefType.FLAG:
            return "true" if value else "false"
        if self.type is PrefType.TIME:
            return f"{value:%H:%M}"
        return str(value)

    def show(self, value: Any) -> str:
        """A value as a person reads it: on/off for flags, blank for not set."""
        if value is None:
            return ""
        if self.type is PrefType.FLAG:
            return "on" if value else "off"
        if self.type is PrefType.TIME:
            return f"{value:%H:%M}"
        return str(value)


PREFERENCES: Mapping[str, Preference] = {
    p.key: p
    for p in (
        Preference(
            "timezone",
            "Time zone",
            PrefType.TIMEZONE,
            Scope.DISTRICT,
            "America/New_York",
            "The IANA time zone every job's run time, timeframe and dates are read in.",
        ),
        Preference(
            "email_unsuccessful_only",
            "E-mail unsuccessful runs only",
            PrefType.FLAG,
            Scope.DISTRICT,
            False,
            "When on, a job's e-mail addresses hear only about failed and skipped runs.",
        ),
        Preference(
            "class_rank_by",
            "Class rank by",
            PrefType.CHOICE,
            Scope.SCHOOL,
            None,
            "The GPA a school's class rank is based on when Calculate Class Rank and GPA "
            "follows each school's preference.",
            ("weighted", "unweighted"),
        ),
        Preference(
            "rollover_second_school",
            "Rollover second school enrollment records",
            PrefType.FLAG,
            Scope.SCHOOL,
            False,
            "When on, Rollover also carries the school's second-school enrollment records "
            "into the next year.",
        ),
        Preference(
            "mtss_enrollment_alert_profile",
            "MTSS enrollment alert profile",
            PrefType.TEXT,
            Scope.DISTRICT,
            None,
            "The user profile that gets the alert when a student with inactive MTSS events "
            "enrolls at another school.",
            lookup="profiles",
        ),
        Preference(
            "basic_skills_check_level",
            "Check Level on Basic Skills Assessment",
            PrefType.FLAG,
            Scope.DISTRICT,
            False,
            "When on, Basic Skills Assessment also accepts a subject whose functional level "
            "reaches the program's minimum level, not only a scale score reaching its minimum.",
        ),
        Preference(
            "basic_skills_tabe_language_or_reading",
            "Use TABE language or reading to set Basic Skills",
            PrefType.CHOICE,
            Scope.SCHOOL,
            None,
            "When set, Basic Skills Assessment asks for Math plus this one subject (reading or "
            "language) instead of every subject the program lists.",
            ("reading", "language"),
        ),
        Preference(
            "process_assessments_counts_only",
            "Process Assessments - Do not output student listings after process completion",
            PrefType.FLAG,
            Scope.DISTRICT,
            False,
            "When on, the Process Assessments jobs report how many students they updated "
            "instead of naming each one.",
        ),
        Preference(
            "authorize_net_settlement_time",
            "Authorize.net batch settlement time",
            PrefType.TIME,
            Scope.DISTRICT,
            None,
            "The time of day (district time) the district's Authorize.net account settles its "
            "card batches; the automated cashouts wait until it has passed.",
        ),
        Preference(
            "communication_not_before",
            "No calls, texts or push notifications before",
            PrefType.TIME,
            Scope.SCHOOL,
            None,
            "Queued calls, text messages and push notifications for the school's families wait "
            "until this time of day (HH:MM); e-mail is not held.",
        ),
        Preference(
            "communication_not_after",
            "No calls, texts or push notifications after",
            PrefType.TIME,
            Scope.SCHOOL,
            None,
            "Past this time of day (HH:MM) queued calls, text messages and push notifications "
            "wait for the next allowed time; e-mail is not held.",
        ),
        Preference(
            "attendance_mobile_alert_codes",
            "Attendance mobile alert codes",
            PrefType.TEXT,
            Scope.SCHOOL,
            None,
            "Attendance codes (short names, comma-separated) that text a student's contacts "
            "through Attendance SMS; a school without its own list uses the district's.",
        ),
        Preference(
            "callout_student_form",
            "Call Out System Student Reenrollment Form",
            PrefType.INTEGER,
            Scope.DISTRICT,
            None,
            "The form (its id) published to a student whose own number could not be reached, "
            "asking for new contact details.",
        ),
        Preference(
            "callout_parent_form",
            "Call Out System Parent Reenrollment Form",
            PrefType.INTEGER,
            Scope.DISTRICT,
            None,
            "The form (its id) published to a parent or guardian whose number could not be "
            "reached, asking for new contact details.",
        ),
        Preference(
            "callout_form_review_profile",
            "Profile that reviews returned contact forms",
            PrefType.TEXT,
            Scope.DISTRICT,
            "Registrar",
            "The user profile shown a completed contact-details form (as a portal alert at "
            "the student's school) so the records can be updated.",
            lookup="profiles",
        ),
        Preference(
            "pcard_reminder_days",
            "P-Card reminder after days",
            PrefType.INTEGER,
            Scope.DISTRICT,
            None,
            "How many days a P-Card requisition may stay a draft or wait for approval before "
            "PCard Email Reminder writes to the P-Card administrator.",
        ),
        Preference(
            "pcard_administrator_email",
            "P-Card administrator e-mail",
            PrefType.TEXT,
            Scope.DISTRICT,
            None,
            "Where PCard Email Reminder sends its reminders.",
        ),
        Preference(
            "medication_administrator_profile",
            "Medication Administrator Profile",
            PrefType.TEXT,
            Scope.SCHOOL,
            None,
            "The user profile whose calendar shows the medication events the Medical job "
            "makes at the school (a school without its own uses the district's).",
            lookup="profiles",
        ),
        Preference(
            "medication_administration_category",
            "Medication Administration Category",
            PrefType.TEXT,
            Scope.SCHOOL,
            None,
            "The title of the district calendar category the Medical job files its "
            "medication events under.",
        ),
    )
}


def preference(key: str) -> Preference:
    """The registry entry of ``key``; raises PreferenceError listing the known keys."""
    try:
        return PREFERENCES[key]
    except KeyError:
        raise PreferenceError(
            f"no preference {key!r}; known: {', '.join(sorted(PREFERENCES))}"
        ) from None


# What raw() reads, as a bare table clause: every DAG-file parse reads the district's time zone
# through it, and job_library.platform_schema (with job_library.schema) costs more than the read.
_VALUES = sa.table(
    "system_preferences", *(sa.column(name) for name in ("key", "school_id", "value"))
)


class Preferences:
    """Reads and writes System Preferences on one connection (a job's is its transaction).

    :param connection: a connection to the Focus database.
    """

    def __init__(self, connection: sa.Connection) -> None:
        self._conn = connection

    def _school(self, pref: Preference, school_id: int | None) -> int:
        if school_id is None or school_id == DISTRICT:
            return DISTRICT
        if pref.scope is Scope.DISTRICT:
            raise PreferenceError(
                f"preference {pref.key} is set for the district, not per school; "
                "leave out the school"
            )
        if school_id < 0:
            raise PreferenceError(f"preference {pref.key}: school {school_id} is not a school id")
        return school_id

    def raw(self, key: str, school_id: int | None = None) -> str | None:
        """The stored text at exactly that level (no fallback), or None."""
        pref = preference(key)
        t = _VALUES
        return self._conn.execute(
            sa.select(t.c.value).where(
                t.c.key == pref.key, t.c.school_id == self._school(pref, school_id)
            )
        ).scalar_one_or_none()

    def get(self, key: str, school_id: int | None = None) -> Any:
        """The typed value: the school's own, else the district's, else the default.

        Raises PreferenceError when the stored text is not a valid value (naming where).
        """
        from job_library.platform_schema import system_preferences

        pref = preference(key)
        school = self._school(pref, school_id)
        t = system_preferences
        rows = dict(
            self._conn.execute(
                sa.select(t.c.school_id, t.c.value).where(
                    t.c.key == key, t.c.school_id.in_({school, DISTRICT})
                )
            ).all()
        )
        for level in (school, DISTRICT):
            if level in rows:
                return self._stored(pref, level, rows[level])
        return pref.default

    def by_school(self, key: str) -> dict[int, Any]:
        """Every school's own typed value of a school preference (one query)."""
        from job_library.platform_schema import system_preferences

        pref = preference(key)
        if pref.scope is not Scope.SCHOOL:
            raise PreferenceError(f"preference {key} is set for the district, not per school")
        t = system_preferences
        rows = self._conn.execute(
            sa.select(t.c.school_id, t.c.value).where(t.c.key == key, t.c.school_id != DISTRICT)
        ).all()
        return {school: self._stored(pref, school, text) for school, text in sorted(rows)}

    def _stored(self, pref: Preference, school: int, text: str) -> Any:
        try:
            return pref.parse(text)
        except PreferenceError as exc:
            where, option = (
                ("the district", "")
                if school == DISTRICT
                else (
                    f"school {school}",
                    f" --school {school}",
                )
            )
            raise PreferenceError(
                f"{exc} (stored for {where}); set it again with "
                f"focus-jobs prefs set {pref.key} VALUE{option}"
            ) from None

    def set(
        self, key: str, text: str, *, school_id: int | None = None, user: str = "focus-jobs"
    ) -> Any:
        """Check ``text`` through the preference's type and store it; returns the typed value."""
        from job_library.platform_schema import system_preferences

        pref = preference(key)
        school = self._school(pref, school_id)
        value = pref.parse(text)
        t = system_preferences
        values = {"value": pref.format(value), "updated_at": dt.datetime.now(dt.UTC)}
        values["updated_by"] = user
        changed = self._conn.execute(
            sa.update(t).where(t.c.key == key, t.c.school_id == school).values(**values)
        ).rowcount
        if not changed:
            self._conn.execute(sa.insert(t).values(key=key, school_id=school, **values))
        return value

    def unset(self, key: str, *, school_id: int | None = None) -> bool:
        """Remove the value at that level (the school then uses the district's or the default)."""
        from job_library.platform_schema import system_preferences

        pref = preference(key)
        t = system_preferences
        return bool(
            self._conn.execute(
                sa.delete(t).where(t.c.key == key, t.c.school_id == self._school(pref, school_id))
            ).rowcount
        )

    def listing(self) -> list[dict[str, Any]]:
        """Every preference with its district value and each school's own (for screens, CLI)."""
        from job_library.platform_schema import system_preferences

        t = system_preferences
        stored: dict[str, dict[int, str]] = {}
        for key, school, text in self._conn.execute(
            sa.select(t.c.key, t.c.school_id, t.c.value).order_by(t.c.key, t.c.school_id)
        ):
            stored.setdefault(key, {})[school] = text
        entries = []
        for pref in PREFERENCES.values():
            values = stored.get(pref.key, {})
            entries.append(
                {
                    "key": pref.key,
                    "title": pref.title,
                    "type": str(pref.type),
                    "scope": str(pref.scope),
                    "description": pref.description,
                    "choices": list(pref.choices),
                    "lookup": pref.lookup,
                    "default": pref.show(pref.default),
                    "district": values.get(DISTRICT),
                    "schools": {str(s): v for s, v in values.items() if s != DISTRICT},
                }
            )
        return entries
