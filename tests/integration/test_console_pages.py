"""The console's pages in-process on a real PostgreSQL (its users and sessions), the services'
APIs replaced by canned answers: every page renders, each change goes to the right route on
behalf of the signed-in person, refusals and absent services are said plainly, and sign-in
holds (CSRF, throttling, roles, no open redirect)."""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.console.app import auth
from services.console.app.ports import Refused
from services.console.bootstrap import DEFINITION
from services.opportunity.entrypoints.reference import pipelines
from services.opportunity.settings import OpportunitySettings
from shared.app import create_app
from tests.conftest import make_settings
from tests.support.console_fakes import FakeServices
from tests.support.db import fetch, scalar

PASSWORD = "the-first-admin-password"
NOW = datetime.now(UTC)


def iso(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).isoformat()


def opp(opp_id: str, stage: str = "target", members: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "opp_id": opp_id,
        "account_id": "acc-1",
        "type": "acquisition",
        "stage": stage,
        "amount": 25000.0,
        "close_date": None,
        "term_months": None,
        "owner": "ann",
        "next_step": None,
        "next_step_owner": None,
        "next_step_due": None,
        "created_by": "automation",
        "closed_at": None,
        "stage_entered_at": iso(30),
        "created_at": iso(30),
        "updated_at": iso(1),
        "version": 1,
        "contact_roles": members or [],
        "history": [{"from_stage": None, "to_stage": stage, "at": iso(30), "actor": "automation"}],
        "stages": {},
        "changes": [],
        "stamps": {},
        "sla": {"state": "breached", "sla_hours": 720, "due_at": iso(2), "overdue_by_seconds": 7200},
    }


CFO = {
    "contact_id": "c-cfo",
    "role": None,
    "status": "potential",
    "suggested_role": "economic_buyer",
    "suggested_reason": "title CFO",
    "primary": True,
    "added_by": "automation",
    "added_at": iso(29),
}
REVIEW_ITEM = {
    "item_id": "r-1",
    "lead_id": "lead-1",
    "status": "open",
    "reason": "uncertain match",
    "confidence": 0.8,
    "candidates": [
        {
            "account_id": "acc-1",
            "name": "Zyx Analytics GmbH",
            "score": 0.8,
            "method": "name_variant",
            "reasons": ["name variant of Zyx Analytics"],
        }
    ],
    "email": "u@gmail.com",
    "company": "Zyx Analytics Group",
    "country": "DE",
    "created_at": iso(30),
    "age_hours": 30.0,
    "sla_hours": 24.0,
    "overdue": True,
    "resolution": None,
    "account_id": None,
    "resolved_by": None,
    "resolved_at": None,
}
QUARANTINED = {
    "quarantine_id": "q-1",
    "source": "mautic",
    "delivery_id": "d-1",
    "item_key": "55121",
    "payload": {"hit": {"id": 55121}},
    "reason": "email is not an address",
    "field": "email",
    "status": "open",
    "created_at": iso(2),
}
FUNNEL = {
    "type": "acquisition",
    "total": 10,
    "won": 2,
    "lost": 1,
    "win_rate": 0.2,
    "stages": [
        {
            "stage": "target",
            "team": "marketing",
            "reached": 10,
            "current": 4,
            "next_stage": "active",
            "conversion_to_next": 0.6,
        }
    ],
}


async def canned() -> FakeServices:
    fake = FakeServices()
    fake.on("matcher", "GET", "/v1/review-queue", [REVIEW_ITEM])
    fake.on(
        "matcher",
        "POST",
        "/v1/review-queue/r-1/resolve",
        REVIEW_ITEM | {"status": "resolved", "account_id": "acc-1"},
    )
    fake.on(
        "matcher",
        "GET",
        "/v1/accounts/acc-1",
        {"account_id": "acc-1", "name": "Zyx Analytics GmbH", "domains": ["zyx.de"], "is_customer": False},
    )
    fake.on(
        "matcher",
        "GET",
        "/v1/leads/lead-1/match",
        {"lead_id": "lead-1", "status": "matched", "account_id": "acc-1"},
    )
    fake.on(
        "ingest", "GET", "/v1/leads/lead-1", {"lead_id": "lead-1", "email": "u@gmail.com", "source": "api"}
    )
    fake.on(
        "scoring",
        "GET",
        "/v1/scores/.*",
        {"score": 40, "fit": 20, "behaviour": 20, "lifecycle_stage": "lead"},
    )
    fake.on("ingest", "GET", "/v1/quarantine", [QUARANTINED])
    fake.on(
        "ingest",
        "POST",
        "/v1/quarantine/q-1/resubmit",
        [{"index": 0, "outcome": "accepted", "status": "created", "lead_id": "lead-2"}],
    )
    fake.on("opportunity", "GET", "/v1/pipelines", await pipelines(OpportunitySettings()))
    fake.on("opportunity", "GET", "/v1/reports/funnel", FUNNEL)
    fake.on("opportunity", "GET", "/v1/opportunities", lambda call: [opp("o-1", members=[CFO])])
    fake.on("opportunity", "GET", "/v1/opportunities/o-1", opp("o-1", members=[CFO]))
    fake.on(
        "opportunity",
        "GET",
        "/v1/contacts",
        [
            {
                "contact_id": "c-cfo",
                "account_id": "acc-1",
                "email": "cfo@zyx.de",
                "first_name": "Cleo",
                "last_name": "Fox",
                "title": "CFO",
            }
        ],
    )
    fake.on(
        "opportunity",
        "POST",
        "/v1/opportunities/o-1/contact-roles",
        {"change": "changed", "contact_roles": []},
    )
    fake.on(
        "opportunity",
        "POST",
        "/v1/opportunities/o-1/stage",
        Refused("opportunity", 409, "The gate of 'active' does not hold.", []),
    )
    fake.on(
        "scoring",
        "GET",
        "/v1/opportunities/o-1/buying-group-engagement",
        {"members": [], "potential": [{"contact_id": "c-cfo", "engagement": 12.5, "engaged": True}]},
    )
    fake.on(
        "opportunity",
        "GET",
        "/v1/reports/velocity",
        {
            "type": "acquisition",
            "stages": [
                {"from_stage": "target", "to_stage": "active", "opps": 3, "median_days": 4.0, "p90_days": 9.5}
            ],
        },
    )
    fake.on(
        "opportunity",
        "GET",
        "/v1/reports/aging",
        {
            "type": "acquisition",
            "stages": [{"stage": "target", "opps": 4, "median_days": 3.0, "max_days": 40.0, "breached": 1}],
            "oldest": [],
        },
    )
    fake.on(
        "opportunity",
        "GET",
        "/v1/reports/reverse-funnel",
        {
            "needed": {"opps": 40, "sqls": 80, "mqls": 160, "prospects": 320, "suspects": 640},
            "holds": {"opps": 3, "sqls": 5},
            "gap": {"opps": 37, "sqls": 75, "mqls": 160, "prospects": 320, "suspects": 640},
        },
    )
    fake.away = {"attribution", "outbound"}
    return fake


class Console:
    def __init__(self, app: FastAPI, client: httpx.AsyncClient, fake: FakeServices) -> None:
        self.app, self.client, self.fake = app, client, fake

    async def sign_in(self, username: str, password: str, next_url: str = "/review-queue") -> httpx.Response:
        form = await self.client.get("/")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf, form.text
        body = {"username": username, "password": password, "csrf_token": csrf.group(1), "next": next_url}
        return await self.client.post("/sign-in", data=body)

    async def csrf(self) -> str:
        page = await self.client.get("/review-queue")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found, page.text
        return found.group(1)

    async def post(self, path: str, **form: str) -> httpx.Response:
        return await self.client.post(path, data={"csrf_token": await self.csrf(), **form})


@asynccontextmanager
async def started(database_url: str) -> AsyncIterator[Console]:
    """The console in-process on the database, its services the canned fake."""
    password_file = Path(tempfile.mkdtemp()) / "console-password"
    password_file.write_text(PASSWORD)
    settings = DEFINITION.settings(
        **make_settings(database_url, "127.0.0.1:1", log_json=True), console_admin_password_file=password_file
    )
    app = create_app(DEFINITION, settings, with_kafka=False)
    async with app.router.lifespan_context(app):
        fake = await canned()
        app.state.runtime.clients["services"] = fake
        transport = httpx.ASGITransport(app=app, client=("10.0.0.7", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
            yield Console(app, client, fake)
    password_file.unlink()


@pytest.fixture
async def console(database_url: str) -> AsyncIterator[Console]:
    async with started(database_url) as running:
        yield running


async def test_every_page_renders_with_what_the_services_say(console: Console) -> None:
    assert (await console.sign_in("admin", PASSWORD)).status_code == 303
    pages = {
        "/review-queue": ["Zyx Analytics GmbH", "SLA breached", "name variant of Zyx Analytics"],
        "/leads/lead-1": ["Matched", "acc-1"],
        "/quarantine": ["email is not an address", "field <code>email</code>", "55121"],
        "/opportunities?type=acquisition": [
            "Active needs 1 more committee role(s)",
            "SLA breached",
            "25,000",
        ],
        "/opportunities?type=acquisition&stage=target": ["o-1", "ann"],
        "/opportunities/o-1": [
            "Cleo Fox",
            "Economic buyer",
            "0 of 5 committee roles",
            "12.5",
            "Attribution is not available",
        ],
        "/accounts/acc-1": ["Zyx Analytics GmbH", "not a customer"],
        "/reports/funnel?type=acquisition": [
            "Acquisition funnel: 10 opps, win rate 20.0 %",
            "60.0 %",
            "chart-config",
        ],
        "/reports/velocity": ["Target", "9.5"],
        "/reports/aging": ["40.0"],
        "/reports/planner?revenue_target=1000000&average_price=25000": ["Suspects", "640"],
        "/operations": ["ready", "not reachable"],
        "/users": ["admin", "New user"],
    }
    for path, texts in pages.items():
        page = await console.client.get(path)
        assert page.status_code == 200, (path, page.text[-2000:])
        for expected in texts:
            assert expected in page.text, (path, expected)
        assert "default-src 'self'" in page.headers["content-security-policy"]
    assert {c.actor for c in console.fake.calls} == {"Admin"}


async def test_a_change_goes_to_its_route_on_behalf_of_the_person_and_says_how_it_went(
    console: Console,
) -> None:
    await console.sign_in("admin", PASSWORD)
    done = await console.post(
        "/review-queue/r-1/resolve", action="pick", account_id="acc-1", back="/review-queue?status=open"
    )
    assert done.status_code == 303 and done.headers["location"] == "/review-queue?status=open"
    [call] = console.fake.writes()
    assert (call.path, call.actor, call.json["action"], call.json["account_id"]) == (
        "/v1/review-queue/r-1/resolve",
        "Admin",
        "pick",
        "acc-1",
    )
    page = await console.client.get("/review-queue")
    assert (
        "converted to account acc-1" in page.text and '<a href="/leads/lead-1">see the lead</a>' in page.text
    )
    assert "converted to account" not in (await console.client.get("/review-queue")).text, (
        "a message is shown once"
    )

    await console.post("/opportunities/o-1/members", contact_id="c-cfo", role="economic_buyer")
    assert console.fake.writes()[-1].json == {"contact_id": "c-cfo", "role": "economic_buyer"}
    await console.post("/quarantine/q-1/resubmit", payload='{"hit": {"id": 55121, "lead": {}}}')
    assert console.fake.writes()[-1].json == {"payload": {"hit": {"id": 55121, "lead": {}}}}
    assert "Resubmitted: accepted (created)" in (await console.client.get("/quarantine")).text


async def test_saving_a_rep_or_pool_changes_only_the_forms_fields_and_creates_a_new_one(
    console: Console,
) -> None:
    console.fake.on("matcher", "PATCH", "/v1/reps/rep-1", {"rep_id": "rep-1"})
    await console.sign_in("admin", PASSWORD)
    before = len(console.fake.writes())
    await console.post("/operations/reps", rep_id="rep-1", name="Ann", team="sdr", countries="DE, FR")
    await console.post("/operations/reps", rep_id="rep-new", name="Bo", team="sales", active="true")
    await console.post("/operations/pools", pool_id="emea", team="sdr", countries="DE", members="rep-1:2")
    calls = [(c.method, c.path, c.json) for c in console.fake.writes()[before:]]
    assert calls == [
        (
            "PATCH",
            "/v1/reps/rep-1",
            {"name": "Ann", "team": "sdr", "countries": ["DE", "FR"], "active": False},
        ),
        ("PATCH", "/v1/reps/rep-new", {"name": "Bo", "team": "sales", "countries": [], "active": True}),
        ("PUT", "/v1/reps/rep-new", {"name": "Bo", "team": "sales", "countries": [], "active": True}),
        (
            "PATCH",
            "/v1/pools/emea",
            {"team": "sdr", "countries": ["DE"], "members": [{"rep_id": "rep-1", "weight": 2.0}]},
        ),
        (
            "PUT",
            "/v1/pools/emea",
            {"team": "sdr", "countries": ["DE"], "members": [{"rep_id": "rep-1", "weight": 2.0}]},
        ),
    ]


async def test_a_refusal_is_shown_in_full_and_bad_json_never_leaves_the_console(console: Console) -> None:
    await console.sign_in("admin", PASSWORD)
    await console.post("/opportunities/o-1/stage", stage="active")
    assert (
        "Not done: The gate of &#39;active&#39; does not hold."
        in (await console.client.get("/opportunities/o-1")).text
    )
    before = len(console.fake.writes())
    await console.post("/quarantine/q-1/resubmit", payload="{not json")
    assert "Not done: The item is not valid JSON" in (await console.client.get("/quarantine")).text
    assert len(console.fake.writes()) == before


async def test_a_service_that_is_away_is_said_plainly(console: Console) -> None:
    await console.sign_in("admin", PASSWORD)
    page = await console.client.get("/reports/influence?model=w_shaped")
    assert page.status_code == 503
    assert (
        "The attribution service at http://attribution.invalid is not reachable (ConnectError)." in page.text
    )
    console.fake.away.add("matcher")
    queue = await console.client.get("/review-queue")
    assert queue.status_code == 503 and "The matcher service" in queue.text


async def test_forms_need_the_sessions_csrf_token_and_pages_need_a_session(console: Console) -> None:
    away = await console.client.get("/opportunities?type=renewal")
    assert away.status_code == 303 and away.headers["location"] == "/?next=%2Fopportunities%3Ftype%3Drenewal"
    await console.sign_in("admin", PASSWORD)
    forged = await console.client.post(
        "/review-queue/r-1/resolve", data={"action": "reject", "csrf_token": "guess"}
    )
    assert forged.status_code == 403 and console.fake.writes() == []
    out = await console.post("/sign-out")
    assert out.status_code == 303 and (await console.client.get("/review-queue")).status_code == 303


async def test_a_read_only_person_reads_and_is_refused_every_write(console: Console) -> None:
    await console.sign_in("admin", PASSWORD)
    created = await console.post(
        "/users", username="rhea", display_name="Rhea Reader", role="read-only", password="rhea-reads-all-day"
    )
    assert created.status_code == 303
    console.client.cookies.clear()
    assert (await console.sign_in("rhea", "rhea-reads-all-day")).status_code == 303
    queue = await console.client.get("/review-queue")
    assert queue.status_code == 200 and ">Pick</button>" not in queue.text
    refused = await console.post("/review-queue/r-1/resolve", action="reject")
    assert refused.status_code == 403 and "Your role (read-only) may not resolve review items" in refused.text
    assert (await console.client.get("/users")).status_code == 403
    assert console.fake.writes() == []


async def test_sign_in_is_throttled_names_no_one_and_never_redirects_away(console: Console) -> None:
    unknown = await console.sign_in("nobody", "whatever-it-is")
    wrong = await console.sign_in("admin", "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    assert "Wrong user name or password." in unknown.text and "Wrong user name or password." in wrong.text
    for _ in range(5):
        await console.sign_in("mallory", "guess-guess-guess")
    assert (await console.sign_in("mallory", "guess-guess-guess")).status_code == 429
    elsewhere = await console.sign_in("admin", PASSWORD, next_url="//evil.example/")
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/review-queue"


async def test_reports_export_their_table_as_csv(console: Console) -> None:
    await console.sign_in("admin", PASSWORD)
    exported = await console.client.get("/reports/funnel?type=acquisition&format=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.splitlines() == [
        "Stage,Team,Reached,In stage now,Conversion to next",
        "target,marketing,10,4,0.6",
    ]


async def test_expired_sessions_and_old_failures_are_pruned(console: Console, database_url: str) -> None:
    await console.sign_in("pruned", "wrong-password-here")
    await console.sign_in("admin", PASSWORD)
    await fetch(database_url, "UPDATE console.sessions SET expires_at = now() - interval '1 second'")
    await fetch(database_url, "UPDATE console.sign_in_failures SET at = now() - interval '1 day'")
    runtime = console.app.state.runtime
    pruned = await auth.prune(runtime.uow, runtime.settings)
    assert pruned["sessions"] >= 1 and pruned["failures"] >= 1
    assert await scalar(database_url, "SELECT count(*) FROM console.sessions") == 0
    assert await scalar(database_url, "SELECT count(*) FROM console.sign_in_failures") == 0
    assert (await console.client.get("/review-queue")).status_code == 303


LETTER = {
    "id": 7,
    "consumer": "cascade-matcher",
    "topic": "lead.created",
    "partition": 2,
    "offset": 41,
    "event_type": "lead.created",
    "key": "lead-9",
    "attempts": 5,
    "error": "RuntimeError: the handler's bug",
    "created_at": iso(3),
}
ALERTS: list[dict[str, Any]] = [
    {
        "alert_id": "a-2",
        "kind": "opp.sla_breached",
        "subject": "Opp o-1 is past its SLA in target",
        "channel": "chat",
        "target": "https://hooks.slack.example/services/T000/B000/the-secret-path",
        "audience": "revops",
        "status": "sent",
        "attempts": 1,
        "last_error": None,
        "created_at": iso(1),
        "sent_at": iso(0.9),
    },
    {
        "alert_id": "a-1",
        "kind": "lead.review_requested",
        "subject": "Lead lead-1 waits for review",
        "channel": "email",
        "target": "ann@acme.example",
        "audience": "sales",
        "status": "failed",
        "attempts": 3,
        "last_error": "SMTP refused",
        "created_at": iso(2),
        "sent_at": None,
    },
]


async def test_operations_lists_alerts_and_dead_letters_and_an_admin_retries_or_discards_one(
    console: Console,
) -> None:
    fake = console.fake
    fake.away = {"scoring"}
    fake.on("outbound", "GET", "/v1/alerts", ALERTS)
    fake.on("matcher", "GET", "/v1/dead-letters", [LETTER])
    fake.on("matcher", "POST", "/v1/dead-letters/7/retry", {"id": 7, "outcome": "processed"})
    fake.on("matcher", "POST", "/v1/dead-letters/7/discard", {"id": 7, "outcome": "discarded"})
    failed_again = "Dead letter 8 failed again: RuntimeError: boom; it is kept with this error."
    fake.on("matcher", "POST", "/v1/dead-letters/8/retry", Refused("matcher", 409, failed_again, []))
    await console.sign_in("admin", PASSWORD)

    page = await console.client.get("/operations")
    assert page.status_code == 200, page.text[-2000:]
    for expected in (
        "Opp o-1 is past its SLA in target",
        "chat hooks.slack.example (revops)",
        "email ann@acme.example (sales)",
        "failed</span> after 3 attempt(s): SMTP refused",
        f'<time datetime="{datetime.fromisoformat(ALERTS[0]["sent_at"]).isoformat()}"',
        "RuntimeError: the handler&#39;s bug",
        "lead.created (2, 41)",
        'aria-label="Retry dead letter 7 of matcher"',
        'aria-label="Discard dead letter 7 of matcher"',
        "The scoring service at http://scoring.invalid is not reachable (ConnectError).",
        "The ingest service running does not offer /v1/dead-letters yet.",
    ):
        assert expected in page.text, expected
    assert "the-secret-path" not in page.text, "a chat webhook's path is its secret"
    assert page.text.index("past its SLA") < page.text.index("waits for review"), "newest first, as sent"
    reads = {(c.service, c.path): c.params for c in fake.calls if c.method == "GET"}
    assert reads[("matcher", "/v1/dead-letters")] == reads[("outbound", "/v1/alerts")] == {"limit": 25}

    assert (await console.post("/operations/dead-letters/matcher/7/retry")).status_code == 303
    assert "Dead letter 7 of matcher: processed again." in (await console.client.get("/operations")).text
    await console.post("/operations/dead-letters/matcher/8/retry")
    assert f"Not done: {failed_again}" in (await console.client.get("/operations")).text
    await console.post("/operations/dead-letters/matcher/7/discard")
    assert "Dead letter 7 of matcher discarded." in (await console.client.get("/operations")).text
    assert [(c.path, c.actor) for c in fake.writes()] == [
        ("/v1/dead-letters/7/retry", "Admin"),
        ("/v1/dead-letters/8/retry", "Admin"),
        ("/v1/dead-letters/7/discard", "Admin"),
    ]
    assert (await console.post("/operations/dead-letters/console/7/retry")).status_code == 422
    assert len(fake.writes()) == 3


async def test_only_an_admin_may_retry_or_discard_a_dead_letter(console: Console) -> None:
    console.fake.on("matcher", "GET", "/v1/dead-letters", [LETTER])
    await console.sign_in("admin", PASSWORD)
    people = {f"{role}-{uuid.uuid4().hex[:6]}": role for role in ("read-only", "revops")}
    for username, role in people.items():
        created = await console.post(
            "/users", username=username, display_name=username, role=role, password=f"{username}-password"
        )
        assert created.status_code == 303
    for username, role in people.items():
        console.client.cookies.clear()
        assert (await console.sign_in(username, f"{username}-password")).status_code == 303
        page = await console.client.get("/operations")
        assert "the handler&#39;s bug" in page.text and ">Retry</button>" not in page.text
        for action in ("retry", "discard"):
            refused = await console.post(f"/operations/dead-letters/matcher/7/{action}")
            assert refused.status_code == 403
            assert (
                f"Your role ({role}) may not retry or discard dead letters; that needs admin." in refused.text
            )
    assert console.fake.writes() == []
