"""Communications: the message queue and its attempts, contacts and what queues messages."""

from __future__ import annotations

import sqlalchemy as sa

from job_library.schema import metadata
from job_library.schemas.columns import fk_column, id_column

TZ = sa.DateTime(timezone=True)

# Queue states: queued (waiting for its time or its retry), sending (marked by a run and
# being sent), then sent, failed (retries used up), undeliverable (the recipient cannot get
# it) or unconfirmed (a run died between marking and recording: never sent again).
QUEUE_STATES = ("queued", "sending", "sent", "failed", "undeliverable", "unconfirmed")

communication_queue = sa.Table(
    "communication_queue",
    metadata,
    id_column("message_id"),
    sa.Column("channel", sa.String(10), nullable=False),  # email, sms, voice, push
    sa.Column("source", sa.String(30), nullable=False, server_default="query"),
    fk_column("school_id", "schools.school_id"),
    fk_column("student_id", "students.student_id"),
    # The Focus user who sent it (a teacher's message): replies go to their inbox.
    fk_column("sender_user_id", "users.user_id"),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("recipient_name", sa.String(200)),
    sa.Column("subject", sa.String(300), nullable=False, server_default=""),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("html_body", sa.Text),
    # When it may go: a scheduled message waits until then, everything else is due at once
    # (a district's own INSERT may leave it and created_at out: both default to now).
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
    # What queued it, once: a job that queues messages never queues the same one twice.
    sa.Column("dedupe_key", sa.String(200), unique=True),
    sa.CheckConstraint(
        "channel in ('email', 'sms', 'voice', 'push')", name="ck_communication_queue_channel"
    ),
    sa.CheckConstraint(
        "status in ('queued', 'sending', 'sent', 'failed', 'undeliverable', 'unconfirmed')",
        name="ck_communication_queue_status",
    ),
    sa.Index("ix_communication_queue_due", "status", "send_after"),
    sa.Index("ix_communication_queue_claim", "claim_token"),
)

# Every try of every message, with its outcome: the queue's audit trail.
communication_attempts = sa.Table(
    "communication_attempts",
    metadata,
    id_column("attempt_id"),
    fk_column("message_id", "communication_queue.message_id", nullable=False),
    sa.Column("job_id", sa.String(100), nullable=False),
    sa.Column("token", sa.String(32), nullable=False),
    sa.Column("started_at", TZ, nullable=False),
    sa.Column("finished_at", TZ),
    # sending, sent, retry, failed, undeliverable, unconfirmed
    sa.Column("outcome", sa.String(15), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Index("ix_communication_attempts_message", "message_id"),
    sa.Index("ix_communication_attempts_token", "token"),
)

# A student's parents and guardians as Focus lists them; priority 1 is called first.
student_contacts = sa.Table(
    "student_contacts",
    metadata,
    id_column("contact_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("relationship", sa.String(50)),
    sa.Column("priority", sa.Integer, nullable=False, server_default="1"),
    sa.Column("email", sa.String(320)),
    sa.Column("phone", sa.String(20)),  # E.164, e.g. +13525550100
    sa.Index("ix_student_contacts_student", "student_id"),
)

# Which kinds of notification a contact wants by e-mail (the Parent Notification settings).
NOTIFICATION_CATEGORIES = (
    "attendance",
    "billing",
    "grades",
    "discipline",
    "assignments",
    "events",
)

contact_notification_settings = sa.Table(
    "contact_notification_settings",
    metadata,
    fk_column("contact_id", "student_contacts.contact_id", nullable=False, primary_key=True),
    sa.Column("category", sa.String(20), primary_key=True),
    sa.Column("email", sa.Boolean, nullable=False, server_default=sa.true()),
)

# Notifications other parts of Focus raise about a student (an absence, a fee, a grade ...).
student_notifications = sa.Table(
    "student_notifications",
    metadata,
    id_column("notification_id"),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("school_id", "schools.school_id"),
    sa.Column("category", sa.String(20), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.CheckConstraint(
        "category in ('attendance', 'billing', 'grades', 'discipline', 'assignments', 'events')",
        name="ck_student_notifications_category",
    ),
    sa.Index("ix_student_notifications_created", "created_at"),
)

# Automated Cron Messages (Setup): a message and its recipients, sent once it is due.
automated_messages = sa.Table(
    "automated_messages",
    metadata,
    id_column("automated_id"),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("send_at", TZ, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
)

automated_message_recipients = sa.Table(
    "automated_message_recipients",
    metadata,
    fk_column("automated_id", "automated_messages.automated_id", nullable=False, primary_key=True),
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("name", sa.String(200)),
)

# Messages a district sets up for attendance (Communication > Settings > Attendance): a
# day's absence of this type queues this message to each contact with the channel's address.
attendance_message_settings = sa.Table(
    "attendance_message_settings",
    metadata,
    id_column("setting_id"),
    sa.Column("absence_type", sa.String(10), nullable=False),  # excused or unexcused
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False, server_default=""),
    # {student} and {date} are filled in.
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("max_priority", sa.Integer, nullable=False, server_default="1"),
    sa.UniqueConstraint("absence_type", "channel", name="uq_attendance_message_settings"),
)

# Replies to sent e-mails, fetched from the replies mailbox over IMAP into the sender's inbox.
communication_replies = sa.Table(
    "communication_replies",
    metadata,
    id_column("reply_id"),
    fk_column("message_id", "communication_queue.message_id", nullable=False),
    fk_column("user_id", "users.user_id"),  # the inbox it lands in (the original sender)
    # The reply's own Message-ID (or a digest of it when it has none): fetched once.
    sa.Column("mail_id", sa.String(300), nullable=False, unique=True),
    sa.Column("from_address", sa.String(320), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("received_at", TZ, nullable=False),
    sa.Column("read_at", TZ),
    sa.Index("ix_communication_replies_user", "user_id"),
)

# Focus Chat: a message to a user, delivered by Focus Chat Alerts; read_at when opened.
chat_messages = sa.Table(
    "chat_messages",
    metadata,
    id_column("chat_id"),
    fk_column("sender_user_id", "users.user_id", nullable=False),
    fk_column("recipient_user_id", "users.user_id", nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("delivered_at", TZ),  # null: still queued
    sa.Column("read_at", TZ),
    sa.Index("ix_chat_messages_unread", "recipient_user_id", "read_at"),
)

# ERP purchasing-card requisitions, and the clause texts (ERP Setup > Clauses) of e-mails.
pcard_requisitions = sa.Table(
    "pcard_requisitions",
    metadata,
    id_column("requisition_id"),
    sa.Column("number", sa.String(20), nullable=False, unique=True),
    sa.Column("requester", sa.String(200), nullable=False),
    sa.Column("amount", sa.Numeric(12, 2), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # draft, pending_approval, approved ...
    sa.Column("status_date", sa.Date, nullable=False),  # when it entered that status
    # The fiscal year the request is charged to (set by Pcard Imports; may be overridden).
    sa.Column("fiscal_year", sa.Integer),
)

erp_clauses = sa.Table(
    "erp_clauses",
    metadata,
    sa.Column("title", sa.String(100), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
)

# Forms built in the Application Editor, and the forms published to people to fill in.
forms = sa.Table(
    "forms",
    metadata,
    id_column("form_id"),
    sa.Column("title", sa.String(200), nullable=False),
)

form_assignments = sa.Table(
    "form_assignments",
    metadata,
    id_column("assignment_id"),
    fk_column("form_id", "forms.form_id", nullable=False),
    fk_column("student_id", "students.student_id", nullable=False),
    fk_column("contact_id", "student_contacts.contact_id"),  # null: the student's own form
    # The message that could not reach them (why the form was published).
    fk_column("message_id", "communication_queue.message_id"),
    sa.Column("published_at", TZ, nullable=False),
    sa.Column("completed_at", TZ),
    sa.Column("new_phone", sa.String(20)),
    sa.Column("new_email", sa.String(320)),
    sa.Column("shared_at", TZ),  # when the completed form was published to staff
    sa.Index("ix_form_assignments_student", "student_id"),
)

# Attendance letter triggers: N absences (daily or period) in the year queue a letter.
attendance_triggers = sa.Table(
    "attendance_triggers",
    metadata,
    id_column("trigger_id"),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("basis", sa.String(10), nullable=False),  # daily or period
    sa.Column("category", sa.String(10), nullable=False),  # unexcused, excused or any
    sa.Column("threshold", sa.Integer, nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("template", sa.Text, nullable=False),  # {student}, {count}
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.CheckConstraint("basis in ('daily', 'period')", name="ck_attendance_triggers_basis"),
    sa.CheckConstraint(
        "category in ('unexcused', 'excused', 'any')", name="ck_attendance_triggers_category"
    ),
)

# ERP general ledger periods and postings, and who subscribes to trial balance alerts.
gl_periods = sa.Table(
    "gl_periods",
    metadata,
    id_column("period_id"),
    sa.Column("title", sa.String(50), nullable=False),
    sa.Column("closed_at", TZ),  # null: open
)

gl_transactions = sa.Table(
    "gl_transactions",
    metadata,
    id_column("txn_id"),
    fk_column("period_id", "gl_periods.period_id", nullable=False),
    sa.Column("account", sa.String(40), nullable=False),
    sa.Column("amount", sa.Numeric(14, 2), nullable=False),
    sa.Column("posted_at", TZ, nullable=False),
    sa.Index("ix_gl_transactions_period", "period_id", "posted_at"),
)

trial_balance_subscriptions = sa.Table(
    "trial_balance_subscriptions",
    metadata,
    sa.Column("email", sa.String(320), primary_key=True),
    sa.Column("name", sa.String(200)),
)

# ERP Transportation: field trips and the notices raised about them for users.
field_trip_notices = sa.Table(
    "field_trip_notices",
    metadata,
    id_column("notice_id"),
    sa.Column("trip_title", sa.String(200), nullable=False),
    sa.Column("trip_date", sa.Date, nullable=False),
    fk_column("user_id", "users.user_id", nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("notified_at", TZ),  # null: not yet alerted and e-mailed
)

# Alerts on a Focus user's portal that name no student (Transportation, ERP).
user_alerts = sa.Table(
    "user_alerts",
    metadata,
    id_column("alert_id"),
    fk_column("user_id", "users.user_id", nullable=False),
    sa.Column("alert_type", sa.String(30), nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("read_at", TZ),
    sa.Index("ix_user_alerts_user", "user_id"),
)
