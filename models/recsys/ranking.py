"""The best ``n`` of a catalogue's scores without sorting the whole catalogue."""

from __future__ import annotations

import numpy as np


def top(scores: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` highest scores, best first, equal scores in index order: the first ``n`` of a stable
    descending sort, found with a partial sort (linear in the catalogue, ``n log n`` for the order)."""
    n = max(0, min(n, len(scores)))
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n < len(scores):
        cut = np.partition(scores, len(scores) - n)[len(scores) - n]  # the n-th highest
        above = np.flatnonzero(scores > cut)
        best = np.concatenate([above, np.flatnonzero(scores == cut)[: n - len(above)]])
        best.sort()
    else:
        best = np.arange(len(scores))
    return best[np.argsort(-scores[best], kind="stable")]
