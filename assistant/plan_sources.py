"""Where a turn's plan comes from: the rules (``assistant.intents``), or a model reached by OpenAI tool calling.

A model is asked once per request, with Muse's tools bound, and answers with the whole plan as tool calls in
order (or with a reply: a question, a refusal, help). An argument written ``"$N.path"`` stands for field
``path`` of call N's result (1-based), which is how the text it generates in call 1 is what call 2 registers:
the same data flow the rules express with ``Ref``. The muse-planner model (``models/planner``) is trained to
answer this way; an instruct model learns it from ``PLAN_INSTRUCTIONS``.

The rules stay where rules are right, around any model: ``guard`` refuses prompt injection and acts on others'
works before a model is asked, and a plan is checked before it runs (known tools, known and required
arguments, references to earlier calls only). A plan that fails the check is not run: the user gets help.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.runnables import Runnable

from assistant.copy_spans import request_tools
from assistant.intents import (
    HELP,
    QUESTIONS,
    REFUSALS,
    Language,
    Plan,
    Ref,
    Reply,
    Step,
    guard,
    language_of,
    read_request,
)
from assistant.tools import TOOLS

REFERENCE = re.compile(r"^\$(\d+)\.([A-Za-z0-9_.]+)$")
PLAN_INSTRUCTIONS = (
    "Plan the whole request at once: answer with every tool call it needs, in order, in one message. To use a "
    "field of an earlier call's result, write the argument as \"$N.field\" (N counts this message's calls from "
    '1; for example "$1.text" is the text call 1 generates, "$2.id" the work call 2 registers). If something '
    "required is missing, ask one short question instead; if the request must be refused, say so."
)
_TOOL_FIELDS = {t.name: t.tool_call_schema.model_fields for t in TOOLS}


@runtime_checkable
class PlanSource(Protocol):
    """Reads one request into a plan or a reply."""

    def plan(self, request: str) -> Plan | Reply: ...

    async def aplan(self, request: str) -> Plan | Reply: ...


class RulesPlanSource:
    """The offline rules: no model, microseconds per request."""

    def plan(self, request: str) -> Plan | Reply:
        return read_request(request)

    async def aplan(self, request: str) -> Plan | Reply:
        return read_request(request)


class ModelPlanSource:
    """A chat model that does tool calling (``ChatOpenAI`` at Muse's own ``/v1``, at vLLM, at any endpoint).

    With ``copy_spans``, each request binds the tools as ``strict`` schemas whose copy arguments (topic, texts,
    titles, queries, addresses) only admit spans of that request (``assistant.copy_spans``): a server that
    applies strict schemas (Muse's, by constrained decoding) then never lets the model write a topic it
    memorised instead of the user's. Leave it off for an endpoint that refuses such schemas (OpenAI's strict
    mode, for one, wants every argument required)."""

    def __init__(self, model: BaseChatModel, system_prompt: str, copy_spans: bool = False):
        self._chat = model
        self._model: Runnable = model.bind_tools(TOOLS)
        self._copy_spans = copy_spans
        self._system = f"{system_prompt}\n\n{PLAN_INSTRUCTIONS}"

    def _messages(self, request: str) -> list:
        return [SystemMessage(self._system), HumanMessage(request)]

    def _bound(self, request: str) -> Runnable:
        return self._chat.bind_tools(request_tools(request)) if self._copy_spans else self._model

    def plan(self, request: str) -> Plan | Reply:
        return guard(request) or read_answer(self._bound(request).invoke(self._messages(request)), language_of(request))

    async def aplan(self, request: str) -> Plan | Reply:
        return guard(request) or read_answer(
            await self._bound(request).ainvoke(self._messages(request)), language_of(request)
        )


def read_answer(answer: Any, language: Language) -> Plan | Reply:
    """A model's answer as a checked plan, or as a reply (its kind read from the text)."""
    if not isinstance(answer, AIMessage):
        return Reply(HELP[language], "help", language)
    if not answer.tool_calls:
        return reply_of(answer.text.strip(), language)
    try:
        return Plan(
            tuple(step_of(call["name"], call["args"], index) for index, call in enumerate(answer.tool_calls)), language
        )
    except ValueError:
        return Reply(HELP[language], "help", language)


def step_of(tool: str, args: dict[str, Any], index: int) -> Step:
    """Call ``index`` of a plan (0-based) as a step: its tool known, its arguments known and complete, and
    its references pointing to earlier calls. Raises ``ValueError`` otherwise."""
    fields = _TOOL_FIELDS.get(tool)
    if fields is None:
        raise ValueError(f"unknown tool {tool!r}")
    unknown = set(args) - set(fields)
    missing = {name for name, field in fields.items() if field.is_required()} - set(args)
    if unknown or missing:
        raise ValueError(f"{tool}: unknown {sorted(unknown)}, missing {sorted(missing)}")
    return Step(tool, {name: _reference(value, index) for name, value in args.items()})


def _reference(value: Any, index: int) -> Any:
    found = REFERENCE.match(value) if isinstance(value, str) else None
    if found is None:
        return value
    step = int(found.group(1)) - 1
    if not 0 <= step < index:
        raise ValueError(f"{value!r} does not name an earlier call")
    return Ref(step, found.group(2))


def reference_text(value: Any) -> Any:
    """A step's argument as a model writes it: a ``Ref`` as ``"$N.path"``."""
    return f"${value.step + 1}.{value.path}" if isinstance(value, Ref) else value


def plan_from_view(view: Sequence[dict[str, Any]], language: Language) -> Plan:
    """The plan written out in a message (``plan_view``), read back."""
    return Plan(tuple(step_of(step["tool"], step["args"], index) for index, step in enumerate(view)), language)


def reply_of(text: str, language: Language) -> Reply:
    """A model's reply: a refusal or help text Muse knows, else a question (clarify) or an answer (help)."""
    if any(text == texts[language] for texts in REFUSALS.values()):
        return Reply(text, "refuse", language)
    if text == HELP[language] or not text:
        return Reply(text or HELP[language], "help", language)
    if any(_fills(template[language], text) for template in QUESTIONS.values()) or text.endswith(("?", "？")):
        return Reply(text, "clarify", language)
    return Reply(text, "help", language)


def _fills(template: str, text: str) -> bool:
    pattern = re.escape(template).replace(re.escape("{form}"), ".+")
    return re.fullmatch(pattern, text) is not None
