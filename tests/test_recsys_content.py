"""Cold start by content: MiniLM embeddings of title + genres + tags, and MMR re-ranking."""

import numpy as np
import pytest

from models.recsys.content import ContentIndex, item_text
from models.recsys.data import load_catalogue
from models.recsys.diversity import mmr
from core.paths import MOVIELENS


@pytest.fixture(scope="module")
def small_index():
    catalogue = load_catalogue(MOVIELENS / "movies.csv", MOVIELENS / "tags.csv")
    wanted = ["1", "2355", "4886", "8961", "2571", "1240", "33493", "260", "1721", "597", "2396", "1088"]
    rng = np.random.default_rng(0)
    others = rng.choice([i for i in catalogue.index if i not in wanted], 150, replace=False)
    ids = np.array(wanted + list(others))
    return catalogue, ContentIndex.build(catalogue, ids)


def test_item_text_combines_title_genres_and_tags():
    assert (
        item_text("Up (2009)", ["Animation"], ["pixar", "balloons"])
        == "Up (2009). Genres: Animation. Tags: pixar, balloons"
    )


def test_free_text_query_finds_matching_items(small_index):
    catalogue, index = small_index
    best, scores = index.search("romance on a sinking ship", 3)
    assert "Titanic (1997)" in [catalogue.at[index.item_ids[b], "title"] for b in best]
    assert np.all(np.diff(scores) <= 0)


def test_similar_items_share_content(small_index):
    catalogue, index = small_index
    toy_story = list(index.item_ids).index("1")
    best, _ = index.similar(toy_story, 5)
    assert toy_story not in best
    similar_genres = [catalogue.at[index.item_ids[b], "genres"] for b in best[:2]]
    assert all("Animation" in g for g in similar_genres), similar_genres  # 3 other animations in the set


def test_saved_index_loads_back(small_index, tmp_path):
    _, index = small_index
    index.save(tmp_path / "content.npz")
    loaded = ContentIndex.load(tmp_path / "content.npz")
    assert np.array_equal(loaded.item_ids, index.item_ids)
    assert np.allclose(loaded.embeddings, index.embeddings)


def test_mmr_hand_case():
    # items 0 and 1 are near-duplicates; 2 is different and slightly less relevant
    embeddings = np.array([[1, 0], [0.99, 0.141], [0, 1]], dtype=float)
    candidates, scores = np.array([0, 1, 2]), np.array([1.0, 0.95, 0.9])
    assert list(mmr(candidates, scores, embeddings, 2, 0.0)) == [0, 1]
    assert list(mmr(candidates, scores, embeddings, 2, 0.5)) == [0, 2]
    with pytest.raises(ValueError):
        mmr(candidates, scores, embeddings, 2, 1.5)
