"""Gate evaluation: does an opp's buying group and data let it enter a stage?"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from services.opportunity.domain.pipelines import Stage


def role_label(role: str) -> str:
    return role.replace("_", " ").title()


@dataclass(frozen=True)
class GateFailure:
    stage: str
    roles_needed: int
    roles_covered: int
    missing_roles: tuple[str, ...]  # required by name and absent
    uncovered_roles: tuple[str, ...]  # committee roles nobody holds yet
    missing_fields: tuple[str, ...]

    @property
    def more_roles(self) -> int:
        """Committee roles still to add: at least the named ones, at least the count's shortfall."""
        shortfall = max(0, self.roles_needed - self.roles_covered)
        named_in_committee = sum(1 for r in self.missing_roles if r in self.uncovered_roles)
        return max(shortfall, named_in_committee)

    def message(self) -> str:
        parts = []
        named = [role_label(r) for r in self.missing_roles]
        extra = self.more_roles - sum(1 for r in self.missing_roles if r in self.uncovered_roles)
        if named or extra > 0:
            others = [role_label(r) for r in self.uncovered_roles if r not in self.missing_roles]
            wanted = ", ".join(named)
            if extra > 0:
                any_of = f"{extra} more of {', '.join(others)}"
                wanted = f"{wanted} and {any_of}" if wanted else any_of
            parts.append(
                f"needs roles {wanted}; has {self.roles_covered} of {self.roles_needed} committee roles"
            )
        if self.missing_fields:
            parts.append(f"needs fields {', '.join(self.missing_fields)}")
        return f"the gate of {self.stage!r} " + "; ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "stage": self.stage,
            "roles_needed": self.roles_needed,
            "roles_covered": self.roles_covered,
            "missing_roles": list(self.missing_roles),
            "uncovered_roles": list(self.uncovered_roles),
            "missing_fields": list(self.missing_fields),
            "message": self.message(),
        }


def check_gate(
    stage: Stage,
    *,
    committee: Sequence[str],
    roles: Collection[str],
    fields: Mapping[str, object],
) -> GateFailure | None:
    """None when `stage`'s gate holds for an opp whose buying group holds `roles`."""
    gate = stage.gate
    covered = [r for r in committee if r in roles]
    missing_roles = tuple(r for r in gate.roles_required if r not in roles)
    missing_fields = tuple(f for f in gate.fields_required if fields.get(f) in (None, ""))
    if len(covered) >= gate.roles_covered and not missing_roles and not missing_fields:
        return None
    return GateFailure(
        stage=stage.name,
        roles_needed=gate.roles_covered,
        roles_covered=len(covered),
        missing_roles=missing_roles,
        uncovered_roles=tuple(r for r in committee if r not in roles),
        missing_fields=missing_fields,
    )
