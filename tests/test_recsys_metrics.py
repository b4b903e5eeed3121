"""Ranking metrics against small cases computed by hand."""

import math

import numpy as np
import pytest

from models.recsys import metrics


def test_precision_recall_on_a_hand_case():
    recommended, relevant = [5, 1, 7, 3], {1, 3, 9}
    assert metrics.precision_at_k(recommended, relevant, 4) == pytest.approx(2 / 4)
    assert metrics.recall_at_k(recommended, relevant, 4) == pytest.approx(2 / 3)
    assert metrics.precision_at_k(recommended, relevant, 2) == pytest.approx(1 / 2)


def test_ndcg_on_a_hand_case():
    # hits at ranks 2 and 4: DCG = 1/log2(3) + 1/log2(5); ideal for 3 relevant at k=4: 1 + 1/log2(3) + 1/log2(4)
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3) + 0.5)
    assert metrics.ndcg_at_k([5, 1, 7, 3], {1, 3, 9}, 4) == pytest.approx(expected)
    assert metrics.ndcg_at_k([1, 3, 9], {1, 3, 9}, 3) == pytest.approx(1.0)
    assert metrics.ndcg_at_k([4, 5], {1}, 2) == 0.0


def test_average_precision_on_a_hand_case():
    # hits at ranks 2 and 4: (1/2 + 2/4) / min(3, 4)
    assert metrics.average_precision_at_k([5, 1, 7, 3], {1, 3, 9}, 4) == pytest.approx((0.5 + 0.5) / 3)
    assert metrics.average_precision_at_k([1, 3], {1, 3}, 2) == pytest.approx(1.0)


def test_coverage_novelty_diversity():
    assert metrics.coverage([[0, 1], [1, 2]], 10) == pytest.approx(0.3)
    popularity = np.array([0.5, 0.25, 0.0])
    # item 2 was never seen: it counts as the rarest seen item (0.25)
    assert metrics.novelty([[0, 1], [2]], popularity) == pytest.approx((1 + 2 + 2) / 3)
    features = np.array([[1, 0], [0, 1], [1, 0]], dtype=float)
    assert metrics.intra_list_diversity([[0, 1]], features) == pytest.approx(1.0)
    assert metrics.intra_list_diversity([[0, 2]], features) == pytest.approx(0.0)
