"""The Gradio demo as a Serve application of its own (``muse-ui`` in ``serve_config.yaml``, route prefix ``/ui``),
served by exactly one replica.

Gradio keeps each browser session in the process that serves it: the session's state, and its queue (a
``queue/join`` POST answered through a separate ``queue/data`` event stream). Mounted in the Gateway, a session
broke as soon as there were two Gateway replicas and two of its requests went to different ones. In a deployment
of its own, with one replica, every request of every session reaches the same process, while the Gateway it
calls (through ``MUSE_INTERNAL_URL``, like any client) scales as it likes.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from ray import serve

from common.request_ids import RequestIds
from core.paths import DEFAULT_INTERNAL_URL, INTERNAL_URL_ENV
from deployments.api.body_limits import BodyLimits
from deployments.api.limits import UploadLimits
from muse.demo import mount_demo

UPLOAD_PATH = "/ui/gradio_api/upload"  # the full path (the application's route prefix included)


class DemoAppArgs(BaseModel):
    """The ``args:`` block of the ``muse-ui`` application."""

    model_config = ConfigDict(extra="forbid")

    limits: UploadLimits = UploadLimits()  # request bodies, JSON nesting, the demo's uploads


def create_demo_app(base_url: str, limits: UploadLimits = UploadLimits()) -> FastAPI:
    """The demo at the root of its own app (Serve strips the route prefix), with the gateway's body limits."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        BodyLimits,
        max_body_bytes=limits.max_body_bytes,
        max_json_depth=limits.max_json_depth,
        max_upload_bytes=limits.max_upload_bytes,
        upload_paths=(UPLOAD_PATH,),
    )
    app.add_middleware(RequestIds)
    return mount_demo(app, base_url, "", max_file_size=limits.max_upload_bytes)


@serve.deployment(name="Demo", num_replicas=1)
@serve.ingress()
class Demo:
    def __init__(self, limits: UploadLimits):
        self._app = create_demo_app(os.environ.get(INTERNAL_URL_ENV, DEFAULT_INTERNAL_URL), limits)

    def __serve_build_asgi_app__(self) -> FastAPI:
        return self._app


def build_demo_app(args: dict) -> serve.Application:
    """Serve calls this with the config's ``args``."""
    return Demo.bind(DemoAppArgs.model_validate(args).limits)
