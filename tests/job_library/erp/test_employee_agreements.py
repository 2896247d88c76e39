"""Update Employee Agreements on SQLite and Postgres: eligibility on the published date.

Agreement 1 was published 1 Sep 2026 with a deadline of 15 Oct 2026; agreement 2 is not
published. Employee 5 is already on agreement 1; employee 6 has two allocations.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from job_library.jobs.erp import employee_agreements as module
from job_library.jobs.erp.employee_agreements import (
    UpdateEmployeeAgreements,
    UpdateEmployeeAgreementsParams,
)
from job_library.schema import employees
from job_library.schemas.erp_hr import (
    hr_agreement_employees,
    hr_agreements,
    hr_position_allocations,
    hr_positions,
)
from tests.job_library.jobs_context import run_in_transaction

D = dt.date
ALLOCATIONS = [
    (1, D(2026, 9, 1), None),  # starts on the published date
    (2, D(2026, 9, 2), None),  # starts the day after (before the deadline): not eligible
    (3, D(2020, 1, 1), D(2026, 9, 1)),  # ends on the published date
    (4, D(2020, 1, 1), D(2026, 8, 31)),  # ended the day before
    (5, D(2020, 1, 1), None),  # already on the agreement
    (6, D(2020, 1, 1), None),
    (6, D(2025, 1, 1), None),
]


def _district(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.insert(employees),
            [
                dict(employee_id=i, ein=f"E{i}", first_name=f"First{i}", last_name=f"Last{i}")
                for i in range(1, 7)
            ],
        )
        conn.execute(
            sa.insert(hr_positions),
            [dict(position_id=1, number="T-100", title="Teacher", start_date=D(2019, 1, 1))],
        )
        conn.execute(
            sa.insert(hr_position_allocations),
            [
                dict(position_id=1, employee_id=e, percent=100, start_date=s, end_date=end)
                for e, s, end in ALLOCATIONS
            ],
        )
        conn.execute(
            sa.insert(hr_agreements),
            [
                dict(
                    agreement_id=1,
                    title="Teachers 2026-27",
                    published_date=D(2026, 9, 1),
                    deadline_date=D(2026, 10, 15),
                ),
                dict(
                    agreement_id=2,
                    title="Draft",
                    published_date=None,
                    deadline_date=D(2026, 12, 1),
                ),
            ],
        )
        conn.execute(
            sa.insert(hr_agreement_employees),
            [
                dict(
                    agreement_id=1,
                    employee_id=5,
                    assigned_at=dt.datetime(2026, 9, 2, tzinfo=dt.UTC),
                    assigned_by="hr.clerk",
                )
            ],
        )


def _on_agreement(engine) -> dict[int, str]:
    ae = hr_agreement_employees
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(ae.c.employee_id, ae.c.assigned_by).where(ae.c.agreement_id == 1)
        ).all()
    return dict(rows)


def _run(engine, agreement_id=1, **params):
    return run_in_transaction(
        engine,
        UpdateEmployeeAgreements(),
        UpdateEmployeeAgreementsParams(agreement_id=agreement_id, **params),
    )


WHO = "job test-job (Test job)"


def test_employees_eligible_on_the_published_date_are_added(db):
    _district(db)
    result = _run(db)
    assert _on_agreement(db) == {1: WHO, 3: WHO, 5: "hr.clerk", 6: WHO}
    assert result.success and dict(result.counts) == {"added": 3}
    assert result.summary == (
        "Added 3 employee(s) to agreement 1 (Teachers 2026-27), eligible on its published "
        "date 2026-09-01."
    )
    assert result.text.splitlines()[1:] == [
        "  employee 1 (Last1, First1)",
        "  employee 3 (Last3, First3)",
        "  employee 6 (Last6, First6)",
    ]


def test_second_run_adds_nobody(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert dict(again.counts) == {"added": 0}
    assert len(_on_agreement(db)) == 4


def test_unknown_and_unpublished_agreements_are_refused(db):
    _district(db)
    unknown = _run(db, agreement_id=99)
    assert not unknown.success
    assert unknown.summary == (
        "agreement 99: no such agreement; pick the Document from Employment Agreement "
        "Maintenance. Nothing changed."
    )
    draft = _run(db, agreement_id=2)
    assert not draft.success
    assert draft.summary == (
        "agreement 2 (Draft) has no published date yet; publish it before scanning for "
        "employees. Nothing changed."
    )
    assert _on_agreement(db) == {5: "hr.clerk"}


def test_the_agreement_must_be_chosen():
    with pytest.raises(ValueError, match="agreement_id"):
        UpdateEmployeeAgreementsParams()


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=1)
    assert "... and 2 more (listing capped at 1)." in result.text


def test_a_failure_midway_adds_nobody(db, monkeypatch):
    _district(db)

    def broken(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "listed_result", broken)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _on_agreement(db) == {5: "hr.clerk"}


def test_the_document_is_picked_from_the_agreements(db):
    from include.lookups import items

    _district(db)
    props = UpdateEmployeeAgreementsParams.model_json_schema()["properties"]
    assert props["agreement_id"]["x-focus-lookup"] == "employment_agreements"
    with db.connect() as conn:
        found, more = items(conn, "employment_agreements")
    assert [(i["value"], i["label"]) for i in found] == [(2, "Draft"), (1, "Teachers 2026-27")]
    assert not more
