"""What the MAP clients share: Retry-After read as seconds or a date, and the rolling window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from services.outbound.adapters.map_http import Window, retry_after


@pytest.mark.parametrize(
    "value, expected",
    [("7", 7.0), ("0", 0.0), ("soon", 10.0), (None, 10.0), ("-3", 0.0)],
)
def test_retry_after_in_seconds(value: str | None, expected: float) -> None:
    headers = httpx.Headers({"Retry-After": value} if value is not None else {})
    assert retry_after(headers, default=10.0) == expected


def test_retry_after_as_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 < retry_after(httpx.Headers({"Retry-After": later}), default=1.0) <= 30


async def test_the_window_holds_back_the_call_over_its_limit() -> None:
    window = Window(calls=3, seconds=0.3)
    for _ in range(3):
        await window.wait()
    first = window.sent[0]
    await window.wait()  # the fourth waits for the first to leave the window
    assert window.sent[-1] >= first + 0.3
