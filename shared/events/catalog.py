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
from shared.events.campaigns import CampaignCreated, CampaignUpdated
from shared.events.opps import (
    OppContactRoleChanged,
    OppCreated,
    OppSlaBreached,
    OppSlaEscalated,
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
from shared.events.segments import SegmentMembershipChanged
from shared.events.teams import (
    LeadRouted,
    LeadRouteEscalated,
    OppHandoffEscalated,
    OppHandoffReassigned,
    PoolFields,
    PoolMemberFields,
    PoolUpdated,
    RepFields,
    RepUpdated,
    TerritoryFields,
)

__all__ = [
    "CATALOG",
    "AccountCreated",
    "AccountFields",
    "AccountUpdated",
    "CampaignCreated",
    "CampaignUpdated",
    "EngagementKind",
    "EngagementRecorded",
    "Event",
    "LeadConverted",
    "LeadCreated",
    "LeadFields",
    "LeadRejected",
    "LeadReviewRequested",
    "LeadRouteEscalated",
    "LeadRouted",
    "LeadScored",
    "LeadUpdated",
    "MatchCandidate",
    "OppContactRoleChanged",
    "OppCreated",
    "OppHandoffEscalated",
    "OppHandoffReassigned",
    "OppSlaBreached",
    "OppSlaEscalated",
    "OppStageChanged",
    "OppType",
    "OppUpdated",
    "PersonErased",
    "PersonIdentified",
    "PoolFields",
    "PoolMemberFields",
    "PoolUpdated",
    "RepFields",
    "RepUpdated",
    "ScoreReason",
    "SegmentMembershipChanged",
    "TerritoryFields",
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
        OppSlaEscalated,
        PersonIdentified,
        PersonErased,
        CampaignCreated,
        CampaignUpdated,
        SegmentMembershipChanged,
        RepUpdated,
        PoolUpdated,
        OppHandoffEscalated,
        OppHandoffReassigned,
        LeadRouted,
        LeadRouteEscalated,
    )
}
