"""The demo keeps working with two Gateway replicas: in real headless Chromium, a chat with a generation and two
approved ledger changes completes, and the System tab shows both replicas, its rates and its plots.

Gradio holds each browser session (its state, its queue's event stream) in one process; the demo runs in an
application of its own with one replica (``muse/demo_app.py``), so that no request of a session reaches a
process that does not know it, while its calls to the API go to either Gateway replica."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("playwright")
from playwright.sync_api import Page, expect  # noqa: E402

from tests.integration import test_demo_browser as demo_ui  # noqa: E402
from tests.integration.conftest import PROFILE, Server, _free_port, running  # noqa: E402

TWO_GATEWAYS = Path(__file__).with_name("serve_two_gateways_profile.yaml")
browser, page = demo_ui.browser, demo_ui.page  # the same Chromium fixtures


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """A Muse of its own with two Gateway replicas (Serve's own proxy: the session's server holds HAProxy's
    fixed ports)."""
    home = tmp_path_factory.mktemp("muse_two_gateways")
    with running(Server(port=_free_port(), home=home, log=home / "serve.log", profiles=(PROFILE, TWO_GATEWAYS))) as srv:
        yield srv


def test_a_chat_with_approvals_completes_behind_two_gateway_replicas(server: Server, page: Page, tmp_path: Path):
    assert server.replicas("Gateway") == {"RUNNING": 2}
    assert server.replicas("Demo") == {"RUNNING": 1}
    key = demo_ui.sign_in(server, page, "two-gateways")
    page.locator("#chat-input textarea").fill(demo_ui.AUTUMN)
    page.locator("#chat-send").click()
    chat, approve = page.locator("#chatbot"), page.locator("#approve")
    expect(approve).to_be_enabled()
    expect(chat).to_contain_text("generate_text")
    expect(page.locator("#pending")).to_contain_text("register_work")
    approve.click()
    expect(page.locator("#pending")).to_contain_text("set_license_terms")
    expect(approve).to_be_enabled()
    approve.click()
    expect(chat).to_contain_text("is now offered under commercial_use at 0.01 ETH")
    expect(approve).to_be_disabled()
    assert demo_ui.owner_works(server, key)["total"] == 1
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)

    page.get_by_role("tab", name="System").click()
    expect(page.locator("#replicas-table")).to_contain_text("RUNNING: 2")
    # The page's own window fills with the 5 s refresh: a second sample gives rates, and the plots draw.
    expect(page.locator("#metrics-status")).to_contain_text("of this page's samples")
    expect(page.locator("#metrics-table")).to_contain_text("Gateway")
    for plot in ("#replicas-plot", "#rates-plot"):
        expect(page.locator(f"{plot} canvas, {plot} svg").first).to_be_visible()
    page.screenshot(path=str(tmp_path / "system.png"), full_page=True)
