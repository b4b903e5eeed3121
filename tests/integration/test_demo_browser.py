"""The Gradio demo at /ui in a real headless Chromium (Debian's, driven by Playwright) against the real
application: sign in, ask the assistant for the autumn poem with commercial terms, see its three steps, approve
each ledger change (nothing is written before), find the work with its terms in the Rights tab and, once someone
buys a license, its earnings (total, plot, the buyer in the list), and the
deployments with their request rates in the System tab."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

from tests.integration.http_helpers import as_user  # noqa: E402


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
AUTUMN = "Write a short poem about autumn, register it as mine and offer it for commercial use at 0.01 ETH"
STEP_TIMEOUT_MS = 90_000  # a step may wait for the Generator to start from zero


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (make test installs it: `make browser`)")
    expect.set_options(timeout=STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, tmp_path: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    yield page
    page.screenshot(path=str(tmp_path / "demo.png"), full_page=True)  # kept for a person to look at
    context.close()


def owner_works(server, key: str) -> dict:
    return httpx.get(f"{server.url}/v1/works", params={"owner": "me"}, timeout=30, headers=as_user(key)).json()


def sign_in(server, page: Page, name: str) -> str:
    """A new user, signed in on the demo's page; returns their API key."""
    key = server.add_user(name)
    page.goto(f"{server.url}/ui/")
    page.locator("#api-key input").fill(key)
    page.locator("#sign-in").click()
    expect(page.locator("#account-status")).to_contain_text("Signed in as")
    return key


def test_chat_approve_and_find_the_work_in_rights(server, page: Page, tmp_path: Path):
    key = sign_in(server, page, "ui-owner")
    page.locator("#chat-input textarea").fill(AUTUMN)
    page.locator("#chat-send").click()
    chat = page.locator("#chatbot")
    approve = page.locator("#approve")
    expect(approve).to_be_enabled()
    for tool in ("Plan", "generate_text", "register_work"):
        expect(chat).to_contain_text(tool)
    expect(page.locator("#pending")).to_contain_text("register_work")
    assert owner_works(server, key)["total"] == 0, "the work was registered before approval"

    approve.click()
    expect(page.locator("#pending")).to_contain_text("set_license_terms")
    expect(approve).to_be_enabled()
    assert owner_works(server, key)["total"] == 1
    approve.click()
    expect(chat).to_contain_text("is now offered under commercial_use at 0.01 ETH")
    expect(approve).to_be_disabled()

    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
    page.get_by_role("tab", name="Rights").click()
    works = page.locator("#works-table")
    expect(works).to_contain_text("A poem about autumn")
    expect(works).to_contain_text("commercial_use · 0.01 ETH")
    expect(page.locator("#earnings-total")).to_contain_text("Earned 0 ETH")

    buyer = server.add_user("ui-fan")
    (work,) = owner_works(server, key)["items"]
    assert (
        httpx.post(f"{server.url}/v1/works/{work['id']}/licenses", headers=as_user(buyer), timeout=60).status_code
        == 201
    )
    buyer_address = httpx.get(f"{server.url}/v1/account", headers=as_user(buyer), timeout=30).json()["address"]
    page.locator("#rights-refresh").click()
    expect(page.locator("#earnings-total")).to_contain_text("Earned 0.01 ETH")
    earnings = page.locator("#earnings-table")
    expect(earnings).to_contain_text(buyer_address)
    expect(earnings).to_contain_text("bought")
    expect(page.locator("#earnings-plot canvas, #earnings-plot svg").first).to_be_visible()
    page.locator("#earnings-plot").screenshot(path=str(tmp_path / "earnings-plot.png"))
    page.get_by_role("tab", name="System").click()
    expect(page.locator("#replicas-table")).to_contain_text("Generator")
    expect(page.locator("#metrics-status")).to_contain_text("Request rates")
    terms = httpx.get(f"{server.url}/v1/works/{work['id']}", timeout=30).json()["terms"]
    assert terms["template"] == "commercial_use" and terms["fee_wei"] == 10**16


def test_a_rejected_change_in_the_browser_writes_nothing(server, page: Page):
    key = sign_in(server, page, "ui-rejecter")
    page.locator("#chat-input textarea").fill('Register this as mine: "Not today"')
    page.locator("#chat-send").click()
    expect(page.locator("#reject")).to_be_enabled()
    page.locator("#reject").click()
    expect(page.locator("#chatbot")).to_contain_text("rejected")
    expect(page.locator("#reject")).to_be_disabled()
    assert owner_works(server, key)["total"] == 0
