"""The planner model's training settings (no torch import: the CLI builds its options from them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class TrainConfig:
    out_dir: Path = Path(__file__).parent / "bundled"
    train_examples: int = 48_000
    heldout_examples: int = 300
    vocab_size: int = 4000
    hidden_size: int = 192
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 512
    context: int = 384
    batch_size: int = 32
    steps: int = 1500
    lr: float = 3e-3
    warmup_steps: int = 100
    seed: int = 0
    # One thread: on the shared 2-core machine (load ~12) two torch threads ran 4-5x slower than one
    # (barrier waits on descheduled threads): 330 vs 1,600 tokens/s measured.
    threads: int = 1
