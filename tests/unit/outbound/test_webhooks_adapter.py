"""The webhook adapter: a target refused at send time is never called, and during a rotation a
delivery verifies with either secret."""

from __future__ import annotations

from datetime import UTC, datetime

from standardwebhooks import Webhook

from services.outbound.adapters.webhooks import HttpWebhooks, signed_headers
from services.outbound.app.deliveries import Outgoing
from services.outbound.app.subscriptions import new_secret
from services.outbound.settings import OutboundSettings


async def test_a_loopback_target_is_refused_at_send_time_without_a_request() -> None:
    sender = HttpWebhooks(OutboundSettings())
    (outcome,) = await sender.send_all([Outgoing("http://127.0.0.1:9/hook", "msg_1", "{}", [new_secret()])])
    assert outcome.status_code is None and outcome.error is not None and "loopback" in outcome.error


def test_during_a_rotation_either_secret_verifies() -> None:
    new, old = new_secret(), new_secret()
    body = '{"type":"lead.converted","timestamp":"2026-12-02T00:00:00+00:00","data":{}}'
    headers = signed_headers(Outgoing("https://x.example", "msg_2", body, [new, old]), datetime.now(UTC))
    assert len(headers["webhook-signature"].split()) == 2
    for secret in (new, old):
        assert Webhook(secret).verify(body, headers) == {
            "type": "lead.converted",
            "timestamp": "2026-12-02T00:00:00+00:00",
            "data": {},
        }
