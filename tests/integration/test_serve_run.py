"""``serve run serve_config.yaml``, Ray Serve's own CLI, gives the same application as ``muse serve``: the
settings every replica needs travel in the config's ``runtime_env``, and the data directory in ``MUSE_HOME``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest
import yaml

from core.paths import SERVE_CONFIG
from muse.serve_config import load_config
from tests.integration.conftest import START_TIMEOUT_S, _free_port, _port_is_free, _ray_processes

REPO = Path(__file__).resolve().parents[2]
# serve.shutdown() drains three applications' replicas; on a loaded 2-core CI machine that once took over 90 s.
SHUTDOWN_S = 240


def _wait_for_health(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve run exited early:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"serve run not healthy in {START_TIMEOUT_S} s:\n{log.read_text()[-4000:]}")


def test_serve_run_of_the_config_serves_muse(tmp_path):
    port = _free_port()
    config = tmp_path / "serve_config.yaml"
    config.write_text(yaml.safe_dump(load_config(SERVE_CONFIG, port=port)))  # the shipped config, on a free port
    home = tmp_path / "home"
    home.mkdir()
    ray_temp = tempfile.mkdtemp(prefix="mray", dir="/tmp")  # short: Ray's socket paths are limited
    env = {
        **os.environ,
        "MUSE_HOME": str(home),
        "RAY_TMPDIR": ray_temp,
        "RAY_AUTH_MODE": "disabled",
        "RAY_SERVE_ENABLE_HA_PROXY": "0",
        "RAY_SERVE_THROUGHPUT_OPTIMIZED": "0",
    }
    for name in ("HF_HUB_OFFLINE", "OPENBLAS_NUM_THREADS", "TOKENIZERS_PARALLELISM"):
        env.pop(name, None)  # what the replicas need must come from the config, not from this test's environment
    log = tmp_path / "serve-run.log"
    serve = Path(sys.executable).with_name("serve")
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(serve), "run", str(config)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(url, process, log)
        key = (
            subprocess.run(
                [sys.executable, "-m", "muse.cli", "users", "add", "runner"],
                env=env,
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
                timeout=300,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        client = httpx.Client(base_url=url, timeout=120, headers={"authorization": f"Bearer {key}"})
        models = [m["id"] for m in client.get("/v1/models").json()["data"]]
        assert "muse-tiny-shakespeare" in models
        generated = client.post("/v1/generate", json={"prompt": "ROMEO:", "max_new_tokens": 8})
        assert generated.status_code == 200 and generated.json()["usage"]["completion_tokens"] > 0, generated.text
        # The user made in MUSE_HOME is known to the replicas: they read the same data directory.
        work = client.post("/v1/works", json={"title": "Run by Serve", "content": "A text served by serve run."})
        assert work.status_code == 201, work.text
        recommended = client.post("/v1/recommend", json={"query": "space adventure", "k": 3})
        assert recommended.status_code == 200 and len(recommended.json()["items"]) == 3, recommended.text
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C, as a person stops `serve run`
        try:
            process.wait(timeout=SHUTDOWN_S)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"serve run ignored Ctrl-C:\n{log.read_text()[-3000:]}")
    deadline = time.monotonic() + 60
    while _ray_processes(ray_temp) or not _port_is_free(port):
        assert time.monotonic() < deadline, "serve run left Ray processes or its port behind"
        time.sleep(1)
