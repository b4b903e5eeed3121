"""A small synchronous client of Muse's HTTP API, used by the Gradio demo and the terminal chat.

Every method returns the API's JSON (or the part of it worth having); a refusal raises ``MuseError`` with the
HTTP status and the API's own message. The assistant's routes are generators of its events
(``assistant.events``), parsed from the Server-Sent Events as they arrive.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, Literal, Self
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from assistant.events import ChatEvent, ConversationPage, parse_event

Decision = Literal["approve", "reject", "edit"]


class MuseError(Exception):
    """A request Muse refused (``status`` its HTTP status) or could not be sent (``status`` None)."""

    def __init__(self, status: int | None, message: str):
        super().__init__(message)
        self.status, self.message = status, message

    def __str__(self) -> str:
        return self.message if self.status is None else f"{self.message} (HTTP {self.status})"


def iter_sse(lines: Iterable[str]) -> Iterator[dict]:
    """The JSON payloads of a Server-Sent Events stream: ``data:`` lines joined until a blank line; comments
    and ``[DONE]`` are skipped."""
    data: list[str] = []
    for line in lines:
        if line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif not line.strip() and data:
            payload = "\n".join(data)
            data = []
            if payload != "[DONE]":
                yield json.loads(payload)
    if data and (payload := "\n".join(data)) != "[DONE]":
        yield json.loads(payload)


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])
    return response.text.strip() or response.reason_phrase


def _check(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        response.read()
        raise MuseError(response.status_code, _error_message(response))
    return response


class MuseClient:
    """Muse at ``base_url`` (e.g. ``http://127.0.0.1:8000``), acting as the owner of ``api_key`` if given."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        stream_timeout: float = 600.0,
        transport: httpx.BaseTransport | None = None,
    ):
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self._stream_timeout = httpx.Timeout(stream_timeout, connect=10.0)
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Requests

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise MuseError(None, f"cannot reach Muse at {self.base_url}: {exc}") from exc
        return _check(response)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    def _events(self, path: str, body: dict) -> Iterator[ChatEvent]:
        try:
            with self._http.stream("POST", path, json=body, timeout=self._stream_timeout) as response:
                for data in iter_sse(_check(response).iter_lines()):
                    yield parse_event(data)
        except httpx.HTTPError as exc:
            raise MuseError(None, f"the stream from {self.base_url} broke: {exc}") from exc
        except ValidationError as exc:
            raise MuseError(
                None, f"the stream from {self.base_url} sent an event this client does not know: {exc}"
            ) from exc

    # Account and the ledger

    def account(self) -> dict:
        """``address``, ``balance_wei``, ``royalties_wei``."""
        return self._request("GET", "/v1/account")

    def withdraw(self) -> dict:
        """Pays the royalties owed into the account: ``withdrawn_wei`` and the account after."""
        return self._request("POST", "/v1/account/withdraw")

    def my_works(self, limit: int = 100) -> list[dict]:
        """The caller's works, newest first (``id``, ``title``, ``offer``...)."""
        return self._request("GET", "/v1/works", params={"owner": "me", "limit": limit})["items"]

    def work(self, work_id: int) -> dict:
        return self._request("GET", f"/v1/works/{work_id}")

    def set_terms(
        self, work_id: int, template: str, fee_wei: int = 0, rev_share_bps: int = 0, duration_s: int = 0
    ) -> dict:
        body = {"template": template, "fee_wei": fee_wei, "rev_share_bps": rev_share_bps, "duration_s": duration_s}
        return self._request("PUT", f"/v1/works/{work_id}/terms", json=body)

    def earnings(self, limit: int = 50, licenses: int = 20, days: int = 90) -> dict:
        """What the caller earned per work (with its licenses), in all, and per UTC day (``/v1/account/earnings``)."""
        return self._request("GET", "/v1/account/earnings", params={"limit": limit, "licenses": licenses, "days": days})

    def my_licenses(self, limit: int = 100) -> list[dict]:
        """Licenses the caller holds, newest first."""
        return self._request("GET", "/v1/licenses", params={"holder": "me", "limit": limit})["items"]

    # Generation and recommendations

    def generate(self, prompt: str, max_new_tokens: int = 64, temperature: float = 0.8) -> str:
        body = {"prompt": prompt, "max_new_tokens": max_new_tokens, "temperature": temperature}
        return self._request("POST", "/v1/generate", json=body)["text"]

    def recommend(
        self,
        query: str | None = None,
        liked_items: list[str] | None = None,
        k: int = 10,
        catalogue: Literal["movies", "works"] | None = None,
    ) -> list[dict]:
        """By free text, like some items, or (neither) for the caller; items with ``id``, ``title``, ``score``,
        ``reason`` (works add ``creator`` and ``terms``). ``catalogue`` None: the server's default (movies)."""
        body: dict[str, Any] = {"k": k}
        if catalogue:
            body["catalogue"] = catalogue
        if query:
            body["query"] = query
        if liked_items:
            body["liked_items"] = liked_items
        return self._request("POST", "/v1/recommend", json=body)["items"]

    def similar_items(self, item_id: str, k: int = 10) -> list[dict]:
        return self._request("GET", f"/v1/items/{quote(item_id, safe='')}/similar", params={"k": k})["items"]

    def search_items(self, query: str, limit: int = 20) -> list[dict]:
        return self._request("GET", "/v1/items", params={"q": query, "limit": limit})["items"]

    # System

    def system_status(self) -> dict:
        """``{"applications": {name: {"status", "deployments": {name: {"status", "replicas"}}}}}``."""
        return self._request("GET", "/v1/system/status")

    def system_metrics(self) -> dict | None:
        """Request rates and latencies, or None where this Muse does not publish them."""
        try:
            return self._request("GET", "/v1/system/metrics")
        except MuseError as exc:
            if exc.status in (404, 405):
                return None
            raise

    # The assistant

    def chat(self, thread_id: str, message: str) -> Iterator[ChatEvent]:
        """Send a message; the run's events (``plan``, ``step_started``, ``token``...) as they come."""
        return self._events("/v1/chat", {"thread_id": thread_id, "message": message})

    def approve(
        self, thread_id: str, decision: Decision, args: dict | None = None, message: str | None = None
    ) -> Iterator[ChatEvent]:
        """Decide on the pending ledger change and continue the run (the same events as ``chat``)."""
        body: dict[str, Any] = {"decision": decision}
        if args is not None:
            body["args"] = args
        if message:
            body["message"] = message
        return self._events(f"/v1/chat/{quote(thread_id, safe='')}/approve", body)

    def conversation(self, thread_id: str) -> ConversationPage:
        """The latest ``messages`` and any ``pending`` approval."""
        return ConversationPage.model_validate(self._request("GET", f"/v1/chat/{quote(thread_id, safe='')}"))

    def forget(self, thread_id: str) -> None:
        """Delete a conversation (it no longer counts towards the user's limit of threads)."""
        self._send("DELETE", f"/v1/chat/{quote(thread_id, safe='')}")
