"""No personal data in what operators see: a lead's whole journey (posted, looked up by email,
engaged, converted, scored, refused once) leaves its email in no log line, span name or span
attribute of any service."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import SPANS, make_settings
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually

WAIT = 120.0


def _span_texts() -> list[str]:
    texts = []
    for span in SPANS.get_finished_spans():
        texts.append(span.name)
        texts.extend(f"{k}={v}" for k, v in (span.attributes or {}).items())
        for event in span.events:
            texts.extend(f"{k}={v}" for k, v in (event.attributes or {}).items())
    return texts


async def test_a_leads_journey_leaves_its_email_in_no_log_or_span(
    database_url: str, broker: Broker, capfd: pytest.CaptureFixture[str]
) -> None:
    local = f"priv{uuid.uuid4().hex[:10]}"
    email = f"{local}@privacy-example.com"
    async with InProcessStack(make_settings(database_url, broker.bootstrap, log_json=True)) as stack:
        await stack.wait_connected()
        SPANS.clear()
        ingest = stack.client("ingest")
        posted = await ingest.post("/v1/leads", json={"email": email, "first_name": "Pria", "title": "CFO"})
        lead_id = posted.json()["lead_id"]
        assert (await ingest.get("/v1/leads", params={"email": email})).status_code == 200
        assert (await ingest.get("/v1/leads", params={"email": f"x{email}"})).status_code == 404
        engaged = {"email": email, "kind": "page_view", "url": f"https://privacy-example.com/?e={email}"}
        assert (await ingest.post("/v1/engagements", json=engaged)).status_code == 202
        refused = await ingest.post("/v1/leads", json={"email": email, "employees": "many"})
        assert refused.status_code == 422

        async def scored() -> bool:
            match = (await stack.client("matcher").get(f"/v1/leads/{lead_id}/match")).json()
            if not match.get("contact_id"):
                return False
            score = await stack.client("scoring").get(f"/v1/scores/{match['contact_id']}")
            return score.status_code == 200 and score.json()["behaviour"] > 0

        await eventually(scored, WAIT)
    logs = capfd.readouterr()
    spans = _span_texts()
    assert any("lead.converted" in text for text in spans) and logs.out, "the journey was observed"
    for where, text in (("stdout", logs.out), ("stderr", logs.err), ("spans", "\n".join(spans))):
        assert local not in text, f"{where} holds the lead's email"
