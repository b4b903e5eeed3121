"""What the assistant's tools reach, all behind one calling convention: ``await service.method.remote(...)``.

Inside Serve these are deployment handles (the gateway's own); in tests they are in-process objects behind
an adapter with the same shape. The assistant itself never imports Ray.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Backends:
    generator: Any  # Generator: complete(prompt, params) -> {"text", ...}; ping()
    recommender: Any  # Recommender: recommend(request), search(text, limit), similar(item_id, k), item(item_id)
    ledger: Any  # LedgerService's methods
    history: Callable[[str], Sequence[tuple[str, float]]]  # a platform user's (item, weight) interactions
    model_id: str  # the text model's public name, recorded as provenance
