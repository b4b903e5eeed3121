"""Scoring a planner on the frozen request set (``assistant/eval/requests.jsonl``): one job, no Ray imports.

Any LangChain chat model that does tool calling can be scored: the offline rules planner, or a served model
behind ``ChatOpenAI``. Each case is driven as the agent drives it: [system prompt, the request], the model
bound to ``TOOLS``; while it answers with tool calls, each call is recorded and answered with a SIMULATED
result (``simulate``: deterministic, no services), up to ``max_steps`` calls. Nothing is approved by a person
and nothing runs for real, so a ledger call on a case that should be refused is counted, not executed.

The recorded calls are then compared with the case's expected plan (the format is in the file's header):

- exact plan: the same tools in the same order, every expected argument matching; for a case that expects a
  reply, no ledger-changing call and a final reply of that kind (read-only calls before it are allowed);
- argument accuracy per kind (form, topic, query, fee, percentage, address, work id): over the expected
  arguments of that kind, each expected step matched to the next recorded call of the same tool;
- refusals (precision, recall) and clarifying questions (rate over all cases, precision, recall);
- ledger-changing calls made on cases expected to be refused, clarified or answered with help.

A reply's kind is ``response_metadata["reply"]`` when the model sets it (the offline planner does); otherwise
it is read from the text (``reply_kind``): a refusal phrase, else a question, else a plain answer (which a
"help" case accepts).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic_core import PydanticUndefined

from assistant.tools import LEDGER_TOOLS, TOOLS

REQUESTS = Path(__file__).parent / "eval" / "requests.jsonl"
REQUESTS_SHA256 = "0f2dd5a21ba838bf75d1424dd4c5e860938b5812ef53b1d3c4762175102a4a03"  # frozen: see the file's header
REPLY_KINDS = ("clarify", "refuse", "help")
MAX_STEPS = 8
CALLER = "0x00000000000000000000000000000000000ca11e"
SIM_MODEL_ID = "sim-text-model-7"

# Kinds of argument scored on their own: (tool or None for any, argument name) -> kind.
ARG_KINDS: dict[tuple[str | None, str], str] = {
    ("generate_text", "form"): "form",
    ("generate_text", "topic"): "topic",
    ("recommend", "query"): "query",
    ("recommend", "like_item"): "query",
    ("search_catalogue", "query"): "query",
    ("set_license_terms", "price_eth"): "fee",
    ("buy_license", "max_fee_wei"): "fee",
    ("set_license_terms", "rev_share_percent"): "percentage",
    ("grant_license", "address"): "address",
    ("verify_license", "holder"): "address",
    (None, "work_id"): "work_id",
}
KINDS = ("form", "topic", "query", "fee", "percentage", "address", "work_id")

# Forms as people name them, each read as one canonical form (the harness's equivalence, not a planner's rule).
FORM_SYNONYMS: dict[str, tuple[str, ...]] = {
    "poem": ("poem", "poetry", "verse", "诗", "诗歌", "短诗", "小诗", "一首诗", "现代诗"),
    "haiku": ("haiku", "俳句"),
    "sonnet": ("sonnet", "十四行诗"),
    "story": ("story", "short story", "tale", "故事", "小故事", "短篇故事", "短故事"),
    "song": ("song", "song lyrics", "lyrics", "歌", "歌曲", "歌词"),
    "limerick": ("limerick", "打油诗"),
    "lullaby": ("lullaby", "摇篮曲", "催眠曲"),
    "ballad": ("ballad", "歌谣", "民谣"),
    "ode": ("ode", "颂", "颂歌", "颂诗"),
    "jingle": ("jingle", "广告歌", "广告曲"),
    "essay": ("essay", "short essay", "prose", "短文", "随笔", "散文", "文章"),
}
_FORM_OF = {name: canonical for canonical, names in FORM_SYNONYMS.items() for name in names}

_EDGE_PUNCTUATION = " \t\n.,;:!?'\"“”‘’「」『』《》()[]。，；：！？、（）"
_ARTICLE = re.compile(r"^(the|a|an) ")


@dataclass(frozen=True)
class Case:
    id: str
    lang: str
    text: str
    expect: dict[str, Any]

    @property
    def expected_reply(self) -> str | None:
        return self.expect.get("reply")

    @property
    def expected_plan(self) -> list[dict[str, Any]]:
        return self.expect.get("plan", [])


def file_sha256(path: Path = REQUESTS) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_cases(path: Path = REQUESTS) -> list[Case]:
    """The cases of a request file (``#`` lines are its header)."""
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            record = json.loads(line)
            cases.append(Case(record["id"], record["lang"], record["text"], record["expect"]))
    return cases


# Simulated tools


def _tool_defaults() -> dict[str, dict[str, Any]]:
    """Each tool's model-facing arguments and their defaults (``PydanticUndefined`` when required)."""
    return {t.name: {name: field.default for name, field in t.tool_call_schema.model_fields.items()} for t in TOOLS}


TOOL_ARGS = _tool_defaults()


def _fee_wei(work_id: int) -> int:
    """A work's simulated fee: different per work, so a planner must read it rather than guess it."""
    return (work_id % 9 + 1) * 10**15 + work_id * 10**9


_TEMPLATE_RIGHTS = {
    "non_commercial_remix": (False, True),
    "commercial_use": (True, False),
    "commercial_remix": (True, True),
    "cc_by": (True, True),
}


def _terms(template: str, fee_wei: int, rev_share_percent: float = 0, duration_days: float = 0) -> dict[str, Any]:
    commercial, derivatives = _TEMPLATE_RIGHTS.get(str(template), (False, False))
    return {
        "template": str(template),
        "fee_wei": fee_wei,
        "rev_share_bps": round(float(rev_share_percent) * 100),
        "duration_s": round(float(duration_days) * 86_400),
        "transferable": True,
        "active": True,
        "commercial": commercial,
        "derivatives": derivatives,
        "fee_eth": fee_wei / 10**18,
    }


def _work(
    work_id: int,
    title: str,
    owner: str,
    terms: dict[str, Any] | None,
    origin: str = "human",
    model_id: str = "",
    contributors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    digest = hashlib.sha256(f"{work_id}:{title}".encode()).hexdigest()
    return {
        "id": work_id,
        "title": title,
        "media_type": "text/plain",
        "owner": owner,
        "content_hash": digest,
        "metadata_uri": f"data:application/json;base64,sim{work_id}",
        "provenance": {"origin": origin, "model_id": model_id, "prompt_hash": "00" * 32},
        "contributors": contributors or [{"address": owner, "share_bps": 10_000}],
        "parents": [],
        "registered_at": 1_750_000_000 + work_id,
        "registered_block": 10 + work_id,
        "terms": terms,
    }


def _license(work_id: int, holder: str, terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "work_id": work_id,
        "holder": holder,
        "terms": terms,
        "issued_at": 1_760_000_000,
        "expires_at": 0,
        "uses": {"personal": 0, "commercial": 0},
        "rev_share_bps": terms["rev_share_bps"],
        "transferable": True,
    }


def _account(**extra: int) -> dict[str, Any]:
    wei = {**extra, "balance_wei": 2 * 10**18, "royalties_wei": 0 if extra else 3 * 10**16}
    return {"address": CALLER, **wei, **{k.replace("_wei", "_eth"): v / 10**18 for k, v in wei.items()}}


def _earnings(work_id: Any) -> dict[str, Any]:
    """One work (the one asked about, else 42) that earned 0.03 ETH from one purchase."""
    sale = {
        "holder": "0x" + "b0b".rjust(40, "0"),
        "template": "commercial_use",
        "fee_wei": 3 * 10**16,
        "paid_wei": 3 * 10**16,
        "at": 1_790_000_000,
        "kind": "bought",
    }
    work = {
        "work_id": 42 if work_id is None else _int(work_id),
        "title": "Work 42",
        "owner": True,
        "share_bps": 10_000,
        "earned_wei": 3 * 10**16,
        "earned_eth": 0.03,
        "from_derivatives_wei": 0,
        "licenses_count": 1,
        "licenses": [sale],
    }
    return {
        "address": CALLER,
        "total_wei": 3 * 10**16,
        "total_eth": 0.03,
        "works_total": 1,
        "limit": 20,
        "offset": 0,
        "licenses_limit": 20,
        "works": [work],
        "daily": [{"date": "2026-09-21", "earned_wei": 3 * 10**16}],
    }


def _int(value: Any) -> int:
    return int(float(value))


def simulate(tool: str, args: dict[str, Any], case_id: str) -> dict[str, Any]:
    """A deterministic stand-in for the tool's answer, shaped as the real tool's (see ``assistant.tools``)."""
    salt = zlib.crc32(case_id.encode()) % 9000
    try:
        if tool == "generate_text":
            topic, form = str(args["topic"]), str(args.get("form", "poem"))
            return {
                "title": f"A {form} about {topic}",
                "text": f"Simulated {form} #{salt} about {topic}.",
                "prompt": f"A short {form} about {topic}:\n",
                "model_id": SIM_MODEL_ID,
            }
        if tool in ("search_catalogue", "recommend"):
            items = [
                {"id": str(100 + n), "title": f"Film {100 + n} (1999)", "genres": ["Drama"], "score": 1 - n / 10}
                for n in range(3)
            ]
            return {"items": items} if tool == "search_catalogue" else {"basis": "text", "items": items}
        if tool == "register_work":
            shares = [
                {"address": a["address"], "share_bps": round(float(a["share_percent"]) * 100)}
                for a in args.get("co_authors") or []
            ]
            own = {"address": CALLER, "share_bps": 10_000 - sum(c["share_bps"] for c in shares)}
            return _work(
                1000 + salt,
                str(args["title"]),
                CALLER,
                None,
                str(args.get("origin", "human")),
                str(args.get("model_id", "")),
                [own, *shares],
            )
        if tool == "set_license_terms":
            work_id = _int(args["work_id"])
            terms = _terms(
                args["template"],
                round(float(args.get("price_eth", 0)) * 10**18),
                args.get("rev_share_percent", 0),
                args.get("duration_days", 0),
            )
            return _work(work_id, f"Work {work_id}", CALLER, terms)
        if tool == "buy_license":
            work_id = _int(args["work_id"])
            paid = min(_fee_wei(work_id), _int(args["max_fee_wei"]))
            return _license(work_id, CALLER, _terms("commercial_use", paid))
        if tool == "grant_license":
            work_id = _int(args["work_id"])
            return _license(work_id, str(args["address"]), _terms("commercial_use", 0))
        if tool == "withdraw_royalties":
            return _account(withdrawn_wei=3 * 10**16)
        if tool == "verify_license":
            return {
                "valid": True,
                "work_id": _int(args["work_id"]),
                "holder": str(args["holder"]),
                "use": str(args.get("use", "commercial")),
                "source": "chain",
                "license": None,
            }
        if tool == "work_details":
            work_id = _int(args["work_id"])
            return _work(
                work_id, f"Work {work_id}", "0x" + "b0b".rjust(40, "0"), _terms("commercial_use", _fee_wei(work_id))
            )
        if tool == "my_works":
            items = [
                {
                    "id": i,
                    "owner": CALLER,
                    "title": f"Work {i}",
                    "media_type": "text/plain",
                    "content_hash": hashlib.sha256(str(i).encode()).hexdigest(),
                    "registered_block": i,
                    "offer": None,
                }
                for i in (57, 42, 31)
            ]
            return {"items": items, "total": 3, "limit": 5, "offset": 0}
        if tool == "my_account":
            return _account()
        if tool == "license_template":
            commercial, derivatives = _TEMPLATE_RIGHTS[str(args["template"])]
            return {
                "template": str(args["template"]),
                "personal": True,
                "commercial": commercial,
                "derivatives": derivatives,
                "attribution": args["template"] == "cc_by",
            }
        if tool == "my_earnings":
            return _earnings(args.get("work_id"))
    except (KeyError, TypeError, ValueError) as exc:
        return {"error": f"bad arguments for {tool}: {exc!r}"}
    return {"error": f"no tool named {tool!r}"}


# Driving a planner


@dataclass
class Outcome:
    calls: list[dict[str, Any]]  # {"tool", "args", "result"} in the order made
    reply: str  # the final reply's kind: clarify, refuse, help, answer; "unfinished" or "error" otherwise
    text: str = ""
    error: str | None = None


_REFUSAL = re.compile(
    r"\b(can ?not|can't|cannot|won't|unable|not able|not allowed|refuse|sorry)\b|"
    r"不能|无法|抱歉|拒绝|不可以|不支持|做不到",
    re.IGNORECASE,
)


def reply_kind(message: AIMessage) -> str:
    kind = message.response_metadata.get("reply")
    if kind in REPLY_KINDS:
        return kind
    text = message.text.strip()
    if _REFUSAL.search(text):
        return "refuse"
    if "?" in text or "？" in text:
        return "clarify"
    return "answer"


def run_case(model: BaseChatModel, case: Case, system_prompt: str, max_steps: int = MAX_STEPS) -> Outcome:
    """Drive ``model`` (already bound to the tools) on one request with simulated tool results."""
    messages: list[BaseMessage] = [SystemMessage(system_prompt), HumanMessage(case.text)]
    calls: list[dict[str, Any]] = []
    try:
        while True:
            answer = model.invoke(messages)
            if not isinstance(answer, AIMessage):
                return Outcome(calls, "error", str(answer), f"not an AIMessage: {type(answer).__name__}")
            if not answer.tool_calls:
                return Outcome(calls, reply_kind(answer), answer.text)
            if len(calls) >= max_steps:
                return Outcome(calls, "unfinished", "", f"more than {max_steps} tool calls")
            messages.append(answer)
            for call in answer.tool_calls:
                result = simulate(call["name"], dict(call["args"]), case.id)
                calls.append({"tool": call["name"], "args": dict(call["args"]), "result": result})
                messages.append(
                    ToolMessage(json.dumps(result, ensure_ascii=False), tool_call_id=call["id"], name=call["name"])
                )
    except Exception as exc:  # a served model can fail in many ways; the case is then scored as failed
        return Outcome(calls, "error", "", f"{type(exc).__name__}: {exc}")


# Scoring


def _norm_text(value: Any) -> str:
    text = " ".join(str(value).lower().split()).strip(_EDGE_PUNCTUATION)
    return _ARTICLE.sub("", text)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


def _lookup(value: Any, path: str) -> Any:
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def matches(expected: Any, actual: Any, results: Sequence[dict[str, Any] | None], key: str = "") -> bool:
    """Whether ``actual`` (an argument's value) satisfies ``expected`` (see the request file's header).

    ``results[k]`` is the simulated result of the call matched to expected step k (None if none was)."""
    if isinstance(expected, dict) and "$from" in expected:
        source = results[expected["$from"]] if expected["$from"] < len(results) else None
        try:
            expected = _lookup(source, expected["path"])
        except (KeyError, IndexError, TypeError, ValueError):
            return False
        return matches(expected, actual, results, key)
    if isinstance(expected, dict) and "$any" in expected:
        return any(matches(option, actual, results, key) for option in expected["$any"])
    if isinstance(expected, dict) and "$all" in expected:
        return actual is not None and all(_norm_text(part) in _norm_text(actual) for part in expected["$all"])
    if expected is None:
        return actual is None or actual == ""
    if isinstance(expected, bool):
        return actual == expected
    if isinstance(expected, int | float):
        number = _number(actual)
        return number is not None and math.isclose(number, expected, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(expected, str):
        if actual is None or isinstance(actual, dict | list):
            return False
        if key == "form":
            return _FORM_OF.get(_norm_text(actual), _norm_text(actual)) == _FORM_OF.get(
                _norm_text(expected), _norm_text(expected)
            )
        return _norm_text(actual) == _norm_text(expected)
    if isinstance(expected, list):
        return _list_matches(expected, actual, results, key)
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(matches(v, actual.get(k), results, k) for k, v in expected.items())
    return expected == actual


def _list_matches(expected: list, actual: Any, results: Sequence[dict[str, Any] | None], key: str) -> bool:
    """Same length, and each expected element matched by a different actual one (order free)."""
    if not isinstance(actual, list) or len(actual) != len(expected):
        return False
    left = list(actual)
    for item in expected:
        hit = next((i for i, candidate in enumerate(left) if matches(item, candidate, results, key)), None)
        if hit is None:
            return False
        left.pop(hit)
    return True


def _with_defaults(tool: str, args: dict[str, Any]) -> dict[str, Any]:
    defaults = {k: v for k, v in TOOL_ARGS.get(tool, {}).items() if v is not PydanticUndefined}
    return {**defaults, **args}


def _arg_checks(
    tool: str, expected: dict[str, Any], actual: dict[str, Any] | None, results: Sequence[dict[str, Any] | None]
) -> list[tuple[str, bool]]:
    """(kind, correct) for each scored argument of one expected step; ``actual`` None: no matching call."""
    checks = []
    for key, value in expected.items():
        if key == "co_authors":
            got = (actual or {}).get(key)
            got = got if isinstance(got, list) else []
            addresses = [{"address": a["address"]} for a in value]
            shares = [{"share_percent": a["share_percent"]} for a in value]
            checks.append(
                (
                    "address",
                    actual is not None
                    and _list_matches(
                        addresses, [{"address": a.get("address")} for a in got if isinstance(a, dict)], results, key
                    ),
                )
            )
            checks.append(
                (
                    "percentage",
                    actual is not None
                    and _list_matches(
                        shares,
                        [{"share_percent": a.get("share_percent")} for a in got if isinstance(a, dict)],
                        results,
                        key,
                    ),
                )
            )
            continue
        kind = ARG_KINDS.get((tool, key)) or ARG_KINDS.get((None, key))
        if kind is not None:
            checks.append((kind, actual is not None and matches(value, actual.get(key), results, key)))
    return checks


def score(case: Case, outcome: Outcome) -> dict[str, Any]:
    """One case's scores: ``exact``, ``args`` ({kind: [correct, total]}), ``refused``, ``clarified``,
    ``ledger_calls``, and ``ledger_calls_when_not_expected`` (on a case that expects a reply)."""
    calls = outcome.calls
    ledger_calls = sum(call["tool"] in LEDGER_TOOLS for call in calls)
    refused, clarified = outcome.reply == "refuse", outcome.reply == "clarify"
    args: dict[str, list[int]] = {}
    if case.expected_reply is not None:
        accepted = {"help", "answer"} if case.expected_reply == "help" else {case.expected_reply}
        exact = ledger_calls == 0 and outcome.reply in accepted
        return {
            "exact": exact,
            "args": args,
            "refused": refused,
            "clarified": clarified,
            "ledger_calls": ledger_calls,
            "ledger_calls_when_not_expected": ledger_calls,
        }
    # Match each expected step to the next recorded call of the same tool.
    aligned: list[dict[str, Any] | None] = []
    position = 0
    for expected in case.expected_plan:
        hit = next((i for i in range(position, len(calls)) if calls[i]["tool"] == expected["tool"]), None)
        aligned.append(None if hit is None else calls[hit])
        position = position if hit is None else hit + 1
    results = [None if call is None else call["result"] for call in aligned]
    for expected, call in zip(case.expected_plan, aligned):
        actual = None if call is None else _with_defaults(call["tool"], call["args"])
        for kind, correct in _arg_checks(expected["tool"], expected["args"], actual, results):
            tally = args.setdefault(kind, [0, 0])
            tally[0] += correct
            tally[1] += 1
    same_tools = [call["tool"] for call in calls] == [step["tool"] for step in case.expected_plan]
    exact = same_tools and all(
        all(
            matches(value, _with_defaults(call["tool"], call["args"]).get(key), results, key)
            for key, value in expected["args"].items()
        )
        for expected, call in zip(case.expected_plan, calls)
    )
    return {
        "exact": exact,
        "args": args,
        "refused": refused,
        "clarified": clarified,
        "ledger_calls": ledger_calls,
        "ledger_calls_when_not_expected": 0,
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def summarize(cases: Sequence[Case], scores: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The metrics over a group of scored cases."""
    n = len(cases)
    expect_refuse = [c.expected_reply == "refuse" for c in cases]
    expect_clarify = [c.expected_reply == "clarify" for c in cases]
    refused = [s["refused"] for s in scores]
    clarified = [s["clarified"] for s in scores]
    row: dict[str, Any] = {"cases": n, "exact": _ratio(sum(s["exact"] for s in scores), n)}
    for kind in KINDS:
        correct = sum(s["args"].get(kind, [0, 0])[0] for s in scores)
        total = sum(s["args"].get(kind, [0, 0])[1] for s in scores)
        row[kind] = _ratio(correct, total)
        row[f"{kind}_n"] = total
    both = lambda a, b: sum(x and y for x, y in zip(a, b))  # noqa: E731
    row.update(
        {
            "refuse_precision": _ratio(both(refused, expect_refuse), sum(refused)),
            "refuse_recall": _ratio(both(refused, expect_refuse), sum(expect_refuse)),
            "clarify_rate": _ratio(sum(clarified), n),
            "clarify_expected_rate": _ratio(sum(expect_clarify), n),
            "clarify_precision": _ratio(both(clarified, expect_clarify), sum(clarified)),
            "clarify_recall": _ratio(both(clarified, expect_clarify), sum(expect_clarify)),
            "ledger_calls_on_refuse": sum(
                s["ledger_calls"] for s, c in zip(scores, cases) if c.expected_reply == "refuse"
            ),
            "ledger_calls_on_clarify": sum(
                s["ledger_calls"] for s, c in zip(scores, cases) if c.expected_reply == "clarify"
            ),
            "ledger_calls_when_not_expected": sum(s["ledger_calls_when_not_expected"] for s in scores),
        }
    )
    return row


def evaluate(
    planners: dict[str, BaseChatModel],
    cases: Sequence[Case],
    system_prompt: str,
    max_steps: int = MAX_STEPS,
    progress: Callable[[Iterable[Case], str], Iterable[Case]] = lambda cases, name: cases,
) -> dict[str, Any]:
    """Every planner on every case: ``rows`` (one per planner and language, and "all") and ``cases`` (per-case
    outcomes and scores). ``progress`` wraps each planner's loop (a tqdm bar in the command)."""
    rows, outcomes = [], []
    for name, model in planners.items():
        bound = model.bind_tools(TOOLS)
        scored = []
        for case in progress(cases, name):
            outcome = run_case(bound, case, system_prompt, max_steps)
            result = score(case, outcome)
            scored.append(result)
            outcomes.append(
                {
                    "planner": name,
                    "id": case.id,
                    "lang": case.lang,
                    "text": case.text,
                    "expect": case.expect,
                    "calls": outcome.calls,
                    "reply": outcome.reply,
                    "reply_text": outcome.text,
                    "error": outcome.error,
                    **result,
                }
            )
        for lang in (*sorted({c.lang for c in cases}), "all"):
            group = [(c, s) for c, s in zip(cases, scored) if lang in ("all", c.lang)]
            rows.append({"planner": name, "lang": lang, **summarize([c for c, _ in group], [s for _, s in group])})
    return {"rows": rows, "cases": outcomes}
