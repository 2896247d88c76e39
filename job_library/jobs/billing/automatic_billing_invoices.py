"""Automatic Billing Invoices: one POS invoice per matching student and interval."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.defaults import DefaultSchedule
from job_library.output import html_table, listed_result
from job_library.sis_params import SchoolYear

# Students who match a set-up on the run date: actively enrolled in its school year, at its
# school (or at one of its school terms), and fitting each other kind of term it has.
# ``already``: the student has an invoice of this set-up for this interval (of any status).
_MATCHES = """
INSERT INTO {matches} (automatic_invoice_id, student_id, interval_key, already)
SELECT DISTINCT k.automatic_invoice_id, e.student_id, k.interval_key,
  CASE WHEN EXISTS (
    SELECT 1 FROM invoices i
    WHERE i.automatic_invoice_id = k.automatic_invoice_id
      AND i.student_id = e.student_id AND i.interval_key = k.interval_key)
  THEN 1 ELSE 0 END
FROM {keys} k
JOIN automatic_invoices a ON a.automatic_invoice_id = k.automatic_invoice_id
JOIN student_enrollment e ON e.syear = a.syear
  AND e.start_date <= :today AND (e.end_date IS NULL OR e.end_date >= :today)
JOIN grade_levels g ON g.grade_id = e.grade_id
WHERE CASE
    WHEN EXISTS ({term} AND t.term = 'school')
    THEN EXISTS ({term} AND t.term = 'school' AND t.value = CAST(e.school_id AS VARCHAR(20)))
    ELSE e.school_id = a.school_id END
  AND (NOT EXISTS ({term} AND t.term = 'grade')
       OR EXISTS ({term} AND t.term = 'grade' AND t.value = g.short_name))
  AND (NOT EXISTS ({term} AND t.term = 'student')
       OR EXISTS ({term} AND t.term = 'student'
                  AND t.value = CAST(e.student_id AS VARCHAR(20))))
  AND (NOT EXISTS ({term} AND t.term = 'program')
       OR EXISTS (
         SELECT 1 FROM schedule s
         JOIN courses c ON c.course_id = s.course_id
         JOIN automatic_invoice_terms t ON t.automatic_invoice_id = a.automatic_invoice_id
           AND t.term = 'program' AND t.value = c.program_number
         WHERE s.student_id = e.student_id AND s.syear = a.syear
           AND s.start_date <= :today AND (s.end_date IS NULL OR s.end_date >= :today)))
"""
_TERM = (
    "SELECT 1 FROM automatic_invoice_terms t WHERE t.automatic_invoice_id = a.automatic_invoice_id"
)

_NEW_INVOICES = """
INSERT INTO invoices (invoice_number, kind, status, deleted, student_id, invoiced_to,
  school_id, syear, invoice_date, due_date, automatic_invoice_id, interval_key,
  created_at, created_by)
SELECT 'ABI-' || CAST(m.automatic_invoice_id AS VARCHAR(20)) || '-' || m.interval_key || '-'
    || CAST(m.student_id AS VARCHAR(20)),
  'pos', 'open', FALSE, m.student_id, st.last_name || ', ' || st.first_name,
  a.school_id, a.syear, :today, k.due_date, m.automatic_invoice_id, m.interval_key,
  :at, :who
FROM {matches} m
JOIN {keys} k ON k.automatic_invoice_id = m.automatic_invoice_id
JOIN automatic_invoices a ON a.automatic_invoice_id = m.automatic_invoice_id
JOIN students st ON st.student_id = m.student_id
WHERE m.already = 0
"""

_NEW_LINES = """
INSERT INTO invoice_lines (invoice_id, fee_id, description, quantity, amount, strip_id)
SELECT i.invoice_id, f.fee_id, f.title, 1, f.amount, f.strip_id
FROM {matches} m
JOIN invoices i ON i.automatic_invoice_id = m.automatic_invoice_id
  AND i.student_id = m.student_id AND i.interval_key = m.interval_key
JOIN automatic_invoice_fees af ON af.automatic_invoice_id = m.automatic_invoice_id
JOIN fees f ON f.fee_id = af.fee_id AND f.active = TRUE
WHERE m.already = 0
"""


class AutomaticBillingParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    syear: SchoolYear = None
    automatic_invoices: list[int] = Field(
        default_factory=list,
        title="Automatic invoices",
        description="Ids of the Automatic Invoices set-ups to run; empty: every active one.",
    )
    max_listed: int = Field(default=200, ge=0, le=10_000, title="Invoices listed")


@dataclass(frozen=True)
class SetUp:
    """One Automatic Invoices set-up as the run sees it."""

    automatic_invoice_id: int
    title: str
    interval: str
    second_semester_start: dt.date | None
    due_days: int
    active_fees: int


@dataclass(frozen=True)
class BillingOutcome:
    """What a run invoiced, skipped and could not use."""

    created: int
    already: int
    setups: int
    listed: list[tuple]
    bad: list[tuple[str, str]]


def interval_key(interval: str, syear: int, today: dt.date, second_start: dt.date | None) -> str:
    """The key of the interval ``today`` falls in: a student gets one invoice per key.

    Weeks run Monday to Sunday and are named by their Monday; semesters change on the set-up's
    second-semester start date.
    """
    if interval == "annual":
        return str(syear)
    if interval == "semester":
        if second_start is None:
            raise ValueError("no second-semester start date")
        return f"{syear}-S{1 if today < second_start else 2}"
    if interval == "month":
        return f"{today:%Y-%m}"
    if interval == "week":
        return f"W{(today - dt.timedelta(days=today.weekday())).isoformat()}"
    raise ValueError(f"unknown interval {interval!r}")


class AutomaticBillingInvoices(Job):
    key = "automatic_billing_invoices"
    title = "Automatic Billing Invoices"
    description = (
        "Bills students through the Automatic Invoices set-ups: for each active set-up of the "
        "school year, every student it selects gets one Point of Sale invoice with the "
        "set-up's active fees as lines, once per interval (the school year, the semester, "
        "the calendar month or the Monday-to-Sunday week the run falls in). A student "
        "already billed for that interval, even on an invoice voided since, is skipped. "
        "Selection: an enrollment active on the run date in the set-up's year, at its "
        "school (or one of its school terms), in one of its grade terms, scheduled on the "
        "run date in one of its program terms, or named by its student terms; kinds of "
        "terms a set-up lacks do not narrow it. Set-ups that cannot be used (no active "
        "fee, a semester interval without the second semester's start date, a term naming "
        "nothing that exists) are listed with the reason and skipped."
    )
    module = "Student Billing"
    params_model = AutomaticBillingParams
    default_schedule = DefaultSchedule(run_time="02:00")

    def run(self, context: JobContext, params: AutomaticBillingParams) -> JobResult:
        from job_library.finance_audit import actor_of
        from job_library.sis_sql import resolve_year_and_schools

        conn = context.connection
        resolved = resolve_year_and_schools(conn, params.syear, [])
        if isinstance(resolved, str):
            return JobResult.message(False, resolved)
        syear = resolved[0]
        actor = actor_of(context, self.key)
        outcome = bill(conn, actor, syear, params.automatic_invoices, params.max_listed)
        return _report(outcome, syear, params.max_listed)


def _setups(conn: sa.Connection, syear: int, wanted: list[int]) -> tuple[list[SetUp], list]:
    from job_library.schemas.finance import automatic_invoice_fees, automatic_invoices, fees

    a, af, f = automatic_invoices, automatic_invoice_fees, fees
    active_fees = (
        sa.select(sa.func.count())
        .select_from(af.join(f, f.c.fee_id == af.c.fee_id))
        .where(af.c.automatic_invoice_id == a.c.automatic_invoice_id, f.c.active == sa.true())
        .scalar_subquery()
    )
    query = (
        sa.select(
            a.c.automatic_invoice_id,
            a.c.title,
            a.c.interval,
            a.c.second_semester_start,
            a.c.due_days,
            active_fees,
        )
        .where(a.c.syear == syear, a.c.active == sa.true())
        .order_by(a.c.automatic_invoice_id)
    )
    if wanted:
        query = query.where(a.c.automatic_invoice_id.in_(wanted))
    found = [SetUp(*row) for row in conn.execute(query)]
    ids = {s.automatic_invoice_id for s in found}
    missing = [i for i in sorted(set(wanted)) if i not in ids]
    return found, missing


_BAD_TERMS = """
SELECT t.automatic_invoice_id, t.term, t.value FROM automatic_invoice_terms t
WHERE t.automatic_invoice_id IN :ids AND (
  (t.term = 'school' AND NOT EXISTS (
     SELECT 1 FROM schools x WHERE CAST(x.school_id AS VARCHAR(20)) = t.value))
  OR (t.term = 'grade' AND NOT EXISTS (
     SELECT 1 FROM grade_levels x WHERE x.short_name = t.value))
  OR (t.term = 'program' AND NOT EXISTS (
     SELECT 1 FROM fps_programs x WHERE x.program_number = t.value))
  OR (t.term = 'student' AND NOT EXISTS (
     SELECT 1 FROM students x WHERE CAST(x.student_id AS VARCHAR(20)) = t.value)))
ORDER BY t.automatic_invoice_id, t.term, t.value
"""


def _bad_terms(conn: sa.Connection, ids: list[int]) -> dict[int, str]:
    """Set-ups with a term naming a school, grade, program or student that does not exist."""
    if not ids:
        return {}
    query = sa.text(_BAD_TERMS).bindparams(sa.bindparam("ids", ids, expanding=True))
    bad: dict[int, str] = {}
    for setup, term, value in conn.execute(query):
        bad.setdefault(setup, f"{term} term {value!r} names no {term} in Focus; fix the term")
    return bad


def bill(
    conn: sa.Connection, actor, syear: int, wanted: list[int], max_listed: int
) -> BillingOutcome:
    """Create the invoices every usable set-up owes on the run date, each once."""
    from job_library.finance_audit import audit_new_invoices
    from job_library.schemas.finance import automatic_invoices, invoice_lines, invoices
    from job_library.sis_sql import analyze, first_rows, scratch_table

    today = actor.at.date()
    setups, missing = _setups(conn, syear, wanted)
    bad: list[tuple[str, str]] = [
        (f"#{i}", f"no active Automatic Invoices set-up {i} in {syear}") for i in missing
    ]
    bad_terms = _bad_terms(conn, [s.automatic_invoice_id for s in setups])
    usable: list[dict] = []
    for s in setups:
        name = f"#{s.automatic_invoice_id} {s.title}"
        if s.active_fees == 0:
            bad.append((name, "no active fee to bill; add one to the set-up"))
            continue
        if s.automatic_invoice_id in bad_terms:
            bad.append((name, bad_terms[s.automatic_invoice_id]))
            continue
        try:
            key = interval_key(s.interval, syear, today, s.second_semester_start)
        except ValueError as exc:
            bad.append((name, f"{s.interval} interval: {exc}; set it on the set-up"))
            continue
        usable.append(
            dict(
                automatic_invoice_id=s.automatic_invoice_id,
                interval_key=key,
                due_date=today + dt.timedelta(days=s.due_days),
            )
        )
    keys = scratch_table(
        conn,
        "tmp_abi_keys",
        [
            sa.Column("automatic_invoice_id", sa.Integer, primary_key=True),
            sa.Column("interval_key", sa.String(20), nullable=False),
            sa.Column("due_date", sa.Date, nullable=False),
        ],
    )
    matches = scratch_table(
        conn,
        "tmp_abi_matches",
        [
            sa.Column("automatic_invoice_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, primary_key=True),
            sa.Column("interval_key", sa.String(20), nullable=False),
            sa.Column("already", sa.Integer, nullable=False),
        ],
    )
    if usable:
        conn.execute(sa.insert(keys), usable)
    today_param = sa.bindparam("today", today, type_=sa.Date)
    conn.execute(
        sa.text(_MATCHES.format(matches=matches.name, keys=keys.name, term=_TERM)).bindparams(
            today_param
        )
    )
    analyze(conn, matches)
    created = conn.execute(
        sa.text(_NEW_INVOICES.format(matches=matches.name, keys=keys.name)).bindparams(
            today_param,
            sa.bindparam("at", actor.at, type_=sa.DateTime(timezone=True)),
            sa.bindparam("who", actor.who),
        )
    ).rowcount
    conn.execute(sa.text(_NEW_LINES.format(matches=matches.name)))

    inv, lines, m = invoices, invoice_lines, matches
    new = sa.and_(
        inv.c.automatic_invoice_id == m.c.automatic_invoice_id,
        inv.c.student_id == m.c.student_id,
        inv.c.interval_key == m.c.interval_key,
        m.c.already == 0,
    )
    total = (
        sa.select(sa.func.coalesce(sa.func.sum(lines.c.amount), 0))
        .where(lines.c.invoice_id == inv.c.invoice_id)
        .scalar_subquery()
    )
    audit_new_invoices(
        conn, actor, lambda select: select.join(m, new), interval_key=inv.c.interval_key
    )
    a = automatic_invoices
    listing = (
        sa.select(
            inv.c.invoice_number,
            inv.c.student_id,
            inv.c.invoiced_to,
            a.c.title,
            inv.c.interval_key,
            total,
            inv.c.due_date,
        )
        .join(m, new)
        .join(a, a.c.automatic_invoice_id == inv.c.automatic_invoice_id)
        .order_by(inv.c.automatic_invoice_id, inv.c.student_id)
    )
    listed = first_rows(conn, listing, max_listed)
    already = conn.execute(
        sa.select(sa.func.count()).select_from(m).where(m.c.already == 1)
    ).scalar_one()
    matches.drop(conn)
    keys.drop(conn)
    return BillingOutcome(created, already, len(usable), listed, bad)


def _report(outcome: BillingOutcome, syear: int, cap: int) -> JobResult:
    if outcome.created:
        summary = (
            f"Created {outcome.created} automatic billing invoice(s) from {outcome.setups} "
            f"set-up(s) of {syear}."
        )
    else:
        summary = f"No student of {outcome.setups} set-up(s) of {syear} was due an invoice."
    summary += f" {outcome.already} student(s) already invoiced for the interval."
    if outcome.bad:
        summary += f" {len(outcome.bad)} set-up(s) skipped, listed with the reason."
    lines = [summary]
    rows = []
    for number, student, name, title, key, total, due in outcome.listed:
        amount = Decimal(str(total)).quantize(Decimal("0.01"))
        rows.append((number, f"{name} ({student})", title, key, amount, due.isoformat()))
        lines.append(f"  {number}: {name} ({student}), {title}, {key}, {amount}, due {due}")
    for name, reason in outcome.bad:
        lines.append(f"  skipped set-up {name}: {reason}")
    result = listed_result(
        summary,
        lines,
        ("Invoice", "Student", "Set-up", "Interval", "Amount", "Due"),
        rows,
        total=outcome.created,
        cap=cap,
        counts={
            "created": outcome.created,
            "already_invoiced": outcome.already,
            "setups": outcome.setups,
            "skipped_setups": len(outcome.bad),
        },
    )
    if not outcome.bad:
        return result
    skipped = html_table(("Set-up", "Why it was skipped"), outcome.bad)
    return JobResult(
        result.success, result.summary, result.text, result.html + skipped, result.counts
    )
