"""The communication queue with its attempts, contacts and what queues messages (issue #21)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0013"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "communication_queue",
        sa.Column("message_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("source", sa.String(30), nullable=False, server_default="query"),
        sa.Column("school_id", sa.Integer, sa.ForeignKey("schools.school_id")),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id")),
        sa.Column("sender_user_id", sa.Integer, sa.ForeignKey("users.user_id")),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("recipient_name", sa.String(200)),
        sa.Column("subject", sa.String(300), nullable=False, server_default=""),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html_body", sa.Text),
        sa.Column("send_after", TZ, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("status", sa.String(15), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.Column("provider_ref", sa.String(64)),
        sa.Column("claim_token", sa.String(32)),
        sa.Column("marked_at", TZ),
        sa.Column("sent_at", TZ),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.current_timestamp()),
        sa.Column("dedupe_key", sa.String(200), unique=True),
        sa.CheckConstraint(
            "channel in ('email', 'sms', 'voice', 'push')", name="ck_communication_queue_channel"
        ),
        sa.CheckConstraint(
            "status in ('queued', 'sending', 'sent', 'failed', 'undeliverable', 'unconfirmed')",
            name="ck_communication_queue_status",
        ),
    )
    op.create_index("ix_communication_queue_due", "communication_queue", ["status", "send_after"])
    op.create_index("ix_communication_queue_claim", "communication_queue", ["claim_token"])
    op.create_table(
        "communication_attempts",
        sa.Column("attempt_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "message_id",
            sa.Integer,
            sa.ForeignKey("communication_queue.message_id"),
            nullable=False,
        ),
        sa.Column("job_id", sa.String(100), nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ),
        sa.Column("outcome", sa.String(15), nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_index("ix_communication_attempts_message", "communication_attempts", ["message_id"])
    op.create_index("ix_communication_attempts_token", "communication_attempts", ["token"])
    op.create_table(
        "student_contacts",
        sa.Column("contact_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("relationship", sa.String(50)),
        sa.Column("priority", sa.Integer, nullable=False, server_default="1"),
        sa.Column("email", sa.String(320)),
        sa.Column("phone", sa.String(20)),
    )
    op.create_index("ix_student_contacts_student", "student_contacts", ["student_id"])
    op.create_table(
        "contact_notification_settings",
        sa.Column(
            "contact_id",
            sa.Integer,
            sa.ForeignKey("student_contacts.contact_id"),
            primary_key=True,
        ),
        sa.Column("category", sa.String(20), primary_key=True),
        sa.Column("email", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "student_notifications",
        sa.Column("notification_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), nullable=False),
        sa.Column("school_id", sa.Integer, sa.ForeignKey("schools.school_id")),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint(
            "category in ('attendance', 'billing', 'grades', 'discipline', 'assignments', "
            "'events')",
            name="ck_student_notifications_category",
        ),
    )
    op.create_index("ix_student_notifications_created", "student_notifications", ["created_at"])
    op.create_table(
        "automated_messages",
        sa.Column("automated_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("send_at", TZ, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "automated_message_recipients",
        sa.Column(
            "automated_id",
            sa.Integer,
            sa.ForeignKey("automated_messages.automated_id"),
            primary_key=True,
        ),
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("name", sa.String(200)),
    )
    op.create_table(
        "attendance_message_settings",
        sa.Column("setting_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("absence_type", sa.String(10), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False, server_default=""),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("max_priority", sa.Integer, nullable=False, server_default="1"),
        sa.UniqueConstraint("absence_type", "channel", name="uq_attendance_message_settings"),
    )
    op.create_table(
        "communication_replies",
        sa.Column("reply_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "message_id",
            sa.Integer,
            sa.ForeignKey("communication_queue.message_id"),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id")),
        sa.Column("mail_id", sa.String(300), nullable=False, unique=True),
        sa.Column("from_address", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("read_at", TZ),
    )
    op.create_index("ix_communication_replies_user", "communication_replies", ["user_id"])
    op.create_table(
        "chat_messages",
        sa.Column("chat_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sender_user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("recipient_user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("delivered_at", TZ),
        sa.Column("read_at", TZ),
    )
    op.create_index("ix_chat_messages_unread", "chat_messages", ["recipient_user_id", "read_at"])
    op.create_table(
        "pcard_requisitions",
        sa.Column("requisition_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(20), nullable=False, unique=True),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("amount", sa.Numeric(12, 2), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_date", sa.Date, nullable=False),
    )
    op.create_table(
        "forms",
        sa.Column("form_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(200), nullable=False),
    )
    op.create_table(
        "form_assignments",
        sa.Column("assignment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("form_id", sa.Integer, sa.ForeignKey("forms.form_id"), nullable=False),
        sa.Column("student_id", sa.Integer, sa.ForeignKey("students.student_id"), nullable=False),
        sa.Column("contact_id", sa.Integer, sa.ForeignKey("student_contacts.contact_id")),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("communication_queue.message_id")),
        sa.Column("published_at", TZ, nullable=False),
        sa.Column("completed_at", TZ),
        sa.Column("new_phone", sa.String(20)),
        sa.Column("new_email", sa.String(320)),
        sa.Column("shared_at", TZ),
    )
    op.create_index("ix_form_assignments_student", "form_assignments", ["student_id"])
    op.create_table(
        "attendance_triggers",
        sa.Column("trigger_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("basis", sa.String(10), nullable=False),
        sa.Column("category", sa.String(10), nullable=False),
        sa.Column("threshold", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("basis in ('daily', 'period')", name="ck_attendance_triggers_basis"),
        sa.CheckConstraint(
            "category in ('unexcused', 'excused', 'any')",
            name="ck_attendance_triggers_category",
        ),
    )
    op.create_table(
        "gl_periods",
        sa.Column("period_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(50), nullable=False),
        sa.Column("closed_at", TZ),
    )
    op.create_table(
        "gl_transactions",
        sa.Column("txn_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("period_id", sa.Integer, sa.ForeignKey("gl_periods.period_id"), nullable=False),
        sa.Column("account", sa.String(40), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("posted_at", TZ, nullable=False),
    )
    op.create_index("ix_gl_transactions_period", "gl_transactions", ["period_id", "posted_at"])
    op.create_table(
        "trial_balance_subscriptions",
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("name", sa.String(200)),
    )
    op.create_table(
        "field_trip_notices",
        sa.Column("notice_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("trip_title", sa.String(200), nullable=False),
        sa.Column("trip_date", sa.Date, nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("notified_at", TZ),
    )
    op.create_table(
        "user_alerts",
        sa.Column("alert_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.user_id"), nullable=False),
        sa.Column("alert_type", sa.String(30), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("read_at", TZ),
    )
    op.create_index("ix_user_alerts_user", "user_alerts", ["user_id"])
    op.create_table(
        "erp_clauses",
        sa.Column("title", sa.String(100), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "user_alerts",
        "field_trip_notices",
        "trial_balance_subscriptions",
        "gl_transactions",
        "gl_periods",
        "attendance_triggers",
        "form_assignments",
        "forms",
        "erp_clauses",
        "pcard_requisitions",
        "chat_messages",
        "communication_replies",
        "attendance_message_settings",
        "automated_message_recipients",
        "automated_messages",
        "student_notifications",
        "contact_notification_settings",
        "student_contacts",
        "communication_attempts",
        "communication_queue",
    ):
        op.drop_table(table)
