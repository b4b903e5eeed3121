"""The demo's own application (muse.demo_app) under its route prefix, as Serve runs it (root_path /ui, the full
path kept): the page and its config name /ui as their root, and request bodies are limited as on the gateway."""

from __future__ import annotations

from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.routing import Mount

from deployments.api.limits import UploadLimits
from muse.demo_app import create_demo_app

LIMITS = UploadLimits(max_body_bytes=4096, max_upload_bytes=8192)


def test_the_demo_serves_under_its_prefix_with_body_limits():
    demo = create_demo_app("http://127.0.0.1:9", LIMITS)
    prefixed = Starlette(routes=[Mount("/ui", app=demo)])  # root_path /ui, as Serve's route prefix sets it
    with TestClient(prefixed, base_url="http://muse.test") as client:
        assert client.get("/ui/").status_code == 200
        assert client.get("/ui/config").json()["root"] == "http://muse.test/ui"
        body = b"x" * 6000  # over max_body_bytes, under max_upload_bytes
        refused = client.post("/ui/gradio_api/queue/join", content=body, headers={"content-type": "text/plain"})
        assert refused.status_code == 413
        upload = client.post("/ui/gradio_api/upload", files={"files": ("a.txt", body)})
        assert upload.status_code != 413, upload.text
        assert client.post("/ui/gradio_api/upload", files={"files": ("a.txt", body * 2)}).status_code == 413
