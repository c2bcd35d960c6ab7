"""Alerts to people: rules keyed by event type (a new type is one more entry of configuration),
who each goes to (RevOps, the opp's owner, the team owning the stage), and the message in the
chat's format (Slack or Teams incoming webhook) and as an email."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.events import CATALOG

Audience = Literal["revops", "owner", "stage_owner", "stage_team"]
ChatFormat = Literal["slack", "teams"]
# What outbound itself raises, beside the catalog's events.
OWN_KINDS = (
    "outbound.subscription_disabled",
    "platform.dead_letter",
    "platform.consumer_stalled",
    "platform.service_unreachable",
)
MAX_FIELDS = 10


class Chat(BaseModel):
    url: str
    format: ChatFormat = "slack"


class Contact(BaseModel):
    """Where a team or a person hears alerts: a chat channel's incoming webhook, email addresses."""

    chat: Chat | None = None
    emails: list[str] = Field(default_factory=list)


class AlertRule(BaseModel):
    to: list[Audience] = Field(min_length=1)
    title: str = Field(min_length=1, description="`{field}` is replaced by the payload's field.")


DEFAULT_RULES: dict[str, AlertRule] = {
    "lead.review_requested": AlertRule(to=["revops"], title="Lead {lead_id} waits for a review: {reason}"),
    "opp.sla_breached": AlertRule(
        to=["owner", "stage_team"], title="Opportunity {opp_id} is past its {sla_hours}h SLA in {stage}"
    ),
    # Still in the stage a second window after the breach: up a level, to RevOps.
    "opp.sla_escalated": AlertRule(
        to=["revops", "stage_team"],
        title="Escalated: opportunity {opp_id} is still in {stage}, past its {sla_hours}h SLA"
        " since {breached_at}",
    ),
    # Handshakes: the owner who has not accepted (and the stage's team) hears it; a reassignment
    # and an unaccepted lead route reach RevOps too.
    "opp.handoff_escalated": AlertRule(
        to=["owner", "stage_team"],
        title="Opportunity {opp_id}: {owner} has not accepted the {stage} handoff (due {due_at})",
    ),
    "opp.handoff_reassigned": AlertRule(
        to=["revops"], title="Opportunity {opp_id} in {stage} went from {from_owner} to {to_owner}"
    ),
    "lead.route_escalated": AlertRule(
        to=["owner", "revops"], title="Contact {contact_id} routed to {owner} is not accepted (due {due_at})"
    ),
    "outbound.subscription_disabled": AlertRule(to=["revops"], title="Webhook endpoint {url} was disabled"),
    "platform.dead_letter": AlertRule(to=["revops"], title="{consumer} dead-lettered a {event_type} event"),
    "platform.consumer_stalled": AlertRule(to=["revops"], title="{service}'s consumer is stalled"),
    "platform.service_unreachable": AlertRule(to=["revops"], title="{service} does not answer: {error}"),
}


# The owning team of each default pipeline's stages (DOMAIN.md), by `type.stage` or `stage`.
DEFAULT_STAGE_TEAMS: dict[str, str] = {
    **{f"acquisition.{s}": "marketing" for s in ("target", "active", "engaged", "prioritized")},
    "acquisition.qualified": "sdr",
    "acquisition.pipeline": "sales",
    **{f"renewal.{s}": "customer_success" for s in ("upcoming", "engaged", "negotiation")},
    **{
        f"{t}.{s}": "sales" for t in ("upsell", "cross_sell") for s in ("identified", "qualified", "proposal")
    },
}


def unknown_kinds(rules: dict[str, AlertRule]) -> list[str]:
    return [kind for kind in rules if kind not in CATALOG and kind not in OWN_KINDS]


@dataclass(frozen=True)
class Target:
    channel: Literal["chat", "email"]
    address: str
    format: str
    audience: str


@dataclass(frozen=True)
class Directory:
    teams: dict[str, Contact]
    people: dict[str, Contact]
    stage_teams: dict[str, str]


def _contact(audience: Audience, data: dict[str, Any], directory: Directory) -> Contact | None:
    if audience == "revops":
        return directory.teams.get("revops")
    if audience in ("owner", "stage_owner"):
        person = data.get(audience)
        return directory.people.get(person) if isinstance(person, str) else None
    stage = str(data.get("stage"))
    team = directory.stage_teams.get(f"{data.get('type')}.{stage}") or directory.stage_teams.get(stage)
    return directory.teams.get(team) if team else None


def targets(rule: AlertRule, data: dict[str, Any], directory: Directory) -> list[Target]:
    """Each chat and address the rule's audiences resolve to, once (the first audience names it).
    When none resolves (an owner without a contact), RevOps hears it: an alert never goes nowhere."""
    found = _resolved(rule.to, data, directory)
    return found or _resolved(["revops"], data, directory)


def _resolved(audiences: list[Audience], data: dict[str, Any], directory: Directory) -> list[Target]:
    found: dict[tuple[str, str], Target] = {}
    for audience in audiences:
        contact = _contact(audience, data, directory)
        if contact is None:
            continue
        if contact.chat is not None:
            found.setdefault(
                ("chat", contact.chat.url), Target("chat", contact.chat.url, contact.chat.format, audience)
            )
        for email in contact.emails:
            found.setdefault(("email", email.lower()), Target("email", email, "text", audience))
    return list(found.values())


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def title_of(rule: AlertRule, data: dict[str, Any]) -> str:
    return rule.title.format_map(_Missing(data))[:300]


def facts(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The payload's fields as short text, lists counted rather than spelled out."""
    shown: list[tuple[str, str]] = []
    for name, value in data.items():
        if value is None or value == [] or value == {}:
            continue
        text = f"{len(value)} items" if isinstance(value, list | dict) else str(value)
        shown.append((name, text[:200]))
    return shown[:MAX_FIELDS]


def chat_message(fmt: str, title: str, shown: list[tuple[str, str]]) -> str:
    """A Slack incoming-webhook message (text and blocks) or a Teams connector MessageCard."""
    if fmt == "teams":
        card = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": title,
            "title": title,
            "sections": [{"facts": [{"name": name, "value": value} for name, value in shown]}],
        }
        return json.dumps(card)
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title[:150]}}]
    if shown:
        fields = [{"type": "mrkdwn", "text": f"*{name}*\n{value}"} for name, value in shown]
        blocks.append({"type": "section", "fields": fields})
    return json.dumps({"text": title, "blocks": blocks})


def email_text(title: str, shown: list[tuple[str, str]]) -> str:
    lines = [title, "", *(f"{name}: {value}" for name, value in shown), "", "-- Cascade"]
    return "\n".join(lines)
