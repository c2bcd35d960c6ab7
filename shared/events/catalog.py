"""Every event of ARCHITECTURE.md as a frozen, versioned pydantic payload.

One topic per event type; the Kafka key is `key()`, the aggregate's id. Consumers ignore
unknown fields, so adding an optional field is compatible; anything else bumps VERSION.
"""

from __future__ import annotations

from shared.events.accounts import (
    AccountCreated,
    AccountFields,
    AccountUpdated,
)
from shared.events.base import (
    Event,
)
from shared.events.opps import (
    OppContactRoleChanged,
    OppCreated,
    OppSlaBreached,
    OppStageChanged,
    OppType,
    OppUpdated,
)
from shared.events.people import (
    EngagementKind,
    EngagementRecorded,
    LeadConverted,
    LeadCreated,
    LeadFields,
    LeadRejected,
    LeadReviewRequested,
    LeadScored,
    LeadUpdated,
    MatchCandidate,
    PersonErased,
    PersonIdentified,
    ScoreReason,
)

__all__ = [
    "CATALOG",
    "AccountCreated",
    "AccountFields",
    "AccountUpdated",
    "EngagementKind",
    "EngagementRecorded",
    "Event",
    "LeadConverted",
    "LeadCreated",
    "LeadFields",
    "LeadRejected",
    "LeadReviewRequested",
    "LeadScored",
    "LeadUpdated",
    "MatchCandidate",
    "OppContactRoleChanged",
    "OppCreated",
    "OppSlaBreached",
    "OppStageChanged",
    "OppType",
    "OppUpdated",
    "PersonErased",
    "PersonIdentified",
    "ScoreReason",
]

CATALOG: dict[str, type[Event]] = {
    cls.TYPE: cls
    for cls in (
        LeadCreated,
        LeadUpdated,
        EngagementRecorded,
        AccountCreated,
        AccountUpdated,
        LeadConverted,
        LeadReviewRequested,
        LeadRejected,
        LeadScored,
        OppCreated,
        OppStageChanged,
        OppUpdated,
        OppContactRoleChanged,
        OppSlaBreached,
        PersonIdentified,
        PersonErased,
    )
}
