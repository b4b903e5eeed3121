"""The partial top-n the recommenders rank with, and the cache of query embeddings in front of the encoder."""

from __future__ import annotations

import numpy as np
import pytest

from models.recsys.query_vectors import QueryVectors
from models.recsys.ranking import top


@pytest.mark.parametrize("seed", range(5))
def test_top_is_the_head_of_a_stable_descending_sort(seed):
    rng = np.random.default_rng(seed)
    for _ in range(400):  # few distinct values: many ties, also at the cut; excluded (-inf) entries
        scores = rng.integers(0, 4, rng.integers(0, 40)).astype(float)
        scores[rng.random(len(scores)) < 0.3] = -np.inf
        n = int(rng.integers(0, 45))
        assert np.array_equal(top(scores, n), np.argsort(-scores, kind="stable")[:n]), (scores, n)


def test_top_of_nothing_is_empty():
    assert top(np.array([3.0, 1.0]), 0).tolist() == [] and top(np.zeros(0), 5).tolist() == []
    assert top(np.array([1.0, 5.0, 5.0, 2.0]), 2).tolist() == [1, 2]


def test_query_vectors_drop_the_least_recently_used():
    cache = QueryVectors(capacity=2)
    cache.put("sea", np.array([1.0]))
    cache.put("space", np.array([2.0]))
    assert cache.get("sea")[0] == 1.0  # now the most recent
    cache.put("love", np.array([3.0]))
    assert cache.get("space") is None and cache.get("sea")[0] == 1.0 and len(cache) == 2
    with pytest.raises(ValueError):
        QueryVectors(capacity=0)
