"""One OpenAPI schema for the whole HTTP API: the gateway's ``/openapi.json`` (and ``/docs``) also documents what the
``muse-recommend`` application serves at its route prefix, exactly as that application's own schema does."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient

from core.paths import REPO_ROOT
from core.users import connect
from deployments.api import create_api, create_recommend_api
from deployments.api.recommendations import RECOMMEND_PATH
from deployments.text_service import TextService


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return connect(tmp_path_factory.mktemp("home") / "muse.db")


@pytest.fixture(scope="module")
def gateway_schema(db) -> dict:
    api = create_api(TextService(None, "muse-tiny-shakespeare"), recommender=None, ledger=None, status=dict, db=db)
    client = TestClient(api)
    assert client.get("/docs").status_code == 200
    return client.get("/openapi.json").json()


def test_the_recommend_app_route_prefix_is_the_documented_one():
    config = yaml.safe_load((REPO_ROOT / "serve_config.yaml").read_text())
    prefixes = {app["name"]: app["route_prefix"] for app in config["applications"]}
    assert prefixes["muse-recommend"] == RECOMMEND_PATH


def test_every_route_of_the_recommend_app_is_in_the_gateways_schema(gateway_schema, db):
    own = TestClient(create_recommend_api(None, db), root_path=RECOMMEND_PATH).get("/openapi.json").json()
    assert own["paths"], own
    for path, operations in own["paths"].items():
        documented = gateway_schema["paths"][RECOMMEND_PATH + path]
        assert documented.keys() == operations.keys()
        for method, operation in operations.items():
            for part in ("requestBody", "responses", "security", "summary"):
                assert documented[method].get(part) == operation.get(part), (path, method, part)
    for name, component in own["components"]["schemas"].items():
        assert gateway_schema["components"]["schemas"][name] == component, name


def test_recommend_and_interactions_are_documented_with_their_models(gateway_schema):
    paths, components = gateway_schema["paths"], gateway_schema["components"]["schemas"]
    recommend = paths["/v1/recommend"]["post"]
    assert recommend["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RecommendBody")
    assert recommend["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/RecommendResponse")
    assert {"catalogue", "user_id", "liked_items", "query", "k"} <= components["RecommendBody"]["properties"].keys()
    assert {"RecommendedItem", "RecommendedWork"} <= components.keys()
    assert {"post", "get"} <= paths["/v1/interactions"].keys()
    assert "InteractionBody" in components
    embeddings = paths["/v1/embeddings"]["post"]
    assert embeddings["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/EmbeddingList")
