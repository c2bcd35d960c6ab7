"""A tabular lead export made ready for learning: typed columns, placeholders as missing,
identifiers and constants set aside, and a binary target."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Values forms and CRMs write when nobody answered: they mean "missing", not a category.
PLACEHOLDERS = {
    "",
    "select",
    "n/a",
    "na",
    "nan",
    "none",
    "null",
    "-",
    "--",
    "?",
    "not provided",
    "not specified",
}
MISSING = "(missing)"
POSITIVE = {"1", "1.0", "yes", "y", "true", "t", "converted", "won"}
NEGATIVE = {"0", "0.0", "no", "n", "false", "f", "not converted", "lost"}
NUMERIC_SHARE = 0.98  # a column is numeric when this share of its given values parse as numbers


class TableError(ValueError):
    """The export cannot be learnt from as asked (no such target, not binary...)."""


@dataclass
class Table:
    numeric: list[str]
    categorical: list[str]
    x: np.ndarray  # object array: numeric columns as float (nan = missing), then categorical as text
    y: np.ndarray
    dropped: dict[str, str] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical]


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # exports from older tools are often Windows-1252 / Latin-1
        text = raw.decode("latin-1")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise TableError(f"{path} is empty")
    rows = [row + [""] * (len(header) - len(row)) for row in reader if any(cell.strip() for cell in row)]
    return [h.strip() for h in header], rows


def _missing(value: str) -> bool:
    return value.strip().casefold() in PLACEHOLDERS


def _number(value: str) -> float | None:
    try:
        return float(value.replace(",", "")) if not _missing(value) else None
    except ValueError:
        return None


def category(value: str) -> str:
    """One spelling per category: exports mix "Google" and "google", "Mumbai " and "Mumbai"."""
    return MISSING if _missing(value) else " ".join(value.split()).casefold()


def binary_target(values: list[str], name: str) -> np.ndarray:
    given = {v.strip().casefold() for v in values}
    if given <= POSITIVE | NEGATIVE and given & POSITIVE and given & NEGATIVE:
        return np.array([v.strip().casefold() in POSITIVE for v in values], dtype=int)
    if len(given) != 2:
        raise TableError(f"target {name!r} must have two values; it has {len(given)}: {sorted(given)[:5]}")
    positive = sorted(given)[1]
    return np.array([v.strip().casefold() == positive for v in values], dtype=int)


def prepare(header: list[str], rows: list[list[str]], target: str, exclude: list[str]) -> Table:
    if target not in header:
        raise TableError(f"no column {target!r}; columns are: {', '.join(header)}")
    unknown = [c for c in exclude if c not in header]
    if unknown:
        raise TableError(f"cannot exclude {', '.join(map(repr, unknown))}: no such column")
    t = header.index(target)
    rows = [r for r in rows if not _missing(r[t])]
    if len(rows) < 20:
        raise TableError(f"only {len(rows)} rows have a {target!r} value; too few to learn from")
    y = binary_target([r[t] for r in rows], target)
    if min(int(y.sum()), int(len(y) - y.sum())) < 5:
        raise TableError(f"target {target!r} has fewer than 5 rows of one class")
    table = Table(numeric=[], categorical=[], x=np.empty((len(rows), 0), dtype=object), y=y)
    numeric_cols, categorical_cols = [], []
    for i, name in enumerate(header):
        if i == t or name in exclude:
            table.dropped.setdefault(name, "target" if i == t else "excluded")
            continue
        values = [r[i].strip() for r in rows]
        given = [v for v in values if not _missing(v)]
        distinct = len({category(v) for v in given})
        numbers = [_number(v) for v in given]
        is_numeric = bool(given) and sum(n is not None for n in numbers) >= NUMERIC_SHARE * len(given)
        if distinct == 0 or (distinct == 1 and len(given) == len(values)):
            table.dropped[name] = "constant or empty"
        elif (
            distinct == len(given)
            and len(given) > 0.5 * len(rows)
            and (not is_numeric or all(n is not None and float(n).is_integer() for n in numbers))
        ):
            table.dropped[name] = "identifier (a different value in every row)"
        elif is_numeric:
            table.numeric.append(name)
            numeric_cols.append([n if (n := _number(v)) is not None else np.nan for v in values])
        elif distinct > 0.5 * len(rows):
            table.dropped[name] = "free text (almost every value differs)"
        else:
            table.categorical.append(name)
            table.levels[name] = distinct + (len(given) < len(values))
            categorical_cols.append([category(v) for v in values])
    if not table.columns:
        raise TableError("no usable column is left to learn from")
    columns = [np.array(c, dtype=float).astype(object) for c in numeric_cols]
    columns += [np.array(c, dtype=object) for c in categorical_cols]
    table.x = np.column_stack(columns)
    return table


def describe(table: Table) -> list[str]:
    lines = [f"  {name} (numeric)" for name in table.numeric]
    lines += [
        f"  {name} (categorical, {table.levels[name]} values, a blank counting as one)"
        for name in table.categorical
    ]
    return lines


def positives_share(y: np.ndarray) -> float:
    return float(Counter(y.tolist())[1] / len(y))
