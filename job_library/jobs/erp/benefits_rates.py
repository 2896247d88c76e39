"""Benefits Rates Update and Retiree Benefits Rates Update (ERP): rates follow age and zip."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

# The rate an enrollment should have: among its plan's bands that hold the person's age
# today, one for their zip code wins over the plan's district-wide one (zip code NULL).
# A retiree on an active-employee plan (or an active employee on a retiree plan) is not
# rated: the enrollment is listed with the reason.
_TARGETS = """
INSERT INTO {temp} (enrollment_id, old_rate_id, old_amount, new_rate_id, problem)
SELECT e.enrollment_id, e.rate_id, e.monthly_rate,
       CASE WHEN d.retired = :wrong_status THEN NULL ELSE
       (SELECT b.rate_id FROM {bands} b
        WHERE b.plan_id = e.plan_id AND d.birth_date > b.born_after
          AND d.birth_date <= b.born_on_or_before
          AND (b.zipcode IS NULL OR b.zipcode = SUBSTR(d.zipcode, 1, 5))
        ORDER BY b.by_zip DESC LIMIT 1) END,
       CASE WHEN d.retired = :wrong_status THEN :wrong_reason
            WHEN d.birth_date IS NULL THEN 'no birth date on file' END
FROM hr_benefit_enrollments e
JOIN hr_benefit_plans p ON p.plan_id = e.plan_id
LEFT JOIN hr_employee_details d ON d.employee_id = e.employee_id
WHERE p.for_retirees = :retirees
"""


# Why an enrollment is left alone when the person's retired flag does not fit the plan.
WRONG_PLAN = {
    False: "retired, but enrolled in an active-employee plan: not re-rated",
    True: "not retired, but enrolled in a retiree plan: not re-rated",
}


class BenefitsRatesParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed enrollments listed")


def years_before(day: dt.date, years: int) -> dt.date:
    """``day`` that many years earlier; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class RateChanges:
    """What a run changed and what it could not rate, with the first of each for the output."""

    checked: int
    changed: int
    unrated: int
    listed: list[tuple]
    problems: list[tuple]


def _band_problems(conn: sa.Connection, retirees: bool) -> list[str]:
    """Rate bands that cannot be used: an inverted age range, or two overlapping bands of
    one plan and zip code (which rate applies would be a guess)."""
    from job_library.schemas.erp_hr import hr_benefit_plans, hr_benefit_rates

    r, p = hr_benefit_rates, hr_benefit_plans
    rows = conn.execute(
        sa.select(r.c.rate_id, p.c.code, r.c.min_age, r.c.max_age, r.c.zipcode)
        .join(p, p.c.plan_id == r.c.plan_id)
        .where(p.c.for_retirees == retirees)
        .order_by(p.c.code, r.c.zipcode, r.c.min_age, r.c.rate_id)
    ).all()
    problems = []
    last: dict[tuple, tuple] = {}
    for rate_id, code, low, high, zipcode in rows:
        where = f"plan {code}" + (f" zip {zipcode}" if zipcode else "")
        if low < 0 or high < low:
            problems.append(f"rate {rate_id} ({where}): ages {low}-{high} are not a range")
            continue
        before = last.get((code, zipcode))
        if before is not None and low <= before[2]:
            problems.append(
                f"rate {rate_id} ({where}): ages {low}-{high} overlap rate {before[0]} "
                f"(ages {before[1]}-{before[2]})"
            )
        last[(code, zipcode)] = (rate_id, low, high)
    return problems


def update_rates(
    context: JobContext, *, retirees: bool, max_listed: int, job_key: str
) -> RateChanges | str:
    """Set each enrollment of the active (or retiree) plans to the rate of the person's age
    band and zip code today; an error message instead when the rate table is unusable."""
    from job_library.finance_audit import actor_of, json_object, money_text, record_audit
    from job_library.schema import employees
    from job_library.schemas.erp_hr import (
        hr_benefit_enrollments,
        hr_benefit_plans,
        hr_benefit_rates,
    )
    from job_library.sis_sql import analyze, differs_sql, first_rows, scratch_table

    conn = context.connection
    problems = _band_problems(conn, retirees)
    if problems:
        return "; ".join(problems)
    today = context.now().date()
    kind = "retiree" if retirees else "employee"
    bands = scratch_table(
        conn,
        f"tmp_{kind}_rate_bands",
        [
            sa.Column("rate_id", sa.Integer, primary_key=True),
            sa.Column("plan_id", sa.Integer, nullable=False),
            sa.Column("zipcode", sa.String(5)),
            sa.Column("by_zip", sa.Integer, nullable=False),
            sa.Column("born_after", sa.Date, nullable=False),
            sa.Column("born_on_or_before", sa.Date, nullable=False),
        ],
    )
    r, p = hr_benefit_rates, hr_benefit_plans
    # One row per rate band (the plan's configuration, never per person): the birth dates
    # that make someone between min_age and max_age years old today.
    band_rows = [
        dict(
            rate_id=rate_id,
            plan_id=plan_id,
            zipcode=zipcode,
            by_zip=0 if zipcode is None else 1,
            born_after=years_before(today, high + 1),
            born_on_or_before=years_before(today, low),
        )
        for rate_id, plan_id, zipcode, low, high in conn.execute(
            sa.select(r.c.rate_id, r.c.plan_id, r.c.zipcode, r.c.min_age, r.c.max_age)
            .join(p, p.c.plan_id == r.c.plan_id)
            .where(p.c.for_retirees == retirees)
        )
    ]
    if band_rows:
        conn.execute(sa.insert(bands), band_rows)
    analyze(conn, bands)
    temp = scratch_table(
        conn,
        f"tmp_{kind}_rate_targets",
        [
            sa.Column("enrollment_id", sa.Integer, primary_key=True),
            sa.Column("old_rate_id", sa.Integer),
            sa.Column("old_amount", sa.Numeric(10, 2)),
            sa.Column("new_rate_id", sa.Integer),
            sa.Column("new_amount", sa.Numeric(10, 2)),
            sa.Column("problem", sa.String(100)),
        ],
    )
    conn.execute(
        sa.text(_TARGETS.format(temp=temp.name, bands=bands.name)).bindparams(
            sa.bindparam("retirees", type_=sa.Boolean),
            sa.bindparam("wrong_status", type_=sa.Boolean),
        ),
        {
            "retirees": retirees,
            "wrong_status": not retirees,
            "wrong_reason": WRONG_PLAN[retirees],
        },
    )
    conn.execute(
        sa.text(
            f"UPDATE {temp.name} SET new_amount = (SELECT r.monthly_rate FROM hr_benefit_rates r "
            f"WHERE r.rate_id = {temp.name}.new_rate_id), problem = COALESCE(problem, "
            "CASE WHEN new_rate_id IS NULL THEN 'no rate band for this age and zip code' END)"
        )
    )
    analyze(conn, temp)
    t = temp.name
    rate_differs = differs_sql(conn, f"{t}.old_rate_id", f"{t}.new_rate_id")
    amount_differs = differs_sql(conn, f"{t}.old_amount", f"{t}.new_amount")
    changed_where = f"{t}.new_rate_id IS NOT NULL AND ({rate_differs} OR {amount_differs})"
    old_rate = json_object(
        conn, rate_id=temp.c.old_rate_id, monthly_rate=money_text(conn, temp.c.old_amount)
    )
    new_rate = json_object(
        conn, rate_id=temp.c.new_rate_id, monthly_rate=money_text(conn, temp.c.new_amount)
    )
    record_audit(
        conn,
        actor_of(context, job_key),
        table="hr_benefit_enrollments",
        change="update",
        rows=sa.select(temp.c.enrollment_id, old_rate, new_rate).where(sa.text(changed_where)),
    )
    e = hr_benefit_enrollments
    emp = employees
    listing = (
        sa.select(
            e.c.enrollment_id,
            emp.c.last_name,
            emp.c.first_name,
            p.c.code,
            temp.c.old_amount,
            temp.c.new_amount,
        )
        .select_from(
            temp.join(e, e.c.enrollment_id == temp.c.enrollment_id)
            .join(p, p.c.plan_id == e.c.plan_id)
            .join(emp, emp.c.employee_id == e.c.employee_id)
        )
        .order_by(e.c.enrollment_id)
    )
    listed = first_rows(conn, listing.where(sa.text(changed_where)), max_listed)
    unrated_rows = first_rows(
        conn,
        listing.add_columns(temp.c.problem).where(temp.c.new_rate_id.is_(None)),
        max_listed,
    )
    changed = conn.execute(
        sa.text(
            f"UPDATE hr_benefit_enrollments SET "
            f"rate_id = (SELECT {t}.new_rate_id FROM {t} "
            f"WHERE {t}.enrollment_id = hr_benefit_enrollments.enrollment_id), "
            f"monthly_rate = (SELECT {t}.new_amount FROM {t} "
            f"WHERE {t}.enrollment_id = hr_benefit_enrollments.enrollment_id) "
            f"WHERE enrollment_id IN (SELECT {t}.enrollment_id FROM {t} WHERE {changed_where})"
        )
    ).rowcount
    checked, unrated = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((temp.c.new_rate_id.is_(None), 1), else_=0)), 0),
        ).select_from(temp)
    ).one()
    temp.drop(conn)
    bands.drop(conn)
    return RateChanges(checked, changed, int(unrated), listed, unrated_rows)


def rates_report(changes: RateChanges | str, *, who: str, cap: int) -> JobResult:
    if isinstance(changes, str):
        return JobResult.message(
            False,
            f"Nothing changed: the {who} benefit rate table needs fixing first: {changes}.",
            {"checked": 0, "changed": 0, "unrated": 0},
        )
    summary = (
        f"Checked {changes.checked} {who} benefit enrollment(s): {changes.changed} rate(s) "
        f"changed, {changes.unrated} could not be rated."
    )
    lines = [summary]
    rows = []
    for enrollment, last, first, plan, old, new in changes.listed:
        rows.append((enrollment, f"{last}, {first}", plan, old, new))
        lines.append(
            f"  enrollment {enrollment} ({last}, {first}, plan {plan}): "
            f"{old if old is not None else '-'} -> {new}"
        )
    for enrollment, last, first, plan, _old, _new, problem in changes.problems:
        lines.append(
            f"  not rated: enrollment {enrollment} ({last}, {first}, plan {plan}): {problem}"
        )
    result = listed_result(
        summary,
        lines,
        ("Enrollment", "Name", "Plan", "Monthly rate before", "Monthly rate after"),
        rows,
        total=changes.changed,
        cap=cap,
        counts={"checked": changes.checked, "changed": changes.changed, "unrated": changes.unrated},
    )
    if not changes.problems:
        return result
    from job_library.output import html_table

    problems = html_table(
        ("Enrollment", "Name", "Plan", "Why it was not rated"),
        [(e, f"{la}, {fi}", pl, why) for e, la, fi, pl, _o, _n, why in changes.problems],
    )
    return JobResult(
        result.success, result.summary, result.text, result.html + problems, result.counts
    )


_RULES = (
    "A person's age is counted on the day of the run (a band's first age applies from that "
    "birthday itself; someone born on 29 February ages on 1 March in a common year). A rate "
    "for the person's home zip code (first five digits) wins over the plan's district-wide "
    "rate. Each changed rate is written to the finance audit with the old and new rate band "
    "and amount, the job and the time. Enrollments without a birth date or without a "
    "matching band, and those of a retiree on an active-employee plan or of an active "
    "employee on a retiree plan, are listed with the reason and left alone; overlapping or "
    "inverted bands stop the run before anything changes."
)


class BenefitsRatesUpdate(Job):
    key = "benefits_rates_update"
    title = "Benefits Rates Update"
    module = "ERP"
    description = (
        "Re-prices the benefit enrollments of active employees: each enrollment gets the "
        "monthly rate of its plan's age band that the employee is in today, and of their "
        "home zip code, so crossing into an older band or moving changes the premium. " + _RULES
    )
    params_model = BenefitsRatesParams
    needs_add_ons = frozenset({AddOn.ERP})

    def run(self, context: JobContext, params: BenefitsRatesParams) -> JobResult:
        changes = update_rates(
            context, retirees=False, max_listed=params.max_listed, job_key=self.key
        )
        return rates_report(changes, who="employee", cap=params.max_listed)


class RetireeBenefitsRatesUpdate(Job):
    key = "retiree_benefits_rates_update"
    title = "Retiree Benefits Rates Update"
    module = "ERP"
    description = (
        "The same re-pricing for retirees: enrollments in the plans marked as retiree plans "
        "follow the retiree's age band and home zip code. " + _RULES
    )
    params_model = BenefitsRatesParams
    needs_add_ons = frozenset({AddOn.ERP})

    def run(self, context: JobContext, params: BenefitsRatesParams) -> JobResult:
        changes = update_rates(
            context, retirees=True, max_listed=params.max_listed, job_key=self.key
        )
        return rates_report(changes, who="retiree", cap=params.max_listed)
