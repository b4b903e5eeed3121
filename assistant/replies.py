"""The offline planner's closing replies: what each step did, in the request's language, and where the plan
stopped if it did (the user rejected a change, a service refused, an earlier result had nothing to use)."""

from __future__ import annotations

import re
from typing import Any

from assistant.intents import Language, Plan
from ledger.types import Template
from ledger.units import wei_to_eth

MAX_LISTED = 10

# What a license under each template lets its holder do, as approvals and answers state it.
RIGHTS = {
    Template.NON_COMMERCIAL_REMIX: {
        "en": "personal and non-commercial use, and derivatives; no commercial use",
        "zh": "个人与非商业使用，可创作衍生作品；不可商用",
    },
    Template.COMMERCIAL_USE: {
        "en": "personal and commercial use; no derivatives",
        "zh": "个人与商业使用；不可创作衍生作品",
    },
    Template.COMMERCIAL_REMIX: {
        "en": "personal and commercial use, and derivatives (which owe a revenue share)",
        "zh": "个人与商业使用，可创作衍生作品（衍生作品需分成）",
    },
    Template.CC_BY: {
        "en": "any use, commercial and derivative, with attribution",
        "zh": "任何用途（含商用与衍生），须署名",
    },
}

STOPPED = {
    "rejected": {
        "en": "You rejected `{tool}`, so I stopped there: nothing else was changed on the ledger.",
        "zh": "你拒绝了 `{tool}`，所以我停在这里：账本上没有做其他更改。",
    },
    "failed": {
        "en": "`{tool}` did not go through: {error}. I stopped there.",
        "zh": "`{tool}` 没有成功：{error}。我停在这里。",
    },
    "no_input": {
        "en": "I found nothing to use for `{tool}` (for example, you have no registered works yet), so I "
        "stopped there.",
        "zh": "没有可用于 `{tool}` 的内容（例如你还没有登记的作品），所以我停在这里。",
    },
}


NEAR_COPY = {
    "en": "`register_work` did not go through: this text is a near-copy of work {work_id} ({similarity:.0%} alike), "
    "registered by another user, so I stopped there. If your text builds on it, register it as a derivative: "
    "get a license on work {work_id} that allows derivatives (commercial remix, non-commercial remix or CC BY), "
    'then say "register it as a derivative of work {work_id}". Work {work_id} is then owed its revenue share.',
    "zh": "`register_work` 没有成功：这段文字与另一位用户登记的作品 {work_id} 高度相似（相似度 {similarity:.0%}），"
    "所以我停在这里。如果你的作品基于它，可以登记为衍生作品：先获得作品 {work_id} 允许衍生创作的许可"
    "（商业改编、非商业改编或 CC BY），然后说“登记为作品{work_id}的衍生作品”。作品 {work_id} 将获得相应的收入分成。",
}


def summary(plan: Plan, results: list[dict[str, Any]]) -> str:
    """One line per finished step, then why the plan stopped, if it stopped early."""
    lines = [done(r["tool"], r["value"], plan.language) for r in results if r["error"] is None]
    failed = next((r for r in results if r["error"] is not None), None)
    if failed is not None and near_copy_of(failed) is not None:
        lines.append(NEAR_COPY[plan.language].format(**failed["value"]))
    elif failed is not None:
        kind = "rejected" if failed["error"] == "rejected" else "failed"
        lines.append(STOPPED[kind][plan.language].format(tool=failed["tool"], error=failed["error"]))
    return "\n\n".join(lines) or STOPPED["no_input"][plan.language].format(tool=plan.steps[0].tool)


def near_copy_of(result: dict[str, Any]) -> int | None:
    """The work a refused registration resembles: the ledger's near-copy refusal names it, with the similarity."""
    value = result["value"]
    if (
        result["tool"] == "register_work"
        and isinstance(value, dict)
        and {"error", "work_id", "similarity"} <= value.keys()
    ):
        return int(value["work_id"])
    return None


def stopped_for_want_of(tool: str, language: Language, results: list[dict[str, Any]]) -> str:
    """An earlier step's result lacked what ``tool`` needed (an empty list of works, say)."""
    lines = [done(r["tool"], r["value"], language) for r in results if r["tool"] != "my_works"]
    return "\n\n".join([*lines, STOPPED["no_input"][language].format(tool=tool)])


def done(tool: str, value: Any, language: Language) -> str:
    """What one finished step did."""
    zh = language == "zh"
    if tool == "generate_text":
        return (f"我写了《{value['title']}》：" if zh else f'I wrote "{value["title"]}":') + f"\n\n{value['text']}"
    if tool == "register_work":
        return (
            f"已登记为作品 {value['id']}（内容哈希 {value['content_hash'][:12]}…）。"
            if zh
            else f"Registered it as work {value['id']} (content hash {value['content_hash'][:12]}…)."
        )
    if tool == "set_license_terms":
        terms = value.get("terms") or {}
        price = wei_to_eth(terms.get("fee_wei", 0))
        return (
            f"作品 {value['id']} 现以 {terms.get('template')} 条款授权，价格 {price} ETH。"
            if zh
            else f"Work {value['id']} is now offered under {terms.get('template')} at {price} ETH."
        )
    if tool == "buy_license":
        return (
            f"你已获得作品 {value['work_id']} 的许可（{value['terms']['template']}）。"
            if zh
            else f"You now hold a license on work {value['work_id']} ({value['terms']['template']})."
        )
    if tool == "grant_license":
        return (
            f"已将作品 {value['work_id']} 的许可授予 {value['holder']}。"
            if zh
            else f"Granted a license on work {value['work_id']} to {value['holder']}."
        )
    if tool == "verify_license":
        may = value["valid"]
        return (
            f"{value['holder']} {'可以' if may else '不可以'}将作品 {value['work_id']} 用于 {value['use']}。"
            if zh
            else f"{value['holder']} {'may' if may else 'may not'} use work {value['work_id']} for {value['use']}."
        )
    if tool == "my_account":
        return (
            f"你的账户 {value['address']} 余额 {value['balance_eth']} ETH，应得版税 {value['royalties_eth']} ETH。"
            if zh
            else f"Your account {value['address']} holds {value['balance_eth']} ETH; royalties owed to "
            f"you: {value['royalties_eth']} ETH."
        )
    if tool == "withdraw_royalties":
        return (
            f"已提取 {value['withdrawn_eth']} ETH 版税到你的账户。"
            if zh
            else f"Withdrew {value['withdrawn_eth']} ETH of royalties into your account."
        )
    if tool == "work_details":
        return _work_answer(value, zh)
    if tool == "license_template":
        return (
            f"{value['template']} 许可允许：{rights(value['template'], True)}。"
            if zh
            else f"A {value['template']} license allows {rights(value['template'], False)}."
        )
    if tool == "my_earnings":
        return _earnings(value, zh)
    if tool == "my_works":
        works = value.get("items", [])
        head = (
            f"你的作品（共 {value.get('total', len(works))} 件）："
            if zh
            else f"Your works ({value.get('total', len(works))} in all):"
        )
        return _listing(head, [f"{w['id']}: {w['title']}" for w in works], zh)
    if tool == "recommend_works":
        return _works_answer(value, zh)
    if tool in ("recommend", "search_catalogue"):
        items = value.get("items", [])
        head = (
            ("为你推荐：" if tool == "recommend" else "找到：")
            if zh
            else ("Recommended for you:" if tool == "recommend" else "Found in the catalogue:")
        )
        return _listing(head, [f"{i.get('title', i.get('id'))}" for i in items], zh)
    return f"{tool}: {value}"


def _work_answer(work: dict[str, Any], zh: bool) -> str:
    """Who owns a work, what a license costs and what it allows: the answer to questions about its rights."""
    head = (
        f"作品 {work['id']}《{work['title']}》属于 {work['owner']}"
        if zh
        else f'Work {work["id"]} "{work["title"]}" is owned by {work["owner"]}'
    )
    terms = work.get("terms")
    if not terms or not terms.get("active"):
        return f"{head}，目前没有出售许可。" if zh else f"{head}; no license is on offer."
    template = terms["template"]
    if zh:
        return f"{head}。许可以 {template} 条款出售，价格 {terms['fee_eth']} ETH，允许：{rights(template, True)}。"
    return f"{head}. A license costs {terms['fee_eth']} ETH under {template}, which allows {rights(template, False)}."


def _works_answer(value: dict[str, Any], zh: bool) -> str:
    """Recommended works: id, title, creator, the fee while a license is on offer, and why each was picked."""
    kind = "like_mine" if value["like_mine"] else "licensable" if value["licensable"] else "for_you"
    lines = []
    for work in value["items"]:
        creator = work["creator"]
        if zh:
            fee = f"{work['fee_eth']} ETH（{work['template']}）" if work["fee_eth"] is not None else "暂无授权出售"
            lines.append(f"作品 {work['id']}《{work['title']}》，创作者 {creator}：{fee}；{reason_zh(work['reason'])}")
        else:
            fee = (
                f"{work['fee_eth']} ETH ({work['template']})" if work["fee_eth"] is not None else "no license on offer"
            )
            lines.append(f'work {work["id"]} "{work["title"]}" by {creator}: {fee}; {work["reason"]}')
    return _listing(_WORKS_HEADS[kind]["zh" if zh else "en"], lines, zh)


_WORKS_HEADS = {
    "like_mine": {"en": "Works like yours:", "zh": "和你的作品相似的作品："},
    "licensable": {"en": "Works you could license:", "zh": "可以授权的作品："},
    "for_you": {"en": "Works recommended for you:", "zh": "为你推荐的作品："},
}
_REASONS_ZH = [
    (re.compile(r"^new on Muse(?:, )?"), "Muse 上的新作品"),
    (re.compile(r"^popular on Muse$"), "在 Muse 上受欢迎"),
    (re.compile(r"^matches '(.*)'$", re.S), "与“{0}”相符"),
    (re.compile(r"^similar to (.*)$", re.S), "与《{0}》相似"),
]


def reason_zh(reason: str) -> str:
    """The recommender's reason ("new on Muse, similar to Harbour") in Chinese; an unknown one as it is."""
    parts = []
    while reason:
        for pattern, text in _REASONS_ZH:
            found = pattern.match(reason)
            if found:
                parts.append(text.format(*found.groups()))
                reason = reason[found.end() :]
                break
        else:
            parts.append(reason)
            break
    return "，".join(parts)


def rights(template: str, zh: bool) -> str:
    return RIGHTS[Template(template)]["zh" if zh else "en"]


def _earnings(value: dict[str, Any], zh: bool) -> str:
    """The total, then each work with what it earned and who licensed it (bought or granted)."""
    head = f"你的作品共收入 {value['total_eth']} ETH：" if zh else f"Your works earned {value['total_eth']} ETH in all:"
    lines = []
    for work in value["works"]:
        holders = ", ".join(
            f"{lic['holder']} ({_KIND_ZH[lic['kind']] if zh else lic['kind']})" for lic in work["licenses"][:MAX_LISTED]
        )
        count = work["licenses_count"]
        lines.append(
            f"作品 {work['work_id']}《{work['title']}》：{work['earned_eth']} ETH，{count} 次授权"
            + (f"（{holders}）" if holders else "")
            if zh
            else f'work {work["work_id"]} "{work["title"]}": {work["earned_eth"]} ETH, {count} license(s)'
            + (f" ({holders})" if holders else "")
        )
    return _listing(head, lines, zh)


_KIND_ZH = {"bought": "购买", "granted": "授予"}


def _listing(head: str, lines: list[str], zh: bool) -> str:
    if not lines:
        return f"{head} {'无' if zh else 'none'}"
    return "\n".join([head, *(f"- {line}" for line in lines[:MAX_LISTED])])
