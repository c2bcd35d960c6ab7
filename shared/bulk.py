"""Bulk bodies (an import): CSV with a header row, or NDJSON, read row by row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, Literal

Format = Literal["csv", "ndjson"]
CONTENT_TYPES: dict[str, Format] = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/x-ndjson": "ndjson",
    "application/ndjson": "ndjson",
    "application/jsonl": "ndjson",
    "application/json-lines": "ndjson",
}


def format_of(content_type: str | None, given: Format | None) -> Format | None:
    """The body's format: the one named, else the one its Content-Type says, else None."""
    media = (content_type or "").split(";")[0].strip().lower()
    return given or CONTENT_TYPES.get(media)


def rows(body: bytes, fmt: Format) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(line number, the row's fields) or (line number, why it could not be read); empty CSV
    cells are left out, as if the column were absent."""
    text = body.decode("utf-8-sig", "replace")
    if fmt == "ndjson":
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                yield number, f"not JSON: {getattr(exc, 'msg', 'nested too deeply')}"
                continue
            yield number, value if isinstance(value, dict) else "not a JSON object"
        return
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        cells = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in row.items() if k}
        yield reader.line_num, {k: v for k, v in cells.items() if v not in ("", None)}
