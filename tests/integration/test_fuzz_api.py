"""Fuzz every operation of the gateway's OpenAPI schema (schemathesis) against the real application: whatever
the input, valid or not by the schema, with a valid key, the answer is never a 5xx, and every answer (events of a
stream included) is what the schema documents for its status.

The schema is read from the running server, so a new route is fuzzed the day it is added; it documents the
``muse-recommend`` application's ``/v1/recommend`` too, which the proxy sends to the Recommender replicas. Each
operation gets FUZZ_EXAMPLES generated requests in each mode (positive: valid by the schema; negative: not).
Server-Sent Events bodies are read to the end. Hypothesis derandomizes (and so keeps no examples database in the
tree): the same examples every run, so CI is repeatable (random runs found the sampler's two float32 bugs).
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.integration.http_helpers import as_user

FUZZ_EXAMPLES = 5
REQUEST_TIMEOUT_S = 120


def fuzz(operation, mode: GenerationMode, base_url: str, headers: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        case.call_and_validate(
            base_url=base_url,
            headers=headers,
            checks=[not_a_server_error, response_schema_conformance],
            timeout=REQUEST_TIMEOUT_S,
        )

    run()


def test_no_request_gets_a_server_error(server):
    headers = as_user(server.add_user("fuzzer"))
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    # One schema for the whole API: muse-recommend's route (served by its own application) is in it, and fuzzed
    labels = {op.label for op in operations}
    assert {"POST /v1/recommend", "POST /v1/interactions", "POST /v1/embeddings"} <= labels, sorted(labels)
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, server.url, headers)
            except Unsatisfiable:  # nothing can be invalid about a route without parameters
                assert mode is GenerationMode.NEGATIVE, operation.label
            except Exception as exc:  # noqa: BLE001 - every operation is fuzzed; all failures are reported
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
