"""Write muse-planner's model card (README.md) from its ``train_report.json`` and held-out outputs."""

from __future__ import annotations

import json
from pathlib import Path

from models.planner.corpus import Example

SAMPLES = 8


def write_model_card(model_dir: Path, heldout: list[Example], outputs: list[str]) -> Path:
    saved = json.loads((model_dir / "train_report.json").read_text())
    cfg, rep = saved["config"], saved["report"]
    size_mb = sum(p.stat().st_size for p in model_dir.iterdir() if p.is_file()) / 2**20
    by_kind = "\n".join(f"| {kind} | {value:.1%} |" for kind, value in rep["heldout_exact_by_kind"].items())
    samples = "\n".join(
        f"- `{json.dumps(e.request, ensure_ascii=False)}`\n  -> `{out}`"
        for e, out in list(zip(heldout, outputs))[:SAMPLES]
    )
    card = f"""# muse-planner

Muse's bundled planner: a {rep["parameters"] / 1e6:.1f} M-parameter Llama-architecture causal LM with its own
byte-level BPE tokenizer ({len(json.loads((model_dir / "tokenizer.json").read_text())["model"]["vocab"]):,} BPE tokens
plus the contract's added tokens), trained from scratch by `muse train-planner` on requests to Muse's assistant, in
English and Chinese, each paired with its plan. It reads one request and answers with the whole plan as Hermes tool
calls (`<tool_call>{{"name": ..., "arguments": {{...}}}}</tool_call>`, later calls referring to earlier results as
`"$N.path"`), or with one fixed reply text (a clarifying question, a refusal, or help). It knows the tools of
`assistant/tools.py` by training; it is not a chat model.

## Prompt format

The chat template renders `<|request|>` + the user messages' text (joined by a new line) + `<|plan|>`; system,
assistant and tool messages and `tools` are ignored. Generation ends with `<|endoftext|>` (the EOS token).
`<tool_call>` and `</tool_call>` are single non-special tokens, so a decode that skips special tokens keeps them.
Plans are short: {rep["mean_target_tokens"]} tokens on average in training, at most {rep["max_target_tokens"]}.

## Data

All generated, none collected: `models/planner/corpus.py` is a grammar over the assistant's intents (write,
write and register, register quoted text, set license terms, write + register + offer, buy, grant, verify,
account and royalties, earnings, my works, recommend, works to license or like mine, search, work details and
rights questions; clarifying questions, refusals and help), with many verbs, word orders, forms, random topics and
noun phrases, prices and units, percentages in words and digits, random 0x addresses, co-authors, license
templates, politeness, typos and multi-sentence requests. In training, 35% of topics, quoted texts and titles are
invented words or random Chinese characters, which no model could memorise: it must copy what the request says.
The grammar writes each label as it writes the request, so labels are exact.

| | |
| --- | --- |
| training examples | {rep["train_examples"]:,} (seed {cfg["seed"]}, {rep["train_tokens"]:,} tokens) |
| held-out examples | {rep["heldout_examples"]:,}: seed {cfg["seed"] + 1} and the grammar's held-out split (every 8th topic, noun, adjective, verb and phrasing of each word list is never used in training) |

## Training

| | |
| --- | --- |
| architecture | Llama: {cfg["num_layers"]} layers, hidden {cfg["hidden_size"]}, {cfg["num_heads"]} heads, MLP {cfg["intermediate_size"]}, tied embeddings, context {cfg["context"]} |
| objective | next-token cross-entropy on the plan and EOS only (the request is context) |
| training | {rep["steps"]} AdamW steps of {cfg["batch_size"]} examples, lr {cfg["lr"]} cosine, seed {cfg["seed"]}; {rep["tokens_seen"]:,} tokens (with padding) |
| training time | {rep["train_seconds"] / 60:.1f} min on the 2-core development machine (CPU, {rep["torch_threads"]} torch threads, shared), {rep["tokens_per_second"]:,.0f} tokens/s |
| final training loss | {rep["final_train_loss"]} |
| checkpoint size | {size_mb:.1f} MB (float32 safetensors + tokenizer) |

## Held-out results (greedy decoding)

| | |
| --- | --- |
| **exact output** (the whole plan, character for character) | **{rep["heldout_exact"]:.1%}** |
| valid output (well-formed tool calls, or one of the known reply texts) | {rep["heldout_valid"]:.1%} |
| exact, English / Chinese | {rep["heldout_exact_by_language"]["en"]:.1%} / {rep["heldout_exact_by_language"]["zh"]:.1%} |

| request kind | exact |
| --- | --- |
{by_kind}

Held-out samples (request -> greedy output):

{samples}

Reproduce: `muse train-planner` (defaults are the settings above; `--help` lists them).

Limits: it plans only what the grammar covers; requests far from it may get a wrong plan, which the assistant
shows for approval before anything changes on the ledger. Licence: Apache-2.0, with Muse.
"""
    path = model_dir / "README.md"
    path.write_text(card)
    return path
