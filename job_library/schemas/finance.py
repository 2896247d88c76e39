"""Student finance: fees, invoices and their lines, payments, allocations, refunds, deferrals,
payment plans, receipts and the audit trail of every change a job makes to them.

Amounts are exact decimals (``Numeric(12, 2)``): money is never a float here. The cash
drawers and the Authorize.net payments taken in them stay in ``schemas.integrations``
(``cash_drawers``, ``drawer_payments``, ``cashouts``); a payment here points at the drawer
payment it came from when it came through one.
"""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column


def _money(name: str, *, nullable: bool = False, **kw) -> sa.Column:
    return sa.Column(name, sa.Numeric(12, 2), nullable=nullable, **kw)


def _stamp() -> list[sa.Column]:
    # Who made a record and when: a user name, or "job <id>" for a scheduled job.
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
    ]


INVOICE_KINDS = ("ar", "pos", "internal")  # Accounts Receivable, Point of Sale, internal account
INVOICE_STATUSES = ("open", "paid", "voided")
INTERVALS = ("annual", "semester", "month", "week")
SEARCH_TERMS = ("school", "grade", "program", "student")
RECEIPT_SOURCES = ("pos", "store", "portal")

# An account strip (the general-ledger account a fee posts to) as its levels' number and
# title pairs: fund, function, object ... as far as the district's strip goes.
account_strips = sa.Table(
    "account_strips",
    metadata,
    id_column("strip_id"),
    sa.Column("strip", sa.String(100), nullable=False, unique=True),  # the whole strip, 1-2-3
    *[
        col
        for level in range(1, 6)
        for col in (
            sa.Column(f"level{level}_num", sa.String(20)),
            sa.Column(f"level{level}_title", sa.String(100)),
        )
    ],
)

# District template fees: set up once by the district and pushed out to the schools'
# programs. ``program_number`` None means every program; ``pushed_at`` None means the
# template was not pushed out yet (nothing applies it).
district_fee_templates = sa.Table(
    "district_fee_templates",
    metadata,
    id_column("template_id"),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("program_number", sa.String(7), sa.ForeignKey("fps_programs.program_number")),
    _money("amount"),
    fk_column("strip_id", "account_strips.strip_id"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("pushed_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("amount >= 0", name="ck_district_fee_templates_amount"),
)

# The fees a school charges. A fee made from a district template names it; a school program
# gets each template's fee once (the unique key).
fees = sa.Table(
    "fees",
    metadata,
    id_column("fee_id"),
    fk_column("school_id", "schools.school_id"),  # None: a district-wide fee
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("program_number", sa.String(7), sa.ForeignKey("fps_programs.program_number")),
    _money("amount"),
    fk_column("strip_id", "account_strips.strip_id"),
    fk_column("template_id", "district_fee_templates.template_id"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    *_stamp(),
    sa.CheckConstraint("amount >= 0", name="ck_fees_amount"),
    sa.UniqueConstraint("template_id", "school_id", "program_number", name="uq_fees_template"),
    sa.Index("ix_fees_school_year", "school_id", "syear"),
)

# The Automatic Invoices set-up: which students (the search terms), which fees, how often.
# A student matches when, for each kind of term the set-up has, one of its values fits.
automatic_invoices = sa.Table(
    "automatic_invoices",
    metadata,
    id_column("automatic_invoice_id"),
    sa.Column("title", sa.String(100), nullable=False),
    fk_column("school_id", "schools.school_id", nullable=False),
    fk_column("syear", "school_years.syear", nullable=False),
    sa.Column("interval", sa.String(10), nullable=False),
    # The first day of the second semester, for the semester interval.
    sa.Column("second_semester_start", sa.Date),
    sa.Column("due_days", sa.Integer, nullable=False, server_default="30"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.CheckConstraint(
        "interval in ('annual', 'semester', 'month', 'week')", name="ck_automatic_invoices_interval"
    ),
    sa.CheckConstraint("due_days >= 0", name="ck_automatic_invoices_due_days"),
)

automatic_invoice_terms = sa.Table(
    "automatic_invoice_terms",
    metadata,
    id_column("term_id"),
    fk_column("automatic_invoice_id", "automatic_invoices.automatic_invoice_id", nullable=False),
    sa.Column("term", sa.String(10), nullable=False),  # school id, grade short name ...
    sa.Column("value", sa.String(20), nullable=False),
    sa.CheckConstraint(
        "term in ('school', 'grade', 'program', 'student')", name="ck_automatic_invoice_terms"
    ),
    sa.UniqueConstraint("automatic_invoice_id", "term", "value", name="uq_automatic_invoice_term"),
)

automatic_invoice_fees = sa.Table(
    "automatic_invoice_fees",
    metadata,
    sa.Column(
        "automatic_invoice_id",
        sa.Integer,
        sa.ForeignKey("automatic_invoices.automatic_invoice_id"),
        primary_key=True,
    ),
    sa.Column("fee_id", sa.Integer, sa.ForeignKey("fees.fee_id"), primary_key=True),
)

# Payment plans (ERP > Accounts Receivable > Point of Sale > Payment Plans) and their
# installments; each installment becomes one POS invoice when it falls due.
payment_plans = sa.Table(
    "payment_plans",
    metadata,
    id_column("plan_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("school_id", "schools.school_id"),
    fk_column("syear", "school_years.syear"),
    sa.Column("title", sa.String(100), nullable=False),
    fk_column("fee_id", "fees.fee_id"),  # what the installments pay for, when one fee
    fk_column("strip_id", "account_strips.strip_id"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    *_stamp(),
)

payment_plan_installments = sa.Table(
    "payment_plan_installments",
    metadata,
    id_column("installment_id"),
    fk_column("plan_id", "payment_plans.plan_id", nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    _money("amount"),
    sa.CheckConstraint("amount > 0", name="ck_payment_plan_installments_amount"),
    sa.UniqueConstraint("plan_id", "number", name="uq_payment_plan_installment"),
)

# Invoices of every kind. ``deleted`` is the POS flag of a stale invoice (kept, not
# removed); ``status`` voided is a cancelled one. An automatic invoice carries its set-up and
# interval key (2026, 2026-S1, 2026-11, 2026-W2026-11-30 ...), a payment-plan invoice its
# installment: the unique keys make invoicing the same thing twice impossible.
invoices = sa.Table(
    "invoices",
    metadata,
    id_column("invoice_id"),
    sa.Column("invoice_number", sa.String(60), nullable=False, unique=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, server_default="open"),
    sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    fk_column("student_id", "students.student_id"),
    sa.Column("customer", sa.String(200)),  # who is billed, when not (only) a student
    sa.Column("invoiced_to", sa.String(200)),
    fk_column("school_id", "schools.school_id"),
    fk_column("syear", "school_years.syear"),
    sa.Column("fiscal_year", sa.Integer),
    sa.Column("invoice_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date),
    fk_column("automatic_invoice_id", "automatic_invoices.automatic_invoice_id"),
    sa.Column("interval_key", sa.String(20)),
    fk_column("installment_id", "payment_plan_installments.installment_id", unique=True),
    sa.Column("voided_at", sa.DateTime(timezone=True)),
    sa.Column("voided_by", sa.String(100)),
    sa.Column("void_reason", sa.String(200)),
    sa.Column("deleted_at", sa.DateTime(timezone=True)),
    *_stamp(),
    sa.CheckConstraint("kind in ('ar', 'pos', 'internal')", name="ck_invoices_kind"),
    sa.CheckConstraint("status in ('open', 'paid', 'voided')", name="ck_invoices_status"),
    sa.CheckConstraint(
        "(automatic_invoice_id IS NULL) = (interval_key IS NULL)", name="ck_invoices_interval"
    ),
    sa.UniqueConstraint(
        "automatic_invoice_id", "student_id", "interval_key", name="uq_invoices_interval"
    ),
    sa.Index("ix_invoices_student", "student_id"),
    sa.Index("ix_invoices_kind_status", "kind", "status"),
)

invoice_lines = sa.Table(
    "invoice_lines",
    metadata,
    id_column("line_id"),
    fk_column("invoice_id", "invoices.invoice_id", nullable=False),
    fk_column("fee_id", "fees.fee_id"),
    fk_column("schedule_id", "schedule.id"),  # the course a (FPS) course fee is for
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("quantity", sa.Numeric(10, 2), nullable=False, server_default="1"),
    _money("amount"),  # the line's total
    fk_column("strip_id", "account_strips.strip_id"),
    sa.Index("ix_invoice_lines_invoice", "invoice_id"),
)

# Money received. ``valid`` false: voided or returned (a bounced check), so it pays nothing.
payments = sa.Table(
    "payments",
    metadata,
    id_column("payment_id"),
    fk_column("student_id", "students.student_id"),
    sa.Column("payer", sa.String(200)),
    _money("amount"),
    sa.Column("paid_on", sa.Date, nullable=False),
    sa.Column("method", sa.String(20), nullable=False),  # cash, check, card, portal ...
    sa.Column("reference", sa.String(60)),  # check number, transaction id
    fk_column("drawer_id", "cash_drawers.drawer_id"),
    fk_column("drawer_payment_id", "drawer_payments.payment_id", unique=True),
    sa.Column("valid", sa.Boolean, nullable=False, server_default=sa.true()),
    *_stamp(),
    sa.CheckConstraint("amount > 0", name="ck_payments_amount"),
    sa.Index("ix_payments_student", "student_id"),
)

# Which part of a payment pays which invoice (and line). An inactive allocation was undone.
allocations = sa.Table(
    "allocations",
    metadata,
    id_column("allocation_id"),
    fk_column("payment_id", "payments.payment_id", nullable=False),
    fk_column("invoice_id", "invoices.invoice_id", nullable=False),
    fk_column("line_id", "invoice_lines.line_id"),
    _money("amount"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    *_stamp(),
    sa.CheckConstraint("amount > 0", name="ck_allocations_amount"),
    sa.Index("ix_allocations_invoice", "invoice_id"),
    sa.Index("ix_allocations_payment", "payment_id"),
)

# Money given back from a payment, against the invoice it had paid.
refunds = sa.Table(
    "refunds",
    metadata,
    id_column("refund_id"),
    fk_column("payment_id", "payments.payment_id", nullable=False),
    fk_column("invoice_id", "invoices.invoice_id"),
    _money("amount"),
    sa.Column("refunded_on", sa.Date, nullable=False),
    sa.Column("reason", sa.String(200)),
    *_stamp(),
    sa.CheckConstraint("amount > 0", name="ck_refunds_amount"),
    sa.Index("ix_refunds_invoice", "invoice_id"),
)

# Part of an invoice put off (financial aid, a third party, an adult-education fee
# deferral). ``fee_status_code`` is the state's adult fee status the deferral reports.
deferrals = sa.Table(
    "deferrals",
    metadata,
    id_column("deferral_id"),
    fk_column("invoice_id", "invoices.invoice_id", nullable=False),
    fk_column("line_id", "invoice_lines.line_id"),
    _money("amount"),
    sa.Column("deferred_on", sa.Date, nullable=False),
    sa.Column("reason", sa.String(100)),
    sa.Column("fee_status_code", sa.String(1)),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    *_stamp(),
    sa.CheckConstraint("amount > 0", name="ck_deferrals_amount"),
    sa.Index("ix_deferrals_invoice", "invoice_id"),
)

# Receipts handed out for payments and refunds, at a drawer, the store or the portal.
receipts = sa.Table(
    "receipts",
    metadata,
    id_column("receipt_id"),
    sa.Column("receipt_number", sa.String(30), nullable=False, unique=True),
    sa.Column("transaction_number", sa.String(30)),
    sa.Column("receipt_date", sa.Date, nullable=False),
    sa.Column("fiscal_year", sa.Integer),
    sa.Column("source", sa.String(10), nullable=False, server_default="pos"),
    fk_column("payment_id", "payments.payment_id"),
    fk_column("refund_id", "refunds.refund_id"),
    fk_column("student_id", "students.student_id"),
    fk_column("drawer_id", "cash_drawers.drawer_id"),
    sa.Column("customer", sa.String(200)),  # the payer
    sa.Column("invoiced_to", sa.String(200)),
    _money("receipt_amount", server_default="0"),
    _money("allocation_amount", server_default="0"),
    _money("payment_amount", server_default="0"),
    _money("refund_amount", server_default="0"),
    fk_column("strip_id", "account_strips.strip_id"),
    # Generate PDFs from Receipts: the saved file, once saved.
    sa.Column("pdf_file", sa.String(300)),
    sa.Column("pdf_saved_at", sa.DateTime(timezone=True)),
    *_stamp(),
    sa.CheckConstraint("source in ('pos', 'store', 'portal')", name="ck_receipts_source"),
    sa.Index("ix_receipts_date", "receipt_date"),
)

# The Power BI / Focus Analytics receipt report, rebuilt from the finance tables.
power_bi_receipts_report = sa.Table(
    "power_bi_receipts_report",
    metadata,
    id_column("id"),
    sa.Column("receipt_num", sa.String(30), nullable=False),
    sa.Column("transaction_num", sa.String(30)),
    sa.Column("receipt_date", sa.Date, nullable=False),
    sa.Column("fiscal_year", sa.Integer),
    sa.Column("customer", sa.String(200)),
    sa.Column("invoiced_to", sa.String(200)),
    _money("receipt_amt", nullable=True),
    _money("allocation_amt", nullable=True),
    _money("payment_amt", nullable=True),
    _money("refund_amt", nullable=True),
    *[
        col
        for level in range(1, 6)
        for col in (
            sa.Column(f"strip_level{level}_num", sa.String(20)),
            sa.Column(f"strip_level{level}_title", sa.String(100)),
        )
    ],
    sa.Index("ix_power_bi_receipts_report_num", "receipt_num"),
)

# Outstanding Student Invoices: a row is the "balance due" icon beside a student's name.
student_balances = sa.Table(
    "student_balances",
    metadata,
    sa.Column(
        "student_id",
        sa.Integer,
        sa.ForeignKey("students.student_id"),
        primary_key=True,
        autoincrement=False,
    ),
    _money("balance"),
    sa.Column("open_invoices", sa.Integer, nullable=False),
    sa.Column("oldest_due_date", sa.Date),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# Every change a job makes to a financial record: which table and record, what changed
# (old and new values as JSON text), who made it, which job and when.
finance_audit = sa.Table(
    "finance_audit",
    metadata,
    id_column("audit_id"),
    sa.Column("table_name", sa.String(60), nullable=False),
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("change", sa.String(10), nullable=False),
    sa.Column("old_values", sa.Text),
    sa.Column("new_values", sa.Text),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("job_key", sa.String(100)),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("change in ('insert', 'update', 'delete')", name="ck_finance_audit_change"),
    sa.Index("ix_finance_audit_record", "table_name", "record_id"),
)
