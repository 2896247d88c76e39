"""Update Student Financial Data (ERP): SIS names and addresses onto the ERP customer records."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field

from job_library.base import Job, JobContext, JobResult
from job_library.output import listed_result
from job_library.site import AddOn

FIELDS = ("name", "address", "address2", "city", "state", "zipcode")

# What the customer record should say. The student's mailing address is their first
# student_addresses row; a student without one keeps the customer's address.
_SIS_VALUES = """
INSERT INTO {temp} (customer_id, student_id, has_address, name, address, address2, city,
    state, zipcode)
SELECT c.customer_id, c.student_id, CASE WHEN a.address_id IS NULL THEN 0 ELSE 1 END,
       s.last_name || ', ' || s.first_name,
       CASE WHEN a.address_id IS NULL THEN c.address ELSE a.address END,
       CASE WHEN a.address_id IS NULL THEN c.address2 ELSE a.address2 END,
       CASE WHEN a.address_id IS NULL THEN c.city ELSE a.city END,
       CASE WHEN a.address_id IS NULL THEN c.state ELSE a.state END,
       CASE WHEN a.address_id IS NULL THEN c.zipcode ELSE a.zipcode END
FROM erp_customers c
JOIN students s ON s.student_id = c.student_id
LEFT JOIN student_addresses a ON a.address_id = (
    SELECT MIN(x.address_id) FROM student_addresses x WHERE x.student_id = c.student_id)
"""


class StudentFinancialDataParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_listed: int = Field(default=200, ge=0, le=10_000, title="Changed customers listed")


@dataclass(frozen=True)
class CustomerChanges:
    """What a run changed, with the first changed and address-less customers listed."""

    checked: int
    changed: int
    fields_changed: int
    without_address: int
    invoices_changed: int
    listed: list[tuple]
    no_address: list[tuple]


def sync_customers(context: JobContext, max_listed: int, job_key: str) -> CustomerChanges:
    """Copy each billed student's SIS name and address onto their ERP customer record."""
    from job_library.finance_audit import actor_of, json_object, record_audit
    from job_library.schemas.erp_hr import erp_customers
    from job_library.sis_sql import analyze, differs_sql, first_rows, scratch_table

    conn = context.connection
    temp = scratch_table(
        conn,
        "tmp_erp_customer_sis",
        [
            sa.Column("customer_id", sa.Integer, primary_key=True),
            sa.Column("student_id", sa.Integer, nullable=False),
            sa.Column("has_address", sa.Integer, nullable=False),
            sa.Column("name", sa.String(210)),
            sa.Column("address", sa.String(200)),
            sa.Column("address2", sa.String(200)),
            sa.Column("city", sa.String(100)),
            sa.Column("state", sa.String(30)),
            sa.Column("zipcode", sa.String(20)),
        ],
    )
    t = temp.name
    conn.execute(sa.text(_SIS_VALUES.format(temp=t)))
    analyze(conn, temp)
    differs = {f: differs_sql(conn, f"c.{f}", f"{t}.{f}") for f in FIELDS}
    any_differs = " OR ".join(differs.values())
    fields_changed = conn.execute(
        sa.text(
            "SELECT COALESCE(SUM("
            + " + ".join(f"CASE WHEN {differs[f]} THEN 1 ELSE 0 END" for f in FIELDS)
            + f"), 0) FROM erp_customers c JOIN {t} ON {t}.customer_id = c.customer_id"
        )
    ).scalar_one()
    # One audit row per changed customer, before the update: every field, old and new.
    c = erp_customers.alias("c")
    actor = actor_of(context, job_key)
    record_audit(
        conn,
        actor,
        table="erp_customers",
        change="update",
        rows=sa.select(
            c.c.customer_id,
            json_object(conn, **{f: c.c[f] for f in FIELDS}),
            json_object(conn, **{f: temp.c[f] for f in FIELDS}),
        )
        .select_from(c.join(temp, temp.c.customer_id == c.c.customer_id))
        .where(sa.text(any_differs)),
    )
    listed = first_rows(
        conn,
        sa.select(
            sa.column("customer_id"),
            sa.column("student_id"),
            sa.column("old_name"),
            sa.column("new_name"),
            sa.column("changed_fields"),
        )
        .select_from(
            sa.text(
                f"(SELECT c.customer_id, c.student_id, c.name AS old_name, {t}.name AS new_name, "
                + " || ".join(f"CASE WHEN {differs[f]} THEN '{f} ' ELSE '' END" for f in FIELDS)
                + f" AS changed_fields FROM erp_customers c JOIN {t} "
                f"ON {t}.customer_id = c.customer_id WHERE {any_differs}) AS changed"
            )
        )
        .order_by(sa.column("customer_id")),
        max_listed,
    )
    no_address = first_rows(
        conn,
        sa.select(temp.c.customer_id, temp.c.student_id, temp.c.name)
        .where(temp.c.has_address == 0)
        .order_by(temp.c.customer_id),
        max_listed,
    )
    sets = ", ".join(
        f"{f} = (SELECT {t}.{f} FROM {t} WHERE {t}.customer_id = erp_customers.customer_id)"
        for f in FIELDS
    )
    changed = conn.execute(
        sa.text(
            f"UPDATE erp_customers SET {sets} WHERE customer_id IN (SELECT c.customer_id "
            f"FROM erp_customers c JOIN {t} ON {t}.customer_id = c.customer_id "
            f"WHERE {any_differs})"
        )
    ).rowcount
    invoices_changed = _rename_open_invoices(conn, actor, temp)
    checked, without = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((temp.c.has_address == 0, 1), else_=0)), 0),
        ).select_from(temp)
    ).one()
    temp.drop(conn)
    return CustomerChanges(
        checked, changed, int(fields_changed), int(without), invoices_changed, listed, no_address
    )


def _rename_open_invoices(conn: sa.Connection, actor, temp: sa.Table) -> int:
    """Put the SIS name (``Last, First``) on the student's open invoices (not paid, voided
    or deleted), audited like the customer records; returns how many invoices changed."""
    from job_library.finance_audit import json_object, record_audit
    from job_library.schemas.finance import invoices
    from job_library.sis_sql import differs_sql

    t = temp.name
    i = invoices.alias("i")
    renamed = differs_sql(conn, "i.invoiced_to", f"{t}.name")
    where = f"i.status = 'open' AND i.deleted = FALSE AND {renamed}"
    record_audit(
        conn,
        actor,
        table="invoices",
        change="update",
        rows=sa.select(
            i.c.invoice_id,
            json_object(conn, invoiced_to=i.c.invoiced_to),
            json_object(conn, invoiced_to=temp.c.name),
        )
        .select_from(i.join(temp, temp.c.student_id == i.c.student_id))
        .where(sa.text(where)),
    )
    return conn.execute(
        sa.text(
            f"UPDATE invoices SET invoiced_to = (SELECT {t}.name FROM {t} "
            f"WHERE {t}.student_id = invoices.student_id) WHERE invoice_id IN "
            f"(SELECT i.invoice_id FROM invoices i JOIN {t} ON {t}.student_id = i.student_id "
            f"WHERE {where})"
        )
    ).rowcount


def report(changes: CustomerChanges, cap: int) -> JobResult:
    summary = (
        f"Checked {changes.checked} ERP customer record(s) of students: {changes.changed} "
        f"updated ({changes.fields_changed} field(s)); {changes.without_address} student(s) "
        "have no SIS address, so their customer address was kept; "
        f"{changes.invoices_changed} open invoice(s) now carry the SIS name."
    )
    lines = [summary]
    rows = []
    for customer, student, old, new, fields in changes.listed:
        fields = ", ".join(fields.split())
        rows.append((customer, student, old, new, fields))
        lines.append(f"  customer {customer} (student {student}, {old} -> {new}): {fields}")
    for customer, student, name in changes.no_address:
        lines.append(
            f"  address kept: customer {customer} (student {student}, {name}): "
            "no address in the SIS"
        )
    return listed_result(
        summary,
        lines,
        ("Customer", "Student", "Name before", "Name after", "Fields changed"),
        rows,
        total=changes.changed,
        cap=cap,
        counts={
            "checked": changes.checked,
            "changed": changes.changed,
            "fields_changed": changes.fields_changed,
            "without_address": changes.without_address,
            "invoices_changed": changes.invoices_changed,
        },
    )


class UpdateStudentFinancialData(Job):
    key = "update_student_financial_data"
    title = "Update Student Financial Data"
    module = "ERP"
    description = (
        "Keeps the ERP's customer records of billed students in step with the SIS, so the "
        "invoices print the right name and mailing address: the customer name becomes "
        "'Last, First' from the student record and the address lines, city, state and zip "
        "come from the student's first address. Rules: only students who already have an "
        "ERP customer record are touched (the job creates none); a student without any SIS "
        "address keeps the customer's address and is listed; each changed record is written "
        "to the finance audit with its old and new values, the job and the time; a record "
        "already matching the SIS is not counted. The student's open invoices (not paid, "
        "voided or deleted) get the same 'Last, First' as the invoiced-to name, each change "
        "audited; paid and voided invoices keep the name they were issued under."
    )
    params_model = StudentFinancialDataParams
    needs_add_ons = frozenset({AddOn.ERP})

    def run(self, context: JobContext, params: StudentFinancialDataParams) -> JobResult:
        return report(sync_customers(context, params.max_listed, self.key), params.max_listed)
