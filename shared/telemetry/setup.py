"""Tracer and meter providers: Prometheus always, OTLP/HTTP when an endpoint is set."""

from __future__ import annotations

import os

from opentelemetry import metrics, trace
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, Sampler, TraceIdRatioBased

from shared.settings import Settings


def sampler(settings: Settings) -> Sampler | None:
    """Record a share of new traces, and none when nothing exports them: spans cost CPU on every
    request and event, while trace ids reach logs and events either way. None lets the SDK read
    OTEL_TRACES_SAMPLER."""
    if os.environ.get("OTEL_TRACES_SAMPLER"):
        return None
    ratio = settings.otel_traces_sample_ratio if settings.otel_exporter_otlp_endpoint else 0.0
    return ParentBased(TraceIdRatioBased(ratio))


def setup_telemetry(service: str, settings: Settings) -> None:
    """Install the global providers once per process (tests may install their own first)."""
    resource = Resource.create({"service.name": f"cascade-{service}", "service.namespace": "cascade"})
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        tracer_provider = TracerProvider(resource=resource, sampler=sampler(settings))
        if settings.otel_exporter_otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            tracer_provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(f"{settings.otel_exporter_otlp_endpoint}/v1/traces"))
            )
        trace.set_tracer_provider(tracer_provider)
    if not isinstance(metrics.get_meter_provider(), MeterProvider):
        readers: list[MetricReader] = [PrometheusMetricReader()]
        if settings.otel_exporter_otlp_endpoint and settings.otel_metrics_exporter == "otlp":
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            readers.append(
                PeriodicExportingMetricReader(
                    OTLPMetricExporter(f"{settings.otel_exporter_otlp_endpoint}/v1/metrics")
                )
            )
        metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=readers))
