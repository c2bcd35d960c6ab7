"""The house stays livable: no module over 350 lines and no function over 60 in the platform and
the services (migrations aside: a revision is a script that runs once)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def _sources() -> list[Path]:
    found = [p for top in ("shared", "services") for p in (ROOT / top).rglob("*.py")]
    return sorted(p for p in found if "migrations" not in p.parts)


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def test_the_rules_see_the_code() -> None:
    assert len(_sources()) > 100, "the lint would pass by reading nothing"


@pytest.mark.parametrize("limit", [MAX_MODULE_LINES])
def test_no_module_is_too_long(limit: int) -> None:
    long = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > limit
    ]
    assert not long, f"split these modules by concept (over {limit} lines): {long}"


def test_no_function_is_too_long() -> None:
    long = [entry for path in _sources() for entry in _long_functions(path)]
    assert not long, f"split these functions (over {MAX_FUNCTION_LINES} lines): {long}"
