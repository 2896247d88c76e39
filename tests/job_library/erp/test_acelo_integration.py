"""Acelo Integration against a fake Acelo API on a real loopback HTTP server, on SQLite and
Postgres; the payloads expected were worked out by hand."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from job_library.base import HttpEndpoint
from job_library.jobs.erp.acelo_integration import AceloIntegration, AceloParams
from job_library.schemas.communications import gl_periods, gl_transactions
from tests.http_server import Answer, LoopbackHttpServer, Request
from tests.job_library.jobs_context import run_in_transaction

NOW = dt.datetime(2026, 11, 28, 23, 0, tzinfo=ZoneInfo("America/New_York"))
UTC = dt.UTC
TOKEN = "acelo-token-1"


class FakeAcelo:
    """Accepts every posting but those to account 7777; keeps what it received."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.unauthorized = 0

    def __call__(self, request: Request) -> Answer:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            self.unauthorized += 1
            return Answer(403, b"{}")
        assert request.method == "POST" and request.path == "/api/transactions"
        batch = json.loads(request.body)["transactions"]
        self.received += batch
        ok = [t["externalId"] for t in batch if t["account"] != "7777"]
        bad = [
            {"externalId": t["externalId"], "message": "unknown account 7777"}
            for t in batch
            if t["account"] == "7777"
        ]
        body = json.dumps({"accepted": ok, "rejected": bad}).encode()
        return Answer(200, body, {"Content-Type": "application/json"})


@pytest.fixture
def acelo():
    fake = FakeAcelo()
    server = LoopbackHttpServer(fake).start()
    fake.server = server
    yield fake
    server.stop()


def _endpoints(fake, **extra):
    def lookup(conn_id: str) -> HttpEndpoint:
        assert conn_id == "acelo_api"
        return HttpEndpoint(
            conn_id, f"{fake.server.url}/api", None, TOKEN, {"attempts": 1, **extra}
        )

    return lookup


@pytest.fixture
def district(engine: sa.Engine) -> tuple[sa.Engine, list[int]]:
    with engine.begin() as conn:
        closed = conn.execute(
            sa.insert(gl_periods)
            .values(title="2026-10", closed_at=dt.datetime(2026, 11, 3, tzinfo=UTC))
            .returning(gl_periods.c.period_id)
        ).scalar_one()
        open_ = conn.execute(
            sa.insert(gl_periods).values(title="2026-11").returning(gl_periods.c.period_id)
        ).scalar_one()
        ids = [
            conn.execute(
                sa.insert(gl_transactions)
                .values(period_id=p, account=a, amount=Decimal(m), posted_at=t)
                .returning(gl_transactions.c.txn_id)
            ).scalar_one()
            for p, a, m, t in [
                (closed, "1000", "-150.00", dt.datetime(2026, 10, 2, 14, 0, tzinfo=UTC)),
                (closed, "5100", "150.00", dt.datetime(2026, 10, 2, 14, 0, tzinfo=UTC)),
                (closed, "7777", "5.00", dt.datetime(2026, 10, 6, 8, 0, tzinfo=UTC)),
                (open_, "5100", "20.00", dt.datetime(2026, 11, 5, 9, 30, tzinfo=UTC)),
            ]
        ]
    return engine, ids


def _run(engine, fake, now=NOW, **params):
    extra = params.pop("extra", {})
    return run_in_transaction(
        engine, AceloIntegration(), AceloParams(**params), now=now, http=_endpoints(fake, **extra)
    )


def test_closed_periods_are_sent_once_and_rejections_listed(district, acelo):
    engine, ids = district
    result = _run(engine, acelo)
    assert result.success, result.text
    assert acelo.received == [
        {"externalId": f"focus-gl-{ids[0]}", "period": "2026-10", "account": "1000",
         "amount": "-150.00", "postedAt": "2026-10-02T14:00:00Z"},
        {"externalId": f"focus-gl-{ids[1]}", "period": "2026-10", "account": "5100",
         "amount": "150.00", "postedAt": "2026-10-02T14:00:00Z"},
        {"externalId": f"focus-gl-{ids[2]}", "period": "2026-10", "account": "7777",
         "amount": "5.00", "postedAt": "2026-10-06T08:00:00Z"},
    ]  # fmt: skip
    assert result.counts == {"sent": 2, "rejected": 1, "unchanged": 0}
    assert f"  rejected: focus-gl-{ids[2]}: unknown account 7777" in result.text
    # A second run sends only the rejected posting again.
    acelo.received.clear()
    again = _run(engine, acelo, NOW + dt.timedelta(minutes=30))
    assert [t["externalId"] for t in acelo.received] == [f"focus-gl-{ids[2]}"]
    assert again.counts == {"sent": 0, "rejected": 1, "unchanged": 2}


def test_open_periods_when_asked_and_a_changed_posting_is_sent_again(district, acelo):
    engine, ids = district
    _run(engine, acelo)
    with engine.begin() as conn:
        conn.execute(
            sa.update(gl_transactions)
            .where(gl_transactions.c.txn_id == ids[1])
            .values(amount=Decimal("151.00"))
        )
    acelo.received.clear()
    result = _run(engine, acelo, include_open_periods=True)
    assert [(t["externalId"], t["amount"]) for t in acelo.received] == [
        (f"focus-gl-{ids[1]}", "151.00"),
        (f"focus-gl-{ids[2]}", "5.00"),
        (f"focus-gl-{ids[3]}", "20.00"),
    ]
    assert result.counts == {"sent": 2, "rejected": 1, "unchanged": 1}


def test_an_unavailable_service_fails_the_run_and_nothing_is_marked_sent(district, acelo):
    engine, _ = district
    acelo.server.fail_next(1, 503)
    result = _run(engine, acelo)
    assert result.success is False and "the next run sends the rest" in result.summary
    assert result.counts == {"sent": 0, "rejected": 0, "unchanged": 0}
    later = _run(engine, acelo, NOW + dt.timedelta(hours=1))
    assert later.success and later.counts["sent"] == 2


def test_batches_of_one_hundred(engine, acelo):
    with engine.begin() as conn:
        period = conn.execute(
            sa.insert(gl_periods)
            .values(title="2026-09", closed_at=dt.datetime(2026, 10, 3, tzinfo=UTC))
            .returning(gl_periods.c.period_id)
        ).scalar_one()
        conn.execute(
            sa.insert(gl_transactions),
            [
                {"period_id": period, "account": "1000", "amount": Decimal(i + 1),
                 "posted_at": dt.datetime(2026, 9, 10, tzinfo=UTC)}
                for i in range(101)
            ],
        )  # fmt: skip
    result = _run(engine, acelo, max_listed=3)
    assert result.counts["sent"] == 101
    assert [len(json.loads(r.body)["transactions"]) for r in acelo.server.requests] == [100, 1]
    assert "... and 98 more (listing capped at 3)." in result.text


def _ledger(engine) -> list[tuple]:
    from job_library.schemas.integrations import sent_records as s

    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.select(s.c.record_key, s.c.digest, s.c.sent_at).order_by(s.c.record_key)
            )
        ]


def test_a_second_run_changes_nothing_in_the_ledger(district, acelo):
    engine, ids = district
    _run(engine, acelo)
    first = _ledger(engine)
    # The two accepted postings are in the ledger, the rejected one is not.
    assert [k for k, _, _ in first] == sorted([f"focus-gl-{ids[0]}", f"focus-gl-{ids[1]}"])
    acelo.received.clear()
    again = _run(engine, acelo, NOW + dt.timedelta(hours=2))
    assert [t["externalId"] for t in acelo.received] == [f"focus-gl-{ids[2]}"]
    assert again.counts == {"sent": 0, "rejected": 1, "unchanged": 2}
    assert _ledger(engine) == first  # same keys, same digests, same sent times


def test_a_changed_posting_updates_its_ledger_row(district, acelo):
    engine, ids = district
    _run(engine, acelo)
    before = dict((k, (d, t)) for k, d, t in _ledger(engine))
    with engine.begin() as conn:
        conn.execute(
            sa.update(gl_transactions)
            .where(gl_transactions.c.txn_id == ids[0])
            .values(account="1010")
        )
    later = NOW + dt.timedelta(days=1)
    _run(engine, acelo, later)
    after = dict((k, (d, t)) for k, d, t in _ledger(engine))
    assert set(after) == set(before)
    changed, kept = f"focus-gl-{ids[0]}", f"focus-gl-{ids[1]}"
    assert after[kept] == before[kept]
    assert after[changed][0] != before[changed][0]
    assert after[changed][1] > before[changed][1]
