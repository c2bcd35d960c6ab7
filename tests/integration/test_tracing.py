"""One posted lead is one trace: HTTP request, outbox, Kafka send, every consumer."""

from __future__ import annotations

import uuid

from opentelemetry.trace import SpanKind

from tests.conftest import SPANS, make_settings
from tests.support.infra import Broker
from tests.support.stack import InProcessStack, eventually


async def test_a_posted_lead_yields_one_trace_across_all_services(database_url: str, broker: Broker) -> None:
    async with InProcessStack(make_settings(database_url, broker.bootstrap)) as stack:
        await stack.wait_connected()
        SPANS.clear()
        posted = await stack.client("ingest").post(
            "/v1/leads", json={"email": f"t-{uuid.uuid4().hex}@trace.example"}
        )
        lead_id = posted.json()["lead_id"]
        [server] = [
            s for s in SPANS.get_finished_spans() if s.kind == SpanKind.SERVER and "/v1/leads" in s.name
        ]
        trace_id = server.context.trace_id

        def in_trace(name: str, kind: SpanKind) -> int:
            return sum(
                1
                for s in SPANS.get_finished_spans()
                if s.context.trace_id == trace_id and s.name.endswith(name) and s.kind == kind
            )

        expected = {
            ("lead.created publish", SpanKind.PRODUCER): 1,
            ("lead.created process", SpanKind.CONSUMER): 2,  # matcher and scoring
            ("lead.converted publish", SpanKind.PRODUCER): 1,
            ("lead.converted process", SpanKind.CONSUMER): 3,  # opportunity, scoring, ingest
            ("opp.created publish", SpanKind.PRODUCER): 1,
            ("lead.scored publish", SpanKind.PRODUCER): 1,
        }

        async def complete() -> bool:
            return all(in_trace(name, kind) >= n for (name, kind), n in expected.items())

        await eventually(complete)
        processed = [
            s
            for s in SPANS.get_finished_spans()
            if s.context.trace_id == trace_id and s.kind == SpanKind.CONSUMER
        ]
        groups = {
            str(s.attributes.get("messaging.consumer.group.name", "")).split(".")[-1] for s in processed
        }
        assert {"cascade-matcher", "cascade-scoring", "cascade-opportunity", "cascade-ingest"} <= groups
        assert all(s.parent is not None for s in processed), "every consumer span has a parent in the trace"
        assert (await stack.client("matcher").get(f"/v1/leads/{lead_id}/match")).json()["status"] != "pending"
