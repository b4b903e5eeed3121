"""What the assistant's tools reach, all behind one calling convention: ``await service.method.remote(...)``.

Inside Serve these are deployment handles (the gateway's own); in tests they are in-process objects behind
an adapter with the same shape. The assistant itself never imports Ray.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class Backends:
    """The services of one assistant. A plain class, not a dataclass, on purpose: LangChain validates and dumps
    a tool's runtime context with pydantic, which walks dataclasses, and a deployment handle answers *any*
    attribute (``__deepcopy__``, ``__pydantic_serializer__``) with another handle. Copies are the same object:
    these are connections, not data."""

    def __init__(
        self,
        generator: Any,
        recommender: Any,
        ledger: Any,
        history: Callable[[str], Sequence[tuple[str, float]]],
        model_id: str,
    ):
        self.generator = generator  # Generator: complete(prompt, params) -> {"text", ...}; ping()
        self.recommender = (
            recommender  # Recommender: recommend(request), search(text, limit), similar(item_id, k), item(id)
        )
        self.ledger = ledger  # LedgerService's methods
        self.history = history  # a platform user's (item, weight) interactions
        self.model_id = model_id  # the text model's public name, recorded as provenance

    def __copy__(self) -> Backends:
        return self

    def __deepcopy__(self, memo: dict) -> Backends:
        return self
