"""Train muse-planner: tokenizer and a small Llama on the generated request -> plan corpus.

Each example is ``<|request|>{request}<|plan|>{target}<|endoftext|>``; the loss is on the target and EOS
only. Batches group examples of similar length (right-padded, so the causal mask needs no padding mask).
After training, greedy decoding of the grammar's held-out split (unseen seed, topics, words and phrasings)
gives the exact-output accuracy and the valid-output rate written to ``train_report.json`` and the card.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import torch
from tqdm import tqdm
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast

from models.planner.corpus import Example, generate
from models.planner.model_card import write_model_card
from models.planner.replies import is_reply, parse_calls
from models.planner.tokenizer import PLAN, REQUEST, train_tokenizer
from models.training import build_llama, cosine_lr, save_checkpoint
from models.planner.train_config import TrainConfig


@dataclass
class TrainReport:
    parameters: int
    train_examples: int
    train_tokens: int
    heldout_examples: int
    steps: int
    tokens_seen: int
    train_seconds: float
    tokens_per_second: float
    final_train_loss: float
    heldout_exact: float
    heldout_valid: float
    heldout_exact_by_language: dict[str, float] = field(default_factory=dict)
    heldout_exact_by_kind: dict[str, float] = field(default_factory=dict)
    mean_target_tokens: float = 0.0
    max_target_tokens: int = 0
    eval_seconds: float = 0.0
    torch_threads: int = 0


def encode(tokenizer: PreTrainedTokenizerFast, example: Example) -> tuple[list[int], int]:
    """Token ids of one example and where its target starts."""
    prompt = tokenizer(f"{REQUEST}{example.request}{PLAN}")["input_ids"]
    target = tokenizer(example.target)["input_ids"] + [tokenizer.eos_token_id]
    return prompt + target, len(prompt)


def batches(
    encoded: list[tuple[list[int], int]], batch_size: int, pad_id: int, rng: random.Random
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """One epoch: shuffled, grouped by length in pools of 50 batches, padded to the longest in each batch."""
    order = list(range(len(encoded)))
    rng.shuffle(order)
    pool = batch_size * 50
    out = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: len(encoded[i][0]))
        for b in range(0, len(chunk), batch_size):
            rows = [encoded[i] for i in chunk[b : b + batch_size]]
            width = max(len(ids) for ids, _ in rows)
            x = torch.full((len(rows), width), pad_id, dtype=torch.long)
            y = torch.full((len(rows), width), -100, dtype=torch.long)
            for r, (ids, cut) in enumerate(rows):
                x[r, : len(ids)] = torch.tensor(ids)
                y[r, cut : len(ids)] = torch.tensor(ids[cut:])
            out.append((x, y))
    rng.shuffle(out)
    return out


def plan_loss(model: LlamaForCausalLM, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy on the labelled (plan) positions only; the output layer runs on those alone,
    which saves about half its cost, since requests are about half the tokens."""
    hidden = model.model(input_ids=x).last_hidden_state[:, :-1]
    targets = y[:, 1:]
    keep = targets != -100
    return torch.nn.functional.cross_entropy(model.lm_head(hidden[keep]), targets[keep])


@torch.no_grad()
def plan(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast, requests: list[str], max_new_tokens: int = 200
) -> list[str]:
    """Greedy plans for requests, rendered by the chat template as a server would."""
    prompts = [
        tokenizer.apply_chat_template([{"role": "user", "content": r}], tokenize=False, add_generation_prompt=True)
        for r in requests
    ]
    batch = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
    out = model.generate(
        **batch,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return [tokenizer.decode(row[batch["input_ids"].shape[1] :], skip_special_tokens=True) for row in out]


def evaluate(
    model: LlamaForCausalLM, tokenizer: PreTrainedTokenizerFast, examples: list[Example], batch_size: int = 32
) -> dict:
    """Exact-output accuracy and valid-output rate (parses as tool calls, or is a known reply) with greedy
    decoding, overall, by language and by kind of request."""
    model.eval()
    outputs: list[str] = []
    for start in range(0, len(examples), batch_size):
        outputs += plan(model, tokenizer, [e.request for e in examples[start : start + batch_size]])
    exact = [out == e.target for out, e in zip(outputs, examples)]
    valid = [parse_calls(out) is not None or is_reply(out) for out in outputs]

    def rate(keep) -> float:
        chosen = [ok for ok, e in zip(exact, examples) if keep(e)]
        return round(sum(chosen) / max(1, len(chosen)), 4)

    return {
        "exact": round(sum(exact) / len(examples), 4),
        "valid": round(sum(valid) / len(examples), 4),
        "by_language": {lang: rate(lambda e, lang=lang: e.language == lang) for lang in ("en", "zh")},
        "by_kind": {kind: rate(lambda e, kind=kind: e.kind == kind) for kind in sorted({e.kind for e in examples})},
        "outputs": outputs,
    }


def train(cfg: TrainConfig, progress: bool = True) -> TrainReport:
    """Generate the corpus, train tokenizer and model, evaluate, save everything to ``cfg.out_dir``."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    examples = list(generate(cfg.train_examples, cfg.seed, "train"))
    heldout = list(generate(cfg.heldout_examples, cfg.seed + 1, "heldout"))
    tokenizer = train_tokenizer((text for e in examples for text in (e.request, e.target)), cfg.vocab_size)
    encoded = [pair for pair in (encode(tokenizer, e) for e in examples) if len(pair[0]) <= cfg.context]
    model = build_llama(
        tokenizer,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_layers=cfg.num_layers,
        num_heads=cfg.num_heads,
        max_positions=cfg.context,
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.1, betas=(0.9, 0.95))
    rng = random.Random(cfg.seed)
    queue: list[tuple[torch.Tensor, torch.Tensor]] = []
    model.train()
    started, tokens_seen, loss_value = time.perf_counter(), 0, float("nan")
    bar = tqdm(range(cfg.steps), desc="train-planner", unit="step", disable=not progress)
    for step in bar:
        if not queue:
            queue = batches(encoded, cfg.batch_size, tokenizer.pad_token_id, rng)
        x, y = queue.pop()
        lr = cosine_lr(step, cfg.lr, cfg.warmup_steps, cfg.steps)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss = plan_loss(model, x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss_value, tokens_seen = loss.item(), tokens_seen + x.numel()
        bar.set_postfix(loss=f"{loss_value:.3f}", lr=f"{lr:.2e}")
    train_seconds = time.perf_counter() - started

    eval_started = time.perf_counter()
    scores = evaluate(model, tokenizer, heldout)
    target_lengths = [len(ids) - cut for ids, cut in encoded]
    report = TrainReport(
        parameters=sum(p.numel() for p in model.parameters()),
        train_examples=len(encoded),
        train_tokens=sum(len(ids) for ids, _ in encoded),
        heldout_examples=len(heldout),
        steps=cfg.steps,
        tokens_seen=tokens_seen,
        train_seconds=round(train_seconds, 1),
        tokens_per_second=round(tokens_seen / train_seconds, 1),
        final_train_loss=round(loss_value, 4),
        heldout_exact=scores["exact"],
        heldout_valid=scores["valid"],
        heldout_exact_by_language=scores["by_language"],
        heldout_exact_by_kind=scores["by_kind"],
        mean_target_tokens=round(sum(target_lengths) / len(target_lengths), 1),
        max_target_tokens=max(target_lengths),
        eval_seconds=round(time.perf_counter() - eval_started, 1),
        torch_threads=torch.get_num_threads(),
    )
    save_checkpoint(model, tokenizer, cfg.out_dir, cfg, report)
    write_model_card(cfg.out_dir, heldout, scores["outputs"])
    return report
