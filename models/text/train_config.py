"""The bundled text model's training settings (no torch import: the CLI builds its options from them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class TrainConfig:
    corpus: Path
    out_dir: Path
    vocab_size: int = 2048
    hidden_size: int = 256
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 768
    context: int = 256
    batch_size: int = 16
    steps: int = 1200
    lr: float = 3e-3
    warmup_steps: int = 100
    eval_fraction: float = 0.1
    seed: int = 0
