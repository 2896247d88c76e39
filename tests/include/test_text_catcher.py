"""The embedded default's text provider: the queue's real Twilio transport talks to it, its
answers are what Twilio's published OpenAPI documents, and each text is kept as a file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import requests
import yaml

from include.config import PROJECT_ROOT
from include.messaging_transports import TwilioTransport
from include.text_catcher import start_text_catcher, text_address
from job_library.messaging import Channel, Outgoing, Verdict
from tests.job_library.communications.conftest import free_port
from tests.twilio_server import _openapi


def _settings_connection(port: int) -> dict:
    """make run's twilio_default (airflow_settings.yaml), moved to ``port``."""
    data = yaml.safe_load((PROJECT_ROOT / "airflow_settings.yaml").read_text())
    (conn,) = [c for c in data["airflow"]["connections"] if c["conn_id"] == "twilio_default"]
    extra = dict(conn["conn_extra"])
    extra["notify_url"] = extra["notify_url"].replace(":8026", f":{port}")
    return {
        "conn_type": conn["conn_type"],
        "host": conn["conn_host"].replace(":8026", f":{port}"),
        "login": conn["conn_login"],
        "password": conn["conn_password"],
        "extra": extra,
    }


@pytest.fixture
def catcher(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    port = free_port()
    server = start_text_catcher(tmp_path / "texts", "127.0.0.1", port)
    monkeypatch.setenv("AIRFLOW_CONN_TWILIO_DEFAULT", json.dumps(_settings_connection(port)))
    yield server, tmp_path / "texts", port
    server.stop()


def _message(recipient: str, body: str, subject: str = "") -> Outgoing:
    return Outgoing(message_id=1, recipient=recipient, subject=subject, body=body)


def test_make_run_points_twilio_default_at_the_catcher():
    assert text_address() == ("127.0.0.1", 8026)


def test_texts_calls_and_push_are_kept_as_files(catcher):
    _, folder, _ = catcher
    sent = []
    for channel, recipient, body in (
        (Channel.SMS, "+13525550111", "Focus: Ana Lopez was marked Absent on 2026-01-22."),
        (Channel.VOICE, "+13525550121", "School closes early today & tomorrow."),
        (Channel.PUSH, "parent-41", "Picture day is Friday."),
    ):
        transport = TwilioTransport(channel)
        try:
            outcome = transport.send(_message(recipient, body, "Notice"))
        finally:
            transport.close()
        assert outcome.verdict is Verdict.SENT, outcome.detail
        sent.append(outcome.provider_ref)
    files = sorted(folder.glob("*.json"))
    records = [json.loads(p.read_text()) for p in files]
    assert [r["kind"] for r in records] == ["messages", "calls", "push"]
    assert [r["sid"] for r in records] == sent
    assert [s[:2] for s in sent] == ["SM", "CA", "NT"]
    assert records[0]["request"] == {
        "To": "+13525550111",
        "From": "+15555550100",
        "Body": "Focus: Ana Lopez was marked Absent on 2026-01-22.",
    }
    # The call says the text in TwiML, escaped.
    assert records[1]["request"]["Twiml"] == (
        "<Response><Say>School closes early today &amp; tomorrow.</Say></Response>"
    )
    assert records[2]["request"] == {
        "Identity": "parent-41",
        "Body": "Picture day is Friday.",
        "Title": "Notice",
    }


def test_requests_and_answers_follow_twilios_published_api(catcher):
    from openapi_core.testing import MockRequest, MockResponse

    _, _, port = catcher
    api = _openapi("twilio_api_v2010_messages_calls.json")
    notify = _openapi("twilio_notify_v1_notifications.json")
    account, service = "AC" + "0" * 32, "IS" + "0" * 32
    cases = [
        (api, "https://api.twilio.com", f"/2010-04-01/Accounts/{account}/Messages.json",
         {"To": "+13525550111", "From": "+15555550100", "Body": "Hello"}),
        (api, "https://api.twilio.com", f"/2010-04-01/Accounts/{account}/Calls.json",
         {"To": "+13525550111", "From": "+15555550100", "Twiml": "<Response/>"}),
        (notify, "https://notify.twilio.com", f"/v1/Services/{service}/Notifications",
         {"Identity": "parent-41", "Body": "Hello"}),
    ]  # fmt: skip
    auth = "Basic " + base64.b64encode(f"{account}:local-text-catcher".encode()).decode()
    for spec, host, path, form in cases:
        answer = requests.post(
            f"http://127.0.0.1:{port}{path}",
            data=form,
            headers={"Authorization": auth},
            timeout=10,
        )
        assert answer.status_code == 201
        request = MockRequest(
            host,
            "POST",
            path,
            headers={"authorization": auth},
            data=requests.models.RequestEncodingMixin._encode_params(form).encode(),
            content_type="application/x-www-form-urlencoded",
        )
        spec.validate_request(request)
        spec.validate_response(request, MockResponse(answer.content, status_code=201))


def test_a_request_without_its_recipient_is_refused_and_not_kept(catcher):
    _, folder, port = catcher
    path = f"/2010-04-01/Accounts/AC{'0' * 32}/Messages.json"
    auth = ("AC" + "0" * 32, "local-text-catcher")
    answer = requests.post(
        f"http://127.0.0.1:{port}{path}", data={"Body": "x"}, auth=auth, timeout=10
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == 21604 and "'To'" in answer.json()["message"]
    missing = requests.post(
        f"http://127.0.0.1:{port}/2010-04-01/Other", data={}, auth=auth, timeout=10
    )
    assert missing.status_code == 404
    assert list(folder.glob("*.json")) == []


def test_a_taken_port_is_an_os_error(catcher, tmp_path):
    _, _, port = catcher
    with pytest.raises(OSError):
        start_text_catcher(tmp_path / "other", "127.0.0.1", port)


def test_a_request_without_twilio_credentials_is_refused(catcher):
    _, folder, port = catcher
    path = f"/2010-04-01/Accounts/AC{'0' * 32}/Messages.json"
    form = {"To": "+13525550111", "From": "+15555550100", "Body": "x"}
    answer = requests.post(f"http://127.0.0.1:{port}{path}", data=form, timeout=10)
    assert answer.status_code == 401 and answer.json()["code"] == 20003
    assert list(folder.glob("*.json")) == []
