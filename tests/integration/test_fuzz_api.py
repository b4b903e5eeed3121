"""Fuzz every operation of the gateway's OpenAPI schema (schemathesis) against the real application: whatever
the input, with or without a valid key, the answer is never a 5xx.

Each operation gets a few generated requests (FUZZ_EXAMPLES, valid and invalid by the schema) as a signed-in
user; Hypothesis keeps its examples database out of the tree. Bodies of Server-Sent Events are read to the end.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.database import InMemoryExampleDatabase
from schemathesis.checks import not_a_server_error

FUZZ_EXAMPLES = 6
REQUEST_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def fuzz_key(server) -> str:
    return server.add_user("fuzzer")


@pytest.fixture
def api_schema(server):
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=InMemoryExampleDatabase(),
          suppress_health_check=list(HealthCheck))
def test_no_request_gets_a_server_error(case, server, fuzz_key):
    case.call_and_validate(base_url=server.url, headers={"Authorization": f"Bearer {fuzz_key}"},
                           checks=[not_a_server_error], timeout=REQUEST_TIMEOUT_S)
