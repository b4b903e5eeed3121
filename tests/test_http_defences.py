"""The HTTP layer's defences on the real FastAPI applications (the gateway's and the recommender's, in process):
body limits before reading, JSON nesting, rate limits, request ids, and errors that say what, not how.

The same attacks against the running Serve application are in tests/integration/test_hostile_http.py."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator

import pytest
import yaml
from fastapi.testclient import TestClient

from assistant.chat import Assistant
from assistant.events import ChatEvent
from core.paths import REPO_ROOT
from core.users import Users, connect
from deployments.api import create_api, create_recommend_api
from deployments.api.limits import MAX_BODY_BYTES, GatewayLimits, Rate, RequestLimits, UploadLimits
from deployments.api.rate_limits import TokenBuckets
from deployments.app import AppArgs, RecommendAppArgs
from deployments.text_service import TextService

SECRET = "database password is hunter2"  # what a failure's text may hold; no client may see it
DEEP = 100_000
RECOMMEND = "/v1/recommend"


class Catalogue:
    """The recommender as the recommend app calls it (``await recommend(request)``)."""

    async def recommend(self, request: dict) -> dict:
        return {"items": [{"id": "1", "title": "Toy Story", "score": 1.0, "reason": "popular with viewers"}]}


class BrokenGenerator:
    """A Generator whose stream fails after its first chunk (``options(stream=True).stream.remote``)."""

    def options(self, stream: bool) -> BrokenGenerator:
        return self

    @property
    def stream(self) -> BrokenGenerator:
        return self

    def remote(self, prompt: str, params: dict, *_: object) -> AsyncIterator[dict]:
        async def chunks() -> AsyncIterator[dict]:
            yield {"text": "O", "tokens": 1, "finish_reason": None, "prompt_tokens": 1, "completion_tokens": 1}
            raise RuntimeError(SECRET)

        return chunks()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return connect(tmp_path_factory.mktemp("home") / "muse.db")


def gateway(db, limits: GatewayLimits = GatewayLimits(), client: tuple[str, int] = ("203.0.113.7", 5000)) -> TestClient:
    api = create_api(
        TextService(BrokenGenerator(), "muse-tiny-shakespeare"),
        recommender=None,
        ledger=None,
        status=dict,
        db=db,
        limits=limits,
    )

    @api.get("/v1/test/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    return TestClient(api, raise_server_exceptions=False, client=client)


@pytest.fixture(scope="module")
def api(db) -> TestClient:
    return gateway(db)


@pytest.fixture(scope="module")
def recommend_api(db) -> TestClient:
    return TestClient(create_recommend_api(Catalogue(), db, RequestLimits()), root_path=RECOMMEND)


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.text[:300]
    return response.json()["error"]


def _chunks(total: int) -> Iterator[bytes]:
    yield b'{"prompt": "'
    for _ in range(total // 65536):
        yield b"a" * 65536
    yield b'"}'


@pytest.mark.parametrize("app", ["api", "recommend_api"])
def test_a_declared_body_over_the_limit_is_refused_unread(app, request):
    client = request.getfixturevalue(app)
    path = RECOMMEND if app == "recommend_api" else "/v1/generate"
    response = client.post(path, content=b"x" * (MAX_BODY_BYTES + 1), headers={"content-type": "application/json"})
    error = error_of(response, 413)
    assert error["type"] == "request_too_large" and str(MAX_BODY_BYTES) in error["message"]


@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_chunked_body_is_counted_as_it_arrives(api, content_type):
    response = api.post(
        "/v1/generate", content=_chunks(3 * MAX_BODY_BYTES // 2), headers={"content-type": content_type}
    )
    assert error_of(response, 413)["type"] == "request_too_large"


def test_works_take_uploads_up_to_their_own_limit(db):
    small = gateway(db, GatewayLimits(max_body_bytes=4096, max_upload_bytes=8192))
    assert small.post("/v1/works", content=b"x" * 6000, headers={"content-type": "text/plain"}).status_code == 401
    assert error_of(small.post("/v1/works", content=b"x" * 9000, headers={"content-type": "text/plain"}), 413)
    assert error_of(small.post("/v1/generate", content=b"x" * 6000), 413)


@pytest.mark.parametrize("document", ["[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP])
def test_deep_json_is_refused_and_the_app_keeps_serving(api, recommend_api, document):
    for client, path, normal in ((api, "/v1/generate", {"prompt": ""}), (recommend_api, RECOMMEND, {"k": 1})):
        error = error_of(client.post(path, content=document, headers={"content-type": "application/json"}), 400)
        assert "32 levels" in error["message"]
    assert recommend_api.post(RECOMMEND, json={"k": 1}).status_code == 200
    assert api.post("/v1/generate", json={"prompt": ""}).status_code == 422  # parsed and validated as usual


def test_ordinary_nesting_passes(recommend_api):
    assert recommend_api.post(RECOMMEND, json={"liked_items": ["1"], "k": 1}).status_code == 200


@pytest.mark.parametrize(
    "body, param, says",
    [
        ({"messages": [{"role": "user", "content": "a"}] * 65}, "messages", "at most 64 items"),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}] * 65}]},
            "messages.0.content",
            "at most 64 items",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": "a" * 8001}]}]},
            "messages.0.content",
            "content.0.text: String should have at most 8000 characters",
        ),
        ({"messages": [{"role": "user", "content": "a" * 5000}] * 2}, None, "10000 characters in all"),
        ({"model": "m" * 257, "messages": [{"role": "user", "content": "a"}]}, "model", "at most 256 characters"),
    ],
)
def test_chat_completion_fields_are_bounded(api, body, param, says):
    error = error_of(api.post("/v1/chat/completions", json={"model": "muse-tiny-shakespeare", **body}), 400)
    assert error["param"] == param and says in error["message"], error


def test_a_stream_that_fails_says_what_and_the_request_id_not_how(api):
    response = api.post(
        "/v1/generate", json={"prompt": "ROMEO:", "stream": True}, headers={"x-request-id": "req-stream-1"}
    )
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]
    message = events[-1]["error"]["message"]
    assert "req-stream-1" in message and "generation failed" in message
    assert SECRET not in response.text and "RuntimeError" not in response.text


def test_an_unexpected_error_is_a_500_with_the_request_id_only(api, caplog):
    response = api.get("/v1/test/boom")
    error = error_of(response, 500)
    assert (
        re.fullmatch(r"internal error; request id [0-9a-f]{32} \(the details are in the server log\)", error["message"])
        and error["type"] == "server_error"
    )
    assert SECRET not in response.text and "RuntimeError" not in response.text and "Traceback" not in response.text
    request_id = error["message"].split()[4]
    assert any(request_id in r.getMessage() and SECRET in r.exc_text for r in caplog.records if r.exc_text)


def test_a_given_request_id_is_kept_else_one_is_made(api):
    assert re.fullmatch(r"[0-9a-f]{32}", api.get("/healthz").headers["x-request-id"])
    response = api.get("/v1/test/boom", headers={"x-request-id": "abc-123"})
    assert "request id abc-123 " in error_of(response, 500)["message"]


def test_the_assistant_reports_a_failure_by_request_id(caplog):
    class FailingAgent:
        async def astream(self, *args, **kwargs):
            raise RuntimeError(SECRET)
            yield  # an async generator

    async def run() -> list[ChatEvent]:
        return [event async for event in Assistant(FailingAgent(), store=None)._run({}, {}, None)]

    (event,) = asyncio.run(run())
    assert event.type == "error" and "the assistant failed" in event.message
    assert SECRET not in event.message and "RuntimeError" not in event.message
    assert SECRET in caplog.text  # the details are in the log


def test_token_buckets_allow_a_burst_then_the_rate():
    now = [0.0]
    buckets = TokenBuckets(Rate(per_s=2, burst=3), max_keys=2, clock=lambda: now[0])
    assert [buckets.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a") == pytest.approx(0.5)  # one token comes back every half second
    now[0] = 0.5
    assert buckets.take("a") == 0.0 and buckets.take("a") > 0
    assert buckets.take("b") == 0.0  # every key has its own bucket
    buckets.take("c")  # a third key: the least recently seen ("a") is dropped, and starts full again
    assert buckets.take("a") == 0.0


def test_generation_over_its_rate_is_a_429_with_retry_after_per_caller(db):
    limits = GatewayLimits(generation=Rate(per_s=0.1, burst=2))
    first, other = gateway(db, limits), None
    statuses = [first.post("/v1/generate", json={"prompt": ""}).status_code for _ in range(3)]
    assert statuses == [422, 422, 429]  # invalid requests count too: they cost the server as well
    limited = first.post("/v1/completions", json={"model": "x", "prompt": "a"})
    error = error_of(limited, 429)
    assert error["type"] == "rate_limit_error" and limited.headers["retry-after"] == "10"
    assert first.get("/v1/models").status_code == 200  # GETs are not counted

    other = TestClient(first.app, raise_server_exceptions=False, client=("198.51.100.1", 5000))
    assert other.post("/v1/generate", json={"prompt": ""}).status_code == 422  # another address, its own bucket
    _, key = Users(db).add("rate-limited-user")
    keyed = other.post("/v1/generate", json={"prompt": ""}, headers={"Authorization": f"Bearer {key}"})
    assert keyed.status_code == 422  # a valid key is its own caller, wherever it calls from
    made_up = {"Authorization": "Bearer muse_made-up"}  # an invalid key counts as its address: no fresh bucket
    assert other.post("/v1/generate", json={"prompt": ""}, headers=made_up).status_code == 422
    assert other.post("/v1/generate", json={"prompt": ""}, headers=made_up).status_code == 429


def _config_args() -> dict[str, dict]:
    """Each application's ``args:`` in serve_config.yaml, by application name."""
    return {
        app["name"]: app["args"]
        for app in yaml.safe_load((REPO_ROOT / "serve_config.yaml").read_text())["applications"]
    }


def test_serve_config_states_the_defaults():
    """serve_config.yaml lists the limits for operators; they must be the ones the code applies anyway."""
    from muse.demo_app import DemoAppArgs  # here: only this test needs Gradio loaded

    args = _config_args()
    assert args.keys() == {"muse", "muse-recommend", "muse-ui"}
    assert AppArgs.model_validate(args["muse"]).limits == GatewayLimits()
    assert RecommendAppArgs.model_validate(args["muse-recommend"]).limits == RequestLimits()
    assert DemoAppArgs.model_validate(args["muse-ui"]).limits == UploadLimits()


def test_healthz_is_503_until_every_muse_application_runs(db, monkeypatch):
    monkeypatch.setattr("deployments.api.HEALTH_RECHECK_S", 0.0)  # read Serve's status on every call
    states = {"muse": "RUNNING", "muse-recommend": "DEPLOYING"}

    def status() -> dict:
        return {"applications": {name: {"status": state} for name, state in states.items()}}

    api = TestClient(
        create_api(
            TextService(BrokenGenerator(), "m"),
            recommender=None,
            ledger=None,
            status=status,
            db=db,
            ready_apps=("muse", "muse-recommend"),
        )
    )
    waiting = api.get("/healthz")
    assert waiting.status_code == 503 and waiting.json()["applications"] == {"muse-recommend": "DEPLOYING"}
    assert waiting.headers["retry-after"] == "2"
    states["muse-recommend"] = "RUNNING"
    assert api.get("/healthz").json() == {"status": "ok"}
    del states["muse-recommend"]
    assert api.get("/healthz").json()["applications"] == {"muse-recommend": "NOT_STARTED"}


def test_the_gateway_waits_for_the_recommender_and_the_demo_as_configured():
    args = _config_args()
    assert AppArgs.model_validate(args["muse"]).other_apps == ["muse-recommend", "muse-ui"]
    assert set(AppArgs.model_validate(args["muse"]).other_apps) == set(args) - {"muse"}
    assert AppArgs.model_validate({**args["muse"], "ui_app": None}).other_apps == ["muse-recommend"]
