"""The planner's fixed reply texts (clarifying questions, refusals, help) and its tool-call format.

These are the texts of the muse-planner contract: the model answers with exactly one of them, or with Hermes
tool calls. The rules planner (``assistant/intents.py``) answers with the same texts, imported from here.
"""

from __future__ import annotations

import json
import re
from typing import Any

FORMS_ZH = {"poem": "诗", "haiku": "俳句", "sonnet": "十四行诗", "story": "故事", "song": "歌", "limerick": "打油诗"}

HELP = {
    "en": "I can write texts, recommend and search the catalogue, register your works, set their license "
    'terms, buy, grant and verify licenses, and check or withdraw your royalties. For example: "Write a '
    'short poem about autumn, register it as mine and offer it for commercial use at 0.01 ETH".',
    "zh": "我可以写作、推荐和搜索作品、登记你的作品、设置授权条款、购买、授予和验证许可，以及查看或提取版税。"
    "例如：“写一首关于秋天的短诗，登记为我的作品，并以 0.01 ETH 开放商业使用授权”。",
}
REFUSALS = {
    "injection": {
        "en": "I can't do that: I follow Muse's rules, whatever a message says, and act only for you. "
        "Nothing was done.",
        "zh": "我不能这样做：无论消息怎么说，我都遵守 Muse 的规则，并且只代表你本人操作。没有执行任何操作。",
    },
    "others": {
        "en": "I can only act on your own works and account, not on anyone else's. Nothing was done.",
        "zh": "我只能处理你自己的作品和账户，不能处理别人的。没有执行任何操作。",
    },
    "transfer": {
        "en": "Transferring works is not something I can do here; I can register, license and verify "
        "works. Nothing was done.",
        "zh": "我不能在这里转让作品；我可以登记、授权和验证作品。没有执行任何操作。",
    },
}
QUESTIONS = {
    "topic": {"en": "What should the {form} be about?", "zh": "这首{form}要写什么主题？"},
    "content": {
        "en": "What text should I register? Put it in quotes, or ask me to write it first.",
        "zh": "要登记哪段文字？请用引号给出，或者先让我写一篇。",
    },
    "work": {
        "en": 'Which work do you mean? Say for example "work 12" or "my latest work".',
        "zh": "你指的是哪件作品？例如“作品 12”或“我最新的作品”。",
    },
    "template": {
        "en": "Which license should I offer: commercial use, commercial remix, non-commercial remix or CC BY?",
        "zh": "要提供哪种授权：商业使用、商业改编、非商业改编，还是 CC BY？",
    },
    "price": {"en": "At what price, in ETH, should I offer it?", "zh": "授权价格是多少 ETH？"},
    "grantee": {
        "en": "Whom should I grant the license to? Give their address (0x...).",
        "zh": "要把许可授予谁？请给出对方的地址（0x...）。",
    },
    "holder": {
        "en": 'Whose license should I check? Give an address (0x...) or say "me".',
        "zh": "要验证谁的许可？请给出地址（0x...）或说“我”。",
    },
    "co_author": {"en": "What is your co-author's address (0x...)?", "zh": "你的合著者的地址是什么（0x...）？"},
}

CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
Call = tuple[str, dict[str, Any]]


def render_calls(calls: list[Call]) -> str:
    """Hermes tool calls, back to back: ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``."""
    return "".join(
        f"{CALL_OPEN}{json.dumps({'name': name, 'arguments': args}, ensure_ascii=False)}{CALL_CLOSE}"
        for name, args in calls
    )


def parse_calls(text: str) -> list[Call] | None:
    """The calls of a planner output, or None when it is not a well-formed run of Hermes tool calls."""
    pattern = re.compile(rf"{re.escape(CALL_OPEN)}(.*?){re.escape(CALL_CLOSE)}", re.S)
    if not text.startswith(CALL_OPEN) or pattern.sub("", text).strip():
        return None
    calls = []
    for body in pattern.findall(text):
        try:
            value = json.loads(body)
        except json.JSONDecodeError:
            return None
        if (
            not isinstance(value, dict)
            or list(value) != ["name", "arguments"]
            or not isinstance(value["arguments"], dict)
        ):
            return None
        calls.append((value["name"], value["arguments"]))
    return calls


def reply_texts() -> set[str]:
    """Every reply text the planner may give (questions with any ``{form}`` left as the placeholder)."""
    texts = {text for by_language in REFUSALS.values() for text in by_language.values()} | set(HELP.values())
    return texts | {text for by_language in QUESTIONS.values() for text in by_language.values()}


def is_reply(text: str) -> bool:
    """Whether ``text`` is one of the known reply texts (a question's ``{form}`` may be any word)."""
    for known in reply_texts():
        if "{form}" in known:
            head, tail = known.split("{form}")
            if text.startswith(head) and text.endswith(tail) and 0 < len(text) - len(head) - len(tail) <= 12:
                return True
        elif text == known:
            return True
    return False
