"""The in-memory broker restarted empty mid-stream: the outbox replays, inboxes dedupe,
and every lead still ends converted exactly once."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.conftest import make_settings
from tests.support.db import conversion_report, scalar
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually

LEADS = 60
DOMAINS = 10


def replays() -> float:
    return sum(
        s.value
        for m in REGISTRY.collect()
        if m.name == "cascade_outbox_replays"
        for s in m.samples
        if s.name.endswith("_total")
    )


async def test_every_lead_is_converted_once_after_the_broker_restarts_empty(
    fresh_database_url: str, own_broker: Broker
) -> None:
    replays_before = replays()
    async with InProcessStack(make_settings(fresh_database_url, own_broker.bootstrap)) as stack:
        await stack.wait_connected()
        ingest = stack.client("ingest")

        async def post(numbers: range) -> None:
            for n in numbers:
                response = await ingest.post(
                    "/v1/leads", json={"email": f"p{n}@company{n % DOMAINS}.example"}
                )
                assert response.status_code == 202

        await post(range(LEADS // 2))
        await eventually(lambda: scalar(fresh_database_url, "SELECT count(*) > 0 FROM matcher.matches"))
        own_broker.restart()
        await post(range(LEADS // 2, LEADS))

        last_report: dict[str, int] = {}

        async def settled() -> dict[str, int] | None:
            report = await conversion_report(fresh_database_url)
            last_report.update(report)
            return (
                report
                if report["matches"] == LEADS and report["ocrs"] == LEADS and report["scored"] == LEADS
                else None
            )

        try:
            report = await eventually(settled, timeout=120, interval=0.5)
        except AssertionError as exc:
            raise AssertionError(f"not settled: {last_report}") from exc
    assert report == {
        "leads": LEADS,
        "matches": LEADS,
        "contacts": LEADS,
        "contact_emails": LEADS,
        "accounts": DOMAINS,
        "converted_events_per_lead": 1,
        "opps": DOMAINS,
        "opp_accounts": DOMAINS,
        "ocrs": LEADS,
        "scored": LEADS,
    }
    assert replays() > replays_before, "the relays re-published what the broker lost"
