"""The console in Debian's Chromium (Playwright) against the services and the console running as
processes: sign in, resolve a review item, fix a quarantined webhook, confirm a buying-group
member and see the gate open on the board, read the funnel chart and a campaign's influence through
the confirmed member, discard a dead letter, the SDR handed an opp accepts it (and no one else
may), and a read-only user refused.
Every page is screenshot into test-artefacts/console/ (not committed)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from deploy.services import PORTS, migrate_all
from shared.settings import Settings
from tests.support import signing
from tests.support.console import WEBHOOK_SECRETS, ConsoleStack, json_of
from tests.support.db import scalar
from tests.support.infra import Broker, PostgresServer
from tests.support.stack import eventually

pytestmark = pytest.mark.e2e
CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "console"
FIXTURES = Path(__file__).parents[1] / "fixtures" / "webhooks"
AXE = Path(__file__).resolve().parents[2] / "services/console/node_modules/axe-core/axe.min.js"
AXE_RULES = ["color-contrast", "label", "button-name", "link-name", "select-name", "image-alt"]
AXE_CHECK = """rules => axe.run(document, {runOnly: {type: "rule", values: rules}}).then(result => ({
    checked: result.passes.reduce((n, rule) => n + rule.nodes.length, 0),
    violations: result.violations.flatMap(rule => rule.nodes.map(
        node => `${rule.id}: ${node.target.join(" ")}: ${node.failureSummary}`)),
}))"""
WAIT = 180.0  # seconds: five processes and a browser share two cores with everything else
expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
async def stack(postgres: PostgresServer, broker: Broker) -> AsyncIterator[ConsoleStack]:
    url = await postgres.new_database()
    await migrate_all(Settings(database_url=url), list(PORTS))
    running = ConsoleStack(url, broker.bootstrap)
    try:
        running.start()
        await eventually(running.ready, WAIT)
        yield running
    finally:
        running.stop(logs=ARTEFACTS / "logs")
        await postgres.drop(url)


@pytest.fixture(scope="module")
async def browser(stack: ConsoleStack) -> AsyncIterator[Browser]:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        await chromium.close()


async def signed_in(
    browser: Browser, stack: ConsoleStack, username: str, password: str
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        base_url=stack.url, viewport={"width": 1440, "height": 900}, timezone_id="America/New_York"
    )
    page = await context.new_page()
    page.on("console", lambda message: print(f"browser {message.type}: {message.text}"))
    page.on("pageerror", lambda error: print(f"browser error: {error}"))
    await page.goto("/")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    return context, page


@pytest.fixture(scope="module")
async def admin(browser: Browser, stack: ConsoleStack) -> AsyncIterator[Page]:
    context, page = await signed_in(browser, stack, "admin", stack.password)
    yield page
    await context.close()


async def shot(page: Page, name: str) -> None:
    """A screenshot of the page, and axe-core's checks that people can read and use it: text
    contrast (WCAG AA), labelled form fields, named buttons and links."""
    await page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    await page.evaluate(AXE.read_text())  # run by the browser itself: the CSP allows no inline script
    found = await page.evaluate(AXE_CHECK, AXE_RULES)
    assert found["checked"] > 0 and not found["violations"], f"{name}: " + "\n".join(found["violations"])


async def test_the_sign_in_form_refuses_a_wrong_password_and_names_no_user(
    browser: Browser, stack: ConsoleStack
) -> None:
    context = await browser.new_context(base_url=stack.url)
    page = await context.new_page()
    await page.goto("/opportunities")  # a page behind sign-in sends the person to the form, and back after
    await page.get_by_label("User name").fill("admin")
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    await shot(page, "sign-in")
    await page.get_by_label("User name").fill("admin")
    await page.get_by_label("Password").fill(stack.password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/opportunities$"))
    await context.close()


async def test_resolving_a_review_item_converts_the_lead_in_the_persons_name(
    admin: Page, stack: ConsoleStack
) -> None:
    brand = f"Zyx{uuid.uuid4().hex[:6]}"
    async with stack.api("matcher") as matcher, stack.api("ingest") as ingest:
        account = json_of(
            await matcher.post(
                "/v1/accounts", json={"name": f"{brand} Analytics GmbH", "domains": [f"{brand.lower()}.de"]}
            )
        )
        email = f"u-{brand.lower()}@gmail.com"
        lead = json_of(
            await ingest.post(
                "/v1/leads", json={"email": email, "company": f"{brand} Analytics Group", "country": "DE"}
            )
        )

        async def in_review() -> bool:
            return json_of(await matcher.get(f"/v1/leads/{lead['lead_id']}/match"))["status"] == "in_review"

        await eventually(in_review, WAIT)
        await admin.goto("/review-queue")
        item = admin.locator("article.review", has_text=email)
        await expect(item.get_by_role("cell", name=f"{brand} Analytics GmbH", exact=True)).to_be_visible()
        await shot(admin, "review-queue")
        await item.get_by_role("button", name=f"Pick {brand} Analytics GmbH for {email}").click()
        await expect(admin.get_by_role("status")).to_contain_text(
            f"Lead {email} converted to account {account['account_id']}"
        )
        await admin.get_by_role("link", name="see the lead").click()
        await expect(admin.locator("#match-status")).to_contain_text("Matched")
        await expect(admin.locator("#match-status")).to_contain_text(account["account_id"])
        await shot(admin, "lead")
        resolved = json_of(
            await matcher.get(
                "/v1/review-queue", params={"status": "resolved", "account_id": account["account_id"]}
            )
        )
        assert [i["resolved_by"] for i in resolved] == ["Admin (via console)"]


async def test_a_quarantined_webhook_item_is_fixed_and_resubmitted(admin: Page, stack: ConsoleStack) -> None:
    body = (FIXTURES / "mautic_batch.json").read_bytes()
    async with stack.api("ingest") as ingest:
        delivered = await ingest.post(
            "/v1/webhooks/mautic", content=body, headers=signing.mautic(WEBHOOK_SECRETS["mautic"], body)
        )
        assert [i["outcome"] for i in json_of(delivered)["items"]][-1] == "rejected"
        await admin.goto("/quarantine?source=mautic")
        item = admin.locator("article.card").first
        await expect(item).to_contain_text("field email")
        await shot(admin, "quarantine")
        editor = item.get_by_label("The item (JSON, as the source sent it)")
        payload = json.loads(await editor.input_value())
        payload["hit"]["lead"] = {
            "id": 999,
            "fields": {"core": {"email": {"value": "visitor@kernel-works.io"}}},
        }
        await editor.fill(json.dumps(payload, indent=2))
        await item.get_by_role("button", name="Resubmit").click()
        await expect(admin.get_by_role("status")).to_contain_text("Resubmitted: accepted")
        await expect(admin.get_by_text("No quarantined item.")).to_be_visible()
        assert json_of(await ingest.get("/v1/quarantine", params={"source": "mautic"})) == []
        [done] = json_of(
            await ingest.get("/v1/quarantine", params={"source": "mautic", "status": "resubmitted"})
        )
        assert done["lead_id"]


async def _opp_with_potential_cfo(stack: ConsoleStack, domain: str | None = None) -> dict[str, Any]:
    domain = domain or f"initech-{uuid.uuid4().hex[:8]}.com"
    async with (
        stack.api("ingest") as ingest,
        stack.api("opportunity") as opportunity,
        stack.api("matcher") as matcher,
    ):
        lead = json_of(
            await ingest.post(
                "/v1/leads", json={"email": f"cfo@{domain}", "company": domain.split(".")[0], "title": "CFO"}
            )
        )

        async def converted() -> dict[str, Any] | None:
            match = json_of(await matcher.get(f"/v1/leads/{lead['lead_id']}/match"))
            return match if match["status"] in ("matched", "account_created") else None

        match = await eventually(converted, WAIT)

        async def opp() -> dict[str, Any] | None:
            found = json_of(
                await opportunity.get("/v1/opportunities", params={"account_id": match["account_id"]})
            )
            return found[0] if found and found[0]["contact_roles"] else None

        return await eventually(opp, WAIT)


async def test_confirming_a_potential_member_opens_the_gate_on_the_board(
    admin: Page, stack: ConsoleStack
) -> None:
    opp = await _opp_with_potential_cfo(stack)
    opp_id = opp["opp_id"]
    await admin.goto("/opportunities?type=acquisition")
    card = admin.locator(f'article.opp-card[data-opp="{opp_id}"]')
    await expect(card.locator(".gate")).to_have_text("Active needs 1 more committee role(s)")
    await card.get_by_role("link").click()
    await expect(admin.get_by_role("heading", name=re.compile("Acquisition opportunity"))).to_be_visible()
    potential = admin.get_by_role("table", name=re.compile("Potential members"))
    await expect(potential.get_by_role("combobox", name="Role")).to_have_value(
        "economic_buyer"
    )  # the suggested role
    await shot(admin, "opportunity-before")
    await potential.get_by_role("button", name="Confirm").click()
    await expect(admin.get_by_role("status")).to_contain_text("confirmed as economic buyer")
    await expect(admin.locator("#gate")).to_have_text("ready for Active")
    await shot(admin, "opportunity")
    await admin.goto("/opportunities?type=acquisition")
    await expect(card.locator(".gate")).to_have_text("ready for Active")
    await shot(admin, "board")
    async with stack.api("opportunity") as opportunity:
        [member] = json_of(await opportunity.get(f"/v1/opportunities/{opp_id}"))["contact_roles"]
    assert (member["status"], member["role"], member["confirmed_by"]) == (
        "confirmed",
        "economic_buyer",
        "Admin (via console)",
    )
    await admin.goto(f"/accounts/{opp['account_id']}")
    await expect(admin.get_by_role("cell", name=re.compile("cfo@"))).to_be_visible()
    await shot(admin, "account")


async def test_the_funnel_is_a_chart_with_its_table_and_a_csv(admin: Page, stack: ConsoleStack) -> None:
    await _opp_with_potential_cfo(stack)
    await admin.goto("/reports/funnel?type=acquisition")
    await expect(admin.locator("#chart[data-chart-ready=true]")).to_be_attached()
    table = admin.get_by_role("table", name=re.compile("Acquisition funnel"))
    target = table.get_by_role("row", name=re.compile("^Target"))
    reached = int((await target.get_by_role("cell").nth(1).inner_text()).replace(",", ""))
    assert reached >= 1
    await shot(admin, "report-funnel")
    async with admin.expect_download() as download:
        await admin.get_by_role("link", name="Download CSV").click()
    saved = await (await download.value).path()
    lines = (await asyncio.to_thread(Path(saved).read_text)).splitlines()
    assert lines[0] == "Stage,Team,Reached,In stage now,Conversion to next" and lines[1].startswith(
        "target,marketing,"
    )
    for name in ("velocity", "aging"):
        await admin.goto(f"/reports/{name}?type=acquisition")
        await expect(admin.locator("#chart[data-chart-ready=true]")).to_be_attached()
        await shot(admin, f"report-{name}")
    await admin.goto(
        "/reports/planner?revenue_target=1000000&average_price=25000&suspect_to_prospect=0.5&prospect_to_mql=0.5&mql_to_sql=0.5&sql_to_win=0.25"
    )
    await expect(admin.get_by_role("table", name=re.compile("Reverse funnel"))).to_contain_text("Suspects")
    await shot(admin, "report-planner")
    await admin.goto("/reports/handshakes")
    await expect(admin.locator("canvas[data-chart-ready=true]")).to_have_count(4)
    await shot(admin, "report-handshakes")
    await admin.goto("/operations")
    await expect(admin.get_by_role("row", name=re.compile("^opportunity ready"))).to_be_visible()
    await expect(
        admin.get_by_text(re.compile("The outbound service at .* is not reachable")).first
    ).to_be_visible()
    await shot(admin, "operations")


async def test_a_dead_letter_is_seen_and_discarded_on_the_operations_page(
    admin: Page, stack: ConsoleStack, broker: Broker
) -> None:
    key = f"broken-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
    await producer.start()
    try:  # a record no service can decode: the matcher dead-letters it at once
        await producer.send_and_wait(f"{stack.topic_prefix}lead.created", b"{not json", key=key.encode())
    finally:
        await producer.stop()
    async with stack.api("matcher") as matcher:

        async def dead_letter() -> dict[str, Any] | None:
            letters = json_of(await matcher.get("/v1/dead-letters"))
            return next((letter for letter in letters if letter["key"] == key), None)

        letter = await eventually(dead_letter, WAIT)
    await admin.goto("/operations")
    discard = admin.get_by_role("button", name=f"Discard dead letter {letter['id']} of matcher")
    row = admin.locator("tr").filter(has=discard)
    await expect(row).to_contain_text(key)
    await expect(row).to_contain_text("MalformedEvent: missing CloudEvents headers")
    await shot(admin, "operations-dead-letters")
    await discard.click()
    done = f"Dead letter {letter['id']} of matcher discarded."
    await expect(admin.get_by_role("status")).to_have_text(done)
    await expect(discard).to_have_count(0)


async def test_a_campaigns_influence_through_the_confirmed_member_is_charted(
    admin: Page, stack: ConsoleStack
) -> None:
    domain = f"initrode-{uuid.uuid4().hex[:8]}.com"
    campaign = f"CFO roundtable {domain}"
    opp = await _opp_with_potential_cfo(stack, domain)
    [cfo] = opp["contact_roles"]
    async with (
        stack.api("opportunity") as opportunity,
        stack.api("ingest") as ingest,
        stack.api("attribution") as attribution,
    ):
        json_of(
            await opportunity.post(
                f"/v1/opportunities/{opp['opp_id']}/contact-roles",
                json={"contact_id": cfo["contact_id"], "role": "economic_buyer"},
            )
        )
        json_of(await opportunity.patch(f"/v1/opportunities/{opp['opp_id']}", json={"amount": 48000}))
        json_of(
            await ingest.post(
                "/v1/engagements",
                json={"email": f"cfo@{domain}", "kind": "form_submit", "campaign": campaign},
            )
        )

        async def attributed() -> dict[str, Any] | None:
            report = json_of(await attribution.get("/v1/reports/influence", params={"model": "linear"}))
            row = next((r for r in report["rows"] if r.get("name") == campaign), None)
            return row if row and row["pipeline_influenced"] == 48000 else None

        await eventually(attributed, WAIT)
    await admin.goto("/reports/influence?model=linear&type=acquisition")
    await expect(admin.locator("#chart[data-chart-ready=true]")).to_be_attached()
    table = admin.get_by_role("table", name=re.compile(r"Influence by campaign \(Linear\)"))
    row = table.get_by_role("row", name=re.compile(f"^{re.escape(campaign)}"))
    await expect(row).to_be_visible()
    cells = await row.get_by_role("cell").all_inner_texts()
    assert cells[:4] == ["0", "1", "48,000", "0"], cells  # influenced, not sourced, not won yet
    await shot(admin, "report-influence")


async def _qualified_opp_handed_to(stack: ConsoleStack, rep_id: str) -> str:
    """An opp whose committee of three is confirmed, moved on to `qualified`: the SDR stage,
    handed to the one rep of the SDR pool."""
    domain = f"vandelay-{uuid.uuid4().hex[:8]}.com"
    async with stack.api("matcher") as matcher, stack.api("ingest") as ingest:
        json_of(await matcher.put(f"/v1/reps/{rep_id}", json={"name": rep_id.title(), "team": "sdr"}))
        pool = {"team": "sdr", "members": [{"rep_id": rep_id, "weight": 1}]}
        json_of(await matcher.put(f"/v1/pools/sdr-{rep_id}", json=pool))
        for title in ("CEO", "CTO"):
            json_of(
                await ingest.post("/v1/leads", json={"email": f"{title.lower()}@{domain}", "title": title})
            )
    opp = await _opp_with_potential_cfo(stack, domain)

    async def copied() -> bool:  # the opportunity service routes with its copy of the pool
        query = "SELECT count(*) FROM opportunity.pools WHERE pool_id = $1"
        return bool(await scalar(stack.database_url, query, f"sdr-{rep_id}"))

    await eventually(copied, WAIT)
    async with stack.api("opportunity") as opportunity:
        path = f"/v1/opportunities/{opp['opp_id']}"

        async def committee() -> list[dict[str, Any]] | None:
            members = json_of(await opportunity.get(path))["contact_roles"]
            return members if len(members) == 3 else None

        roles = iter(("economic_buyer", "technical_buyer", "decision_maker"))
        for member in await eventually(committee, WAIT):
            body = {"contact_id": member["contact_id"], "role": next(roles)}
            json_of(await opportunity.post(f"{path}/contact-roles", json=body))
        for stage in ("active", "engaged", "prioritized", "qualified"):
            json_of(await opportunity.post(f"{path}/stage", json={"stage": stage}))
        assert json_of(await opportunity.get(path))["stage_owner"] == rep_id
    return str(opp["opp_id"])


async def test_the_sdr_handed_an_opp_accepts_it_in_the_console_and_no_one_else_may(
    admin: Page, browser: Browser, stack: ConsoleStack
) -> None:
    opp_id = await _qualified_opp_handed_to(stack, "sid")
    await admin.goto("/opportunities?type=acquisition")
    await expect(admin.locator(f'article.opp-card[data-opp="{opp_id}"]')).to_contain_text("Stage owner sid")
    await admin.goto(f"/opportunities/{opp_id}")
    await expect(admin.locator("#handoff-state")).to_contain_text("sid")
    await admin.get_by_role("button", name="Accept").click()
    await expect(admin.get_by_role("status")).to_contain_text("sid's to accept")

    await admin.goto("/users")
    await admin.get_by_label("User name").fill("sid")
    await admin.get_by_label("Display name (recorded as the actor)").fill("sid")
    await admin.get_by_label("Role").last.select_option("sales")
    await admin.get_by_label("Password (12+ characters)").fill("sid-qualifies-leads")
    await admin.get_by_role("button", name="Create user").click()
    context, sid = await signed_in(browser, stack, "sid", "sid-qualifies-leads")
    await sid.goto(f"/opportunities/{opp_id}")
    await sid.get_by_role("button", name="Accept").click()
    await expect(sid.get_by_role("status")).to_have_text("You accepted the handoff: Qualified is yours.")
    await expect(sid.locator("#handoff-state")).to_contain_text("accepted by sid")
    await shot(sid, "opportunity-handshake")
    await context.close()
    async with stack.api("opportunity") as opportunity:
        [*_, handoff] = json_of(await opportunity.get(f"/v1/opportunities/{opp_id}"))["handoffs"]
    assert (handoff["owner"], handoff["status"]) == ("sid", "accepted")


async def test_a_read_only_user_reads_but_is_refused_a_write(
    admin: Page, browser: Browser, stack: ConsoleStack
) -> None:
    await admin.goto("/users")
    await admin.get_by_label("User name").fill("rudy")
    await admin.get_by_label("Display name (recorded as the actor)").fill("Rudy Reader")
    await admin.get_by_label("Role").last.select_option("read-only")
    await admin.get_by_label("Password (12+ characters)").fill("rudy-reads-everything")
    await admin.get_by_role("button", name="Create user").click()
    await expect(admin.get_by_role("status")).to_have_text("User rudy (read-only) created.")
    await shot(admin, "users")

    context, page = await signed_in(browser, stack, "rudy", "rudy-reads-everything")
    await expect(page.get_by_role("button", name=re.compile("^Pick"))).to_have_count(0)
    csrf = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = await page.request.post(
        f"{stack.url}/review-queue/any-item/resolve",
        form={"csrf_token": str(csrf), "action": "reject"},
        max_redirects=0,
    )
    assert answer.status == 403 and "may not resolve review items" in await answer.text()
    forged = await page.request.post(
        f"{stack.url}/review-queue/any-item/resolve", form={"action": "reject"}, max_redirects=0
    )
    assert forged.status == 403, "a form without the session's CSRF token is refused"
    await page.goto("/review-queue?status=all")
    times = await page.locator("time").all_text_contents()
    assert times and all(re.search(r"EST|EDT|GMT-[45]", t) for t in times), times  # the viewer's own zone
    await shot(page, "review-queue-read-only")
    await context.close()
