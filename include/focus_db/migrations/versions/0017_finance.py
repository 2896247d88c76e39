"""Student finance tables (invoices to the finance audit) and adult fee status on schedule."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"

# Children first.
_TABLES = (
    "receipts",
    "deferrals",
    "allocations",
    "refunds",
    "invoice_lines",
    "invoices",
    "payments",
    "payment_plan_installments",
    "payment_plans",
    "automatic_invoice_fees",
    "fees",
    "automatic_invoice_terms",
    "student_balances",
    "district_fee_templates",
    "automatic_invoices",
    "power_bi_receipts_report",
    "finance_audit",
    "account_strips",
)
_SCHEDULE_COLUMNS = ("cost_reporting_code", "adult_fee_status_first", "adult_fee_status_second")


def upgrade() -> None:
    op.create_table(
        "account_strips",
        sa.Column("strip_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("strip", sa.String(length=100), nullable=False),
        sa.Column("level1_num", sa.String(length=20), nullable=True),
        sa.Column("level1_title", sa.String(length=100), nullable=True),
        sa.Column("level2_num", sa.String(length=20), nullable=True),
        sa.Column("level2_title", sa.String(length=100), nullable=True),
        sa.Column("level3_num", sa.String(length=20), nullable=True),
        sa.Column("level3_title", sa.String(length=100), nullable=True),
        sa.Column("level4_num", sa.String(length=20), nullable=True),
        sa.Column("level4_title", sa.String(length=100), nullable=True),
        sa.Column("level5_num", sa.String(length=20), nullable=True),
        sa.Column("level5_title", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("strip_id"),
        sa.UniqueConstraint("strip"),
    )
    op.create_table(
        "finance_audit",
        sa.Column("audit_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("table_name", sa.String(length=60), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("old_values", sa.Text(), nullable=True),
        sa.Column("new_values", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("job_key", sa.String(length=100), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "change in ('insert', 'update', 'delete')", name="ck_finance_audit_change"
        ),
        sa.PrimaryKeyConstraint("audit_id"),
    )
    op.create_index(
        "ix_finance_audit_record", "finance_audit", ["table_name", "record_id"], unique=False
    )
    op.create_table(
        "power_bi_receipts_report",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("receipt_num", sa.String(length=30), nullable=False),
        sa.Column("transaction_num", sa.String(length=30), nullable=True),
        sa.Column("receipt_date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=True),
        sa.Column("customer", sa.String(length=200), nullable=True),
        sa.Column("invoiced_to", sa.String(length=200), nullable=True),
        sa.Column("receipt_amt", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("allocation_amt", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("payment_amt", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("refund_amt", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("strip_level1_num", sa.String(length=20), nullable=True),
        sa.Column("strip_level1_title", sa.String(length=100), nullable=True),
        sa.Column("strip_level2_num", sa.String(length=20), nullable=True),
        sa.Column("strip_level2_title", sa.String(length=100), nullable=True),
        sa.Column("strip_level3_num", sa.String(length=20), nullable=True),
        sa.Column("strip_level3_title", sa.String(length=100), nullable=True),
        sa.Column("strip_level4_num", sa.String(length=20), nullable=True),
        sa.Column("strip_level4_title", sa.String(length=100), nullable=True),
        sa.Column("strip_level5_num", sa.String(length=20), nullable=True),
        sa.Column("strip_level5_title", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_power_bi_receipts_report_num", "power_bi_receipts_report", ["receipt_num"], unique=False
    )
    op.create_table(
        "automatic_invoices",
        sa.Column("automatic_invoice_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("interval", sa.String(length=10), nullable=False),
        sa.Column("second_semester_start", sa.Date(), nullable=True),
        sa.Column("due_days", sa.Integer(), server_default="30", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint(
            "interval in ('annual', 'semester', 'month', 'week')",
            name="ck_automatic_invoices_interval",
        ),
        sa.CheckConstraint("due_days >= 0", name="ck_automatic_invoices_due_days"),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("automatic_invoice_id"),
    )
    op.create_table(
        "district_fee_templates",
        sa.Column("template_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("program_number", sa.String(length=7), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("strip_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount >= 0", name="ck_district_fee_templates_amount"),
        sa.ForeignKeyConstraint(
            ["program_number"],
            ["fps_programs.program_number"],
        ),
        sa.ForeignKeyConstraint(
            ["strip_id"],
            ["account_strips.strip_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("template_id"),
    )
    op.create_table(
        "student_balances",
        sa.Column("student_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("balance", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("open_invoices", sa.Integer(), nullable=False),
        sa.Column("oldest_due_date", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("student_id"),
    )
    op.create_table(
        "automatic_invoice_terms",
        sa.Column("term_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("automatic_invoice_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "term in ('school', 'grade', 'program', 'student')", name="ck_automatic_invoice_terms"
        ),
        sa.ForeignKeyConstraint(
            ["automatic_invoice_id"],
            ["automatic_invoices.automatic_invoice_id"],
        ),
        sa.PrimaryKeyConstraint("term_id"),
        sa.UniqueConstraint(
            "automatic_invoice_id", "term", "value", name="uq_automatic_invoice_term"
        ),
    )
    op.create_table(
        "fees",
        sa.Column("fee_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("syear", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("program_number", sa.String(length=7), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("strip_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount >= 0", name="ck_fees_amount"),
        sa.ForeignKeyConstraint(
            ["program_number"],
            ["fps_programs.program_number"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["strip_id"],
            ["account_strips.strip_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["district_fee_templates.template_id"],
        ),
        sa.PrimaryKeyConstraint("fee_id"),
        sa.UniqueConstraint("template_id", "school_id", "program_number", name="uq_fees_template"),
    )
    op.create_index("ix_fees_school_year", "fees", ["school_id", "syear"], unique=False)
    op.create_table(
        "automatic_invoice_fees",
        sa.Column("automatic_invoice_id", sa.Integer(), nullable=False),
        sa.Column("fee_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["automatic_invoice_id"],
            ["automatic_invoices.automatic_invoice_id"],
        ),
        sa.ForeignKeyConstraint(
            ["fee_id"],
            ["fees.fee_id"],
        ),
        sa.PrimaryKeyConstraint("automatic_invoice_id", "fee_id"),
    )
    op.create_table(
        "payment_plans",
        sa.Column("plan_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("syear", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("fee_id", sa.Integer(), nullable=True),
        sa.Column("strip_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["fee_id"],
            ["fees.fee_id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["strip_id"],
            ["account_strips.strip_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("plan_id"),
    )
    op.create_table(
        "payment_plan_installments",
        sa.Column("installment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_payment_plan_installments_amount"),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["payment_plans.plan_id"],
        ),
        sa.PrimaryKeyConstraint("installment_id"),
        sa.UniqueConstraint("plan_id", "number", name="uq_payment_plan_installment"),
    )
    op.create_table(
        "payments",
        sa.Column("payment_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("payer", sa.String(length=200), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=60), nullable=True),
        sa.Column("drawer_id", sa.Integer(), nullable=True),
        sa.Column("drawer_payment_id", sa.Integer(), nullable=True),
        sa.Column("valid", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_payments_amount"),
        sa.ForeignKeyConstraint(
            ["drawer_id"],
            ["cash_drawers.drawer_id"],
        ),
        sa.ForeignKeyConstraint(
            ["drawer_payment_id"],
            ["drawer_payments.payment_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("payment_id"),
        sa.UniqueConstraint("drawer_payment_id"),
    )
    op.create_index("ix_payments_student", "payments", ["student_id"], unique=False)
    op.create_table(
        "invoices",
        sa.Column("invoice_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_number", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("customer", sa.String(length=200), nullable=True),
        sa.Column("invoiced_to", sa.String(length=200), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("syear", sa.Integer(), nullable=True),
        sa.Column("fiscal_year", sa.Integer(), nullable=True),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("automatic_invoice_id", sa.Integer(), nullable=True),
        sa.Column("interval_key", sa.String(length=20), nullable=True),
        sa.Column("installment_id", sa.Integer(), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_by", sa.String(length=100), nullable=True),
        sa.Column("void_reason", sa.String(length=200), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("kind in ('ar', 'pos', 'internal')", name="ck_invoices_kind"),
        sa.CheckConstraint("status in ('open', 'paid', 'voided')", name="ck_invoices_status"),
        sa.CheckConstraint(
            "(automatic_invoice_id IS NULL) = (interval_key IS NULL)", name="ck_invoices_interval"
        ),
        sa.ForeignKeyConstraint(
            ["automatic_invoice_id"],
            ["automatic_invoices.automatic_invoice_id"],
        ),
        sa.ForeignKeyConstraint(
            ["installment_id"],
            ["payment_plan_installments.installment_id"],
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.school_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.ForeignKeyConstraint(
            ["syear"],
            ["school_years.syear"],
        ),
        sa.PrimaryKeyConstraint("invoice_id"),
        sa.UniqueConstraint(
            "automatic_invoice_id", "student_id", "interval_key", name="uq_invoices_interval"
        ),
        sa.UniqueConstraint("installment_id"),
        sa.UniqueConstraint("invoice_number"),
    )
    op.create_index("ix_invoices_kind_status", "invoices", ["kind", "status"], unique=False)
    op.create_index("ix_invoices_student", "invoices", ["student_id"], unique=False)
    op.create_table(
        "invoice_lines",
        sa.Column("line_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("fee_id", sa.Integer(), nullable=True),
        sa.Column("schedule_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column(
            "quantity", sa.Numeric(precision=10, scale=2), server_default="1", nullable=False
        ),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("strip_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fee_id"],
            ["fees.fee_id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.invoice_id"],
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["schedule.id"],
        ),
        sa.ForeignKeyConstraint(
            ["strip_id"],
            ["account_strips.strip_id"],
        ),
        sa.PrimaryKeyConstraint("line_id"),
    )
    op.create_index("ix_invoice_lines_invoice", "invoice_lines", ["invoice_id"], unique=False)
    op.create_table(
        "refunds",
        sa.Column("refund_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("refunded_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_refunds_amount"),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.invoice_id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.payment_id"],
        ),
        sa.PrimaryKeyConstraint("refund_id"),
    )
    op.create_index("ix_refunds_invoice", "refunds", ["invoice_id"], unique=False)
    op.create_table(
        "allocations",
        sa.Column("allocation_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_allocations_amount"),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.invoice_id"],
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["invoice_lines.line_id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.payment_id"],
        ),
        sa.PrimaryKeyConstraint("allocation_id"),
    )
    op.create_index("ix_allocations_invoice", "allocations", ["invoice_id"], unique=False)
    op.create_index("ix_allocations_payment", "allocations", ["payment_id"], unique=False)
    op.create_table(
        "deferrals",
        sa.Column("deferral_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("deferred_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("fee_status_code", sa.String(length=1), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_deferrals_amount"),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.invoice_id"],
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["invoice_lines.line_id"],
        ),
        sa.PrimaryKeyConstraint("deferral_id"),
    )
    op.create_index("ix_deferrals_invoice", "deferrals", ["invoice_id"], unique=False)
    op.create_table(
        "receipts",
        sa.Column("receipt_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("receipt_number", sa.String(length=30), nullable=False),
        sa.Column("transaction_number", sa.String(length=30), nullable=True),
        sa.Column("receipt_date", sa.Date(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=10), server_default="pos", nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("refund_id", sa.Integer(), nullable=True),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("drawer_id", sa.Integer(), nullable=True),
        sa.Column("customer", sa.String(length=200), nullable=True),
        sa.Column("invoiced_to", sa.String(length=200), nullable=True),
        sa.Column(
            "receipt_amount", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "allocation_amount",
            sa.Numeric(precision=12, scale=2),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "payment_amount", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False
        ),
        sa.Column(
            "refund_amount", sa.Numeric(precision=12, scale=2), server_default="0", nullable=False
        ),
        sa.Column("strip_id", sa.Integer(), nullable=True),
        sa.Column("pdf_file", sa.String(length=300), nullable=True),
        sa.Column("pdf_saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.CheckConstraint("source in ('pos', 'store', 'portal')", name="ck_receipts_source"),
        sa.ForeignKeyConstraint(
            ["drawer_id"],
            ["cash_drawers.drawer_id"],
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.payment_id"],
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"],
            ["refunds.refund_id"],
        ),
        sa.ForeignKeyConstraint(
            ["strip_id"],
            ["account_strips.strip_id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.student_id"],
        ),
        sa.PrimaryKeyConstraint("receipt_id"),
        sa.UniqueConstraint("receipt_number"),
    )
    op.create_index("ix_receipts_date", "receipts", ["receipt_date"], unique=False)
    op.add_column("schedule", sa.Column("cost_reporting_code", sa.String(length=3), nullable=True))
    op.add_column(
        "schedule", sa.Column("adult_fee_status_first", sa.String(length=1), nullable=True)
    )
    op.add_column(
        "schedule", sa.Column("adult_fee_status_second", sa.String(length=1), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("schedule") as batch:
        for name in _SCHEDULE_COLUMNS:
            batch.drop_column(name)
    # The indexes go with their tables.
    for name in _TABLES:
        op.drop_table(name)
