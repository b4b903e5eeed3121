"""``POST /v1/embeddings`` in process: the gateway's real FastAPI app over the real MiniLM (a ``ContentIndex``, as
the Recommender holds it), driven by the official ``openai`` client and LangChain's ``OpenAIEmbeddings``. The same
against the running application is tests/integration/test_embeddings_http.py."""

from __future__ import annotations

import base64

import numpy as np
import openai
import pytest
from fastapi.testclient import TestClient
from langchain_openai import OpenAIEmbeddings

from core.users import connect
from deployments.api import create_api
from deployments.api.embeddings import EMBEDDING_MODEL, MAX_EMBEDDING_INPUT_CHARS, MAX_EMBEDDING_INPUTS
from deployments.served_models import ServedModel
from deployments.text_service import TextService
from models.recsys.content import EMBED_CHUNK, ContentIndex, Embeddings, embed_many
from tests.local_handle import LocalHandle

CAT = "A small cat sleeps on the warm windowsill."
KITTEN = "A little kitten naps in the sun by the window."
TAXES = "Quarterly tax filings are due at the end of the month."


class EmbedOnly:
    """The Recommender's ``embed`` (one request per encoder pass) without Serve or the movie model."""

    def __init__(self, content: ContentIndex):
        self.content = content

    async def embed(self, texts: list[str]) -> Embeddings:
        return embed_many(self.content, [texts])[0]


@pytest.fixture(scope="module")
def content() -> ContentIndex:
    return ContentIndex(np.array([]), np.zeros((0, 384)))


@pytest.fixture(scope="module")
def http(content, tmp_path_factory) -> TestClient:
    db = connect(tmp_path_factory.mktemp("home") / "muse.db")
    api = create_api(
        TextService(None, [ServedModel(name="muse-tiny-shakespeare")]),
        recommender=LocalHandle(EmbedOnly(content)),
        ledger=None,
        status=dict,
        db=db,
    )
    return TestClient(api, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(http) -> openai.OpenAI:
    return openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=http, max_retries=0)


def _vectors(answer) -> np.ndarray:
    return np.array([d.embedding for d in sorted(answer.data, key=lambda d: d.index)], dtype=np.float32)


def test_the_openai_client_gets_the_recommenders_own_unit_vectors(client, content):
    answer = client.embeddings.create(model=EMBEDDING_MODEL, input=[CAT, KITTEN, TAXES])  # base64 by default
    vectors = _vectors(answer)
    assert vectors.shape == (3, 384) and answer.model == EMBEDDING_MODEL
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors, content.encode([CAT, KITTEN, TAXES]), atol=1e-5)
    tokens = content.embed([CAT, KITTEN, TAXES])[1]
    assert answer.usage.prompt_tokens == answer.usage.total_tokens == int(tokens.sum()) > 3 * 2


def test_float_and_base64_carry_the_same_vector(http):
    def post(encoding_format: str) -> dict:
        response = http.post(
            "/v1/embeddings", json={"model": EMBEDDING_MODEL, "input": CAT, "encoding_format": encoding_format}
        )
        assert response.status_code == 200, response.text
        return response.json()

    floats, packed = post("float"), post("base64")
    assert floats["object"] == "list" and floats["data"][0]["object"] == "embedding"
    assert floats["data"][0]["index"] == 0 and len(floats["data"][0]["embedding"]) == 384
    decoded = np.frombuffer(base64.b64decode(packed["data"][0]["embedding"]), dtype="<f4")
    np.testing.assert_array_equal(decoded, np.array(floats["data"][0]["embedding"], dtype=np.float32))
    assert floats["usage"] == packed["usage"]


def test_langchain_embeddings_rank_similar_texts_higher(http):
    embedder = OpenAIEmbeddings(
        base_url="http://testserver/v1",
        api_key="unused",
        model=EMBEDDING_MODEL,
        http_client=http,
        check_embedding_ctx_length=False,
        max_retries=0,
        chunk_size=MAX_EMBEDDING_INPUTS,
    )
    many = [CAT, KITTEN, TAXES] + [f"filler {i}" for i in range(MAX_EMBEDDING_INPUTS)]  # two requests
    cat, kitten, taxes = (np.array(v) for v in embedder.embed_documents(many)[:3])
    assert cat @ kitten > cat @ taxes + 0.3
    np.testing.assert_allclose(embedder.embed_query(CAT), cat, atol=1e-6)


def test_the_embedding_model_is_listed_after_the_text_models(client, http):
    assert [m.id for m in client.models.list()] == ["muse-tiny-shakespeare", EMBEDDING_MODEL]
    assert client.models.retrieve(EMBEDDING_MODEL).id == EMBEDDING_MODEL
    refused = http.post(
        "/v1/chat/completions", json={"model": EMBEDDING_MODEL, "messages": [{"role": "user", "content": "hi"}]}
    )
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize("model", ["text-embedding-3-small", "muse-tiny-shakespeare"])
def test_another_model_is_a_404_model_not_found(client, model):
    with pytest.raises(openai.NotFoundError) as err:
        client.embeddings.create(model=model, input=CAT)
    assert err.value.body["code"] == "model_not_found" and err.value.body["param"] == "model"
    assert EMBEDDING_MODEL in err.value.body["message"]


@pytest.mark.parametrize(
    ("change", "param", "says"),
    [
        ({"input": [101, 2023, 102]}, "input", "token arrays are not supported"),
        ({"input": [[101, 2023], [102]]}, "input", "token arrays are not supported"),
        ({"dimensions": 128}, "dimensions", "not supported"),
        ({"dimensions": 384}, "dimensions", "not supported"),
        ({"encoding_format": "int8"}, "encoding_format", "float"),
        ({"input": []}, "input", "at least 1"),
        ({"input": ""}, "input", "at least 1"),
        ({"input": ["ok"] * (MAX_EMBEDDING_INPUTS + 1)}, "input", f"at most {MAX_EMBEDDING_INPUTS}"),
        ({"input": "x" * (MAX_EMBEDDING_INPUT_CHARS + 1)}, "input", f"at most {MAX_EMBEDDING_INPUT_CHARS}"),
        ({"truncate": True}, "truncate", "not permitted"),
    ],
)
def test_unsupported_input_is_a_400_in_openais_error_shape(http, change, param, says):
    response = http.post("/v1/embeddings", json={"model": EMBEDDING_MODEL, "input": CAT, **change})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param, error
    assert says in error["message"], error


def test_the_limits_themselves_are_served(client):
    answer = client.embeddings.create(
        model=EMBEDDING_MODEL,
        input=["x" * MAX_EMBEDDING_INPUT_CHARS] + ["word"] * (MAX_EMBEDDING_INPUTS - 1),
        encoding_format="float",
    )
    assert len(answer.data) == MAX_EMBEDDING_INPUTS


def test_a_batch_of_requests_is_split_back_per_request(content):
    requests = [[CAT], [KITTEN, TAXES], ["word"] * (EMBED_CHUNK + 3)]  # across an encoder chunk
    answers = embed_many(content, requests)
    assert [a.vectors.shape for a in answers] == [(1, 384), (2, 384), (EMBED_CHUNK + 3, 384)]
    for texts, answer in zip(requests, answers):
        np.testing.assert_allclose(answer.vectors, content.encode(texts), atol=1e-5)
        assert answer.tokens == int(content.embed(texts)[1].sum())
    assert answers[2].tokens == 3 * (EMBED_CHUNK + 3)  # [CLS] word [SEP]


def test_a_text_longer_than_the_encoder_reads_is_truncated_to_its_256_tokens(content):
    long = " ".join(["cat"] * 1000)
    vectors, tokens = content.embed([long, " ".join(["cat"] * 254), " ".join(["cat"] * 2000)])
    assert tokens.tolist() == [256, 256, 256]
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)
