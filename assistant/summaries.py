"""What a pending ledger change does, in plain words, for the person who approves it.

Each summary is read from the ledger's current state (the work's terms and contributors, the caller's balance
and royalties), not from the model's words: it says the money that moves and the rights that change, in the
request's language. A summary that cannot be read (the service refused) says so instead of guessing.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.tools import ChatContext
from ledger.errors import LedgerError
from assistant.replies import rights
from ledger.types import BPS
from ledger.units import percent_to_bps, wei_to_eth

CJK = re.compile(r"[\u4e00-\u9fff]")


def language_of(text: str) -> str:
    """``zh`` when the request is written in Chinese, else ``en``."""
    return "zh" if CJK.search(text) else "en"


async def summarize(call: dict[str, Any], context: ChatContext, language: str) -> str:
    """A one-paragraph statement of what approving ``call`` (``tool``, ``args``) does."""
    try:
        return await _SUMMARIES[call["tool"]](call["args"], context, language == "zh")
    except (LedgerError, KeyError, TypeError, ValueError) as exc:
        cause = getattr(exc, "cause", exc)
        return (
            f"无法从账本读取此操作的详情：{cause}"
            if language == "zh"
            else f"The ledger could not describe this change: {cause}"
        )


def _duration(seconds: int, zh: bool) -> str:
    if not seconds:
        return "永久有效" if zh else "never expires"
    days = seconds / 86_400
    return f"有效期 {days:g} 天" if zh else f"lasts {days:g} days"


def _refused_without_terms(work: dict, zh: bool, act_zh: str, act_en: str) -> str:
    return (
        f"作品 {work['id']} 没有授权条款，{act_zh}将被拒绝。"
        if zh
        else f"Work {work['id']} has no license terms: the {act_en} will be refused."
    )


def _share(bps: int) -> str:
    return f"{bps / 100:g}%"


async def _buy(args: dict, context: ChatContext, zh: bool) -> str:
    ledger = context.backends.ledger
    work = await ledger.work.remote(args["work_id"])
    account = await ledger.account.remote(context.credentials.address)
    terms = work.get("terms")
    if not terms:
        return _refused_without_terms(work, zh, "购买", "purchase")
    fee, cap = terms["fee_wei"], args.get("max_fee_wei")
    after = account["balance_wei"] - fee
    if zh:
        text = (
            f"从你的账户支付 {wei_to_eth(fee)} ETH，购买作品 {work['id']}《{work['title']}》的 "
            f"{terms['template']} 许可：{rights(terms['template'], True)}；{_duration(terms['duration_s'], True)}。"
            f"支付后余额约 {wei_to_eth(max(after, 0))} ETH（另需少量手续费）。"
        )
        if cap is not None:
            text += f"最高支付 {wei_to_eth(cap)} ETH；若价格变高，购买不会进行。"
        return text
    text = (
        f"Pays {wei_to_eth(fee)} ETH from your account for a {terms['template']} license on work {work['id']} "
        f'"{work["title"]}": {rights(terms["template"], False)}; {_duration(terms["duration_s"], False)}. '
        f"Your balance afterwards: about {wei_to_eth(max(after, 0))} ETH (plus a little gas)."
    )
    if cap is not None:
        text += f" At most {wei_to_eth(cap)} ETH: if the price has gone up, nothing is bought."
    return text


async def _terms(args: dict, context: ChatContext, zh: bool) -> str:
    work = await context.backends.ledger.work.remote(args["work_id"])
    template, price = args["template"], args.get("price_eth", 0) or 0
    share = percent_to_bps(args.get("rev_share_percent"))
    split = ", ".join(f"{c['address'][:10]}… {_share(c['share_bps'])}" for c in work["contributors"])
    duration = _duration(int(args.get("duration_days", 0) or 0) * 86_400, zh)
    if zh:
        return (
            f"作品 {work['id']}《{work['title']}》将以 {template} 条款出售，每份许可 {price} ETH：被许可人可"
            f"{rights(template, True)}；{duration}。"
            + (f"衍生作品需向本作品支付其收入的 {_share(share)}。" if share else "")
            + f"收入按以下比例分给贡献者：{split}。"
        )
    return (
        f'Offers work {work["id"]} "{work["title"]}" under {template} at {price} ETH a license: a licensee may '
        f"have {rights(template, False)}; a license {duration}."
        + (f" Derivatives owe this work {_share(share)} of their license revenue." if share else "")
        + f" Fees are split among the contributors: {split}."
    )


async def _register(args: dict, context: ChatContext, zh: bool) -> str:
    co_authors = args.get("co_authors") or []
    own = BPS - sum(percent_to_bps(a["share_percent"]) for a in co_authors)
    shares = [(context.credentials.address, own)] + [
        (a["address"], percent_to_bps(a["share_percent"])) for a in co_authors
    ]
    split = ", ".join(
        f"{'你' if zh and i == 0 else 'you' if i == 0 else address[:10] + '…'} {_share(bps)}"
        for i, (address, bps) in enumerate(shares)
    )
    origin = args.get("origin", "human")
    parents = " ".join([await _owed_to_parent(work_id, context, zh) for work_id in args.get("parents") or []])
    if zh:
        return (
            f"在账本上登记《{args['title']}》为你的作品（来源：{origin}；仅记录内容的哈希，不上传正文）。"
            + (f"{parents}扣除上述分成后，" if parents else "今后的")
            + f"授权收入分配：{split}。不花费 ETH（只需少量手续费）。"
        )
    return (
        f'Registers "{args["title"]}" as your work on the ledger (origin: {origin}; only the content\'s hash '
        f"is recorded). "
        + (f"{parents} The rest of its" if parents else "Future")
        + f" license revenue is split: {split}. Moves no ether (a little gas)."
    )


async def _owed_to_parent(work_id: int, context: ChatContext, zh: bool) -> str:
    """What declaring ``work_id`` a parent means: the revenue share it will take (the one in the caller's license
    allowing derivatives, else, for its own creators, its terms'), or that the ledger will refuse it."""
    ledger, address = context.backends.ledger, context.credentials.address
    work = await ledger.work.remote(work_id)
    verdict = await ledger.verify.remote(work_id, address, "derivative")
    if verdict["valid"]:
        share: int | None = verdict["license"]["rev_share_bps"]
    elif address in {c["address"] for c in work["contributors"]} or work["owner"] == address:
        share = (work.get("terms") or {}).get("rev_share_bps", 0)
    else:
        share = None
    if share is None:
        return (
            f"你没有作品 {work_id}《{work['title']}》允许衍生创作的许可：账本将拒绝这次登记。"
            if zh
            else f'You hold no license on work {work_id} "{work["title"]}" that allows derivatives: the ledger will '
            "refuse the registration."
        )
    return (
        f"它声明为作品 {work_id}《{work['title']}》的衍生作品：其授权收入的 {_share(share)} 归作品 {work_id}。"
        if zh
        else f'It is declared a derivative of work {work_id} "{work["title"]}", which is owed {_share(share)} of its '
        "license revenue."
    )


async def _grant(args: dict, context: ChatContext, zh: bool) -> str:
    work = await context.backends.ledger.work.remote(args["work_id"])
    terms = work.get("terms")
    if not terms:
        return _refused_without_terms(work, zh, "授予", "grant")
    if zh:
        return (
            f"免费授予 {args['address']} 作品 {work['id']}《{work['title']}》的 {terms['template']} 许可："
            f"{rights(terms['template'], True)}；{_duration(terms['duration_s'], True)}。你不会收到费用。"
        )
    return (
        f'Grants {args["address"]} a free {terms["template"]} license on work {work["id"]} "{work["title"]}": '
        f"{rights(terms['template'], False)}; {_duration(terms['duration_s'], False)}. You receive no fee."
    )


async def _withdraw(args: dict, context: ChatContext, zh: bool) -> str:
    account = await context.backends.ledger.account.remote(context.credentials.address)
    owed = wei_to_eth(account["royalties_wei"])
    return (
        f"将应得的 {owed} ETH 版税转入你的账户。"
        if zh
        else f"Pays the {owed} ETH of royalties owed to you into your account."
    )


_SUMMARIES = {
    "buy_license": _buy,
    "set_license_terms": _terms,
    "register_work": _register,
    "grant_license": _grant,
    "withdraw_royalties": _withdraw,
}
