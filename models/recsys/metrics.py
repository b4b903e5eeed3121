"""Top-k ranking metrics for one user, and list-level ones over all users' recommendations.

Relevance is binary. ``recommended`` is a ranked list of item indices, ``relevant`` a set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def precision_at_k(recommended: Sequence[int], relevant: set[int], k: int) -> float:
    return sum(1 for item in recommended[:k] if item in relevant) / k


def recall_at_k(recommended: Sequence[int], relevant: set[int], k: int) -> float:
    if not relevant:
        return 0.0
    return sum(1 for item in recommended[:k] if item in relevant) / len(relevant)


def ndcg_at_k(recommended: Sequence[int], relevant: set[int], k: int) -> float:
    dcg = sum(1 / math.log2(rank + 2) for rank, item in enumerate(recommended[:k]) if item in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def average_precision_at_k(recommended: Sequence[int], relevant: set[int], k: int) -> float:
    """AP@k normalised by ``min(|relevant|, k)``, so a perfect list scores 1."""
    hits, total = 0, 0.0
    for rank, item in enumerate(recommended[:k]):
        if item in relevant:
            hits += 1
            total += hits / (rank + 1)
    return total / min(len(relevant), k) if relevant else 0.0


def coverage(lists: Sequence[Sequence[int]], n_items: int) -> float:
    """Share of the catalogue that appears in at least one list."""
    return len({item for items in lists for item in items}) / n_items


def novelty(lists: Sequence[Sequence[int]], popularity: np.ndarray) -> float:
    """Mean self-information ``-log2 p(item)`` of recommended items; ``popularity[i]`` is the share of
    users who interacted with item ``i`` (unseen items count as one user)."""
    floor = popularity[popularity > 0].min() if (popularity > 0).any() else 1.0
    values = [-math.log2(max(popularity[item], floor)) for items in lists for item in items]
    return float(np.mean(values)) if values else 0.0


def intra_list_diversity(lists: Sequence[Sequence[int]], features: np.ndarray) -> float:
    """Mean over lists of the mean pairwise cosine distance between the items' feature vectors."""
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    unit = np.divide(features, norms, out=np.zeros_like(features, dtype=np.float64), where=norms > 0)
    scores = []
    for items in lists:
        if len(items) < 2:
            continue
        vectors = unit[list(items)]
        similarity = vectors @ vectors.T
        n = len(items)
        scores.append(1 - (similarity.sum() - np.trace(similarity)) / (n * (n - 1)))
    return float(np.mean(scores)) if scores else 0.0
