"""The assistant's tools: LangChain tools over Muse's services, acting as the authenticated caller only.

Who calls, and the services to reach, come from the run's context (``ChatContext``), never from the model's
arguments: no tool takes an account to act as. Each tool returns JSON; a refusal by a service comes back
as ``{"error": ...}`` for the model to explain, not as an exception. The tools that change the ledger are
listed in ``LEDGER_TOOLS``: the agent pauses for the user's approval before any of them runs, and each passes
its tool call's id (with the conversation) as the ledger's idempotency key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any, Literal

from langchain.tools import ToolRuntime, tool
from pydantic import BaseModel, Field

from assistant.backends import Backends
from ledger.earnings import Page
from ledger.errors import LedgerError
from ledger.inputs import Address, content_hash, prompt_digest
from ledger.metadata import Metadata
from ledger.service import Credentials
from ledger.units import eth_to_wei, percent_to_bps, wei_to_eth
from ledger.types import BPS, Contributor, Origin, Provenance, Template, Terms
from core.users import User
from core.works import WorksAsk
from models.planner.replies import FORMS_ZH
from models.recsys.errors import UnknownItem
from models.recsys.service import RecommendRequest

MAX_TOKENS = {"short": 80, "medium": 200, "long": 400}
MAX_ITEMS = 20
# A works recommendation filtered by form or by an offer is picked from this many candidates (the recommender's
# most); the caller's newest MAX_ITEMS works stand for "mine".
WORKS_CANDIDATES = 100
Form = Literal["poem", "haiku", "sonnet", "story", "song", "limerick"]
EARNINGS_DAYS = 30  # the daily series a tool answer carries


@dataclass(frozen=True)
class ChatContext:
    """Per run: the caller (already authenticated) and the services. Not saved with the conversation."""

    user: User
    credentials: Credentials
    backends: Backends


Runtime = ToolRuntime[ChatContext]


class CoAuthor(BaseModel):
    address: Address
    share_percent: float = Field(gt=0, lt=100)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _once(runtime: Runtime) -> str | None:
    """The ledger's idempotency key for this tool call, so that the same call run again (an approval sent
    twice, the graph re-running a step after a crash) changes the ledger once. The conversation is part of it:
    a model's call ids need only be unique within one conversation."""
    if runtime.tool_call_id is None:
        return None
    thread = runtime.config.get("configurable", {}).get("thread_id", "")
    return "chat-" + hashlib.sha256(f"{thread}\n{runtime.tool_call_id}".encode()).hexdigest()


async def _ask(call: Any) -> str:
    """Await a service call; its refusal (not yours, no such work, bad shares...) becomes ``{"error": ...}``."""
    try:
        return _json(await call)
    except (LedgerError, ValueError) as exc:
        cause = getattr(exc, "cause", exc)
        return _json({"error": str(cause), **getattr(cause, "details", {})})


# Making


@tool
async def generate_text(
    topic: str,
    runtime: Runtime,
    form: str = "poem",
    length: Literal["short", "medium", "long"] = "short",
    language: Literal["en", "zh"] = "en",
) -> str:
    """Write a new text (a poem, story, song...) about a topic with Muse's text model."""
    if language == "zh":
        title, prompt = f"关于{topic}的{FORMS_ZH.get(form, form)}", f"写一首关于{topic}的{FORMS_ZH.get(form, form)}：\n"
    else:
        title, prompt = f"A {form} about {topic}", f"A {length} {form} about {topic}:\n"
    backends = runtime.context.backends
    result = await backends.generator.complete.remote(
        prompt, {"max_new_tokens": MAX_TOKENS[length], "temperature": 0.8}
    )
    return _json(
        {"title": title, "text": result["text"].strip() or "…", "prompt": prompt, "model_id": backends.model_id}
    )


# Reaching an audience


@tool
async def search_catalogue(query: str, runtime: Runtime, limit: int = 5) -> str:
    """Find catalogue items (movies) by title, genre or tag."""
    items = await runtime.context.backends.recommender.search.remote(query, max(1, min(limit, MAX_ITEMS)))
    return _json({"items": items})


@tool
async def recommend(runtime: Runtime, query: str | None = None, like_item: str | None = None, k: int = 5) -> str:
    """Recommend items: for the caller (no arguments), like an item (its title or id), or matching free text."""
    backends, k = runtime.context.backends, max(1, min(k, MAX_ITEMS))
    if like_item:
        found = await backends.recommender.search.remote(like_item, 1)
        item_id = (
            like_item if await backends.recommender.item.remote(like_item) else (found[0]["id"] if found else None)
        )
        if item_id is None:
            return _json({"error": f"no item matches {like_item!r}"})
        return _json(
            {"basis": f"similar to item {item_id}", "items": await backends.recommender.similar.remote(item_id, k)}
        )
    request = RecommendRequest(query=query or None, k=k).for_caller(
        lambda: backends.history(runtime.context.user.platform_id)
    )
    try:
        result = await backends.recommender.recommend.remote(request)
    except UnknownItem as exc:
        return _json({"error": str(getattr(exc, "cause", exc))})
    return _json({"basis": "text" if query else "your activity", **result})


@tool
async def recommend_works(
    runtime: Runtime,
    query: str | None = None,
    form: Form | None = None,
    licensable: bool = False,
    like_mine: bool = False,
    k: int = 5,
) -> str:
    """Recommend works registered on Muse by other creators: for the caller, matching free text (``query``), or
    like the caller's own works (``like_mine``). ``form`` keeps text works and ranks them by that form;
    ``licensable`` keeps works whose license is on offer. Each with its creator, fee in ETH and the reason."""
    context, k = runtime.context, max(1, min(k, MAX_ITEMS))
    liked: tuple[int, ...] = ()
    if like_mine:
        mine = await context.backends.ledger.works.remote(context.credentials.address, None, MAX_ITEMS, 0)
        liked = tuple(work["id"] for work in mine["items"])
        if not liked:
            return _json({"error": "you have no registered works yet"})
    text = None if like_mine else " ".join(part for part in (form, query) if part) or None
    ask = WorksAsk(context.user.platform_id, context.credentials.address, text, liked, WORKS_CANDIDATES)
    answer = await context.backends.recommender.recommend_works_for.remote(ask)
    if "unknown_items" in answer:  # works registered a moment ago, not yet followed by the recommender
        known = tuple(i for i in liked if str(i) not in answer["unknown_items"])
        if not known:
            return _json({"error": "your works are not in the recommendations yet: ask again in a few seconds"})
        answer = await context.backends.recommender.recommend_works_for.remote(replace(ask, liked=known))
    offers = [_offer(item) for item in answer["items"] if (form is None or item["media_type"].startswith("text/"))]
    items = [offer for offer in offers if offer["fee_eth"] is not None or not licensable][:k]
    return _json({"query": query, "form": form, "licensable": licensable, "like_mine": like_mine, "items": items})


def _offer(item: dict[str, Any]) -> dict[str, Any]:
    """A recommended work as the assistant shows it: its fee and template only while a license is on offer."""
    terms = item.get("terms")
    on_offer = bool(terms and terms["active"])
    return {
        "id": item["id"],
        "title": item["title"],
        "creator": item["creator"],
        "media_type": item["media_type"],
        "fee_eth": wei_to_eth(terms["fee_wei"]) if on_offer else None,
        "template": terms["template"] if on_offer else None,
        "reason": item["reason"],
    }


# The ledger: changes (each waits for the user's approval)


@tool
async def register_work(
    title: str,
    content: str,
    runtime: Runtime,
    origin: Origin = Origin.HUMAN,
    model_id: str = "",
    prompt: str = "",
    co_authors: list[CoAuthor] | None = None,
    parents: list[int] | None = None,
) -> str:
    """Register a text as the caller's work on the ledger (with its provenance and any co-authors' shares).
    ``parents``: the works it derives from (each needs a license allowing derivatives, and is owed its revenue
    share). A near-copy of another user's work is refused, naming that work: declared as a parent, it may pass."""
    context = runtime.context
    shares = [Contributor(a.address, percent_to_bps(a.share_percent)) for a in co_authors or []]
    own = BPS - sum(c.share_bps for c in shares)
    if own <= 0:
        return _json({"error": "co-authors' shares must leave the caller a share (total under 100%)"})
    contributors = [Contributor(context.credentials.address, own), *shares] if shares else None
    provenance = Provenance(origin, model_id, prompt_digest(prompt or None))
    return await _ask(
        context.backends.ledger.register.remote(
            context.credentials,
            content_hash(content.encode()),
            Metadata(title),
            provenance,
            contributors,
            parents or [],
            text=content,
            idempotency_key=_once(runtime),
        )
    )


@tool
async def set_license_terms(
    work_id: int,
    template: Template,
    runtime: Runtime,
    price_eth: float = 0,
    rev_share_percent: float = 0,
    duration_days: int = 0,
) -> str:
    """Set the terms on which the caller's work is licensed: a template, a price in ETH, a revenue share owed
    by derivatives (percent), and how long a license lasts (days; 0 = forever)."""
    try:
        terms = Terms(template, eth_to_wei(price_eth), percent_to_bps(rev_share_percent), duration_days * 86_400)
    except ValueError as exc:
        return _json({"error": str(exc)})
    context = runtime.context
    return await _ask(
        context.backends.ledger.set_terms.remote(context.credentials, work_id, terms, idempotency_key=_once(runtime))
    )


@tool
async def buy_license(work_id: int, max_fee_wei: int, runtime: Runtime) -> str:
    """Buy a license on a work, paid from the caller's account: at its current fee, and never more than
    ``max_fee_wei``, the price the caller approved (read it first with ``work_details``)."""
    context = runtime.context
    return await _ask(
        context.backends.ledger.buy_license.remote(
            context.credentials, work_id, max_fee_wei, idempotency_key=_once(runtime)
        )
    )


@tool
async def grant_license(work_id: int, address: str, runtime: Runtime) -> str:
    """Grant a free license on the caller's own work to an address."""
    context = runtime.context
    return await _ask(
        context.backends.ledger.grant_license.remote(
            context.credentials, work_id, address, idempotency_key=_once(runtime)
        )
    )


@tool
async def withdraw_royalties(runtime: Runtime) -> str:
    """Pay the royalties owed to the caller into the caller's account."""
    context = runtime.context
    return await _ask(
        _with_eth(context.backends.ledger.withdraw.remote(context.credentials, idempotency_key=_once(runtime)))
    )


# The ledger: reading


@tool
async def verify_license(
    work_id: int, holder: str, runtime: Runtime, use: Literal["personal", "commercial", "derivative"] = "commercial"
) -> str:
    """Check whether an address ("me" for the caller) may use a work for a purpose."""
    address = runtime.context.credentials.address if holder == "me" else holder
    return await _ask(runtime.context.backends.ledger.verify.remote(work_id, address, use))


@tool
async def work_details(work_id: int, runtime: Runtime) -> str:
    """A work's title, owner, contributors and current license terms (with the price in ETH)."""
    work = await runtime.context.backends.ledger.work.remote(work_id)
    if work.get("terms"):
        work["terms"]["fee_eth"] = wei_to_eth(work["terms"]["fee_wei"])
    return _json(work)


@tool
async def license_template(template: Template) -> str:
    """What a license under a template allows: commercial use, derivatives, attribution (personal use always)."""
    kind = Template(template)
    return _json(
        {
            "template": kind.value,
            "personal": True,
            "commercial": kind.commercial,
            "derivatives": kind.derivatives,
            "attribution": kind is Template.CC_BY,
        }
    )


@tool
async def my_works(runtime: Runtime, limit: int = 5) -> str:
    """The caller's works, newest first."""
    context = runtime.context
    return await _ask(
        context.backends.ledger.works.remote(context.credentials.address, None, max(1, min(limit, MAX_ITEMS)), 0)
    )


@tool
async def my_account(runtime: Runtime) -> str:
    """The caller's ledger address, balance and royalties owed."""
    context = runtime.context
    return await _ask(_with_eth(context.backends.ledger.account.remote(context.credentials.address)))


@tool
async def my_earnings(runtime: Runtime, work_id: int | None = None) -> str:
    """What the caller earned on their works (all, or one work): per work the amount earned, revenue share from
    derivatives included, and its licenses (who, bought or granted, when), the total, and a daily series."""
    context = runtime.context
    page = Page(limit=MAX_ITEMS, licenses_limit=MAX_ITEMS, days=EARNINGS_DAYS)
    return await _ask(
        _earnings_view(context.backends.ledger.earnings.remote(context.credentials.address, work_id, page))
    )


async def _earnings_view(call: Any) -> dict:
    """The earnings as JSON, with each amount also in ether."""
    answer = (await call).model_dump()
    for work in answer["works"]:
        work["earned_eth"] = wei_to_eth(work["earned_wei"])
    return {**answer, "total_eth": wei_to_eth(answer["total_wei"])}


async def _with_eth(call: Any) -> dict:
    """An account answer with its wei amounts also in ether, as people read them."""
    answer = await call
    return {
        **answer,
        **{key.replace("_wei", "_eth"): wei_to_eth(value) for key, value in answer.items() if key.endswith("_wei")},
    }


TOOLS = [
    generate_text,
    search_catalogue,
    recommend,
    recommend_works,
    register_work,
    set_license_terms,
    buy_license,
    grant_license,
    withdraw_royalties,
    verify_license,
    work_details,
    license_template,
    my_works,
    my_account,
    my_earnings,
]
LEDGER_TOOLS = frozenset({"register_work", "set_license_terms", "buy_license", "grant_license", "withdraw_royalties"})
