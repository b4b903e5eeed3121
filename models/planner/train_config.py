"""The planner model's training settings (no torch import: the CLI builds its options from them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class TrainConfig:
    out_dir: Path = Path(__file__).parent / "bundled"
    train_examples: int = 200_000
    heldout_examples: int = 300
    vocab_size: int = 4000
    hidden_size: int = 192
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 512
    context: int = 384
    batch_size: int = 32
    steps: int = 6_000
    lr: float = 3e-3
    warmup_steps: int = 200
    seed: int = 0
    # Two threads on a quiet 2-core machine: 9,400 tokens/s (one: 4,700-5,100). On a loaded one pass --threads 1:
    # two threads then wait on each other's descheduled peer (330 vs 1,600 tokens/s measured under load ~12).
    threads: int = 2
