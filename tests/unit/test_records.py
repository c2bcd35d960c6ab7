"""One definition of each record: the catalog's lead and account fields are what ingest and the
matcher store and show, and every service's records are what its tables hold, field for field
and type for type (the tables live in adapters; nothing else may drift from them)."""

from __future__ import annotations

import types
import typing
from typing import Any

import pytest
from pydantic import BaseModel

from services.ingest.adapters import tables as ingest_tables
from services.ingest.app.models import Quarantined
from services.ingest.domain.inputs import PERSON_INPUT_FIELDS, LeadIn
from services.ingest.domain.leads import StoredLead
from services.matcher.adapters import tables as matcher_tables
from services.matcher.app.models import ReviewItem
from services.matcher.domain.accounts import StoredAccount
from services.matcher.domain.inputs import AccountImportRow, AccountIn, AccountPatch
from services.opportunity.adapters import tables as opportunity_tables
from services.opportunity.app import models as opportunity
from services.outbound.adapters import tables as outbound_tables
from services.outbound.app import models as outbound
from services.scoring.adapters import tables as scoring_tables
from services.scoring.app import models as scoring
from shared.events.catalog import AccountCreated, AccountFields, LeadCreated, LeadFields


def _types(annotation: Any) -> set[Any]:
    """`int | None` -> {int}; `dict[str, str]` -> {dict}; a Literal -> {str}."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return set().union(*(_types(a) for a in typing.get_args(annotation) if a is not type(None)))
    if typing.get_origin(annotation) is typing.Literal:
        return {type(v) for v in typing.get_args(annotation)}
    return {typing.get_origin(annotation) or annotation}


def _fields(model: type[BaseModel]) -> dict[str, set[Any]]:
    return {name: _types(info.annotation) for name, info in model.model_fields.items()}


def _held(record: type[BaseModel], table: type[BaseModel], *, not_stored: set[str] = frozenset()) -> None:
    stored, columns = _fields(record), _fields(table)
    missing = set(stored) - set(columns) - not_stored
    assert not missing, f"{record.__name__} fields without a column in {table.__name__}: {missing}"
    wrong = {n: (t, columns[n]) for n, t in stored.items() if n in columns and t != columns[n]}
    assert not wrong, f"{record.__name__} and {table.__name__} disagree on types: {wrong}"


@pytest.mark.parametrize(
    ("record", "table", "not_stored", "unread"),
    [
        (StoredLead, ingest_tables.Lead, set(), set()),
        (Quarantined, ingest_tables.QuarantinedItem, set(), set()),
        (
            StoredAccount,
            matcher_tables.Account,
            set(),
            {"name_key", "name_text", "acronym", "core_key", "sorted_key"},
        ),
        (ReviewItem, matcher_tables.ReviewItem, set(), set()),
        (opportunity.Opportunity, opportunity_tables.Opportunity, {"stamps"}, {"entered_"}),
        (opportunity.Member, opportunity_tables.ContactRole, set(), set()),
        (opportunity.AccountCopy, opportunity_tables.AccountCopy, set(), set()),
        (opportunity.ContactCopy, opportunity_tables.ContactCopy, set(), set()),
        (scoring.Person, scoring_tables.Person, set(), set()),
        (scoring.AccountFacts, scoring_tables.Account, set(), set()),
        (scoring.Deal, scoring_tables.Deal, set(), set()),
        (scoring.Membership, scoring_tables.GroupMember, set(), {"added_at"}),
        (scoring.SegmentMember, scoring_tables.SegmentMember, set(), set()),
        (outbound.Subscription, outbound_tables.Subscription, set(), set()),
        (outbound.Delivery, outbound_tables.Delivery, set(), {"seq"}),
        (outbound.Attempt, outbound_tables.Attempt, set(), {"id"}),
        (outbound.Alert, outbound_tables.Alert, set(), {"seq"}),
    ],
)
def test_a_record_is_what_its_table_holds(
    record: type[BaseModel], table: type[BaseModel], not_stored: set[str], unread: set[str]
) -> None:
    """`unread`: prefixes of columns kept for the database's own use (index keys, stamps)."""
    _held(record, table, not_stored=not_stored)
    read = {c for c in table.model_fields if not c.startswith(tuple(unread))}
    assert read <= set(record.model_fields), f"columns no record reads: {read - set(record.model_fields)}"


def test_the_catalog_lead_is_what_ingest_stores_and_shows() -> None:
    _held(LeadFields, ingest_tables.Lead)
    assert set(LeadFields.model_fields) <= set(StoredLead.model_fields)
    # A lead identified onto an account says so once, in its creation: ingest keeps no copy.
    assert set(LeadCreated.model_fields) - {"identified_account_id"} <= set(StoredLead.model_fields)
    # What a source may say of a person is a lead field (the rest is normalised from it).
    assert set(PERSON_INPUT_FIELDS) <= set(LeadFields.model_fields)
    assert set(LeadIn.model_fields) <= set(LeadFields.model_fields) | {"source", "source_id"}


def test_the_catalog_account_is_what_the_matcher_stores_takes_and_shows() -> None:
    _held(AccountFields, matcher_tables.Account)
    assert set(AccountCreated.model_fields) <= set(StoredAccount.model_fields)
    taken = set(AccountIn.model_fields) | set(AccountPatch.model_fields)
    assert taken <= set(StoredAccount.model_fields), taken - set(StoredAccount.model_fields)
    imported = set(AccountImportRow.model_fields) - {"parent_external_id"}
    assert imported <= set(StoredAccount.model_fields)
