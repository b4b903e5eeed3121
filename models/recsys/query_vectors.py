"""Embeddings of recent free-text queries, so that a query asked again is not run through the encoder again.

Embedding a query is the one expensive step of a works recommendation (about 10 ms of CPU for MiniLM on one core,
against well under a millisecond for the scoring); popular queries repeat. The least recently used entry goes first
past ``capacity``. Not locked: the Recommender uses it from its event loop only.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

CAPACITY = 4096  # 384 float32 each: about 6 MB


class QueryVectors:
    def __init__(self, capacity: int = CAPACITY):
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self._vectors)

    def get(self, text: str) -> np.ndarray | None:
        vector = self._vectors.get(text)
        if vector is not None:
            self._vectors.move_to_end(text)
        return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        self._vectors[text] = vector
        self._vectors.move_to_end(text)
        while len(self._vectors) > self.capacity:
            self._vectors.popitem(last=False)
