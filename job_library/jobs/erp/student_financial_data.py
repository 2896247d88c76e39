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
    listed: list[tuple]
    no_address: list[tuple]


def sync_customers(context: JobContext, max_listed: int) -> CustomerChanges:
    """Copy each billed student's SIS name and address onto their ERP customer record."""
    from job_library.jobs.erp._erp_audit import log_changes
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
    fields_changed = 0
    for field in FIELDS:  # six statements, one per field, each over every customer
        fields_changed += log_changes(
            context,
            "erp_customers",
            field,
            f"SELECT c.customer_id AS record_id, c.{field} AS old_value, {t}.{field} AS new_value "
            f"FROM erp_customers c JOIN {t} ON {t}.customer_id = c.customer_id "
            f"WHERE {differs[field]}",
        )
    any_differs = " OR ".join(differs.values())
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
    checked, without = conn.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((temp.c.has_address == 0, 1), else_=0)), 0),
        ).select_from(temp)
    ).one()
    temp.drop(conn)
    return CustomerChanges(checked, changed, fields_changed, int(without), listed, no_address)


def report(changes: CustomerChanges, cap: int) -> JobResult:
    summary = (
        f"Checked {changes.checked} ERP customer record(s) of students: {changes.changed} "
        f"updated ({changes.fields_changed} field(s)); {changes.without_address} student(s) "
        "have no SIS address, so their customer address was kept."
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
        "address keeps the customer's address and is listed; each changed field is written "
        "to the ERP change log with its old and new value, the job and the time; a record "
        "already matching the SIS is not counted."
    )
    params_model = StudentFinancialDataParams
    needs_add_ons = frozenset({AddOn.ERP})

    def run(self, context: JobContext, params: StudentFinancialDataParams) -> JobResult:
        return report(sync_customers(context, params.max_listed), params.max_listed)
