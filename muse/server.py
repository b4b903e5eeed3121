"""``muse serve``: start Ray and the Muse application in the foreground; stop both cleanly on a signal."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from types import FrameType

import ray
from ray import serve
from ray.serve._private import api as serve_private_api
from ray.serve.config import gRPCOptions
from ray.serve.schema import ApplicationStatusOverview, DeploymentStatus, ServeDeploySchema

from core.paths import INTERNAL_URL_ENV, METRICS_URL_ENV, muse_home
from muse.serve_config import DEFAULT_DASHBOARD_PORT, DEFAULT_METRICS_PORT

log = logging.getLogger("muse.serve")

READY_TIMEOUT_S = 600

# Serve's high-throughput mode (Ray >= 2.55): HAProxy as the HTTP ingress instead of the Python proxy,
# and direct gRPC between replicas. On a 2-core machine it halves the cost of every streamed chunk.
# Set either variable to 0 before `muse serve` to turn it off. In that mode an ingress replica keeps
# draining for 30 s on shutdown so that remote load balancers notice; one local HAProxy needs 2 s.
SERVE_THROUGHPUT_MODE = {
    "RAY_SERVE_ENABLE_HA_PROXY": "1",
    "RAY_SERVE_THROUGHPUT_OPTIMIZED": "1",
    "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": "2",
}


#: Settings of the config's ``runtime_env`` that the operator's environment overrides under ``muse serve``.
PASSED_THROUGH = ("HF_HUB_OFFLINE", "FORWARDED_ALLOW_IPS")


def replica_environment(metrics_url: str | None = None, internal_url: str | None = None) -> dict[str, str]:
    """What ``muse serve`` adds to the config's own ``runtime_env`` (which ``serve run`` gets too): the data
    directory, where Ray's Prometheus endpoint is (for ``GET /v1/system/metrics``), Muse's own HTTP address
    (the demo's backend), and the operator's ``HF_HUB_OFFLINE`` and ``FORWARDED_ALLOW_IPS`` when set."""
    passed_through = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    return {
        "MUSE_HOME": str(muse_home()),
        **({METRICS_URL_ENV: metrics_url} if metrics_url else {}),
        **({INTERNAL_URL_ENV: internal_url} if internal_url else {}),
        **passed_through,
    }


def with_environment(config: dict, env: dict[str, str]) -> dict:
    """``env`` added to every application's ``runtime_env``, over what the config sets."""
    for app in config.get("applications", []):
        runtime_env = app.get("runtime_env", {})  # a new dict per app: YAML anchors share one between apps
        app["runtime_env"] = {**runtime_env, "env_vars": {**runtime_env.get("env_vars", {}), **env}}
    return config


def internal_url(http_options: dict) -> str:
    """Muse's own HTTP address as seen from this machine: the configured host and port, with a wildcard host
    (all interfaces) reached through the loopback. ``MUSE_INTERNAL_URL`` overrides it (e.g. on a cluster)."""
    host = http_options.get("host") or "127.0.0.1"
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    return os.environ.get(INTERNAL_URL_ENV) or f"http://{host}:{http_options.get('port') or 8000}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def run_server(
    config: dict,
    ray_address: str | None = None,
    object_store_mb: int = 300,
    ray_temp_dir: str | None = None,
    metrics_port: int = DEFAULT_METRICS_PORT,
    dashboard_port: int | None = DEFAULT_DASHBOARD_PORT,
) -> None:
    """Deploy ``config`` (a serve_config.yaml dict) and block until SIGINT/SIGTERM.

    When it starts Ray itself, Ray exports Serve's and Muse's metrics for Prometheus on ``metrics_port`` (0: a
    free port) and runs the Ray dashboard on 127.0.0.1:``dashboard_port`` (None: no dashboard, which saves a
    few hundred MB and some CPU; ``serve status`` needs it). On a cluster (``ray_address``) both are the
    cluster's: set ``MUSE_METRICS_URL`` to its metrics endpoint. Stopping then deletes only Muse's
    applications, never the cluster's other Serve applications.
    """
    metrics_port = metrics_port or _free_port()
    metrics_url = os.environ.get(METRICS_URL_ENV) or (
        None if ray_address else f"http://127.0.0.1:{metrics_port}/metrics"
    )
    environment = replica_environment(metrics_url, internal_url(config.get("http_options", {})))
    schema = ServeDeploySchema.model_validate(with_environment(config, environment))
    for name, value in SERVE_THROUGHPUT_MODE.items():
        os.environ.setdefault(name, value)  # read by Serve's controller and proxy, which inherit it
    try:
        if ray_address:
            ray.init(address=ray_address, logging_level=logging.WARNING)
        else:
            ray.init(
                include_dashboard=dashboard_port is not None,
                dashboard_host="127.0.0.1",
                dashboard_port=dashboard_port or DEFAULT_DASHBOARD_PORT,
                object_store_memory=object_store_mb * 2**20,
                logging_level=logging.WARNING,
                _temp_dir=ray_temp_dir,
                _metrics_export_port=metrics_port,
            )
        # After ray.init, which installs its own SIGTERM handler in the driver.
        signal.signal(signal.SIGTERM, _raise_stop)
        signal.signal(signal.SIGINT, _raise_stop)
        # What `serve run serve_config.yaml` does, without its CLI.
        client = serve_private_api.serve_start(
            http_options=schema.http_options.model_dump(),
            proxy_location=schema.proxy_location,
            grpc_options=gRPCOptions(**schema.grpc_options.model_dump()),
        )
        client.deploy_apps(schema, _blocking=False)
        started = time.monotonic()
        _wait_until_running([app.name for app in schema.applications])
        http = schema.http_options
        log.info(
            "Muse is ready on http://%s:%d (started in %.1f s, data in %s, Prometheus metrics at %s)",
            http.host,
            http.port,
            time.monotonic() - started,
            muse_home(),
            metrics_url,
        )
        while True:
            time.sleep(3600)
    except _Stop as stop:
        log.info("received %s, shutting down", stop)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if ray.is_initialized():
            _stop_applications([app.name for app in schema.applications], shared_cluster=bool(ray_address))
            ray.shutdown()
        log.info("stopped")


def _stop_applications(names: list[str], shared_cluster: bool) -> None:
    """On our own Ray, all of Serve goes; on a shared cluster, only Muse's applications."""
    if not shared_cluster:
        serve.shutdown()
        return
    for name in names:
        log.info("deleting the Serve application %s", name)
        serve.delete(name)


def _failure(name: str, app: ApplicationStatusOverview) -> str:
    """Why an application failed: its own message names only the failed deployments; theirs hold the error a
    replica's constructor raised (e.g. the ledger refusing a node whose fork cannot run its contract)."""
    reasons = [
        f"{deployment}: {status.message}"
        for deployment, status in app.deployments.items()
        if status.status in (DeploymentStatus.DEPLOY_FAILED, DeploymentStatus.UNHEALTHY) and status.message
    ]
    return "\n".join([f"{name}: {app.message}", *reasons])


def _wait_until_running(app_names: list[str]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        apps = serve.status().applications
        states = {name: apps[name].status if name in apps else "NOT_STARTED" for name in app_names}
        failed = [_failure(name, apps[name]) for name, s in states.items() if s == "DEPLOY_FAILED"]
        if failed:
            raise RuntimeError("deployment failed:\n" + "\n".join(failed))
        if all(s == "RUNNING" for s in states.values()):
            return
        time.sleep(0.5)
    raise TimeoutError(f"the application did not become ready in {READY_TIMEOUT_S} s")
