"""The finance audit helper writes one row per changed record, with JSON old/new values."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from job_library.finance_audit import Actor, json_object, record_audit
from job_library.schemas.finance import account_strips, finance_audit

AT = dt.datetime(2026, 11, 28, 2, 0, tzinfo=ZoneInfo("America/New_York"))


def test_audit_rows_carry_who_which_job_when_and_the_values(db):
    with db.begin() as conn:
        conn.execute(
            sa.insert(account_strips),
            [dict(strip_id=1, strip="110-5100", level1_num="110", level1_title="General")],
        )
        s = account_strips
        written = record_audit(
            conn,
            Actor("job nightly", "some_job", AT),
            table="account_strips",
            change="update",
            rows=sa.select(
                s.c.strip_id,
                json_object(conn, level1_title=s.c.level1_title),
                json_object(conn, level1_title=sa.literal("Fund 110"), amount=sa.literal(1)),
            ),
        )
    assert written == 1
    with db.connect() as conn:
        row = conn.execute(sa.select(finance_audit)).one()
    assert (row.table_name, row.record_id, row.change) == ("account_strips", 1, "update")
    assert (row.changed_by, row.job_key) == ("job nightly", "some_job")
    assert row.changed_at.replace(tzinfo=None) in {
        AT.replace(tzinfo=None),
        AT.astimezone(dt.UTC).replace(tzinfo=None),
    }
    assert json.loads(row.old_values) == {"level1_title": "General"}
    assert json.loads(row.new_values, parse_float=Decimal) == {
        "level1_title": "Fund 110",
        "amount": 1,
    }


def test_audit_amounts_are_exact_text_on_both_backends(db):
    """10.10 stays "10.10" (never the float 10.1), 7 reads "7.00", a missing amount is null."""
    from job_library.finance_audit import money_text

    money = sa.Numeric(12, 2)
    with db.begin() as conn:
        conn.execute(
            sa.insert(account_strips),
            [dict(strip_id=1, strip="110-5100", level1_num="110", level1_title="General")],
        )
        s = account_strips
        record_audit(
            conn,
            Actor("job nightly", "some_job", AT),
            table="account_strips",
            change="update",
            rows=sa.select(
                s.c.strip_id,
                sa.null(),
                json_object(
                    conn,
                    amount=money_text(conn, sa.cast(sa.literal("10.10"), money)),
                    whole=money_text(conn, sa.cast(sa.literal("7"), money)),
                    missing=money_text(conn, sa.cast(sa.null(), money)),
                ),
            ),
        )
    with db.connect() as conn:
        new = conn.execute(sa.select(finance_audit.c.new_values)).scalar_one()
    assert json.loads(new) == {"amount": "10.10", "whole": "7.00", "missing": None}
