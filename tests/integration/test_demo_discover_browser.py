"""The demo's Discover tab for works, in a real headless Chromium against the real application: a work another
user registered and offers is recommended with its creator and fee; License goes through the assistant's approval
(its summary states the fee); a rejection pays nothing, an approval buys the license on the ledger, and the
refreshed list no longer shows the work."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import Page, expect

from tests.integration.http_helpers import as_user
from tests.integration.test_demo_browser import browser, page, sign_in  # noqa: F401 (the browser fixtures)

TITLE = "The Lighthouse Chess Club"
CONTENT = (
    "Every night the old lighthouse keeper teaches the owls of the cliff to play chess by lamplight, "
    "while the gulls keep score."
)
QUERY = "owls playing chess in a lighthouse"
FEE_WEI = 2 * 10**15  # 0.002 ETH
LISTED_WITHIN_S = 60  # generous: the Recommender polls the ledger's index every 0.5 s


def offered_work(server, key: str) -> dict:
    """A work registered by ``key``'s user over HTTP, offered for commercial use at FEE_WEI."""
    registered = httpx.post(
        f"{server.url}/v1/works", headers=as_user(key), timeout=60, json={"title": TITLE, "content": CONTENT}
    )
    assert registered.status_code == 201, registered.text
    work = registered.json()
    offered = httpx.put(
        f"{server.url}/v1/works/{work['id']}/terms",
        headers=as_user(key),
        timeout=60,
        json={"template": "commercial_use", "fee_wei": FEE_WEI},
    )
    assert offered.status_code == 200, offered.text
    return work


def wait_until_recommended(server, work_id: int) -> None:
    deadline = time.monotonic() + LISTED_WITHIN_S
    while True:
        items = httpx.post(
            f"{server.url}/v1/recommend", timeout=30, json={"catalogue": "works", "query": QUERY, "k": 10}
        ).json()["items"]
        if any(i["id"] == work_id for i in items):
            return
        assert time.monotonic() < deadline, "the work was never recommended"
        time.sleep(0.2)


def holds_license(server, work_id: int, holder: str) -> bool:
    answer = httpx.get(
        f"{server.url}/v1/licenses/verify",
        timeout=30,
        params={"work_id": work_id, "holder": holder, "use": "commercial"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["valid"]


def test_license_a_recommended_work_with_the_assistants_approval(server, page: Page):  # noqa: F811 (fixture)
    work = offered_work(server, server.add_user("ui-discover-creator"))
    wait_until_recommended(server, work["id"])
    buyer = sign_in(server, page, "ui-discover-buyer")
    buyer_address = httpx.get(f"{server.url}/v1/account", headers=as_user(buyer), timeout=30).json()["address"]

    page.get_by_role("tab", name="Discover").click()
    page.locator("#works-text textarea").fill(QUERY)
    page.locator("#works-run").click()
    listed = page.locator("#works-results")
    expect(listed).to_contain_text(TITLE)
    expect(listed).to_contain_text(work["owner"])
    expect(listed).to_contain_text("commercial_use · 0.002 ETH")
    expect(listed).to_contain_text(f"matches '{QUERY}'")

    choice = f"{work['id']} · {TITLE} · commercial_use · 0.002 ETH"
    page.locator("#license-work input").click()
    page.get_by_role("option", name=choice).click()
    pending, approve = page.locator("#license-pending"), page.locator("#license-approve")
    for decision in ("reject", "approve"):
        page.locator("#license").click()
        expect(pending).to_contain_text(
            f'Pays 0.002 ETH from your account for a commercial_use license on work {work["id"]} "{TITLE}"'
        )
        expect(approve).to_be_enabled()
        expect(page.locator("#license")).to_be_disabled()
        assert not holds_license(server, work["id"], buyer_address), "bought before approval"
        page.locator(f"#license-{decision}").click()
        expect(approve).to_be_disabled()
        expect(pending).not_to_contain_text("Waiting for your approval")

        if decision == "reject":
            expect(page.locator("#license-outcome")).to_contain_text("You rejected buy_license, so I stopped there")
            expect(listed).to_contain_text(TITLE)
            assert not holds_license(server, work["id"], buyer_address), "a rejected purchase bought the license"
            page.locator("#license-work input").click()
            page.get_by_role("option", name=choice).click()

    expect(page.locator("#license-outcome")).to_contain_text(f"You now hold a license on work {work['id']}")
    expect(listed).not_to_contain_text(TITLE)
    assert holds_license(server, work["id"], buyer_address)
    held = httpx.get(f"{server.url}/v1/licenses", params={"holder": "me"}, headers=as_user(buyer), timeout=30)
    assert [(lic["work_id"], lic["paid_wei"]) for lic in held.json()["items"]] == [(work["id"], FEE_WEI)]
