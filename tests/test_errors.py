"""The one error shape, and overload answers: a full queue behind the gateway is a 503 with Retry-After."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from ray.serve.exceptions import BackPressureError

from deployments.errors import install_error_handlers
from ledger.errors import Forbidden, InsufficientFunds


def app_raising(error: Exception) -> TestClient:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/")
    async def fail() -> None:
        raise error

    return TestClient(app)


def test_a_full_queue_is_a_503_with_retry_after():
    response = app_raising(BackPressureError(num_queued_requests=9, max_queued_requests=8, retry_after_s=1.5)).get("/")
    assert response.status_code == 503 and response.headers["retry-after"] == "2"
    assert response.json()["error"]["type"] == "overloaded_error"


def test_ledger_refusals_keep_their_message():
    response = app_raising(Forbidden("work 3 belongs to someone else")).get("/")
    assert response.status_code == 403
    assert response.json()["error"] == {
        "message": "work 3 belongs to someone else",
        "type": "permission_error",
        "param": None,
        "code": None,
    }
    assert app_raising(InsufficientFunds("cannot pay")).get("/").status_code == 402
