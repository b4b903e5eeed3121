"""``muse eval-assistant``: the planners side by side on the frozen request set; a table and a JSON report."""

from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from assistant.agent import SYSTEM_PROMPT, ModelSettings, chat_model
from assistant.evaluation import KINDS, REQUESTS, REQUESTS_SHA256, evaluate, file_sha256, load_cases
from muse.bench.report import print_table, write_json

COLUMNS = [
    ("planner", "planner"),
    ("lang", "lang"),
    ("cases", "cases"),
    ("exact", "exact"),
    *[(kind, kind) for kind in KINDS],
    ("refuse_precision", "refuse_P"),
    ("refuse_recall", "refuse_R"),
    ("clarify_rate", "clarify_rate"),
    ("clarify_recall", "clarify_R"),
    ("ledger_calls_on_refuse", "ledger@refuse"),
    ("ledger_calls_on_clarify", "ledger@clarify"),
]


def run_eval_assistant(
    base_url: str | None,
    model: str | None,
    requests: Path | None,
    langs: list[str] | None,
    limit: int | None,
    max_steps: int,
    rules: bool,
    out: Path,
    copy_spans: bool = True,
) -> dict:
    requests = requests or REQUESTS
    cases = [c for c in load_cases(requests) if not langs or c.lang in langs]
    cases = cases[:limit] if limit else cases
    planners = {"rules": chat_model(ModelSettings())} if rules else {}
    if base_url:
        model = model or ModelSettings().model
        name = f"model:{model}" + ("" if copy_spans else " (free arguments)")
        planners[name] = chat_model(ModelSettings("model", base_url, model, copy_spans))
    if not planners:
        raise SystemExit("error: no planner to evaluate (--no-rules needs --base-url)")
    report = evaluate(
        planners, cases, SYSTEM_PROMPT, max_steps, progress=lambda items, name: tqdm(items, desc=name, unit="case")
    )
    print_table([{k: "-" if v is None else v for k, v in row.items()} for row in report["rows"]], COLUMNS)
    digest = file_sha256(requests)
    frozen = digest == REQUESTS_SHA256
    path = write_json(
        out,
        "eval-assistant",
        {
            "requests": str(requests),
            "requests_sha256": digest,
            "frozen_set": frozen,
            "cases_run": len(cases),
            "max_steps": max_steps,
            **report,
        },
    )
    print(
        f"requests: {requests} ({'the frozen set' if frozen else 'NOT the frozen set'}, sha256 {digest[:12]}…, "
        f"{len(cases)} cases); wrote {path}"
    )
    return report
