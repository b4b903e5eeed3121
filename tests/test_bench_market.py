"""``muse bench market`` on a small world (in process, no Ray): the Gini coefficient, and Muse's policy showing
every new work while popularity and pure ALS leave new works unseen."""

from __future__ import annotations

import numpy as np

from muse.bench.market import MarketConfig, gini, run_market_bench


def test_gini_is_zero_for_equal_exposure_and_near_one_for_one_winner():
    assert gini(np.array([5, 5, 5, 5])) == 0.0
    assert gini(np.array([0, 0, 0, 100])) == 0.75  # (n - 1) / n with n = 4
    assert gini(np.zeros(3)) == 0.0


def test_a_small_market_side_by_side(tmp_path):
    config = MarketConfig(users=60, creators=10, initial_works=20, works=60, requests=900, retrain_every=100)
    rows = {r["policy"]: r for r in run_market_bench(config, tmp_path, tmp_path / "market.png")}
    assert set(rows) == {"popularity", "ALS", "muse"}
    assert rows["muse"]["new_never_seen"] == 0.0 and rows["popularity"]["new_never_seen"] > 0.5
    assert rows["muse"]["gini"] < rows["popularity"]["gini"]
    assert rows["muse"]["hit_rate"] > rows["popularity"]["hit_rate"]
    assert (tmp_path / "bench-market.json").exists() and (tmp_path / "market.png").exists()
