"""Write the model card (README.md) of a trained model folder from its ``train_report.json``."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

SAMPLE_PROMPT = "ROMEO:\n"
SAMPLE_SEED = 7


def sample_text(model_dir: Path, max_new_tokens: int = 80) -> str:
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
    torch.manual_seed(SAMPLE_SEED)
    ids = tokenizer(SAMPLE_PROMPT, return_tensors="pt")["input_ids"]
    out = model.generate(
        ids,
        max_new_tokens=max_new_tokens,
        do_sample=True,
        temperature=0.8,
        top_k=50,
        top_p=0.95,
        pad_token_id=tokenizer.pad_token_id,
    )
    return tokenizer.decode(out[0], skip_special_tokens=True)


def write_model_card(model_dir: Path) -> Path:
    saved = json.loads((model_dir / "train_report.json").read_text())
    cfg, rep = saved["config"], saved["report"]
    size_mb = sum(p.stat().st_size for p in model_dir.iterdir() if p.is_file()) / 2**20
    card = f"""# muse-tiny-shakespeare

Muse's bundled default text model: a {rep["parameters"] / 1e6:.1f} M-parameter Llama-architecture causal LM
with its own byte-level BPE tokenizer ({cfg["vocab_size"]} tokens), both trained offline by
`muse train-text` on the public-domain tinyshakespeare corpus (`data/tinyshakespeare/`).
It writes Shakespeare-flavoured English; it is a demo model, not an assistant.

| | |
| --- | --- |
| architecture | Llama: {cfg["num_layers"]} layers, hidden {cfg["hidden_size"]}, {cfg["num_heads"]} heads, MLP {cfg["intermediate_size"]}, tied embeddings |
| context | trained on {cfg["context"]}-token windows; serves up to 1024 positions |
| data | tinyshakespeare: first {1 - cfg["eval_fraction"]:.0%} for training ({rep["train_tokens"]:,} tokens), last {cfg["eval_fraction"]:.0%} held out ({rep["heldout_tokens"]:,} tokens) |
| training | {rep["steps"]} AdamW steps of {cfg["batch_size"]} x {cfg["context"]} tokens ({rep["tokens_seen"]:,} tokens seen), lr {cfg["lr"]} cosine, seed {cfg["seed"]} |
| training time | {rep["train_seconds"] / 60:.1f} min on the 2-core development machine (CPU, {rep["torch_threads"]} torch threads) |
| final training loss | {rep["final_train_loss"]} |
| **held-out perplexity** | **{rep["heldout_perplexity"]}** (per token) |
| baseline: add-one bigram over the same tokens | {rep["bigram_baseline_perplexity"]} |
| checkpoint size | {size_mb:.1f} MB (float32 safetensors + tokenizer) |

Reproduce: `muse train-text` (defaults are the settings above; `--help` lists them).

Sample (`{SAMPLE_PROMPT.strip()}`, temperature 0.8, top-k 50, top-p 0.95, seed {SAMPLE_SEED}):

```
{sample_text(model_dir)}
```

Licence: the corpus is in the public domain; the weights are released with Muse under Apache-2.0.
"""
    path = model_dir / "README.md"
    path.write_text(card)
    return path
