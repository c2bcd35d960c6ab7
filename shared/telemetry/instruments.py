"""Every metric Cascade exports, created lazily from the global meter provider.

Prometheus names are the OpenTelemetry names with dots as underscores plus the unit and
`_total` suffixes, e.g. `cascade.events.consumed` -> `cascade_events_consumed_total`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Counter, Histogram, Observation

METER = "cascade"

ObservationSource = Callable[[], Iterable[Observation]]
_gauge_sources: dict[str, list[ObservationSource]] = {}


def _meter() -> metrics.Meter:
    return metrics.get_meter(METER)


@cache
def counter(name: str, description: str, unit: str = "1") -> Counter:
    return _meter().create_counter(name, unit=unit, description=description)


@cache
def histogram(name: str, description: str, unit: str = "s") -> Histogram:
    return _meter().create_histogram(name, unit=unit, description=description)


def observe(name: str, description: str, source: ObservationSource, unit: str = "1") -> None:
    """Add `source` to the observable gauge `name` (created on first use)."""
    if name not in _gauge_sources:
        _gauge_sources[name] = []
        sources = _gauge_sources[name]

        def callback(_: CallbackOptions) -> Iterable[Observation]:
            for each in list(sources):
                yield from each()

        _meter().create_observable_gauge(name, callbacks=[callback], unit=unit, description=description)
    _gauge_sources[name].append(source)


def forget(name: str, source: ObservationSource) -> None:
    if source in _gauge_sources.get(name, []):
        _gauge_sources[name].remove(source)


def events_published() -> Counter:
    return counter("cascade.events.published", "Events the outbox relay published, by topic.")


def events_consumed() -> Counter:
    return counter(
        "cascade.events.consumed",
        "Events a consumer finished, by topic and outcome (processed, duplicate, dead_lettered, ignored).",
    )


def handler_duration() -> Histogram:
    return histogram("cascade.handler.duration", "Time to process one consumed event.")


def outbox_replays() -> Counter:
    return counter("cascade.outbox.replays", "Outbox rows re-queued after the broker lost them.")


def outbox_dead_letters() -> Counter:
    return counter(
        "cascade.outbox.dead_letters", "Outbox rows the broker refused for good, moved to dead letters."
    )


def domain_counter(name: str, description: str) -> Counter:
    """A business counter (leads created, matches by outcome, stage transitions...)."""
    return counter(f"cascade.{name}", description)
