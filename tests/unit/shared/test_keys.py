"""API keys: names, roles, digests; what each role may do."""

from __future__ import annotations

import pytest

from shared.keys import ApiKey, authenticate, digest, parse

KEY = "k" * 24


@pytest.mark.parametrize(
    ("entry", "name", "role"),
    [
        (KEY, "api", "admin"),
        (f"rita={KEY}", "rita", "write"),
        (f"bi:read={KEY}", "bi", "read"),
        (f"ops:webhook-admin=sha256:{digest(KEY)}", "ops", "webhook-admin"),
    ],
)
def test_an_entry_names_a_key_and_its_role(entry: str, name: str, role: str) -> None:
    key = parse(entry)
    assert (key.name, key.role, key.digest) == (name, role, digest(KEY))


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("rita:boss=" + KEY, "unknown role"),
        ("=" + KEY, "needs a name"),
        ("rita=changeme", "at least 16"),
        ("rita=sha256:abc", "64 hex digits"),
    ],
)
def test_a_wrong_entry_says_what_is_wrong_and_never_the_key(entry: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as refused:
        parse(entry)
    assert KEY not in str(refused.value)


def test_a_key_is_found_by_its_digest_and_roles_grant_rights() -> None:
    keys = [parse(f"bi:read={'r' * 20}"), parse(f"rita={KEY}")]
    found = authenticate(KEY, keys)
    assert isinstance(found, ApiKey) and found.name == "rita"
    assert authenticate("x" * 20, keys) is None
    reader = keys[0]
    assert reader.may("read") and not reader.may("write")
    assert found.may("write") and not found.may("admin")
    assert parse(KEY).may("admin") and not parse(f"c:console={KEY}").may("admin")
