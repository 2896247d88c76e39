"""Update Student Financial Data on SQLite and Postgres, worked out by hand.

Customers: 1 already matches the SIS; 2 has an old name; 3 an old street, no second line
and an old zip; 4's student has no SIS address; 5's student has two addresses (the first
counts) and the customer shows the second. Student 6 has no customer record.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from job_library.jobs.erp import student_financial_data as module
from job_library.jobs.erp.student_financial_data import (
    StudentFinancialDataParams,
    UpdateStudentFinancialData,
)
from job_library.schema import student_addresses
from job_library.schemas.erp_hr import erp_customers
from job_library.schemas.finance import finance_audit, invoices
from tests.job_library.district import load
from tests.job_library.jobs_context import run_in_transaction

TLH = ("Tallahassee", "FL")
CUSTOMERS = {
    1: (1, "Last1, First1", "1 Oak St", None, *TLH, "32301"),
    2: (2, "Smith, Ann", "2 Bay St", None, *TLH, "32301"),
    3: (3, "Last3, First3", "9 Elm St", None, *TLH, "32303"),
    4: (4, "Last4, First4", "4 Old Rd", None, *TLH, "32308"),
    5: (5, "Last5, First5", "5 Second St", None, *TLH, "32301"),
}
ADDRESSES = [
    (101, 1, "1 Oak St", None, "32301"),
    (102, 2, "2 Bay St", None, "32301"),
    (103, 3, "3 Pine Ave", "Apt 2", "32304"),
    (105, 5, "5 First St", None, "32301"),
    (106, 5, "5 Second St", None, "32301"),
    (107, 6, "6 Lake Dr", None, "32301"),
]


def _district(engine) -> None:
    load(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(student_addresses),
            [
                dict(
                    address_id=a,
                    student_id=s,
                    address=line,
                    address2=line2,
                    city="Tallahassee",
                    state="FL",
                    zipcode=z,
                )
                for a, s, line, line2, z in ADDRESSES
            ],
        )
        conn.execute(
            sa.insert(erp_customers),
            [
                dict(zip(("customer_id", "student_id", *module.FIELDS), (c, *values), strict=True))
                for c, values in CUSTOMERS.items()
            ],
        )


def _customers(engine) -> dict[int, tuple]:
    c = erp_customers
    with engine.connect() as conn:
        rows = conn.execute(sa.select(c.c.customer_id, c.c.student_id, *c.c[module.FIELDS])).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def _log(engine) -> list[tuple]:
    """The finance audit: (record, field, before, after, who, job key) per changed field."""
    c = finance_audit
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                c.c.table_name,
                c.c.change,
                c.c.record_id,
                c.c.old_values,
                c.c.new_values,
                c.c.changed_by,
                c.c.job_key,
            ).where(c.c.table_name == "erp_customers")
        ).all()
    out = []
    for r in rows:
        assert r.change == "update"
        old, new = json.loads(r.old_values), json.loads(r.new_values)
        assert set(old) == set(new) == set(module.FIELDS)
        out += [
            (r.record_id, f, old[f], new[f], r.changed_by, r.job_key)
            for f in module.FIELDS
            if old[f] != new[f]
        ]
    return sorted(out, key=lambda x: (x[0], module.FIELDS.index(x[1])))


def _run(engine, **params):
    return run_in_transaction(
        engine, UpdateStudentFinancialData(), StudentFinancialDataParams(**params)
    )


WHO = "job test-job", "update_student_financial_data"


def test_sis_names_and_addresses_reach_the_customer_records(db):
    _district(db)
    result = _run(db)
    assert _customers(db) == {
        **CUSTOMERS,
        2: (2, "Last2, First2", "2 Bay St", None, *TLH, "32301"),
        3: (3, "Last3, First3", "3 Pine Ave", "Apt 2", *TLH, "32304"),
        5: (5, "Last5, First5", "5 First St", None, *TLH, "32301"),
    }
    assert result.success
    assert dict(result.counts) == {
        "checked": 5,
        "changed": 3,
        "fields_changed": 5,
        "without_address": 1,
        "invoices_changed": 0,
    }
    assert result.summary == (
        "Checked 5 ERP customer record(s) of students: 3 updated (5 field(s)); 1 student(s) "
        "have no SIS address, so their customer address was kept; 0 open invoice(s) now carry the "
        "SIS name."
    )
    assert (
        "  customer 3 (student 3, Last3, First3 -> Last3, First3): address, address2, zipcode"
    ) in result.text
    assert (
        "  address kept: customer 4 (student 4, Last4, First4): no address in the SIS"
    ) in result.text
    assert "<td>2</td><td>2</td><td>Smith, Ann</td><td>Last2, First2</td><td>name</td>" in (
        result.html
    )
    assert _log(db) == [
        (2, "name", "Smith, Ann", "Last2, First2", *WHO),
        (3, "address", "9 Elm St", "3 Pine Ave", *WHO),
        (3, "address2", None, "Apt 2", *WHO),
        (3, "zipcode", "32303", "32304", *WHO),
        (5, "address", "5 Second St", "5 First St", *WHO),
    ]


def test_second_run_changes_nothing(db):
    _district(db)
    _run(db)
    again = _run(db)
    assert again.counts["changed"] == 0 and again.counts["fields_changed"] == 0
    assert len(_log(db)) == 5
    assert "<table>" not in again.html


def test_listing_is_capped(db):
    _district(db)
    result = _run(db, max_listed=2)
    assert result.html.count("<tr><td>") == 2
    assert "... and 1 more (listing capped at 2)." in result.text


def test_a_failure_midway_leaves_the_customers_as_they_were(db, monkeypatch):
    _district(db)

    def broken_report(*args, **kwargs):
        raise RuntimeError("lost connection while reporting")

    monkeypatch.setattr(module, "report", broken_report)
    with pytest.raises(RuntimeError, match="lost connection"):
        _run(db)
    assert _customers(db) == CUSTOMERS and _log(db) == []


def _invoices(engine) -> dict[int, str | None]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(invoices.c.invoice_id, invoices.c.invoiced_to)).all()
    return dict(rows)


def test_open_invoices_take_the_sis_name_and_are_audited(db):
    """Open invoices of students with a customer record get 'Last, First'; paid, voided and
    deleted invoices keep the name they were issued under, as do students without one."""
    _district(db)
    stamp = dict(created_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC), created_by="clerk")
    # invoice: (student, status, deleted, invoiced to)
    made = {
        1: (2, "open", False, "Smith, Ann"),  # renamed
        2: (2, "paid", False, "Smith, Ann"),  # paid: kept
        3: (2, "voided", False, "Smith, Ann"),  # voided: kept
        4: (2, "open", True, "Smith, Ann"),  # deleted: kept
        5: (3, "open", False, "Last3, First3"),  # already right
        6: (1, "open", False, None),  # customer already right, invoice blank: filled
        7: (6, "open", False, "Someone, Else"),  # no ERP customer record: not touched
    }
    with db.begin() as conn:
        conn.execute(
            sa.insert(invoices),
            [
                dict(
                    invoice_id=i,
                    invoice_number=f"INV-{i}",
                    kind="ar",
                    status=status,
                    deleted=deleted,
                    student_id=student,
                    invoiced_to=to,
                    invoice_date=dt.date(2026, 11, 1),
                    **stamp,
                )
                for i, (student, status, deleted, to) in made.items()
            ],
        )
    before = {i: to for i, (_s, _st, _d, to) in made.items()}
    result = _run(db)
    assert _invoices(db) == {**before, 1: "Last2, First2", 6: "Last1, First1"}
    assert result.counts["invoices_changed"] == 2
    assert "2 open invoice(s) now carry the SIS name." in result.summary
    with db.connect() as conn:
        audit = conn.execute(
            sa.select(
                finance_audit.c.record_id,
                finance_audit.c.change,
                finance_audit.c.old_values,
                finance_audit.c.new_values,
                finance_audit.c.changed_by,
                finance_audit.c.job_key,
            )
            .where(finance_audit.c.table_name == "invoices")
            .order_by(finance_audit.c.record_id)
        ).all()
    assert [(r, c, json.loads(o), json.loads(n), who, key) for r, c, o, n, who, key in audit] == [
        (1, "update", {"invoiced_to": "Smith, Ann"}, {"invoiced_to": "Last2, First2"}, *WHO),
        (6, "update", {"invoiced_to": None}, {"invoiced_to": "Last1, First1"}, *WHO),
    ]
    again = _run(db)
    assert again.counts["invoices_changed"] == 0
    assert _invoices(db) == {**before, 1: "Last2, First2", 6: "Last1, First1"}
