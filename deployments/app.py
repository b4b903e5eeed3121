"""Two of Muse's Serve applications, referenced by ``serve_config.yaml``: ``build_app`` (the gateway, the
generator and the ledger, at ``/``) and ``build_recommend_app`` (the recommender, which serves ``/v1/recommend`` itself).
The third, the demo at ``/ui``, is ``muse.demo_app:build_demo_app``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator
from ray.serve import Application

from assistant.agent import ModelSettings
from assistant.chat import ChatLimits
from deployments.api.limits import GatewayLimits, RequestLimits
from deployments.gateway import Gateway
from deployments.generator import Generator
from deployments.ledger import LedgerDeployment
from deployments.served_models import ServedModel
from deployments.recommender import Recommender
from ledger.evm_version import DEFAULT_EVM_VERSION, EvmVersion
from ledger.idempotency import DEFAULT_TTL_S
from models.recsys.works import WorksPolicy

MAX_SERVED_MODELS = 8  # each is loaded in every Generator replica


class AppArgs(BaseModel):
    """The ``args:`` block of the application in ``serve_config.yaml``."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    # The served models (deployments/served_models.py): [{name, path, tool_parser}], the default first.
    models: list[ServedModel] | None = Field(None, min_length=1, max_length=MAX_SERVED_MODELS)
    # One model, as before ``models``: its path ("bundled", a folder, or a hub id: downloads only if
    # HF_HUB_OFFLINE=0) and the id clients see in /v1/models. Give these or ``models``, not both.
    model: str = "bundled"
    model_name: str = "muse-tiny-shakespeare"
    device: str | None = None  # None: cuda when the replica has a GPU, else cpu
    dtype: str = "auto"  # auto: bfloat16 on a GPU, float32 on a CPU
    torch_threads: int | None = None
    stream_interval_s: float = 0.0  # at most one streamed chunk per interval per request (0: every step)
    recommend_app: str = "muse-recommend"  # the application that runs the Recommender
    ui_app: str | None = "muse-ui"  # the demo's application, awaited by /healthz (None: deployed without it)
    ledger_rpc_url: str | None = None  # None: the embedded chain in $MUSE_HOME; else a JSON-RPC node's URL
    ledger_evm_version: EvmVersion = DEFAULT_EVM_VERSION  # the contract is compiled for it; the node must run it
    assistant_planner: Literal["rules", "model"] = "rules"  # where the assistant's plans come from (README)
    assistant_base_url: str | None = None  # for "model": an OpenAI-compatible endpoint's /v1; None: this Muse's
    assistant_model: str = "muse-planner"  # for "model": the model name at that endpoint
    assistant_copy_spans: bool = True  # for "model": tool schemas that admit only the request's spans (README)
    limits: GatewayLimits = GatewayLimits()  # request body sizes, JSON nesting, rates per caller
    chat_max_messages: PositiveInt = ChatLimits.max_messages  # per conversation
    chat_max_threads: PositiveInt = ChatLimits.max_threads  # conversations per user
    ledger_idempotency_ttl_s: PositiveInt = DEFAULT_TTL_S  # how long a change's answer is kept for its repeats

    @property
    def other_apps(self) -> list[str]:
        """The applications besides this one that /healthz waits for, the recommender's first."""
        return [self.recommend_app, *([self.ui_app] if self.ui_app else [])]

    @model_validator(mode="after")
    def _one_way_to_name_models(self) -> AppArgs:
        if self.models is not None and self.model_fields_set & {"model", "model_name"}:
            raise ValueError("give either `models` or `model`/`model_name`, not both")
        names = [m.name for m in self.served_models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique: {names}")
        return self

    @property
    def served_models(self) -> list[ServedModel]:
        return self.models or [ServedModel(name=self.model_name, path=self.model)]


class RecommendAppArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    catalogue: str = "bundled"  # "bundled" (MovieLens latest-small) or a MovieLens-style folder
    limits: RequestLimits = RequestLimits()  # request body size, JSON nesting
    works_policy: WorksPolicy = WorksPolicy()  # slots kept for new works, ALS/content blend (README: works)


def build_app(args: dict) -> Application:
    """Serve calls this with the config's ``args``; unknown or mistyped keys fail the deploy with a clear error."""
    args = AppArgs.model_validate(args)
    generator = Generator.bind(args.served_models, args.device, args.dtype, args.torch_threads, args.stream_interval_s)
    assistant = ModelSettings(
        args.assistant_planner, args.assistant_base_url, args.assistant_model, args.assistant_copy_spans
    )
    chat_limits = ChatLimits(args.chat_max_messages, args.chat_max_threads)
    ledger = LedgerDeployment.bind(args.ledger_rpc_url, args.ledger_idempotency_ttl_s, args.ledger_evm_version)
    return Gateway.bind(generator, ledger, args.served_models, args.other_apps, assistant, chat_limits, args.limits)


def build_recommend_app(args: dict) -> Application:
    args = RecommendAppArgs.model_validate(args)
    return Recommender.bind(args.catalogue, args.limits, args.works_policy)
