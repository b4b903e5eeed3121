"""``POST /v1/embeddings`` against the running application, with the official ``openai`` client and LangChain's
``OpenAIEmbeddings``: the vectors are the Recommender's own (its cached item embeddings, and the query vectors its
recommendations score with), unit length, 384-dimensional, and similar texts score higher than unrelated ones."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import openai
import pytest
from langchain_openai import OpenAIEmbeddings

from deployments.api.embeddings import EMBEDDING_MODEL
from models.recsys.content import item_text
from models.recsys.service import CONTENT_CACHE

CAT = "A small cat sleeps on the warm windowsill."
KITTEN = "A little kitten naps in the sun by the window."
TAXES = "Quarterly tax filings are due at the end of the month."
QUERY = "space adventure with robots"


@pytest.fixture(scope="module")
def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="unused", max_retries=0, timeout=120)


def _vectors(answer) -> np.ndarray:
    return np.array([d.embedding for d in sorted(answer.data, key=lambda d: d.index)], dtype=np.float32)


def _cached_item_vector(server, item_id: str) -> np.ndarray:
    """The Recommender's own embedding of a catalogue item, as it cached it in the data directory."""
    with np.load(server.home / "recsys" / CONTENT_CACHE) as saved:
        row = np.flatnonzero(saved["item_ids"].astype(str) == item_id)
        assert len(row) == 1, item_id
        return saved["embeddings"][row[0]]


def test_vectors_are_the_recommenders_own(server, client):
    item = httpx.get(f"{server.url}/v1/items/1", timeout=60).json()  # Toy Story
    text = item_text(item["title"], item["genres"], item["tags"])
    answer = client.embeddings.create(model=EMBEDDING_MODEL, input=[text, QUERY])
    vectors = _vectors(answer)
    assert vectors.shape == (2, 384) and answer.model == EMBEDDING_MODEL
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], _cached_item_vector(server, "1"), atol=1e-5)
    assert answer.usage.prompt_tokens == answer.usage.total_tokens > 10

    recommended = httpx.post(f"{server.url}/v1/recommend", json={"query": QUERY, "k": 5}, timeout=60).json()["items"]
    for rec in recommended:  # a query's score is the cosine of its vector and the item's
        assert float(vectors[1] @ _cached_item_vector(server, rec["id"])) == pytest.approx(rec["score"], abs=2e-4)


def test_langchain_embeddings_rank_similar_texts_higher(server):
    embedder = OpenAIEmbeddings(
        base_url=f"{server.url}/v1",
        api_key="unused",
        model=EMBEDDING_MODEL,
        check_embedding_ctx_length=False,
        max_retries=0,
    )
    cat, kitten, taxes = (np.array(v) for v in embedder.embed_documents([CAT, KITTEN, TAXES]))
    assert len(cat) == 384
    assert cat @ kitten > cat @ taxes + 0.3
    np.testing.assert_allclose(embedder.embed_query(CAT), cat, atol=1e-5)


def test_concurrent_requests_each_get_their_own_vectors(client):
    """Concurrent requests share encoder passes (``@serve.batch``); each answer must still be its own texts'."""
    texts = [[f"{CAT} ({i})", f"{TAXES} ({i})"][: 1 + i % 2] for i in range(16)]
    alone = [_vectors(client.embeddings.create(model=EMBEDDING_MODEL, input=t)) for t in texts[:2]]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(lambda t: _vectors(client.embeddings.create(model=EMBEDDING_MODEL, input=t)), texts))
    assert [len(v) for v in together] == [len(t) for t in texts]
    for a, b in zip(alone, together[:2]):
        np.testing.assert_allclose(a, b, atol=1e-5)
    assert not np.allclose(together[0][0], together[2][0], atol=1e-4)  # "(0)" and "(2)" differ


def test_unsupported_requests_are_openai_errors(client):
    with pytest.raises(openai.BadRequestError) as err:
        client.embeddings.create(model=EMBEDDING_MODEL, input=[[101, 2023, 102]])
    assert err.value.body["param"] == "input" and "token arrays" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:
        client.embeddings.create(model=EMBEDDING_MODEL, input=CAT, dimensions=64)
    assert err.value.body["param"] == "dimensions"
    with pytest.raises(openai.NotFoundError) as err:
        client.embeddings.create(model="text-embedding-3-small", input=CAT)
    assert err.value.body["code"] == "model_not_found"
    assert EMBEDDING_MODEL in [m.id for m in client.models.list()]
