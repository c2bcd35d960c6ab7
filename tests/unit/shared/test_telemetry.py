"""Trace sampling: a share of new traces when something exports them, none when nothing does."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.sampling import Decision

from shared.settings import Settings
from shared.telemetry.setup import sampler

TRACE_IDS = range(1, 2**64, 2**64 // 2000)


def recorded(settings: Settings) -> float:
    chosen = sampler(settings)
    assert chosen is not None
    decisions = [chosen.should_sample(None, trace_id, "span").decision for trace_id in TRACE_IDS]
    return sum(d == Decision.RECORD_AND_SAMPLE for d in decisions) / len(decisions)


def test_nothing_is_recorded_without_an_exporter_and_a_share_with_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_TRACES_SAMPLER", raising=False)
    assert recorded(Settings()) == 0
    exported = Settings(otel_exporter_otlp_endpoint="http://collector:4318")
    assert 0.05 < recorded(exported) < 0.15
    assert recorded(exported.model_copy(update={"otel_traces_sample_ratio": 1.0})) == 1


def test_the_sdk_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_on")
    assert sampler(Settings()) is None
