"""Event handlers as a service registers them: `HANDLERS = {LeadCreated: on_lead_created}`.

A handler is `async def on_x(event: X, envelope: Envelope, uow: <its unit of work>, settings:
<its settings>) -> None`; it commits nothing (the consumer runner commits its effects with the
inbox row). `check_handlers` holds each registered class to the handler's own annotation, so a
handler can never be wired to a topic whose payload it does not take.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

from shared.events import Envelope, Event

Handler = Callable[[Any, Envelope, Any, Any], Awaitable[None]]
Handlers = Mapping[type[Event], Handler]
Lane = Literal["live", "bulk"]


def lane_topic(topic: str, lane: Lane) -> str:
    """The topic of an event type on a lane: a backfill travels on `<topic>.bulk`, which its
    consumers read only when their live topics leave them idle."""
    return topic if lane == "live" else f"{topic}.bulk"


class WiringError(TypeError):
    """A handler registered for an event class its first parameter does not accept."""


def accepted_events(handler: Handler) -> tuple[type[Event], ...]:
    """The event classes a handler's first parameter is annotated with (`X` or `X | Y`)."""
    parameters = list(inspect.signature(handler).parameters.values())
    if not parameters:
        raise WiringError(f"{handler.__qualname__} takes no event")
    hints = typing.get_type_hints(handler)
    annotation = hints.get(parameters[0].name)
    if annotation is None:
        raise WiringError(f"{handler.__qualname__}: annotate its event parameter")
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return tuple(typing.get_args(annotation))
    return (annotation,)


def check_handlers(handlers: Handlers) -> None:
    """Fail at start when a registered class is not what its handler takes (a handler taking
    `Event` takes every event: outbound forwards any of them)."""
    for event_class, handler in handlers.items():
        if not (isinstance(event_class, type) and issubclass(event_class, Event)):
            raise WiringError(f"{event_class!r} is not an event class of the catalog")
        if not issubclass(event_class, accepted_events(handler)):
            raise WiringError(
                f"{handler.__qualname__} is registered for {event_class.TYPE} but takes "
                f"{' | '.join(c.__name__ for c in accepted_events(handler))}"
            )
