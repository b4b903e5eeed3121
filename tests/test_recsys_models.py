"""Data loading, the temporal split, the recommenders' contract, and the MovieLens protocol."""

import numpy as np
import pandas as pd

from models.recsys.data import Matrix, load_catalogue, load_interactions
from models.recsys.evaluate import run_protocol, split_by_time
from models.recsys.recommenders import (
    AlsParams,
    AlsRecommender,
    ItemKnnRecommender,
    PopularityRecommender,
)
from core.paths import MOVIELENS


def interactions(rows):
    return pd.DataFrame(rows, columns=["user", "item", "weight", "timestamp"])


def test_movielens_loads_with_catalogue_tags():
    ratings = load_interactions(MOVIELENS / "ratings.csv")
    # 100,004 MovieLens ratings by 671 users, plus 16 rows of a user 672 (one pair twice) in this copy
    assert len(ratings) == 100_019 and ratings["user"].nunique() == 672
    assert not ratings.duplicated(["user", "item"]).any()
    catalogue = load_catalogue(MOVIELENS / "movies.csv", MOVIELENS / "tags.csv")
    assert catalogue.at["1", "title"] == "Toy Story (1995)"
    assert "Animation" in catalogue.at["1", "genres"]
    assert any(len(tags) for tags in catalogue["tags"])


def test_a_rerating_replaces_the_earlier_one(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("user,item,weight,timestamp\nu,i,2.0,1\nu,i,5.0,9\nu,j,1.0,3\n")
    frame = load_interactions(path)
    assert sorted(zip(frame["item"], frame["weight"])) == [("i", 5.0), ("j", 1.0)]


def test_split_holds_out_each_users_latest_fifth():
    rows = [("a", str(i), 5.0, i) for i in range(10)] + [("b", "x", 3.0, 1), ("b", "y", 3.0, 2)]
    train, heldout = split_by_time(interactions(rows))
    assert sorted(heldout["item"]) == ["8", "9"]  # a's two latest; b has too few ratings to split
    assert set(train["user"]) == {"a", "b"} and len(train) == 10


def test_matrix_sums_duplicates_and_drops_unknown_items():
    frame = interactions([("u", "i1", 2.0, 1), ("u", "i1", 3.0, 2), ("u", "zz", 1.0, 3)])
    matrix = Matrix.build(frame, np.array(["i1", "i2"]))
    assert matrix.matrix.toarray().tolist() == [[5.0, 0.0]]
    assert matrix.item_index == {"i1": 0, "i2": 1}


def test_every_recommender_ranks_and_never_repeats_seen_items():
    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"i{i}", float(rng.integers(1, 6)), 0) for u in range(40) for i in rng.choice(60, 12, False)]
    matrix = Matrix.build(interactions(rows), np.array([f"i{i}" for i in range(60)]))
    for model in (AlsRecommender(AlsParams(factors=8, iterations=5)), ItemKnnRecommender(), PopularityRecommender()):
        model.fit(matrix.matrix)
        items, scores = model.recommend(np.arange(40), matrix.matrix, 5)
        assert items.shape == (40, 5)
        assert np.all(np.diff(scores, axis=1) <= 1e-6), model.name
        for user, row in enumerate(items):
            assert not set(row) & set(matrix.matrix[user].indices), model.name


def test_movielens_als_beats_popularity_by_a_third():
    grid = {"factors": [16, 32], "regularization": [0.1], "alpha": [1.0, 5.0]}
    report = run_protocol(MOVIELENS, grid=grid, progress=False)
    models = report["models"]
    assert report["als_ndcg_vs_popularity"] >= 1.3, models
    assert models["als"]["coverage"] > models["popularity"]["coverage"]
    assert models["als"]["novelty"] > models["popularity"]["novelty"]
    assert len(report["grid"]) == 4
