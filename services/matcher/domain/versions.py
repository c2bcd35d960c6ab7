"""Which of a lead's changes a copy still applies: each person field keeps the version of the
`lead.updated` that last set it, and an event no newer than that leaves the field alone (events
of one lead can arrive late, or again after a broker restart)."""

from __future__ import annotations

from typing import Any


def newer_fields(
    changed: dict[str, Any], applied: dict[str, int], version: int | None
) -> tuple[dict[str, Any], dict[str, int]]:
    """The changes of `version` newer than what each field holds, and the fields' versions after
    them. An event without a version (sent before versions were) applies and records nothing."""
    if version is None:
        return dict(changed), applied
    newer = {name: value for name, value in changed.items() if applied.get(name, 0) < version}
    return newer, {**applied, **dict.fromkeys(newer, version)}
