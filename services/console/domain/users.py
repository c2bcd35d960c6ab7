"""Rules for local users: names, passwords, and when sign-in is refused for too many failures."""

from __future__ import annotations

from dataclasses import dataclass

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes any length; a cap keeps a huge body from costing CPU
ADDRESS_FACTOR = 4  # one address (an office behind NAT) may fail for a few people


def username_problem(username: str) -> str | None:
    if not 1 <= len(username) <= 64:
        return "a user name has 1 to 64 characters"
    if not all(c.isalnum() or c in "._-@" for c in username):
        return "a user name has letters, digits and . _ - @ only"
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"a password has at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    return None


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins within the window: for the user name tried, and from the address."""

    of_user: int
    of_address: int


def throttled(failures: Failures, max_failures: int) -> bool:
    return failures.of_user >= max_failures or failures.of_address >= max_failures * ADDRESS_FACTOR
