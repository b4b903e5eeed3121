"""The demo at /ui calls the Muse it lives in, never the host a request names: a forged ``Host`` header must not
make the server send anything (least of all a signed-in user's API key) to another address."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest

from muse.client import iter_sse


class _Trap(http.server.BaseHTTPRequestHandler):
    """Answers every request as Muse's /v1/account would, and records it."""

    received: list[tuple[str, str, dict]] = []

    def _record(self) -> None:
        self.received.append((self.command, self.path, dict(self.headers)))
        body = b'{"address": "0x0000000000000000000000000000000000000001", "balance_wei": 0, "royalties_wei": 0}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _record

    def log_message(self, *args) -> None:
        """Quiet: the test reads what it needs from its own records."""


@pytest.fixture
def trap() -> Iterator[http.server.HTTPServer]:
    """A listener on another 127.0.0.1 port that records whatever reaches it."""
    listener = http.server.HTTPServer(("127.0.0.1", 0), _Trap)
    _Trap.received = []
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    yield listener
    listener.shutdown()
    thread.join()


def call_demo(server, api_name: str, data: list, headers: dict) -> list:
    """Run one of the demo's handlers through Gradio's HTTP API (join the queue, then read the result)."""
    with httpx.Client(base_url=f"{server.url}/ui/gradio_api", headers=headers, timeout=120) as client:
        joined = client.post(f"/call/{api_name}", json={"data": data})
        assert joined.status_code == 200, joined.text
        with client.stream("GET", f"/call/{api_name}/{joined.json()['event_id']}") as events:
            lines = list(events.iter_lines())
    assert "event: complete" in lines, lines
    return next(iter_sse(lines[lines.index("event: complete") :]))


def test_a_forged_host_header_sends_nothing_to_that_host(server, trap):
    key = server.add_user("demo-host")
    forged = {"Host": f"127.0.0.1:{trap.server_address[1]}"}
    _, _, status = call_demo(server, "sign_in", [key], forged)
    assert _Trap.received == [], (
        "the demo called the forged host (method, path, carried the API key): "
        f"{[(method, path, 'Authorization' in headers) for method, path, headers in _Trap.received]}"
    )
    assert status.startswith("Signed in as `0x")  # the demo still works, against the real Muse
    assert "0x0000000000000000000000000000000000000001" not in status
    rows = call_demo(server, "search_items", ["star wars", key], forged)
    assert "Star Wars" in str(rows)
    assert _Trap.received == []
