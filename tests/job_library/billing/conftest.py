"""The cashout tests' district: drawers, payments, settlement time, an Authorize.net stand-in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

import job_library.http_client as http_client
from include.web_standins.authorize_net import KEY, LOGIN, AuthorizeNetStandIn, SettledBatch
from job_library.base import HttpEndpoint
from job_library.jobs.billing.portal_payments_cashout import CashoutParams, PortalPaymentsCashout
from job_library.preferences import Preferences
from job_library.schemas.district import schools
from job_library.schemas.integrations import (
    cash_drawers,
    cashouts,
    drawer_payments,
    settled_transactions,
    settlement_batches,
)
from tests.job_library.jobs_context import run_in_transaction

NY = ZoneInfo("America/New_York")
AFTER = dt.datetime(2026, 11, 28, 17, 0, tzinfo=NY)
OK = "settledSuccessfully"

PAYMENTS = [
    # id, drawer, source, transaction, amount
    (1, 1, "portal", "1001", "25.00"),  # batch 501: cashed out
    (2, 1, "portal", "1002", "10.50"),  # batch 501: cashed out
    (3, 1, "portal", "1003", "40.00"),  # batch 502 (its second page): cashed out
    (4, 1, "portal", "1004", "15.00"),  # settled 14.00: listed
    (5, 1, "portal", "1005", "20.00"),  # declined: listed
    (6, 2, "portal", "1006", "5.00"),  # drawer 2 is not portal-enabled: listed
    (7, 1, "portal", "1007", "9.00"),  # not settled yet: waits
    (8, 1, "store", "2001", "3.75"),  # the Store's: not this job's
]


def batches() -> list[SettledBatch]:
    return [
        SettledBatch(
            "501",
            dt.datetime(2026, 11, 27, 16, 35, tzinfo=NY),
            transactions=[
                ("1001", OK, "25.00"),
                ("1002", OK, "10.50"),
                ("2001", OK, "3.75"),
                ("1004", OK, "14.00"),
                ("1006", OK, "5.00"),
            ],
        ),
        SettledBatch(
            "502",
            dt.datetime(2026, 11, 28, 16, 31, tzinfo=NY),
            transactions=[
                ("1005", "declined", "20.00"),
                ("9999", OK, "12.00"),
                ("1003", OK, "40.00"),
            ],
        ),
        SettledBatch("503", dt.datetime(2026, 11, 26, 16, 40, tzinfo=NY), "settlementError"),
        SettledBatch("400", dt.datetime(2026, 10, 1, 16, 40, tzinfo=NY)),  # too old: not asked
    ]


@pytest.fixture
def anet() -> Iterator[AuthorizeNetStandIn]:
    fake = AuthorizeNetStandIn(batches())
    yield fake
    fake.stop()


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(http_client, "pause", waited.append)
    return waited


@pytest.fixture
def billing(db: sa.Engine) -> Iterator[sa.Engine]:
    with db.begin() as conn:
        conn.execute(
            schools.insert().values(
                school_id=1,
                title="High",
                short_name="HS",
                school_number="0001",
                district_number="9",
            )
        )
        conn.execute(
            cash_drawers.insert(),
            [
                {
                    "drawer_id": 1,
                    "title": "Main Office Portal",
                    "school_id": 1,
                    "portal_enabled": True,
                },
                {"drawer_id": 2, "title": "Cafeteria", "school_id": 1, "portal_enabled": False},
            ],
        )
        conn.execute(
            drawer_payments.insert(),
            [
                {
                    "payment_id": p,
                    "drawer_id": d,
                    "source": s,
                    "transaction_id": t,
                    "amount": Decimal(a),
                    "paid_at": dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC),
                }
                for p, d, s, t, a in PAYMENTS
            ],
        )
        Preferences(conn).set("authorize_net_settlement_time", "16:30")
    yield db
    with db.begin() as conn:  # the SIS cleanup does not know the order of these
        for t in (
            drawer_payments,
            cashouts,
            cash_drawers,
            settled_transactions,
            settlement_batches,
        ):
            conn.execute(t.delete())


def endpoints(fake: AuthorizeNetStandIn, login: str = LOGIN, page_size: int = 2):
    def lookup(conn_id: str) -> HttpEndpoint:
        assert conn_id == "authorize_net"
        return HttpEndpoint(conn_id, fake.server.url, login, KEY, {"page_size": page_size})

    return lookup


def run(engine, fake, job=None, now=AFTER, **kw):
    return run_in_transaction(
        engine, job or PortalPaymentsCashout(), CashoutParams(), now=now, http=endpoints(fake, **kw)
    )


def cashed(engine) -> dict[int, tuple]:
    """payment -> (drawer, source, batch) of its cashout."""
    p, c = drawer_payments, cashouts
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(p.c.payment_id, c.c.drawer_id, c.c.source, c.c.batch_id).join(
                c, c.c.cashout_id == p.c.cashout_id
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def cashout_rows(engine) -> list[tuple]:
    c = cashouts
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.c.drawer_id, c.c.source, c.c.batch_id, c.c.payments, c.c.amount).order_by(
                c.c.batch_id, c.c.source
            )
        ).all()
    return [(d, s, b, n, Decimal(a).quantize(Decimal("0.01"))) for d, s, b, n, a in rows]
