"""RecommenderService on a small MovieLens-style folder: every request path, fold-in, save and load; damaged
and concurrent cache files; retrains that take turns."""

import threading

import numpy as np
import pytest

from common.files import locked
from core.recs_model import load_or_train, model_path, retrain_lock, train_and_save
from models.recsys.content import ContentIndex
from models.recsys.recommenders import AlsParams
from models.recsys.service import RecommenderService, RecommendRequest, UnknownItem

GENRES = ["Animation|Children", "Horror|Thriller", "Romance|Drama"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("catalogue")
    rng = np.random.default_rng(1)
    movies = ["movieId,title,genres"] + [f"{i},Film {i} ({1990 + i}),{GENRES[i % 3]}" for i in range(30)]
    (path / "movies.csv").write_text("\n".join(movies) + "\n")
    (path / "tags.csv").write_text("userId,movieId,tag,timestamp\n1,0,talking toys,1\n")
    # users prefer one genre each: user u likes films with i % 3 == u % 3
    rows = ["userId,movieId,rating,timestamp"]
    for u in range(60):
        for i in rng.choice(30, 12, replace=False):
            rows.append(f"{u},{i},{5.0 if i % 3 == u % 3 else 1.0},{u * 100 + i}")
    (path / "ratings.csv").write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def service(folder):
    return RecommenderService.train(folder, folder / "cache", AlsParams(factors=4, iterations=10))


def test_each_request_path_gives_its_reason(service):
    assert service.recommend(RecommendRequest(user_id="0", k=3))[0].reason.startswith("because you liked")
    assert service.recommend(RecommendRequest(k=3))[0].reason == "popular with viewers"
    assert service.recommend(RecommendRequest(query="toys", k=3))[0].reason == "matches 'toys'"
    liked = service.recommend(RecommendRequest(liked_items=("0", "3"), k=5))
    assert {"0", "3"}.isdisjoint(r.id for r in liked)


def test_history_is_folded_in_and_changes_the_ranking(service):
    horror = service.recommend(RecommendRequest(history=(("1", 5.0), ("4", 5.0), ("7", 5.0)), k=5))
    romance = service.recommend(RecommendRequest(history=(("2", 5.0), ("5", 5.0), ("8", 5.0)), k=5))
    assert [r.id for r in horror] != [r.id for r in romance]


def test_genre_filter_and_unknown_items(service):
    for rec in service.recommend(RecommendRequest(user_id="1", k=4, genre="horror")):
        assert "Horror" in service.item(rec.id)["genres"]
    with pytest.raises(UnknownItem):
        service.recommend(RecommendRequest(liked_items=("999",)))
    assert service.unknown_items(["1", "999"]) == ["999"]


def test_saved_model_loads_with_the_same_answers(service, folder, tmp_path):
    service.save(tmp_path / "model.npz")
    loaded = RecommenderService.load(tmp_path / "model.npz", folder, folder / "cache")
    for request in (RecommendRequest(user_id="5"), RecommendRequest(liked_items=("0",)), RecommendRequest(k=2)):
        assert loaded.recommend(request) == service.recommend(request)
    assert loaded.similar("0", 3) == service.similar("0", 3)


def test_search_matches_titles_genres_and_tags_case_insensitively_most_interacted_first(service):
    assert [i["id"] for i in service.search("TALKING TOYS")] == ["0"]
    assert service.search("talking toys")[0]["tags"] == ["talking toys"]
    horror = service.search("horror", k=50)
    assert {i["id"] for i in horror} == {str(i) for i in range(1, 30, 3)}
    counts = [i["interactions"] for i in horror]
    assert counts == sorted(counts, reverse=True)
    assert [i["title"] for i in service.search("film 12 (2002)")] == ["Film 12 (2002)"]
    assert len(service.search("film", k=4)) == 4 and service.search("no such thing") == []
    assert service.search("horror\0toys") == []  # a match never spans two fields


# Damaged or concurrent cache files (the model and the content embeddings are rebuilt, never fatal).

DAMAGE = {
    "garbage": lambda valid: b"not an npz at all" * 10,
    "truncated": lambda valid: valid[: len(valid) // 2],
    "empty": lambda valid: b"",
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_content_cache_is_rebuilt_with_a_warning(service, folder, tmp_path, damage, caplog):
    service.save(tmp_path / "model.npz")
    cache = tmp_path / "cache" / "content-index.npz"
    cache.parent.mkdir()
    cache.write_bytes(DAMAGE[damage]((folder / "cache" / "content-index.npz").read_bytes()))
    loaded = RecommenderService.load(tmp_path / "model.npz", folder, cache.parent)
    assert "content-embedding cache" in caplog.text and "rebuilding" in caplog.text
    toys = RecommendRequest(query="toys", k=3)
    assert loaded.recommend(toys) == service.recommend(toys)
    assert np.allclose(ContentIndex.load(cache).embeddings, service.content.embeddings, atol=1e-5)


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_model_is_retrained_at_start(folder, tmp_path, monkeypatch, damage, caplog):
    monkeypatch.setenv("MUSE_HOME", str(tmp_path))
    load_or_train(folder)
    valid = model_path().read_bytes()
    model_path().write_bytes(DAMAGE[damage](valid))
    started = load_or_train(folder)  # a replica starting on the damaged file
    assert "unreadable" in caplog.text and "retraining" in caplog.text
    assert started.recommend(RecommendRequest(user_id="0", k=3))
    assert (
        RecommenderService.load(model_path(), folder, tmp_path / "recsys").item_ids.tolist()
        == started.item_ids.tolist()
    )


def test_concurrent_saves_leave_one_valid_file(service, folder, tmp_path):
    target, errors = tmp_path / "model.npz", []

    def save_repeatedly() -> None:
        try:
            for _ in range(5):
                service.save(target)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=save_repeatedly) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert RecommenderService.load(target, folder, folder / "cache").recommend(
        RecommendRequest(user_id="5")
    ) == service.recommend(RecommendRequest(user_id="5"))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary left behind


def test_a_retrain_waits_for_the_one_in_progress(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("MUSE_HOME", str(tmp_path))
    with locked(retrain_lock()):  # another retrain (say, the CLI's) holds the lock
        second = threading.Thread(target=train_and_save, args=(folder,))
        second.start()
        second.join(timeout=3)
        assert second.is_alive() and not model_path().exists()
    second.join(timeout=120)
    assert not second.is_alive() and RecommenderService.load(model_path(), folder, tmp_path / "recsys")
