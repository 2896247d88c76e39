"""Automatic Application of District Template Fees on SQLite and Postgres, by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from job_library.jobs.fps import district_template_fees as module
from job_library.jobs.fps.district_template_fees import (
    AutomaticApplicationOfDistrictTemplateFees,
    TemplateFeesParams,
)
from job_library.schemas.finance import district_fee_templates, fees, finance_audit
from job_library.schemas.scheduling import courses
from tests.job_library.billing.finance_district import (
    ADULT,
    ESOL,
    HIGH,
    NURSING,
    STAMP,
    SYEAR,
    WELDING,
    audit_rows,
    load_billing,
)
from tests.job_library.jobs_context import run_in_transaction

PUSHED = dt.datetime(2026, 8, 1, tzinfo=dt.UTC)


def _district(engine) -> None:
    """The adult center runs Welding, ESOL and Nursing; the high school has just built
    Welding (a new course)."""
    load_billing(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(courses).values(
                course_id=5,
                school_id=HIGH,
                syear=SYEAR,
                title="Intro to Welding",
                short_name="WLD0",
                program_number=WELDING,
            )
        )
        templates = [
            (1, "Lab materials", None, "15.00", True, PUSHED),
            (2, "Welding kit", WELDING, "80.50", True, PUSHED),
            (3, "Draft fee", None, "5.00", True, None),  # not pushed out yet
            (4, "Retired fee", None, "9.00", False, PUSHED),
        ]
        conn.execute(
            sa.insert(district_fee_templates),
            [
                dict(
                    template_id=t,
                    syear=SYEAR,
                    title=title,
                    program_number=program,
                    amount=Decimal(a),
                    active=active,
                    pushed_at=pushed,
                )
                for t, title, program, a, active, pushed in templates
            ],
        )
        existing = [  # from the push; the school switched ESOL's off since; one typed by hand
            (1, ADULT, WELDING, "Lab materials", 1, True),
            (2, ADULT, ESOL, "Lab materials", 1, False),
            (3, ADULT, WELDING, "Welding kit", 2, True),
            (4, ADULT, NURSING, "Lab materials", None, True),
        ]
        conn.execute(
            sa.insert(fees),
            [
                dict(
                    school_id=school,
                    syear=SYEAR,
                    program_number=program,
                    title=title,
                    amount=Decimal("15.00"),
                    template_id=template,
                    active=active,
                    **STAMP,
                )
                for _f, school, program, title, template, active in existing
            ],
        )


def _fees(engine) -> set[tuple]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                fees.c.school_id,
                fees.c.program_number,
                fees.c.title,
                fees.c.amount,
                fees.c.template_id,
                fees.c.active,
            )
        )
        return {
            (s, p, t, Decimal(str(a)).quantize(Decimal("0.01")), tid, bool(act))
            for s, p, t, a, tid, act in rows
        }


def _run(engine, **params):
    return run_in_transaction(
        engine, AutomaticApplicationOfDistrictTemplateFees(), TemplateFeesParams(**params)
    )


def test_new_school_programs_get_the_pushed_templates(db):
    _district(db)
    before = _fees(db)
    result = _run(db)
    assert _fees(db) - before == {
        (HIGH, WELDING, "Lab materials", Decimal("15.00"), 1, True),
        (HIGH, WELDING, "Welding kit", Decimal("80.50"), 2, True),
    }
    assert result.success
    assert dict(result.counts) == {"applied": 2, "conflicts": 1, "templates_not_pushed": 1}
    assert result.summary == (
        "Applied 2 district template fee(s) to school programs of 2026. 1 left alone: the "
        "school has its own fee of that title. 1 template(s) not pushed out yet."
    )
    assert "  North High, program W100001 (Welding): Welding kit 80.50" in result.text
    assert (
        "  not applied: Adult Center, program N300003 (Practical Nursing): Lab materials: "
        "the school already has a fee of that title; link or rename it"
    ) in result.text
    assert [r[1:] for r in audit_rows(db, "fees")] == [
        ("insert", "job test-job", "automatic_application_of_district_template_fees")
    ] * 2


def test_only_the_chosen_schools(db):
    _district(db)
    before = _fees(db)
    result = _run(db, schools=[ADULT])
    assert _fees(db) == before
    assert dict(result.counts) == {"applied": 0, "conflicts": 1, "templates_not_pushed": 1}


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    before = _fees(db)
    again = _run(db)
    assert _fees(db) == before
    assert again.counts["applied"] == 0
    assert again.summary.startswith("Every school program of 2026 already had its district")


def test_a_failure_midway_leaves_the_fees(db, monkeypatch):
    _district(db)
    before = _fees(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "_report", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _fees(db) == before
    with db.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(finance_audit)).scalar() == 0


def test_an_unknown_school_is_a_failure_with_the_reason(db):
    _district(db)
    result = _run(db, schools=[99])
    assert not result.success
    assert result.summary == "schools [99]: no such school id; pick ids from the Schools list."


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert "... and 1 more (listing capped at 1)." in result.text
