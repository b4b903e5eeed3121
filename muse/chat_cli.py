"""``muse chat``: the assistant in a terminal. The plan and each step (tool, arguments, a summary of the
result) print as they come and the reply streams; at a pending ledger change it asks
``Approve? [y]es/[n]o/[e]dit`` and continues the run. Ctrl-D or Ctrl-C leaves."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from assistant import events as chat_events
from muse.client import MuseClient, MuseError

Events = Iterator[chat_events.ChatEvent]
MAX_SHOWN = 80
PROMPT = "you> "


def shorten(value: Any, limit: int = MAX_SHOWN) -> str:
    """A value on one line, cut to ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summarize(result: Any) -> str:
    """A step's result in a few words: its error, a work, a text, a list of items, or the JSON cut short."""
    if isinstance(result, dict):
        if "error" in result:
            return f"error: {shorten(result['error'])}"
        if "id" in result and "title" in result:
            return f"work {result['id']} “{shorten(result['title'], 40)}”"
        if "text" in result:
            return f"“{shorten(result['text'], 60)}”"
        if isinstance(result.get("items"), list):
            titles = ", ".join(str(item.get("title", item.get("id", "?"))) for item in result["items"][:3])
            return f"{len(result['items'])} items: {shorten(titles, 60)}"
    return shorten(result)


class Printer:
    """Writes a run's events to ``out`` as they come; remembers what waits for approval."""

    def __init__(self, out: TextIO):
        self.out = out
        self.pending: list[chat_events.PendingCall] = []
        self._streaming = False

    def show(self, events: Iterable[chat_events.ChatEvent]) -> list[chat_events.PendingCall]:
        """Print every event; returns the calls waiting for approval (empty when the run ended)."""
        self.pending = []
        for event in events:
            getattr(self, f"_on_{event.type}")(event)
        self._end_line()
        return self.pending

    def _write(self, text: str) -> None:
        self._end_line()
        print(text, file=self.out, flush=True)

    def _end_line(self) -> None:
        if self._streaming:
            print(file=self.out, flush=True)
            self._streaming = False

    def _on_plan(self, event: chat_events.PlanEvent) -> None:
        self._write("plan: " + "; ".join(f"{n}. {s.tool} {shorten(s.args, 60)}" for n, s in enumerate(event.steps, 1)))

    def _on_step_started(self, event: chat_events.StepStarted) -> None:
        self._write(f"  → {event.tool} {shorten(event.args)}")

    def _on_step_finished(self, event: chat_events.StepFinished) -> None:
        self._write(f"  {'✓' if event.ok else '✗'} {event.tool}: {summarize(event.result)}")

    def _on_token(self, event: chat_events.TokenEvent) -> None:
        if not self._streaming:
            print("muse> ", end="", file=self.out)
            self._streaming = True
        print(event.text, end="", file=self.out, flush=True)

    def _on_message(self, event: chat_events.MessageEvent) -> None:
        if not self._streaming:
            self._write(f"muse> {event.content}")
        self._end_line()

    def show_pending(self, pending: list[chat_events.PendingCall]) -> None:
        self.pending = pending
        for call in pending:
            self._write(f"  ? {call.tool} {shorten(call.args, 200)} waits for your approval")
            if call.summary:
                self._write(f"    {call.summary}")

    def _on_approval_required(self, event: chat_events.ApprovalRequired) -> None:
        self.show_pending(event.pending)

    def _on_error(self, event: chat_events.ErrorEvent) -> None:
        self._write(f"error: {event.message}")


def ask_decision(ask: Callable[[str], str], out: TextIO) -> tuple[str, dict | None]:
    """``(decision, args)`` from the user: approve, reject, or edit with new JSON arguments."""
    while True:
        answer = ask("Approve? [y]es/[n]o/[e]dit ").strip().lower()
        if answer in ("y", "yes"):
            return "approve", None
        if answer in ("n", "no"):
            return "reject", None
        if answer in ("e", "edit"):
            try:
                args = json.loads(ask("new arguments (JSON object): "))
            except ValueError as exc:
                print(f"not JSON: {exc}", file=out)
                continue
            if isinstance(args, dict) and args:
                return "edit", args
            print('give a JSON object of arguments, e.g. {"price_eth": 0.02}', file=out)


def converse(client: MuseClient, thread: str, ask: Callable[[str], str], out: TextIO) -> None:
    """The conversation loop: messages from ``ask``, events to ``out``, until ``ask`` raises EOFError."""
    printer = Printer(out)
    pending = _pending(client, thread)
    printer.show_pending(pending)
    while True:
        events = _decide(client, thread, ask, out) if pending else _send(client, thread, ask)
        try:
            pending = printer.show(events) if events is not None else []
        except MuseError as exc:
            print(f"error: {exc}", file=out, flush=True)
            pending = _pending(client, thread)


def _send(client: MuseClient, thread: str, ask: Callable[[str], str]) -> Events | None:
    message = ask(PROMPT).strip()
    return client.chat(thread, message) if message else None


def _decide(client: MuseClient, thread: str, ask: Callable[[str], str], out: TextIO) -> Events:
    decision, args = ask_decision(ask, out)
    return client.approve(thread, decision, args=args)  # type: ignore[arg-type]


def _pending(client: MuseClient, thread: str) -> list[chat_events.PendingCall]:
    return client.conversation(thread).pending


def run_chat(base_url: str, api_key: str | None, thread: str | None = None) -> None:
    """Chat with the Muse at ``base_url`` as the owner of ``api_key`` until Ctrl-D or Ctrl-C."""
    if not api_key:
        raise SystemExit("error: give an API key with --key or in MUSE_API_KEY (from `muse users add NAME`)")
    thread = thread or f"cli-{uuid.uuid4().hex[:16]}"
    with MuseClient(base_url, api_key) as client:
        try:
            address = client.account()["address"]
            print(
                f"Muse assistant at {base_url} as {address}; conversation {thread} "
                f"(continue it later with --thread {thread}). Ctrl-D to leave.",
                flush=True,
            )
            converse(client, thread, input, sys.stdout)
        except MuseError as exc:
            raise SystemExit(f"error: {exc}") from exc
        except (EOFError, KeyboardInterrupt):
            print(flush=True)
