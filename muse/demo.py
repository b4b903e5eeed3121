"""Muse's Gradio demo: chat with the assistant (approving its ledger changes), create, discover, manage rights,
and watch the system. Every handler talks to Muse's HTTP API through ``MuseClient``, as the caller whose API
key was given at sign-in (kept in the session's state, never logged).

Handlers call the Muse at a URL fixed when the demo is built, never one taken from the browser's request (a
forged ``Host`` header would otherwise send requests, and the user's key, anywhere): in ``muse serve``'s own
application for it (``muse/demo_app.py``, at ``/ui``) that is the gateway's address as ``muse serve`` knows it;
``muse demo --url`` runs it standalone.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import gradio as gr
import pandas as pd
from fastapi import FastAPI

from assistant import events as chat_events
from ledger.units import WEI_PER_ETH, eth_to_wei, percent_to_bps, wei_to_eth
from common.metric_window import MetricsWindow
from muse import system_view
from muse.client import Decision, MuseClient, MuseError

TEMPLATES = ["commercial_use", "commercial_remix", "non_commercial_remix", "cc_by"]
WORK_HEADERS = ["id", "title", "offer"]
LICENSE_HEADERS = ["work id", "title", "template", "paid (ETH)", "expires"]
EARNING_HEADERS = ["work id", "title", "earned (ETH)", "licensee", "kind", "template", "fee (ETH)", "when (UTC)"]
ITEM_HEADERS = ["id", "title", "score", "reason"]
RECOMMENDED_WORK_HEADERS = ["id", "title", "creator", "terms", "reason"]
MAX_SHOWN_CHARS = 1_500
NOT_SIGNED_IN = "Not signed in: paste an API key from `muse users add NAME`."


def _new_thread_id() -> str:
    return f"ui-{uuid.uuid4().hex[:16]}"


def _block(value: Any) -> str:
    """A value as a fenced JSON block, cut to a readable length."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=2, default=str)
    if len(text) > MAX_SHOWN_CHARS:
        text = text[:MAX_SHOWN_CHARS] + "\n…"
    return f"```json\n{text}\n```"


def _shows_errors(handler: Callable) -> Callable:
    """Muse's refusals and bad input become a message to the user (gr.Error), never a crash."""

    @functools.wraps(handler)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return handler(*args, **kwargs)
        except (MuseError, ValueError) as exc:
            raise gr.Error(str(exc), print_exception=False) from exc

    return wrapper


WAITING, APPROVED, REJECTED = "waiting for your approval", "approved", "rejected"


class Transcript:
    """The chat as Gradio messages, updated event by event: each tool call is a collapsible panel (keyed by
    the call's id, titled with the tool, its state beside) showing its arguments, then its result; tokens
    stream into the reply."""

    def __init__(self, messages: list[dict]):
        self.messages = [dict(m, metadata=dict(m.get("metadata") or {})) for m in messages]
        self.pending: list[chat_events.PendingCall] = []
        self._reply: dict | None = None

    def add(self, role: str, content: str, **metadata: Any) -> dict:
        message = {"role": role, "content": content, "metadata": metadata}
        self.messages.append(message)
        self._reply = None
        return message

    def apply(self, event: chat_events.ChatEvent) -> None:
        getattr(self, f"_on_{event.type}")(event)

    def decide(self, decision: str) -> None:
        """Mark the panels waiting for approval with the user's decision."""
        self.add("user", "Approve" if decision == "approve" else "Reject")
        for message in self.messages:
            metadata = message["metadata"]
            if metadata.get("log") == WAITING:
                metadata.update(
                    log=APPROVED if decision == "approve" else REJECTED,
                    status="pending" if decision == "approve" else "done",
                )

    def _panel(self, call_id: str, tool: str) -> dict:
        for message in reversed(self.messages):
            if message["metadata"].get("id") == call_id:
                return message
        return self.add("assistant", "", id=call_id, title=tool)

    def _on_plan(self, event: chat_events.PlanEvent) -> None:
        steps = "\n".join(
            f"{n}. `{s.tool}` {json.dumps(s.args, ensure_ascii=False)}" for n, s in enumerate(event.steps, 1)
        )
        self.add("assistant", steps or "(no steps)", title="Plan", status="done")

    def _on_step_started(self, event: chat_events.StepStarted) -> None:
        panel = self._panel(event.id, event.tool)
        panel["content"] = f"Arguments:\n{_block(event.args)}"
        panel["metadata"].update(log="running", status="pending")

    def _on_step_finished(self, event: chat_events.StepFinished) -> None:
        panel = self._panel(event.id, event.tool)
        panel["content"] = f"{panel['content']}\n\nResult:\n{_block(event.result)}".strip()
        panel["metadata"].update(log="done" if event.ok else "failed", status="done")

    def _on_approval_required(self, event: chat_events.ApprovalRequired) -> None:
        self.pending = event.pending
        for call in self.pending:
            panel = self._panel(call.id or call.tool, call.tool)
            summary = f"{call.summary}\n\n" if call.summary else ""
            panel["content"] = f"{summary}Arguments:\n{_block(call.args)}"
            panel["metadata"].update(log=WAITING, status="pending")

    def _on_token(self, event: chat_events.TokenEvent) -> None:
        if self._reply is None:
            reply = self.add("assistant", "")
            self._reply = reply
        self._reply["content"] += event.text

    def _on_message(self, event: chat_events.MessageEvent) -> None:
        if self._reply is not None:
            self._reply["content"] = event.content or self._reply["content"]
        elif event.content:
            self.add("assistant", event.content)
        self._reply = None

    def _on_error(self, event: chat_events.ErrorEvent) -> None:
        message = event.message or "the assistant failed"
        gr.Warning(message)
        self.add("assistant", f"Error: {message}")


def _pending_markdown(pending: list[chat_events.PendingCall]) -> str:
    if not pending:
        return ""
    lines = ["**Waiting for your approval** (Approve or Reject):"]
    for call in pending:
        lines.append(f"- `{call.tool}` {call.description}\n\n{_block(call.args)}")
    return "\n".join(lines)


def _offer(offer: dict | None) -> str:
    if not offer:
        return "not offered"
    return f"{offer['template']} · {wei_to_eth(offer['fee_wei'])} ETH" + (
        "" if offer.get("active", True) else " (off sale)"
    )


class DemoHandlers:
    """The demo's event handlers; each one's name is its API name."""

    def __init__(self, base_url: str):
        self.base_url = base_url

    def _client(self, key: str | None = None) -> MuseClient:
        """Muse at the configured URL: never one the browser's request names (its Host header can be forged)."""
        return MuseClient(self.base_url, key or None)

    # Sign-in

    def sign_in(self, key: str) -> tuple[str, str, str]:
        """Check the key (GET /v1/account); returns the key to keep, the cleared textbox and a status line."""
        key = (key or "").strip()
        if not key:
            gr.Warning("Enter an API key")
            return "", "", NOT_SIGNED_IN
        try:
            with self._client(key) as client:
                account = client.account()
        except MuseError as exc:
            gr.Warning(f"Sign-in failed: {exc}")
            return "", "", f"Not signed in: {exc}"
        return (
            key,
            "",
            (
                f"Signed in as `{account['address']}` · balance {wei_to_eth(account['balance_wei'])} "
                f"ETH · royalties owed {wei_to_eth(account['royalties_wei'])} ETH"
            ),
        )

    # Chat

    def send_message(self, text: str, history: list[dict], key: str, thread: str) -> Iterator[tuple]:
        """Send a message to the assistant; the transcript grows as its events stream in."""
        transcript = Transcript(history)
        if not key:
            gr.Warning("Sign in first")
            yield self._chat_outputs(transcript, text)
            return
        if not (text or "").strip():
            yield self._chat_outputs(transcript, "")
            return
        transcript.add("user", text)
        yield from self._stream(transcript, key, thread, lambda client: client.chat(thread, text))

    def approve(self, history: list[dict], key: str, thread: str) -> Iterator[tuple]:
        """Approve the pending ledger change; the run continues."""
        yield from self._decide(history, key, thread, "approve")

    def reject(self, history: list[dict], key: str, thread: str) -> Iterator[tuple]:
        """Reject the pending ledger change: nothing is written; the assistant is told."""
        yield from self._decide(history, key, thread, "reject")

    def new_conversation(self) -> tuple:
        """A fresh thread id and an empty transcript."""
        thread = _new_thread_id()
        return [], [], thread, _thread_caption(thread), "", *_decision_buttons(False), gr.update(interactive=True)

    def _decide(self, history: list[dict], key: str, thread: str, decision: str) -> Iterator[tuple]:
        transcript = Transcript(history)
        transcript.decide(decision)
        yield from self._stream(transcript, key, thread, lambda client: client.approve(thread, decision))

    def _stream(
        self,
        transcript: Transcript,
        key: str,
        thread: str,
        run: Callable[[MuseClient], Iterator[chat_events.ChatEvent]],
    ) -> Iterator[tuple]:
        """Apply the run's events as they come; after a refusal (e.g. a decision still pending), show what
        the conversation is really waiting for."""
        yield self._chat_outputs(transcript, "", busy=True)
        with self._client(key) as client:
            try:
                for event in run(client):
                    transcript.apply(event)
                    yield self._chat_outputs(transcript, gr.skip(), busy=True)
            except MuseError as exc:
                gr.Warning(str(exc))
                transcript.add("assistant", f"Error: {exc}")
                transcript.pending = _pending_of(client, thread)
        yield self._chat_outputs(transcript, gr.skip())

    @staticmethod
    def _chat_outputs(transcript: Transcript, text: Any, busy: bool = False) -> tuple:
        """chatbot, history, input box, pending panel, Approve, Reject, Send."""
        waiting = bool(transcript.pending) and not busy
        return (
            transcript.messages,
            transcript.messages,
            text,
            _pending_markdown(transcript.pending),
            *_decision_buttons(waiting),
            gr.update(interactive=not busy and not waiting),
        )

    # Create and discover

    @_shows_errors
    def generate(self, prompt: str, max_tokens: float, temperature: float, key: str) -> str:
        if not (prompt or "").strip():
            raise ValueError("Enter a prompt")
        with self._client(key) as client:
            return client.generate(prompt, int(max_tokens), float(temperature))

    @_shows_errors
    def recommend_for_me(self, key: str) -> tuple[list, str]:
        with self._client(key) as client:
            items = client.recommend(k=10)
        return _item_rows(items), "For you" if key else "Popular (sign in for your own recommendations)"

    @_shows_errors
    def recommend_by_text(self, text: str, key: str) -> tuple[list, str]:
        if not (text or "").strip():
            raise ValueError("Describe what you are looking for")
        with self._client(key) as client:
            return _item_rows(client.recommend(query=text.strip(), k=10)), f"Matching “{text.strip()}”"

    @_shows_errors
    def similar_items(self, item_id: str, key: str) -> tuple[list, str]:
        if not (item_id or "").strip():
            raise ValueError("Enter an item id")
        with self._client(key) as client:
            return _item_rows(client.similar_items(item_id.strip(), k=10)), f"Similar to item {item_id.strip()}"

    @_shows_errors
    def search_items(self, text: str, key: str) -> tuple[list, str]:
        if not (text or "").strip():
            raise ValueError("Enter words to search for")
        with self._client(key) as client:
            items = client.search_items(text.strip(), limit=20)
        return [
            [i["id"], i["title"], "", ", ".join(i.get("genres", []) or [])] for i in items
        ], f"Catalogue items matching “{text.strip()}”"

    # Works: recommended, and licensed through the assistant, with its approval as in Chat

    @_shows_errors
    def recommend_works(self, text: str, key: str) -> tuple[list, dict, str]:
        """Works matching ``text`` (or, without it, for the signed-in user), and the License choice over them."""
        return self._works(text, key)

    @_shows_errors
    def license_work(self, work_id: int | None, key: str) -> tuple:
        """Ask the assistant to buy a license on the chosen work, in a conversation of its own: its plan reads the
        offer, then stops for approval with the summary of what the purchase pays."""
        if not key:
            raise ValueError("Sign in first")
        if work_id is None:
            raise ValueError("Choose a work to license")
        thread = f"ui-license-{uuid.uuid4().hex[:16]}"
        with self._client(key) as client:
            events = list(client.chat(thread, f"Buy a license for work {int(work_id)}."))
            pending = next((e.pending for e in events if isinstance(e, chat_events.ApprovalRequired)), [])
            if not pending:
                client.forget(thread)
                return "", "", *_license_buttons(False), _outcome(events)
        return thread, _license_summary(pending), *_license_buttons(True), "Waiting for your approval"

    @_shows_errors
    def approve_license(self, thread: str, text: str, key: str) -> tuple:
        """Approve the pending purchase: the assistant buys the license; the list is read again."""
        return self._decide_license(thread, text, key, "approve")

    @_shows_errors
    def reject_license(self, thread: str, text: str, key: str) -> tuple:
        """Reject the pending purchase: nothing is paid."""
        return self._decide_license(thread, text, key, "reject")

    def _decide_license(self, thread: str, text: str, key: str, decision: Decision) -> tuple:
        """The run continues with the decision; its conversation is then deleted (it had one job)."""
        if not (key and thread):
            raise ValueError("Nothing is waiting for approval")
        with self._client(key) as client:
            outcome = _outcome(list(client.approve(thread, decision)))
            client.forget(thread)
        return "", "", *_license_buttons(False), outcome, *self._works(text, key)

    def _works(self, text: str, key: str) -> tuple[list, dict, str]:
        query = (text or "").strip()
        with self._client(key) as client:
            works = client.recommend(query=query or None, k=10, catalogue="works")
        caption = (
            f"Works matching “{query}”" if query else "Works for you" if key else "Popular works (sign in for your own)"
        )
        choices = [(f"{w['id']} · {w['title']} · {_offer(w.get('terms'))}", w["id"]) for w in works]
        return (
            _recommended_work_rows(works),
            gr.update(choices=choices, value=choices[0][1] if choices else None),
            caption,
        )

    # Rights

    @_shows_errors
    def refresh_rights(self, key: str) -> tuple[str, list, list, str, pd.DataFrame, list]:
        """Account, my works, my licenses and my earnings (empty, with a hint, before sign-in)."""
        if not key:
            return NOT_SIGNED_IN, [], [], "", _earnings_frame([]), []
        with self._client(key) as client:
            earnings = client.earnings()
            return (
                _account_markdown(client.account()),
                _work_rows(client.my_works()),
                _license_rows(client.my_licenses()),
                _earnings_markdown(earnings),
                _earnings_frame(earnings["daily"]),
                _earning_rows(earnings["works"]),
            )

    @_shows_errors
    def set_terms(
        self,
        work_id: float | None,
        template: str,
        price_eth: float | None,
        rev_share_percent: float | None,
        duration_days: float | None,
        key: str,
    ) -> tuple[str, list]:
        if not key:
            raise ValueError("Sign in first")
        if not work_id or work_id < 1:
            raise ValueError("Enter the id of one of your works")
        fee_wei = eth_to_wei(price_eth or 0)
        with self._client(key) as client:
            client.set_terms(
                int(work_id), template, fee_wei, percent_to_bps(rev_share_percent), int(duration_days or 0) * 86_400
            )
            works = client.my_works()
        gr.Info(f"Work {int(work_id)} is offered as {template} at {wei_to_eth(fee_wei)} ETH")
        return f"Terms set on work {int(work_id)}: {template}, {wei_to_eth(fee_wei)} ETH", _work_rows(works)

    @_shows_errors
    def withdraw(self, key: str) -> str:
        if not key:
            raise ValueError("Sign in first")
        with self._client(key) as client:
            result = client.withdraw()
        gr.Info(f"Withdrew {wei_to_eth(result['withdrawn_wei'])} ETH")
        return _account_markdown(result)

    # System

    @_shows_errors
    def system(self, window: MetricsWindow) -> tuple:
        """Replicas per deployment, and request rates and latency over this viewer's own window of samples
        (kept in the session's state: another viewer's refresh never moves it), with their plots."""
        with self._client() as client:
            return *system_view.refresh(client, window), window


def _pending_of(client: MuseClient, thread: str) -> list[chat_events.PendingCall]:
    try:
        return client.conversation(thread).pending
    except MuseError:
        return []


def _decision_buttons(active: bool) -> tuple[dict, dict]:
    return gr.update(interactive=active), gr.update(interactive=active)


def _license_buttons(waiting: bool) -> tuple[dict, dict, dict]:
    """Approve, Reject (only while a purchase waits), License (only while none does)."""
    return gr.update(interactive=waiting), gr.update(interactive=waiting), gr.update(interactive=not waiting)


def _license_summary(pending: list[chat_events.PendingCall]) -> str:
    """The pending calls as the assistant explains them (for a purchase: the fee, the rights, the balance after)."""
    return "\n".join(
        [
            "**Waiting for your approval** (Approve or Reject):",
            *(f"- `{call.tool}`: {call.summary or call.description}" for call in pending),
        ]
    )


def _outcome(events: list[chat_events.ChatEvent]) -> str:
    """What the assistant ended its run with: its reply, else the error it reported."""
    for event in reversed(events):
        if isinstance(event, chat_events.MessageEvent) and event.content:
            return event.content
        if isinstance(event, chat_events.ErrorEvent):
            return f"Error: {event.message}"
    return ""


def _recommended_work_rows(works: list[dict]) -> list[list[Any]]:
    return [[w["id"], w["title"], w["creator"], _offer(w.get("terms")), w["reason"]] for w in works]


def _item_rows(items: list[dict]) -> list[list[Any]]:
    return [[i["id"], i["title"], round(float(i.get("score", 0)), 3), i.get("reason", "")] for i in items]


def _work_rows(works: list[dict]) -> list[list[Any]]:
    return [[w["id"], w["title"], _offer(w.get("offer"))] for w in works]


def _license_rows(licenses: list[dict]) -> list[list[Any]]:
    return [
        [
            lic["work_id"],
            lic["title"],
            lic["template"],
            wei_to_eth(lic["paid_wei"]),
            "expired" if lic.get("expired") else (lic.get("expires_at") or "never"),
        ]
        for lic in licenses
    ]


def _earnings_markdown(earnings: dict) -> str:
    shown = len(earnings["works"])
    more = f" (the latest {shown} of {earnings['works_total']} works listed)" if shown < earnings["works_total"] else ""
    return f"Earned **{wei_to_eth(earnings['total_wei'])} ETH** in all{more}"


def _earnings_frame(daily: list[dict]) -> pd.DataFrame:
    """The daily series for the plot: a date column and the ether earned that UTC day (a float: enough to plot),
    from a zero the day before the first, so that a single day still draws a line."""
    dates = pd.to_datetime([d["date"] for d in daily])
    earned = [d["earned_wei"] / WEI_PER_ETH for d in daily]
    if daily:
        dates, earned = dates.insert(0, dates[0] - pd.Timedelta(days=1)), [0.0, *earned]
    return pd.DataFrame({"date": dates, "earned (ETH)": earned})


def _earning_rows(works: list[dict]) -> list[list[Any]]:
    """One row per license issue, each under its work's earnings; a work never licensed gets one row."""
    rows = []
    for w in works:
        head = [w["work_id"], w["title"], wei_to_eth(w["earned_wei"])]
        rows += [
            [
                *head,
                lic["holder"],
                lic["kind"],
                lic["template"],
                wei_to_eth(lic["fee_wei"]),
                datetime.fromtimestamp(lic["at"], UTC).strftime("%Y-%m-%d %H:%M"),
            ]
            for lic in w["licenses"]
        ] or [[*head, "", "", "", "", ""]]
    return rows


def _account_markdown(account: dict) -> str:
    return (
        f"Account `{account['address']}` · balance **{wei_to_eth(account['balance_wei'])} ETH** · "
        f"royalties owed **{wei_to_eth(account['royalties_wei'])} ETH**"
    )


def _table(headers: list[str], elem_id: str, label: str) -> gr.Dataframe:
    return gr.Dataframe(headers=headers, value=[], label=label, elem_id=elem_id, interactive=False, wrap=True)


def build_demo(base_url: str) -> gr.Blocks:
    """The demo, calling the Muse at ``base_url``."""
    handlers = DemoHandlers(base_url)
    with gr.Blocks(title="Muse") as demo:
        key = gr.State("")
        gr.Markdown("# Muse\nMake texts, find an audience, license your work.")
        with gr.Row(equal_height=True):
            key_box = gr.Textbox(label="API key", type="password", placeholder="muse_…", elem_id="api-key", scale=4)
            sign_in = gr.Button("Sign in", variant="primary", elem_id="sign-in", scale=1)
        account_line = gr.Markdown(NOT_SIGNED_IN, elem_id="account-status")
        sign_in.click(handlers.sign_in, [key_box], [key, key_box, account_line])
        key_box.submit(handlers.sign_in, [key_box], [key, key_box, account_line])
        with gr.Tabs():
            thread, thread_line = _chat_tab(handlers, key)
            _create_tab(handlers, key)
            _discover_tab(handlers, key)
            _rights_tab(handlers, key)
            _system_tab(handlers)
        demo.load(_thread_caption, [thread], [thread_line])
    demo.queue(default_concurrency_limit=32)
    return demo


def _thread_caption(thread: str) -> str:
    return f"Conversation `{thread}`"


def _chat_tab(handlers: DemoHandlers, key: gr.State) -> tuple[gr.State, gr.Markdown]:
    with gr.Tab("Chat", id="chat", elem_id="tab-chat"):
        thread = gr.State(_new_thread_id)
        history = gr.State([])
        chatbot = gr.Chatbot(label="Assistant", elem_id="chatbot", height=520, feedback_options=None)
        with gr.Row(equal_height=True):
            message = gr.Textbox(
                show_label=False, placeholder="Ask Muse to write, recommend or license…", elem_id="chat-input", scale=5
            )
            send = gr.Button("Send", variant="primary", elem_id="chat-send", scale=1)
        pending = gr.Markdown(elem_id="pending")
        with gr.Row():
            approve = gr.Button("Approve", variant="primary", interactive=False, elem_id="approve")
            reject = gr.Button("Reject", variant="stop", interactive=False, elem_id="reject")
            new = gr.Button("New conversation", elem_id="new-conversation")
        thread_line = gr.Markdown(elem_id="thread-id")
        outputs = [chatbot, history, message, pending, approve, reject, send]
        send.click(handlers.send_message, [message, history, key, thread], outputs)
        message.submit(handlers.send_message, [message, history, key, thread], outputs)
        approve.click(handlers.approve, [history, key, thread], outputs)
        reject.click(handlers.reject, [history, key, thread], outputs)
        new.click(
            handlers.new_conversation, None, [chatbot, history, thread, thread_line, pending, approve, reject, send]
        )
    return thread, thread_line


def _create_tab(handlers: DemoHandlers, key: gr.State) -> None:
    with gr.Tab("Create", id="create", elem_id="tab-create"):
        prompt = gr.Textbox(label="Prompt", lines=3, value="ROMEO:\n", elem_id="create-prompt")
        with gr.Row():
            max_tokens = gr.Slider(1, 512, value=80, step=1, label="Max tokens", elem_id="create-max-tokens")
            temperature = gr.Slider(0, 2, value=0.8, step=0.05, label="Temperature", elem_id="create-temperature")
        run = gr.Button("Generate", variant="primary", elem_id="create-run")
        output = gr.Textbox(label="Output", lines=10, interactive=False, elem_id="create-output")
        run.click(handlers.generate, [prompt, max_tokens, temperature, key], [output])


def _discover_tab(handlers: DemoHandlers, key: gr.State) -> None:
    with gr.Tab("Discover", id="discover", elem_id="tab-discover"):
        with gr.Row(equal_height=True):
            for_me = gr.Button("Recommend for me", elem_id="discover-for-me")
        with gr.Row(equal_height=True):
            text = gr.Textbox(label="Describe it", placeholder="a heist comedy in space", elem_id="discover-text")
            by_text = gr.Button("Recommend", elem_id="discover-by-text")
        with gr.Row(equal_height=True):
            item = gr.Textbox(label="Item id", placeholder="1", elem_id="discover-item")
            similar = gr.Button("Similar items", elem_id="discover-similar")
        with gr.Row(equal_height=True):
            query = gr.Textbox(label="Search the catalogue", placeholder="toy story", elem_id="discover-query")
            search = gr.Button("Search", elem_id="discover-search")
        caption = gr.Markdown(elem_id="discover-caption")
        results = _table(ITEM_HEADERS, "discover-results", "Items")
        for_me.click(handlers.recommend_for_me, [key], [results, caption])
        by_text.click(handlers.recommend_by_text, [text, key], [results, caption])
        similar.click(handlers.similar_items, [item, key], [results, caption])
        search.click(handlers.search_items, [query, key], [results, caption])
        _works_view(handlers, key)


def _works_view(handlers: DemoHandlers, key: gr.State) -> None:
    """Works registered on Muse, recommended; License asks the assistant, whose purchase waits for approval."""
    gr.Markdown("### Works on Muse")
    with gr.Row(equal_height=True):
        text = gr.Textbox(
            label="Describe a work (empty: for you)", placeholder="bees above the clouds", elem_id="works-text", scale=4
        )
        run = gr.Button("Recommend works", elem_id="works-run", scale=1)
    caption = gr.Markdown(elem_id="works-caption")
    works = _table(RECOMMENDED_WORK_HEADERS, "works-results", "Works")
    thread = gr.State("")
    with gr.Row(equal_height=True):
        chosen = gr.Dropdown([], value=None, label="Work to license", elem_id="license-work", scale=4)
        license_ = gr.Button("License", variant="primary", elem_id="license", scale=1)
    pending = gr.Markdown(elem_id="license-pending")
    with gr.Row():
        approve = gr.Button("Approve", variant="primary", interactive=False, elem_id="license-approve")
        reject = gr.Button("Reject", variant="stop", interactive=False, elem_id="license-reject")
    outcome = gr.Markdown(elem_id="license-outcome")
    listed = [works, chosen, caption]
    decided = [thread, pending, approve, reject, license_, outcome, *listed]
    run.click(handlers.recommend_works, [text, key], listed)
    text.submit(handlers.recommend_works, [text, key], listed)
    license_.click(handlers.license_work, [chosen, key], decided[:6])
    approve.click(handlers.approve_license, [thread, text, key], decided)
    reject.click(handlers.reject_license, [thread, text, key], decided)


def _rights_tab(handlers: DemoHandlers, key: gr.State) -> None:
    with gr.Tab("Rights", id="rights", elem_id="tab-rights") as tab:
        with gr.Row(equal_height=True):
            account = gr.Markdown(NOT_SIGNED_IN, elem_id="rights-account")
            refresh = gr.Button("Refresh", elem_id="rights-refresh", scale=0)
            withdraw = gr.Button("Withdraw royalties", elem_id="withdraw", scale=0)
        works = _table(WORK_HEADERS, "works-table", "My works")
        with gr.Accordion("Set license terms", open=True):
            with gr.Row():
                work_id = gr.Number(None, label="Work id", precision=0, minimum=1, elem_id="terms-work-id")
                template = gr.Dropdown(TEMPLATES, value="commercial_use", label="Template", elem_id="terms-template")
                price = gr.Number(label="Price (ETH)", value=0, minimum=0, elem_id="terms-price")
                share = gr.Number(
                    label="Revenue share from derivatives (%)",
                    value=0,
                    minimum=0,
                    maximum=100,
                    elem_id="terms-rev-share",
                )
                days = gr.Number(
                    label="Duration (days, 0 = forever)", value=0, precision=0, minimum=0, elem_id="terms-days"
                )
            set_terms = gr.Button("Set terms", variant="primary", elem_id="terms-set")
            terms_status = gr.Markdown(elem_id="terms-status")
        licenses = _table(LICENSE_HEADERS, "licenses-table", "My licenses")
        with gr.Accordion("Earnings", open=True):
            total = gr.Markdown(elem_id="earnings-total")
            plot = gr.LinePlot(
                _earnings_frame([]),
                x="date",
                y="earned (ETH)",
                title="Earned per day (UTC)",
                y_title="ETH",
                elem_id="earnings-plot",
            )
            per_work = _table(EARNING_HEADERS, "earnings-table", "Earnings by work, with who licensed each")
        outputs = [account, works, licenses, total, plot, per_work]
        refresh.click(handlers.refresh_rights, [key], outputs)
        tab.select(handlers.refresh_rights, [key], outputs)
        withdraw.click(handlers.withdraw, [key], [account])
        set_terms.click(handlers.set_terms, [work_id, template, price, share, days, key], [terms_status, works])


def _system_tab(handlers: DemoHandlers) -> None:
    """Refreshing starts when the tab is first opened (while the box is ticked), so that a page that never
    shows it reads no metrics."""
    with gr.Tab("System", id="system", elem_id="tab-system") as tab:
        window = gr.State(system_view.new_window)
        with gr.Row(equal_height=True):
            refresh = gr.Button("Refresh", elem_id="system-refresh", scale=0)
            auto = gr.Checkbox(label=f"Refresh every {system_view.REFRESH_S:g} s", value=True, elem_id="system-auto")
        replicas = _table(system_view.REPLICA_HEADERS, "replicas-table", "Replicas per deployment")
        metrics_line = gr.Markdown(elem_id="metrics-status")
        metrics = _table(system_view.METRIC_HEADERS, "metrics-table", "Requests and latency")
        replicas_frame, rates_frame = system_view.plot_frames(system_view.new_window())
        with gr.Row():
            replicas_plot = gr.LinePlot(
                replicas_frame,
                x="time",
                y="replicas",
                color="deployment",
                elem_id="replicas-plot",
                title="Running replicas",
                x_title="time (UTC)",
            )
            rates_plot = gr.LinePlot(
                rates_frame,
                x="time",
                y="requests/s",
                color="deployment",
                elem_id="rates-plot",
                title=f"Requests/s (each point over {system_view.PLOT_RATE_S:g} s)",
                x_title="time (UTC)",
            )
        timer = gr.Timer(system_view.REFRESH_S, active=False)
        outputs = [replicas, metrics, metrics_line, replicas_plot, rates_plot, window]
        refresh.click(handlers.system, [window], outputs)
        tab.select(handlers.system, [window], outputs).then(_auto_refresh, [auto], [timer])
        timer.tick(handlers.system, [window], outputs)
        auto.change(_auto_refresh, [auto], [timer])


def _auto_refresh(on: bool) -> gr.Timer:
    return gr.Timer(active=on)


def mount_demo(app: FastAPI, base_url: str, path: str, max_file_size: int | None = None) -> FastAPI:
    """Serve the demo from ``app`` at ``path``; its handlers call the Muse at ``base_url``.
    Uploads to it are refused over ``max_file_size`` bytes."""
    return gr.mount_gradio_app(app, build_demo(base_url), path=path, footer_links=["api"], max_file_size=max_file_size)


def launch_demo(base_url: str, port: int) -> None:
    """Serve the demo standalone on 127.0.0.1, calling the Muse at ``base_url`` (blocks until Ctrl-C)."""
    build_demo(base_url).launch(server_name="127.0.0.1", server_port=port, footer_links=["api"])
