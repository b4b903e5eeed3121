"""The ingress deployment: Muse's HTTP API (FastAPI) in front of the other deployments."""

from __future__ import annotations

from fastapi import FastAPI
from ray import serve
from ray.serve.handle import DeploymentHandle

from deployments.api import create_api
from deployments.serve_status import serve_status
from deployments.text_service import TextService
from muse.users import connect


@serve.deployment(name="Gateway")
@serve.ingress()
class Gateway:
    def __init__(self, generator: DeploymentHandle, ledger: DeploymentHandle, model_name: str, recommend_app: str):
        recommender = serve.get_deployment_handle("Recommender", app_name=recommend_app)
        self._api = create_api(TextService(generator, model_name), recommender, ledger, status=serve_status,
                               db=connect())

    def __serve_build_asgi_app__(self) -> FastAPI:
        return self._api
