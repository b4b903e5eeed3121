"""The works catalogue on the real offline MiniLM encoder: works added while serving, every request path, and
the works a user owns or licensed never recommended to them."""

from __future__ import annotations

import numpy as np
import pytest

from models.recsys.content import load_encoder
from models.recsys.works import Work, WorksCatalogue, WorksPolicy, WorksRequest, work_text
from models.recsys.works_cf import WorksCollaborative

WORKS = [
    Work(1, "Starship Lullaby", "0xA", "text/plain", "Robots sing to sleeping astronauts on a ship bound for Mars."),
    Work(2, "Orbit of Iron", "0xB", "text/plain", "A mechanical crew repairs a space station far from Earth."),
    Work(3, "Autumn Orchard", "0xC", "text/plain", "Apples fall in the mist; the farmer gathers the harvest."),
    Work(4, "Harvest Moon", "0xA", "text/plain", "Golden fields and pumpkins under a September sky."),
    Work(5, "Cover art", "0xD", "image/png", ""),
]


@pytest.fixture(scope="module")
def encode():
    encoder = load_encoder()
    return lambda texts: encoder.encode(texts, normalize_embeddings=True, convert_to_numpy=True)


@pytest.fixture
def catalogue(encode) -> WorksCatalogue:
    catalogue = WorksCatalogue(encode)
    catalogue.add(WORKS[:3])
    catalogue.add(WORKS[3:])  # added while serving: a second batch
    return catalogue


def ids(recs) -> list[int]:
    return [r.id for r in recs]


def test_text_works_embed_their_text_other_media_their_metadata():
    assert work_text(WORKS[0]) == "Starship Lullaby. Robots sing to sleeping astronauts on a ship bound for Mars."
    assert work_text(WORKS[4]) == "Cover art. Media type: image/png"


def test_a_query_finds_works_by_content(catalogue):
    recs = catalogue.recommend(WorksRequest(query="robots in outer space", k=2))
    assert set(ids(recs)) == {1, 2}
    assert recs[0].reason == "matches 'robots in outer space'" and recs[0].creator in {"0xA", "0xB"}
    assert ids(catalogue.recommend(WorksRequest(query="fruit picking in the fall", k=1))) == [3]


def test_history_recommends_similar_works_and_leaves_seen_ones_out(catalogue):
    recs = catalogue.recommend(WorksRequest(history=((3, 5.0),), k=2))
    assert ids(recs)[0] == 4 and 3 not in ids(recs)
    assert recs[0].reason == "similar to Autumn Orchard"
    again = catalogue.recommend(WorksRequest(history=((3, 5.0),), k=5, exclude_seen=False))
    assert 3 in ids(again)
    assert ids(catalogue.recommend(WorksRequest(liked=(1,), k=1))) == [2]


def test_owned_or_licensed_works_are_never_recommended(catalogue):
    held = frozenset({1, 4})
    for request in (
        WorksRequest(query="robots", held=held, k=10),
        WorksRequest(history=((3, 5.0),), held=held, k=10, exclude_seen=False),
        WorksRequest(held=held, k=10),
    ):
        recs = ids(catalogue.recommend(request))
        assert held.isdisjoint(recs) and recs


def test_nobody_known_gets_popular_then_new_works(catalogue):
    assert ids(catalogue.recommend(WorksRequest(k=3))) == [5, 4, 3]  # no interactions yet: newest first
    assert catalogue.recommend(WorksRequest(k=1))[0].reason == "new on Muse"
    catalogue.set_counts({2: 3, 3: 1})
    recs = catalogue.recommend(WorksRequest(k=3))
    assert ids(recs) == [2, 3, 5] and recs[0].reason == "popular on Muse"


def test_adding_again_replaces_and_unknown_ids_are_named(catalogue, encode):
    catalogue.add([Work(3, "Autumn Orchard, revised", "0xC", "text/plain", "Apples again.")])
    assert sorted(catalogue.ids()) == [1, 2, 3, 4, 5] and catalogue.last_id == 5
    assert catalogue.recommend(WorksRequest(query="apples", k=1))[0].title == "Autumn Orchard, revised"
    assert catalogue.unknown([1, 9]) == [9]
    catalogue.clear()
    assert len(catalogue) == 0 and catalogue.recommend(WorksRequest(query="x")) == []


def test_diversity_spreads_the_list(catalogue):
    plain = ids(catalogue.recommend(WorksRequest(query="space robots", k=3)))
    varied = ids(catalogue.recommend(WorksRequest(query="space robots", k=3, diversity=0.9)))
    assert plain[:2] == [1, 2] or plain[:2] == [2, 1]
    assert varied != plain and len(varied) == 3


def test_concurrent_additions_keep_each_snapshot_whole(catalogue):
    before = catalogue._snapshot
    catalogue.add([Work(6, "Dune Song", "0xE", "text/plain", "Sand and wind.")])
    assert before.embeddings.shape[0] == len(before.works) == 5  # the old snapshot is untouched
    assert catalogue._snapshot.embeddings.shape == (6, 384)
    assert np.allclose(np.linalg.norm(catalogue._snapshot.embeddings, axis=1), 1.0, atol=1e-4)


def test_a_share_of_each_list_goes_to_works_with_few_interactions(encode):
    catalogue = WorksCatalogue(encode, WorksPolicy(explore_share=0.2, few_interactions=5))
    catalogue.add(WORKS)
    catalogue.set_counts({1: 50, 2: 40, 3: 30, 4: 20})  # only the cover art (5) is new
    recs = catalogue.recommend(WorksRequest(k=5))
    assert [(r.id, r.explore) for r in recs] == [(1, False), (2, False), (3, False), (4, False), (5, True)]
    assert recs[-1].reason == "new on Muse"
    catalogue.set_counts({1: 50, 2: 40})  # 3, 4, 5 are new: the one explored is the closest to the query
    catalogue.policy = WorksPolicy(explore_share=0.5)
    recs = catalogue.recommend(WorksRequest(query="golden pumpkins in september", k=2))
    assert [(r.id, r.explore) for r in recs] == [(4, False), (3, True)]
    assert recs[-1].reason == "new on Muse, matches 'golden pumpkins in september'"
    assert len(catalogue.recommend(WorksRequest(k=4, held=frozenset({3, 4, 5})))) == 2  # nothing new: no slot kept


def taste_groups() -> list[tuple[str, int, float]]:
    """Users 0-9 like works 1 and 2; users 10-19 like works 3 and 4 (content would say otherwise for 2 and 3)."""
    return [(f"u{u}", w, 4.0) for u in range(20) for w in ((1, 2) if u < 10 else (3, 4))]


def test_als_folds_a_history_in_and_knows_nothing_of_unseen_works():
    cf = WorksCollaborative()
    assert cf.scores({1: 4.0}, [1, 2, 3]) is None  # not fitted
    cf.fit(taste_groups())
    scores = cf.scores({1: 4.0}, [2, 3, 4, 99])
    assert scores[0] > scores[1] and scores[0] > scores[2] and scores[3] == 0.0
    assert cf.scores({99: 4.0}, [1, 2]) is None  # nothing of the history is in the model


def test_works_with_many_interactions_follow_als_new_ones_follow_content(encode):
    catalogue = WorksCatalogue(encode, WorksPolicy(explore_share=0.0), WorksCollaborative())
    catalogue.add([*WORKS[:4], Work(6, "Iron Moon Base", "0xE", "text/plain", "Robots build a base on the moon.")])
    catalogue.collaborative.fit(taste_groups())
    catalogue.set_counts({1: 10, 2: 10, 3: 10, 4: 10})
    recs = catalogue.recommend(WorksRequest(history=((1, 4.0),), k=4))
    assert recs[0].id == 2  # both signals agree
    ranked = [r.id for r in recs]
    assert ranked.index(6) < ranked.index(3)  # unseen by ALS, close in content: ahead of a work ALS says no to


def test_a_batch_embeds_its_queries_together_and_answers_each_as_alone(catalogue):
    requests = [
        WorksRequest(query="robots in outer space", k=3),
        WorksRequest(k=2),
        WorksRequest(query="fruit picking in the fall", k=3),
        WorksRequest(history=((3, 5.0),), k=2),
    ]
    batched = catalogue.recommend_many(requests)
    assert [ids(recs) for recs in batched] == [ids(catalogue.recommend(r)) for r in requests]
