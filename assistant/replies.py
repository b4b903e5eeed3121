"""The offline planner's closing replies: what each step did, in the request's language, and where the plan
stopped if it did (the user rejected a change, a service refused, an earlier result had nothing to use)."""

from __future__ import annotations

from typing import Any

from assistant.intents import Language, Plan
from ledger.types import Template
from ledger.units import wei_to_eth

MAX_LISTED = 10

# What a license under each template lets its holder do, as approvals and answers state it.
RIGHTS = {
    Template.NON_COMMERCIAL_REMIX: {"en": "personal and non-commercial use, and derivatives; no commercial use",
                                    "zh": "个人与非商业使用，可创作衍生作品；不可商用"},
    Template.COMMERCIAL_USE: {"en": "personal and commercial use; no derivatives",
                              "zh": "个人与商业使用；不可创作衍生作品"},
    Template.COMMERCIAL_REMIX: {"en": "personal and commercial use, and derivatives (which owe a revenue share)",
                                "zh": "个人与商业使用，可创作衍生作品（衍生作品需分成）"},
    Template.CC_BY: {"en": "any use, commercial and derivative, with attribution",
                     "zh": "任何用途（含商用与衍生），须署名"},
}

STOPPED = {
    "rejected": {"en": "You rejected `{tool}`, so I stopped there: nothing else was changed on the ledger.",
                 "zh": "你拒绝了 `{tool}`，所以我停在这里：账本上没有做其他更改。"},
    "failed": {"en": "`{tool}` did not go through: {error}. I stopped there.",
               "zh": "`{tool}` 没有成功：{error}。我停在这里。"},
    "no_input": {"en": "I found nothing to use for `{tool}` (for example, you have no registered works yet), so I "
                       "stopped there.",
                 "zh": "没有可用于 `{tool}` 的内容（例如你还没有登记的作品），所以我停在这里。"},
}


def summary(plan: Plan, results: list[dict[str, Any]]) -> str:
    """One line per finished step, then why the plan stopped, if it stopped early."""
    lines = [done(r["tool"], r["value"], plan.language) for r in results if r["error"] is None]
    failed = next((r for r in results if r["error"] is not None), None)
    if failed is not None:
        kind = "rejected" if failed["error"] == "rejected" else "failed"
        lines.append(STOPPED[kind][plan.language].format(tool=failed["tool"], error=failed["error"]))
    return "\n\n".join(lines) or STOPPED["no_input"][plan.language].format(tool=plan.steps[0].tool)


def stopped_for_want_of(tool: str, language: Language, results: list[dict[str, Any]]) -> str:
    """An earlier step's result lacked what ``tool`` needed (an empty list of works, say)."""
    lines = [done(r["tool"], r["value"], language) for r in results if r["tool"] != "my_works"]
    return "\n\n".join([*lines, STOPPED["no_input"][language].format(tool=tool)])


def done(tool: str, value: Any, language: Language) -> str:
    """What one finished step did."""
    zh = language == "zh"
    if tool == "generate_text":
        return (f"我写了《{value['title']}》：" if zh else f"I wrote \"{value['title']}\":") + f"\n\n{value['text']}"
    if tool == "register_work":
        return (f"已登记为作品 {value['id']}（内容哈希 {value['content_hash'][:12]}…）。" if zh else
                f"Registered it as work {value['id']} (content hash {value['content_hash'][:12]}…).")
    if tool == "set_license_terms":
        terms = value.get("terms") or {}
        price = wei_to_eth(terms.get("fee_wei", 0))
        return (f"作品 {value['id']} 现以 {terms.get('template')} 条款授权，价格 {price} ETH。" if zh else
                f"Work {value['id']} is now offered under {terms.get('template')} at {price} ETH.")
    if tool == "buy_license":
        return (f"你已获得作品 {value['work_id']} 的许可（{value['terms']['template']}）。" if zh else
                f"You now hold a license on work {value['work_id']} ({value['terms']['template']}).")
    if tool == "grant_license":
        return (f"已将作品 {value['work_id']} 的许可授予 {value['holder']}。" if zh else
                f"Granted a license on work {value['work_id']} to {value['holder']}.")
    if tool == "verify_license":
        may = value["valid"]
        return (f"{value['holder']} {'可以' if may else '不可以'}将作品 {value['work_id']} 用于 {value['use']}。" if zh
                else f"{value['holder']} {'may' if may else 'may not'} use work {value['work_id']} for {value['use']}.")
    if tool == "my_account":
        return (f"你的账户 {value['address']} 余额 {value['balance_eth']} ETH，应得版税 {value['royalties_eth']} ETH。"
                if zh else f"Your account {value['address']} holds {value['balance_eth']} ETH; royalties owed to "
                f"you: {value['royalties_eth']} ETH.")
    if tool == "withdraw_royalties":
        return (f"已提取 {value['withdrawn_eth']} ETH 版税到你的账户。" if zh else
                f"Withdrew {value['withdrawn_eth']} ETH of royalties into your account.")
    if tool == "work_details":
        return _work_answer(value, zh)
    if tool == "license_template":
        return (f"{value['template']} 许可允许：{rights(value['template'], True)}。" if zh else
                f"A {value['template']} license allows {rights(value['template'], False)}.")
    if tool == "my_earnings":
        return _earnings(value, zh)
    if tool == "my_works":
        works = value.get("items", [])
        head = f"你的作品（共 {value.get('total', len(works))} 件）：" if zh else \
            f"Your works ({value.get('total', len(works))} in all):"
        return _listing(head, [f"{w['id']}: {w['title']}" for w in works], zh)
    if tool in ("recommend", "search_catalogue"):
        items = value.get("items", [])
        head = ("为你推荐：" if tool == "recommend" else "找到：") if zh else \
            ("Recommended for you:" if tool == "recommend" else "Found in the catalogue:")
        return _listing(head, [f"{i.get('title', i.get('id'))}" for i in items], zh)
    return f"{tool}: {value}"


def _work_answer(work: dict[str, Any], zh: bool) -> str:
    """Who owns a work, what a license costs and what it allows: the answer to questions about its rights."""
    head = f"作品 {work['id']}《{work['title']}》属于 {work['owner']}" if zh else \
        f"Work {work['id']} \"{work['title']}\" is owned by {work['owner']}"
    terms = work.get("terms")
    if not terms or not terms.get("active"):
        return f"{head}，目前没有出售许可。" if zh else f"{head}; no license is on offer."
    template = terms["template"]
    if zh:
        return f"{head}。许可以 {template} 条款出售，价格 {terms['fee_eth']} ETH，允许：{rights(template, True)}。"
    return f"{head}. A license costs {terms['fee_eth']} ETH under {template}, which allows {rights(template, False)}."


def rights(template: str, zh: bool) -> str:
    return RIGHTS[Template(template)]["zh" if zh else "en"]


def _earnings(value: dict[str, Any], zh: bool) -> str:
    """The total, then each work with what it earned and who licensed it (bought or granted)."""
    head = f"你的作品共收入 {value['total_eth']} ETH：" if zh else f"Your works earned {value['total_eth']} ETH in all:"
    lines = []
    for work in value["works"]:
        holders = ", ".join(f"{lic['holder']} ({_KIND_ZH[lic['kind']] if zh else lic['kind']})"
                            for lic in work["licenses"][:MAX_LISTED])
        count = work["licenses_count"]
        lines.append(f"作品 {work['work_id']}《{work['title']}》：{work['earned_eth']} ETH，{count} 次授权"
                     + (f"（{holders}）" if holders else "") if zh else
                     f"work {work['work_id']} \"{work['title']}\": {work['earned_eth']} ETH, {count} license(s)"
                     + (f" ({holders})" if holders else ""))
    return _listing(head, lines, zh)


_KIND_ZH = {"bought": "购买", "granted": "授予"}


def _listing(head: str, lines: list[str], zh: bool) -> str:
    if not lines:
        return f"{head} {'无' if zh else 'none'}"
    return "\n".join([head, *(f"- {line}" for line in lines[:MAX_LISTED])])
