from typing import Any

from shared.kafka.throttle import Throttle


def test_a_recurring_line_goes_out_once_per_window_saying_how_many_were_held_back() -> None:
    lines: list[tuple[str, dict[str, Any]]] = []
    say = Throttle(every=3600.0)
    emit = lambda event, **fields: lines.append((event, fields))  # noqa: E731
    assert say(emit, "commit_failed", key="a", error="x")
    assert not any(say(emit, "commit_failed", key="a", error="x") for _ in range(1000))
    assert say(emit, "commit_failed", key="b", error="y"), "another key is another line"
    say.every = 0.0
    assert say(emit, "commit_failed", key="a", error="x")
    assert lines == [
        ("commit_failed", {"error": "x"}),
        ("commit_failed", {"error": "y"}),
        ("commit_failed", {"error": "x", "suppressed": 1000}),
    ]
