"""The ingress deployment: Muse's HTTP API (FastAPI) in front of the other deployments."""

from __future__ import annotations

import os

from fastapi import FastAPI
from ray import serve
from ray.serve.handle import DeploymentHandle

from assistant.agent import ModelSettings
from assistant.backends import Backends
from assistant.chat import ChatLimits
from deployments.api import create_api
from deployments.api.chat import ChatService
from deployments.api.limits import GatewayLimits
from deployments.metrics import MetricsReader
from deployments.replica_logs import log_to_replica
from deployments.serve_status import serve_status
from deployments.served_models import ServedModel
from deployments.text_service import TextService
from models.recsys.feedback import FeedbackStore
from core.paths import METRICS_URL_ENV, muse_home
from core.users import connect


@serve.deployment(name="Gateway")
@serve.ingress()
class Gateway:
    def __init__(
        self,
        generator: DeploymentHandle,
        ledger: DeploymentHandle,
        models: list[ServedModel],
        other_apps: list[str],
        assistant: ModelSettings,
        chat_limits: ChatLimits,
        limits: GatewayLimits = GatewayLimits(),
    ):
        """``other_apps``: the applications besides this one that /healthz waits for, the recommender's first."""
        recommender = serve.get_deployment_handle("Recommender", app_name=other_apps[0])
        log_to_replica("assistant")
        db = connect()
        backends = Backends(generator, recommender, ledger, FeedbackStore(db).history, models[0].name)
        chat = ChatService(backends, muse_home() / "conversations.sqlite3", assistant, chat_limits)
        self._api = create_api(
            TextService(generator, models),
            recommender,
            ledger,
            status=serve_status,
            db=db,
            chat=chat,
            limits=limits,
            ready_apps=(serve.get_replica_context().app_name, *other_apps),
        )
        metrics_url = os.environ.get(METRICS_URL_ENV)
        self._api.state.metrics = MetricsReader(metrics_url) if metrics_url else None

    def __serve_build_asgi_app__(self) -> FastAPI:
        return self._api
