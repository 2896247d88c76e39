"""What an import template may name, without the table definitions: each Focus table's columns
(in order), the ones a new row must be given, and the column sets that identify a row.

Checking a template happens on every parse of the DAG file (a worker's too), and importing
the table definitions (job_library.schemas, about fifty SIS tables) would cost more than the
rest of that parse. TARGETS is therefore derived from them ahead of time;
tests/job_library/integrations/test_import_targets.py fails when it is out of date. After a
table changes, regenerate it: ``python -m job_library.jobs.integrations.import_targets``,
then ``ruff format`` the file.
"""

from __future__ import annotations

from pathlib import Path

# table -> (columns, columns a new row needs, primary key and unique column sets)
Target = tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, ...], ...]]

# BEGIN GENERATED
TARGETS: dict[str, Target] = {
    "address_catalog": (
        (
            "catalog_id",
            "syear",
            "house_number_low",
            "house_number_high",
            "parity",
            "pre_direction",
            "street_name",
            "street_type",
            "post_direction",
            "zipcode",
            "city",
            "low_grade_id",
            "high_grade_id",
            "zoned_school_id",
            "zoned_district",
            "updated_at",
        ),
        (
            "syear",
            "house_number_low",
            "house_number_high",
            "street_name",
            "zipcode",
            "low_grade_id",
            "high_grade_id",
        ),
        (("catalog_id",),),
    ),
    "address_parsed": (
        (
            "address_id",
            "house_number",
            "pre_direction",
            "street_name",
            "street_type",
            "post_direction",
            "unit",
            "zipcode",
            "parsed_at",
            "source",
            "catalog_stamp",
            "in_catalog",
            "parse_error",
        ),
        ("address_id", "parsed_at"),
        (("address_id",),),
    ),
    "attendance_calendar": (
        ("calendar_id", "school_date", "minutes"),
        ("calendar_id", "school_date"),
        (("calendar_id", "school_date"),),
    ),
    "attendance_calendars": (
        ("calendar_id", "school_id", "syear", "title", "is_default"),
        ("school_id", "syear", "title"),
        (("calendar_id",), ("school_id", "syear", "title")),
    ),
    "attendance_codes": (
        ("code_id", "syear", "short_name", "title", "category", "disciplinary"),
        ("syear", "short_name", "title", "category"),
        (("code_id",), ("short_name", "syear")),
    ),
    "attendance_day": (
        (
            "student_id",
            "school_date",
            "syear",
            "school_id",
            "minutes_present",
            "state_value",
            "absence_type",
            "disciplinary",
        ),
        ("student_id", "school_date", "syear", "school_id", "minutes_present", "state_value"),
        (("school_date", "student_id"),),
    ),
    "attendance_message_settings": (
        ("setting_id", "absence_type", "channel", "subject", "template", "max_priority"),
        ("absence_type", "channel", "template"),
        (("setting_id",), ("absence_type", "channel")),
    ),
    "attendance_period": (
        ("student_id", "school_date", "period_id", "attendance_code", "course_period_id"),
        ("student_id", "school_date", "period_id", "attendance_code"),
        (("period_id", "school_date", "student_id"),),
    ),
    "attendance_triggers": (
        ("trigger_id", "title", "basis", "category", "threshold", "subject", "template", "active"),
        ("title", "basis", "category", "threshold", "subject", "template"),
        (("trigger_id",),),
    ),
    "automated_message_recipients": (
        ("automated_id", "email", "name"),
        ("automated_id", "email"),
        (("automated_id", "email"),),
    ),
    "automated_messages": (
        ("automated_id", "title", "subject", "body", "send_at", "active"),
        ("title", "subject", "body", "send_at"),
        (("automated_id",),),
    ),
    "automatic_course_requests": (
        ("id", "student_id", "syear", "school_id", "course_id", "queued_at", "processed_at"),
        ("student_id", "syear", "school_id", "course_id", "queued_at"),
        (("id",),),
    ),
    "blackboard_links": (
        ("kind", "focus_id", "blackboard_id", "external_id", "linked_at"),
        ("kind", "focus_id", "blackboard_id", "linked_at"),
        (("focus_id", "kind"),),
    ),
    "calendar_events": (
        ("event_id", "school_id", "event_date", "title", "description", "uid"),
        ("school_id", "event_date", "title"),
        (("event_id",), ("uid",)),
    ),
    "cash_drawers": (
        ("drawer_id", "title", "school_id", "portal_enabled"),
        ("title",),
        (("drawer_id",),),
    ),
    "cashouts": (
        (
            "cashout_id",
            "drawer_id",
            "source",
            "batch_id",
            "settled_at",
            "amount",
            "payments",
            "created_at",
            "created_by",
        ),
        (
            "drawer_id",
            "source",
            "batch_id",
            "settled_at",
            "amount",
            "payments",
            "created_at",
            "created_by",
        ),
        (("cashout_id",), ("batch_id", "drawer_id", "source")),
    ),
    "chat_messages": (
        (
            "chat_id",
            "sender_user_id",
            "recipient_user_id",
            "body",
            "created_at",
            "delivered_at",
            "read_at",
        ),
        ("sender_user_id", "recipient_user_id", "body", "created_at"),
        (("chat_id",),),
    ),
    "communication_attempts": (
        (
            "attempt_id",
            "message_id",
            "job_id",
            "token",
            "started_at",
            "finished_at",
            "outcome",
            "detail",
        ),
        ("message_id", "job_id", "token", "started_at", "outcome"),
        (("attempt_id",),),
    ),
    "communication_queue": (
        (
            "message_id",
            "channel",
            "source",
            "school_id",
            "student_id",
            "sender_user_id",
            "recipient",
            "recipient_name",
            "subject",
            "body",
            "html_body",
            "send_after",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "provider_ref",
            "claim_token",
            "marked_at",
            "sent_at",
            "created_at",
            "dedupe_key",
        ),
        ("channel", "recipient", "body"),
        (("message_id",), ("dedupe_key",)),
    ),
    "communication_replies": (
        (
            "reply_id",
            "message_id",
            "user_id",
            "mail_id",
            "from_address",
            "subject",
            "body",
            "received_at",
            "read_at",
        ),
        ("message_id", "mail_id", "from_address", "subject", "body", "received_at"),
        (("reply_id",), ("mail_id",)),
    ),
    "contact_notification_settings": (
        ("contact_id", "category", "email"),
        ("contact_id", "category"),
        (("category", "contact_id"),),
    ),
    "course_history": (
        (
            "id",
            "student_id",
            "syear",
            "school_id",
            "course_title",
            "grade_letter",
            "grade_points",
            "weighted_points",
            "credits_earned",
            "affects_gpa",
        ),
        ("student_id", "syear", "school_id", "course_title", "credits_earned"),
        (("id",),),
    ),
    "course_periods": (
        (
            "course_period_id",
            "course_id",
            "school_id",
            "syear",
            "period_id",
            "teacher_id",
            "short_name",
            "title",
            "room",
            "total_seats",
            "filled_seats",
        ),
        ("course_id", "school_id", "syear", "period_id", "short_name", "title"),
        (("course_period_id",),),
    ),
    "courses": (
        (
            "course_id",
            "school_id",
            "syear",
            "title",
            "short_name",
            "course_number",
            "credits",
            "class_size_core",
            "program_number",
            "eoc_exam",
        ),
        ("school_id", "syear", "title", "short_name"),
        (("course_id",), ("school_id", "short_name", "syear")),
    ),
    "custom_field_log": (
        ("id", "field_id", "record_id", "old_value", "new_value", "changed_at", "changed_by"),
        ("field_id", "record_id", "changed_at", "changed_by"),
        (("id",),),
    ),
    "custom_field_values": (
        ("field_id", "record_id", "value"),
        ("field_id", "record_id", "value"),
        (("field_id", "record_id"),),
    ),
    "custom_fields": (
        ("field_id", "alias", "title", "field_type", "record_table", "log_changes"),
        ("field_id", "alias", "title", "field_type", "record_table"),
        (("field_id",), ("alias",)),
    ),
    "deduction_codes": (
        ("code", "title"),
        ("code", "title"),
        (("code",),),
    ),
    "detentions": (
        (
            "detention_id",
            "student_id",
            "school_id",
            "syear",
            "threshold_id",
            "incident_date",
            "minutes",
            "reason",
            "served",
        ),
        ("student_id", "school_id", "syear", "incident_date", "minutes", "reason"),
        (("detention_id",), ("student_id", "threshold_id")),
    ),
    "district_assessment_items": (
        ("assessment_id", "item_no", "correct_answer", "points", "standard"),
        ("assessment_id", "item_no", "correct_answer"),
        (("assessment_id", "item_no"),),
    ),
    "district_assessment_rescore_queue": (
        ("id", "assessment_id", "queued_at", "processed_at"),
        ("assessment_id", "queued_at"),
        (("id",),),
    ),
    "district_assessment_responses": (
        ("assessment_id", "student_id", "item_no", "response"),
        ("assessment_id", "student_id", "item_no"),
        (("assessment_id", "item_no", "student_id"),),
    ),
    "district_assessment_results": (
        (
            "assessment_id",
            "student_id",
            "points_earned",
            "points_possible",
            "completed_at",
            "scored_at",
        ),
        ("assessment_id", "student_id", "points_earned", "points_possible", "scored_at"),
        (("assessment_id", "student_id"),),
    ),
    "district_assessment_sections": (
        ("assessment_id", "course_period_id"),
        ("assessment_id", "course_period_id"),
        (("assessment_id", "course_period_id"),),
    ),
    "district_assessment_students": (
        ("assessment_id", "student_id", "use_text_to_speech", "added_by"),
        ("assessment_id", "student_id"),
        (("assessment_id", "student_id"),),
    ),
    "district_assessments": (
        ("assessment_id", "syear", "title", "external_id", "dynamic", "start_date", "end_date"),
        ("syear", "title"),
        (("assessment_id",), ("external_id",)),
    ),
    "document_text": (
        ("upload_id", "status", "method", "content", "reason", "processed_at"),
        ("upload_id", "status", "processed_at"),
        (("upload_id",),),
    ),
    "drawer_payments": (
        ("payment_id", "drawer_id", "source", "transaction_id", "amount", "paid_at", "cashout_id"),
        ("drawer_id", "source", "transaction_id", "amount", "paid_at"),
        (("payment_id",), ("transaction_id",)),
    ),
    "emergency_services_schools": (
        ("school_id", "lockdown_scenario_id", "assistance_scenario_id"),
        ("school_id",),
        (("school_id",),),
    ),
    "employee_deductions": (
        ("deduction_id", "employee_id", "code", "amount", "start_date", "end_date"),
        ("employee_id", "code", "amount"),
        (("deduction_id",), ("code", "employee_id")),
    ),
    "employees": (
        ("employee_id", "ein", "ssn", "first_name", "last_name", "email", "hire_date"),
        ("ein",),
        (("employee_id",), ("ein",), ("ssn",)),
    ),
    "erp_clauses": (
        ("title", "text"),
        ("title", "text"),
        (("title",),),
    ),
    "ese_records": (
        (
            "ese_id",
            "student_id",
            "exceptionality",
            "primary_exceptionality",
            "service_type",
            "dismissal_date",
            "active",
        ),
        ("student_id", "exceptionality"),
        (("ese_id",),),
    ),
    "field_trip_notices": (
        ("notice_id", "trip_title", "trip_date", "user_id", "message", "created_at", "notified_at"),
        ("trip_title", "trip_date", "user_id", "message", "created_at"),
        (("notice_id",),),
    ),
    "fl_aefl_levels": (
        (
            "id",
            "program_number",
            "test_family",
            "subject",
            "low_score",
            "high_score",
            "level",
            "rank",
            "lcp",
            "source",
        ),
        (
            "program_number",
            "test_family",
            "subject",
            "low_score",
            "high_score",
            "level",
            "rank",
            "source",
        ),
        (("id",), ("low_score", "program_number", "subject", "test_family")),
    ),
    "florida_classsize_counts": (
        (
            "id",
            "school_id",
            "syear",
            "effective_date",
            "grade_group",
            "sections",
            "students",
            "average",
        ),
        ("school_id", "syear", "effective_date", "grade_group", "sections", "students", "average"),
        (("id",), ("effective_date", "grade_group", "school_id", "syear")),
    ),
    "form_assignments": (
        (
            "assignment_id",
            "form_id",
            "student_id",
            "contact_id",
            "message_id",
            "published_at",
            "completed_at",
            "new_phone",
            "new_email",
            "shared_at",
        ),
        ("form_id", "student_id", "published_at"),
        (("assignment_id",),),
    ),
    "forms": (
        ("form_id", "title"),
        ("title",),
        (("form_id",),),
    ),
    "fps_basic_skills_minimums": (
        ("program_number", "test_family", "subject", "min_score", "min_level"),
        ("program_number", "test_family", "subject"),
        (("program_number", "subject", "test_family"),),
    ),
    "fps_programs": (
        ("program_number", "title", "cost_code"),
        ("program_number", "title"),
        (("program_number",),),
    ),
    "gl_periods": (
        ("period_id", "title", "closed_at"),
        ("title",),
        (("period_id",),),
    ),
    "gl_transactions": (
        ("txn_id", "period_id", "account", "amount", "posted_at"),
        ("period_id", "account", "amount", "posted_at"),
        (("txn_id",),),
    ),
    "grade_levels": (
        (
            "grade_id",
            "short_name",
            "title",
            "sort_order",
            "next_grade_id",
            "used_for_zoning",
            "can_roll_into",
        ),
        ("short_name", "title", "sort_order"),
        (("grade_id",), ("short_name",)),
    ),
    "immunization_compliance": (
        ("student_id", "requirement_id", "doses_received", "compliant", "checked_at"),
        ("student_id", "requirement_id", "doses_received", "compliant", "checked_at"),
        (("requirement_id", "student_id"),),
    ),
    "immunization_records": (
        ("record_id", "student_id", "vaccine", "dose_date", "exempt"),
        ("student_id", "vaccine", "dose_date"),
        (("record_id",), ("dose_date", "student_id", "vaccine")),
    ),
    "immunization_requirements": (
        ("requirement_id", "syear", "grade_id", "vaccine", "doses_required"),
        ("syear", "vaccine", "doses_required"),
        (("requirement_id",), ("grade_id", "syear", "vaccine")),
    ),
    "item_bank_question_counts": (
        ("item_bank", "standard", "question_count", "updated_at"),
        ("item_bank", "standard", "question_count", "updated_at"),
        (("item_bank", "standard"),),
    ),
    "job_output": (
        (
            "id",
            "job_id",
            "run_id",
            "started_at",
            "finished_at",
            "success",
            "summary",
            "text_output",
            "html_output",
        ),
        (
            "job_id",
            "run_id",
            "started_at",
            "finished_at",
            "success",
            "summary",
            "text_output",
            "html_output",
        ),
        (("id",), ("job_id", "run_id")),
    ),
    "leave_requests": (
        (
            "leave_id",
            "confirmation_number",
            "leave_date",
            "employee_id",
            "start_time",
            "end_time",
            "hours",
            "reason",
            "paid",
            "source_file",
        ),
        ("confirmation_number", "leave_date", "employee_id", "hours"),
        (("leave_id",), ("confirmation_number", "leave_date")),
    ),
    "mtss_events": (
        ("event_id", "student_id", "school_id", "title", "start_date", "active", "inactivated_on"),
        ("student_id", "school_id", "title", "start_date"),
        (("event_id",),),
    ),
    "pcard_requisitions": (
        ("requisition_id", "number", "requester", "amount", "status", "status_date"),
        ("number", "requester", "amount", "status", "status_date"),
        (("requisition_id",), ("number",)),
    ),
    "photo_uploads": (
        ("photo_id", "person_kind", "person_id", "stored_path", "uploaded_at"),
        ("person_kind", "person_id", "stored_path", "uploaded_at"),
        (("photo_id",),),
    ),
    "portal_alerts": (
        (
            "alert_id",
            "student_id",
            "alert_type",
            "profile",
            "user_id",
            "school_id",
            "message",
            "created_at",
            "read_at",
        ),
        ("student_id", "alert_type", "message", "created_at"),
        (("alert_id",),),
    ),
    "processed_files": (
        ("id", "job_id", "file_name", "sha256", "rows", "processed_at"),
        ("job_id", "file_name", "sha256", "rows", "processed_at"),
        (("id",), ("job_id", "sha256")),
    ),
    "profile_permissions": (
        ("profile_id", "permission", "can_use"),
        ("profile_id", "permission"),
        (("permission", "profile_id"),),
    ),
    "schedule": (
        (
            "id",
            "student_id",
            "syear",
            "school_id",
            "course_id",
            "course_period_id",
            "start_date",
            "end_date",
            "exclude_from_lcp",
            "aefl_subject_area",
            "aefl_initial_level",
            "aefl_final_level",
            "lcps",
            "pre_test_id",
            "post_test_id_1",
            "post_test_id_2",
            "post_test_id_3",
            "basic_skills_exam",
            "eoc_assessment_status",
        ),
        ("student_id", "syear", "school_id", "course_id", "course_period_id", "start_date"),
        (("id",), ("course_period_id", "start_date", "student_id")),
    ),
    "schedule_requests": (
        ("request_id", "student_id", "syear", "school_id", "course_id", "source"),
        ("student_id", "syear", "school_id", "course_id"),
        (("request_id",), ("course_id", "student_id", "syear")),
    ),
    "school_grade_levels": (
        ("school_id", "grade_id"),
        ("school_id", "grade_id"),
        (("grade_id", "school_id"),),
    ),
    "school_periods": (
        (
            "period_id",
            "school_id",
            "syear",
            "short_name",
            "title",
            "sort_order",
            "length_minutes",
            "attendance",
        ),
        ("school_id", "syear", "short_name", "title", "sort_order", "length_minutes"),
        (("period_id",), ("school_id", "short_name", "syear")),
    ),
    "school_years": (
        ("syear", "title", "start_date", "end_date", "is_default"),
        ("syear", "title", "start_date", "end_date"),
        (("syear",),),
    ),
    "schools": (
        (
            "school_id",
            "title",
            "short_name",
            "school_number",
            "district_number",
            "adult_ed",
            "full_day_minutes",
            "half_day_minutes",
        ),
        ("school_id", "title", "short_name", "school_number", "district_number"),
        (("school_id",), ("short_name",)),
    ),
    "seeded_defaults": (
        ("job_class", "job_id", "seeded_at"),
        ("job_class", "job_id", "seeded_at"),
        (("job_class",),),
    ),
    "sent_records": (
        ("job_id", "target", "record_key", "digest", "remote_id", "sent_at"),
        ("job_id", "target", "record_key", "digest", "sent_at"),
        (("job_id", "record_key", "target"),),
    ),
    "settled_transactions": (
        ("transaction_id", "batch_id", "status", "amount", "invoice_number"),
        ("transaction_id", "batch_id", "status", "amount"),
        (("transaction_id",),),
    ),
    "settlement_batches": (
        ("batch_id", "settled_at", "state", "complete"),
        ("batch_id", "settled_at", "state"),
        (("batch_id",),),
    ),
    "site_profile": (
        ("id", "state", "site_kind", "add_ons", "updated_at", "updated_by"),
        ("id", "site_kind", "updated_at", "updated_by"),
        (("id",),),
    ),
    "sql_trigger_rules": (
        ("rule_id", "title", "table_name", "conditions", "set_column", "set_value", "active"),
        ("title", "table_name", "conditions", "set_column"),
        (("rule_id",),),
    ),
    "staff": (
        ("staff_id", "first_name", "last_name", "user_id"),
        ("first_name", "last_name"),
        (("staff_id",),),
    ),
    "standardized_tests": (
        ("test_id", "short_name", "title"),
        ("short_name", "title"),
        (("test_id",), ("short_name",)),
    ),
    "student_addresses": (
        ("address_id", "student_id", "address", "address2", "city", "state", "zipcode"),
        ("student_id",),
        (("address_id",),),
    ),
    "student_contacts": (
        ("contact_id", "student_id", "name", "relationship", "priority", "email", "phone"),
        ("student_id", "name"),
        (("contact_id",),),
    ),
    "student_enrollment": (
        (
            "id",
            "student_id",
            "syear",
            "school_id",
            "grade_id",
            "calendar_id",
            "start_date",
            "end_date",
            "enrollment_code",
            "drop_code",
            "second_school",
            "next_school",
            "rolling_retention",
            "zoned_school_id",
            "zoned_district",
            "days_enrolled",
            "days_present",
            "days_excused",
            "days_unexcused",
            "fl_days_present",
            "fl_days_absent",
            "fl_days_absent_not_disc",
        ),
        ("student_id", "syear", "school_id", "grade_id", "calendar_id", "start_date"),
        (("id",), ("school_id", "start_date", "student_id", "syear")),
    ),
    "student_enrollment_codes": (
        ("code_id", "syear", "short_name", "title", "type"),
        ("syear", "short_name", "title", "type"),
        (("code_id",), ("short_name", "syear")),
    ),
    "student_gpa": (
        ("student_id", "syear", "school_id", "gpa", "weighted_gpa", "class_rank", "class_size"),
        ("student_id", "syear", "school_id"),
        (("student_id", "syear"),),
    ),
    "student_notifications": (
        (
            "notification_id",
            "student_id",
            "school_id",
            "category",
            "title",
            "message",
            "created_at",
        ),
        ("student_id", "category", "title", "message", "created_at"),
        (("notification_id",),),
    ),
    "student_test_scores": (
        ("student_test_id", "part_id", "score_type_id", "score"),
        ("student_test_id", "part_id", "score_type_id"),
        (("part_id", "score_type_id", "student_test_id"),),
    ),
    "student_tests": (
        ("student_test_id", "student_id", "test_id", "syear", "test_date"),
        ("student_id", "test_id", "syear", "test_date"),
        (("student_test_id",),),
    ),
    "student_uploads": (
        ("upload_id", "student_id", "field_id", "file_name", "stored_path", "uploaded_at"),
        ("student_id", "field_id", "file_name", "stored_path", "uploaded_at"),
        (("upload_id",), ("stored_path",)),
    ),
    "students": (
        (
            "student_id",
            "first_name",
            "last_name",
            "birthdate",
            "gender",
            "fleid",
            "ese_code",
            "charter_mckay",
        ),
        ("student_id", "first_name", "last_name"),
        (("student_id",), ("fleid",)),
    ),
    "substitute_fulfillments": (
        (
            "fulfillment_id",
            "confirmation_number",
            "leave_date",
            "substitute_ein",
            "substitute_name",
            "hours",
            "paid",
        ),
        ("confirmation_number", "leave_date", "substitute_ein", "hours"),
        (("fulfillment_id",), ("confirmation_number", "leave_date")),
    ),
    "system_preferences": (
        ("key", "school_id", "value", "updated_at", "updated_by"),
        ("key", "school_id", "value", "updated_at", "updated_by"),
        (("key", "school_id"),),
    ),
    "tardy_thresholds": (
        ("threshold_id", "school_id", "syear", "tardies", "detention_minutes", "title"),
        ("school_id", "syear", "tardies", "title"),
        (("threshold_id",), ("school_id", "syear", "tardies")),
    ),
    "test_parts": (
        (
            "part_id",
            "test_id",
            "short_name",
            "title",
            "subject",
            "graduation_requirement",
            "passing_score",
        ),
        ("test_id", "short_name", "title"),
        (("part_id",), ("short_name", "test_id")),
    ),
    "test_score_types": (
        ("score_type_id", "test_id", "short_name"),
        ("test_id", "short_name"),
        (("score_type_id",), ("short_name", "test_id")),
    ),
    "trial_balance_subscriptions": (
        ("email", "name"),
        ("email",),
        (("email",),),
    ),
    "two_factor_auth": (
        ("user_id", "method", "secret", "phone", "enabled", "updated_at"),
        ("user_id", "method"),
        (("user_id",),),
    ),
    "upload_fields": (
        ("field_id", "title", "category", "retention_years", "retain_by"),
        ("title",),
        (("field_id",),),
    ),
    "user_alerts": (
        ("alert_id", "user_id", "alert_type", "message", "created_at", "read_at"),
        ("user_id", "alert_type", "message", "created_at"),
        (("alert_id",),),
    ),
    "user_preferences": (
        ("user_id", "name", "value"),
        ("user_id", "name"),
        (("name", "user_id"),),
    ),
    "users": (
        ("user_id", "ein", "username", "email"),
        ("username",),
        (("user_id",), ("ein",), ("username",)),
    ),
    "waitlist": (
        ("waitlist_id", "student_id", "course_period_id", "position", "added_at"),
        ("student_id", "course_period_id", "position", "added_at"),
        (("waitlist_id",), ("course_period_id", "student_id")),
    ),
    "worker_checks": (
        ("id", "job_id", "worker", "checked_at"),
        ("job_id", "worker", "checked_at"),
        (("id",),),
    ),
}
# END GENERATED


def from_tables() -> dict[str, Target]:
    """TARGETS as the table definitions give it now."""
    import sqlalchemy as sa

    # Every module that defines tables on the catalog's metadata (the importer refuses the
    # bookkeeping and configuration ones itself).
    import job_library.platform_schema
    import job_library.schemas  # noqa: F401
    from job_library.schema import metadata

    def required(column: sa.Column) -> bool:
        generated = column.primary_key and column.autoincrement is True
        has_default = column.default is not None or column.server_default is not None
        return not column.nullable and not generated and not has_default

    def unique_sets(table: sa.Table) -> list[tuple[str, ...]]:
        # The primary key first, then the others in a fixed order (constraints are a set).
        others = {
            tuple(sorted(c.name for c in constraint.columns))
            for constraint in table.constraints
            if isinstance(constraint, sa.UniqueConstraint)
        } | {(c.name,) for c in table.columns if c.unique}
        primary = tuple(sorted(c.name for c in table.primary_key.columns))
        return list(dict.fromkeys([primary, *sorted(others)]))

    return {
        name: (
            tuple(table.columns.keys()),
            tuple(c.name for c in table.columns if required(c)),
            tuple(unique_sets(table)),
        )
        for name, table in sorted(metadata.tables.items())
    }


def main() -> None:
    """Rewrite TARGETS in this file from the table definitions."""
    path = Path(__file__)
    text = path.read_text()
    head, rest = text.split("# BEGIN GENERATED\n", 1)
    _, tail = rest.split("# END GENERATED\n", 1)
    lines = ["TARGETS: dict[str, Target] = {"]
    for name, (columns, required, keys) in from_tables().items():
        lines += [
            f"    {name!r}: (",
            f"        {columns!r},",
            f"        {required!r},",
            f"        {keys!r},",
            "    ),",
        ]
    lines.append("}")
    body = "\n".join(lines) + "\n"
    path.write_text(f"{head}# BEGIN GENERATED\n{body}# END GENERATED\n{tail}")


if __name__ == "__main__":
    main()
