"""Train the bundled default text model: a small Llama on the public-domain Shakespeare corpus.

The model is a Llama-architecture causal LM so that transformers' continuous
batching (paged attention) serves it. The tokenizer is trained on the training
split only; the last ``eval_fraction`` of the corpus is held out for perplexity,
reported next to an add-one-smoothed bigram baseline on the same tokens.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

import torch
from tqdm import tqdm
from transformers import LlamaForCausalLM

from models.text.model_card import write_model_card
from models.text.tokenizer import train_tokenizer
from models.training import build_llama, cosine_lr, save_checkpoint
from models.text.train_config import TrainConfig


@dataclass
class TrainReport:
    parameters: int
    train_tokens: int
    heldout_tokens: int
    steps: int
    tokens_seen: int
    train_seconds: float
    final_train_loss: float
    heldout_perplexity: float
    bigram_baseline_perplexity: float
    torch_threads: int


def split_corpus(text: str, eval_fraction: float) -> tuple[str, str]:
    """Split at a line break near the cut so no line straddles train and held-out."""
    cut = text.rfind("\n", 0, int(len(text) * (1 - eval_fraction))) + 1
    return text[:cut], text[cut:]


def bigram_perplexity(train_ids: list[int], heldout_ids: list[int], vocab_size: int) -> float:
    """Perplexity of an add-one-smoothed token bigram model: the simple baseline for the model card."""
    pairs = Counter(zip(train_ids, train_ids[1:]))
    firsts = Counter(train_ids[:-1])
    nll = 0.0
    for prev, nxt in zip(heldout_ids, heldout_ids[1:]):
        nll -= math.log((pairs[(prev, nxt)] + 1) / (firsts[prev] + vocab_size))
    return math.exp(nll / (len(heldout_ids) - 1))


@torch.no_grad()
def heldout_perplexity(model: LlamaForCausalLM, ids: torch.Tensor, context: int, batch_size: int) -> float:
    """Perplexity over non-overlapping windows of the held-out tokens."""
    model.eval()
    n_windows = (len(ids) - 1) // context
    windows = ids[: n_windows * context + 1]
    total_nll, total_tokens = 0.0, 0
    for start in range(0, n_windows, batch_size):
        idx = torch.arange(start, min(start + batch_size, n_windows)) * context
        x = torch.stack([windows[i : i + context] for i in idx])
        y = torch.stack([windows[i + 1 : i + context + 1] for i in idx])
        logits = model(input_ids=x).logits
        total_nll += torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), y.reshape(-1), reduction="sum"
        ).item()
        total_tokens += y.numel()
    model.train()
    return math.exp(total_nll / total_tokens)


def train(cfg: TrainConfig, progress: bool = True) -> TrainReport:
    """Train tokenizer and model, save both to ``cfg.out_dir`` with ``train_report.json``."""
    torch.manual_seed(cfg.seed)
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    train_text, heldout_text = split_corpus(cfg.corpus.read_text(encoding="utf-8"), cfg.eval_fraction)
    train_file = cfg.out_dir / ".train_split.txt"
    train_file.write_text(train_text, encoding="utf-8")
    tokenizer = train_tokenizer(train_file, cfg.vocab_size)
    train_file.unlink()

    train_ids = tokenizer(train_text)["input_ids"]
    heldout_ids = tokenizer(heldout_text)["input_ids"]
    data = torch.tensor(train_ids, dtype=torch.long)
    model = build_llama(
        tokenizer,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_layers=cfg.num_layers,
        num_heads=cfg.num_heads,
        max_positions=cfg.context * 4,
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.1, betas=(0.9, 0.95))

    def lr_at(step: int) -> float:
        return cosine_lr(step, cfg.lr, cfg.warmup_steps, cfg.steps)

    model.train()
    started = time.perf_counter()
    loss_value = float("nan")
    bar = tqdm(range(cfg.steps), desc="train-text", unit="step", disable=not progress)
    for step in bar:
        starts = torch.randint(0, len(data) - cfg.context - 1, (cfg.batch_size,))
        x = torch.stack([data[s : s + cfg.context] for s in starts])
        y = torch.stack([data[s + 1 : s + cfg.context + 1] for s in starts])
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        loss = _shifted_loss(model, x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss_value = loss.item()
        bar.set_postfix(loss=f"{loss_value:.3f}", lr=f"{lr_at(step):.2e}")
    train_seconds = time.perf_counter() - started

    report = TrainReport(
        parameters=sum(p.numel() for p in model.parameters()),
        train_tokens=len(train_ids),
        heldout_tokens=len(heldout_ids),
        steps=cfg.steps,
        tokens_seen=cfg.steps * cfg.batch_size * cfg.context,
        train_seconds=round(train_seconds, 1),
        final_train_loss=round(loss_value, 4),
        heldout_perplexity=round(heldout_perplexity(model, torch.tensor(heldout_ids), cfg.context, cfg.batch_size), 2),
        bigram_baseline_perplexity=round(bigram_perplexity(train_ids, heldout_ids, len(tokenizer)), 2),
        torch_threads=torch.get_num_threads(),
    )
    save_checkpoint(model, tokenizer, cfg.out_dir, cfg, report)
    write_model_card(cfg.out_dir)
    return report


def _shifted_loss(model: LlamaForCausalLM, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy where ``y`` is already ``x`` shifted by one."""
    logits = model(input_ids=x).logits
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
