"""The offline evaluation protocol behind ``muse eval-recs``.

1. Every rating is an interaction whose confidence grows with the rating (ALS ``alpha`` x stars).
2. Per user, by time: the latest 20% of a user's ratings form the **test** set; of the rest, the
   latest 20% form the **validation** set. Users with fewer than 5 ratings stay wholly in training.
3. A held-out item is **relevant** when rated >= 4 stars; users without a relevant held-out item are
   not scored. Items a user already has in training are never recommended.
4. ALS hyperparameters are chosen by nDCG@10 on validation (training on the first 64%); then every
   model is trained on train + validation (80%) and scored once on test.
5. Metrics @10: precision, recall, nDCG, MAP; over all scored users: catalogue coverage, novelty
   (mean -log2 of the share of users who know the item) and intra-list diversity (mean pairwise
   cosine distance of the items' genre vectors).
"""

from __future__ import annotations

import itertools
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from models.recsys import metrics
from models.recsys.data import Matrix, load_catalogue, load_interactions
from models.recsys.recommenders import AlsParams, AlsRecommender, ItemKnnRecommender, PopularityRecommender

K = 10
RELEVANT_RATING = 4.0
HELDOUT_FRACTION = 0.2
MIN_RATINGS_TO_SPLIT = 5
ALS_GRID = {"factors": [16, 32, 64, 128], "regularization": [0.01, 0.1, 1.0], "alpha": [0.5, 1.0, 5.0, 20.0]}


def split_by_time(interactions: pd.DataFrame, fraction: float = HELDOUT_FRACTION) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The latest ``fraction`` of each user's interactions (at least one) go to the second frame."""
    ordered = interactions.sort_values(["user", "timestamp", "item"], kind="stable")
    position = ordered.groupby("user").cumcount()
    size = ordered.groupby("user")["item"].transform("size")
    heldout_n = np.maximum(1, np.floor(size * fraction)).astype(int)
    heldout = (size >= MIN_RATINGS_TO_SPLIT) & (position >= size - heldout_n)
    return ordered[~heldout], ordered[heldout]


def genre_features(catalogue: pd.DataFrame, item_ids: np.ndarray) -> np.ndarray:
    genres = sorted({g for gs in catalogue["genres"] for g in gs})
    column = {g: i for i, g in enumerate(genres)}
    features = np.zeros((len(item_ids), len(genres)), dtype=np.float32)
    for row, item in enumerate(item_ids):
        for genre in catalogue.at[item, "genres"] if item in catalogue.index else []:
            features[row, column[genre]] = 1.0
    return features


def score(model, train: Matrix, heldout: pd.DataFrame, features: np.ndarray) -> dict[str, float]:
    """Fit nothing: rank for every user with a relevant held-out item and average the metrics."""
    relevant_rows = heldout[heldout["weight"] >= RELEVANT_RATING]
    relevant: dict[int, set[int]] = {}
    for user, item in zip(relevant_rows["user"], relevant_rows["item"]):
        if user in train.user_index and item in train.item_index:
            relevant.setdefault(train.user_index[user], set()).add(train.item_index[item])
    users = np.array(sorted(relevant))
    items, _ = model.recommend(users, train.matrix, K)
    lists = [list(row) for row in items]
    per_user = {
        name: np.mean([fn(lst, relevant[u], K) for u, lst in zip(users, lists)])
        for name, fn in (
            ("precision@10", metrics.precision_at_k),
            ("recall@10", metrics.recall_at_k),
            ("ndcg@10", metrics.ndcg_at_k),
            ("map@10", metrics.average_precision_at_k),
        )
    }
    popularity = np.asarray((train.matrix > 0).sum(axis=0)).ravel() / train.matrix.shape[0]
    return {
        **{k: float(v) for k, v in per_user.items()},
        "coverage": metrics.coverage(lists, train.matrix.shape[1]),
        "novelty": metrics.novelty(lists, popularity),
        "diversity": metrics.intra_list_diversity(lists, features),
        "users": len(users),
    }


def select_als_params(
    train: Matrix,
    validation: pd.DataFrame,
    features: np.ndarray,
    grid: dict[str, list] = ALS_GRID,
    progress: bool = True,
) -> tuple[AlsParams, list[dict]]:
    """Grid search on the validation split; returns the best parameters and every trial."""
    trials = []
    combos = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    for combo in tqdm(combos, desc="ALS grid (validation)", disable=not progress):
        params = AlsParams(**combo)
        model = AlsRecommender(params)
        model.fit(train.matrix)
        trials.append({**combo, "ndcg@10": score(model, train, validation, features)["ndcg@10"]})
    best = max(trials, key=lambda t: t["ndcg@10"])
    return AlsParams(**{k: best[k] for k in grid}), trials


def run_protocol(data_dir: Path, grid: dict[str, list] = ALS_GRID, progress: bool = True) -> dict:
    """The whole protocol on a MovieLens-style folder; returns the report (models' test metrics first)."""
    interactions = load_interactions(data_dir / "ratings.csv")
    catalogue = load_catalogue(data_dir / "movies.csv", data_dir / "tags.csv")
    item_ids = np.array(sorted(set(catalogue.index) | set(interactions["item"])))
    users = np.array(sorted(interactions["user"].unique()))
    features = genre_features(catalogue, item_ids)

    fit_val, test = split_by_time(interactions)
    fit, validation = split_by_time(fit_val)
    best, trials = select_als_params(Matrix.build(fit, item_ids, users), validation, features, grid, progress)

    train = Matrix.build(fit_val, item_ids, users)
    results = {}
    for model in (AlsRecommender(best), PopularityRecommender(), ItemKnnRecommender()):
        model.fit(train.matrix)
        results[model.name] = score(model, train, test, features)
    ratio = results["als"]["ndcg@10"] / results["popularity"]["ndcg@10"]
    return {
        "models": results,
        "als_params": asdict(best),
        "als_ndcg_vs_popularity": ratio,
        "grid": trials,
        "protocol": __doc__.strip(),
    }
