"""Maximal marginal relevance (Carbonell & Goldstein 1998): trade relevance for variety in a list."""

from __future__ import annotations

import numpy as np


def mmr(candidates: np.ndarray, scores: np.ndarray, embeddings: np.ndarray, k: int, diversity: float) -> np.ndarray:
    """Pick ``k`` of ``candidates`` (ranked best first) greedily by
    ``(1 - diversity) * relevance - diversity * max similarity to the items already picked``.

    Relevance is the candidates' scores rescaled to [0, 1]; ``diversity=0`` keeps the original order.
    ``embeddings`` rows are unit vectors indexed by item.
    """
    if not 0.0 <= diversity <= 1.0:
        raise ValueError("diversity must be between 0 and 1")
    k = min(k, len(candidates))
    if diversity == 0.0 or k == 0:
        return candidates[:k]
    span = scores.max() - scores.min()
    relevance = (scores - scores.min()) / span if span > 0 else np.ones_like(scores)
    vectors = embeddings[candidates]
    similarity = vectors @ vectors.T
    chosen = [0]
    closest = similarity[0].copy()  # each candidate's max similarity to the chosen ones
    available = np.ones(len(candidates), dtype=bool)
    available[0] = False
    while len(chosen) < k:
        value = np.where(available, (1 - diversity) * relevance - diversity * closest, -np.inf)
        pick = int(np.argmax(value))
        chosen.append(pick)
        available[pick] = False
        closest = np.maximum(closest, similarity[pick])
    return candidates[chosen]
