"""Start the real application with ``muse serve`` on 127.0.0.1 once per session, and stop it afterwards.

Teardown checks the shutdown too: SIGTERM must end the server with status 0 and leave no Ray process behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

PROFILE = Path(__file__).with_name("serve_test_profile.yaml")
START_TIMEOUT_S = 420


@dataclass
class Server:
    port: int
    home: Path  # MUSE_HOME: everything that must survive a restart
    log: Path
    process: subprocess.Popen | None = None
    ray_temp_dir: str = ""
    dashboard_port: int | None = None  # Ray's dashboard (for `serve status`); None: --no-dashboard
    python: str = sys.executable  # the environment Muse runs from (a fresh one for the wheel test)
    cwd: Path | None = None  # where `muse serve` starts (None: here)
    profiles: tuple[Path, ...] = (PROFILE,)  # overlays of serve_config.yaml, in order
    env: dict[str, str] = field(default_factory=dict)  # more environment for `muse serve`
    # Serve's HAProxy ingress binds fixed ports (9101, 8404), so only one server at a time may use it: the
    # session's. Any other (the wheel's, a real node's) runs Serve's own proxy, next to the session's server.
    haproxy: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def restart(self) -> None:
        """A full restart of Muse: stop it (cleanly, as checked at teardown) and start it again."""
        _stop(self)
        _start(self)

    def crash_and_restart(self) -> None:
        """kill -9 every process of this Muse (the CLI, Ray, its workers, HAProxy), then start it again."""
        doomed = [*psutil.Process(self.process.pid).children(recursive=True), *_listeners(self.port)]
        os.killpg(self.process.pid, signal.SIGKILL)
        for process in doomed:  # HAProxy and Ray's daemons leave the process group: kill them one by one
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        self.process.wait()
        deadline = time.monotonic() + 30
        while _ray_processes(self.ray_temp_dir) or not _port_is_free(self.port):
            assert time.monotonic() < deadline, "processes of the killed Muse are still there"
            time.sleep(0.5)
        _start(self)

    def muse(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Run the real ``muse`` CLI on this server's data directory."""
        return subprocess.run(
            [self.python, "-m", "muse.cli", *args],
            check=check,
            cwd=self.cwd,
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, "MUSE_HOME": str(self.home)},
            timeout=300,
        )

    def add_user(self, name: str, admin: bool = False) -> str:
        """Create a user with the real CLI; returns its API key (the last line of stdout)."""
        out = self.muse("users", "add", name, *(["--admin"] if admin else []))
        return out.stdout.strip().splitlines()[-1]

    def status(self) -> dict:
        return httpx.get(f"{self.url}/v1/system/status", timeout=30).json()

    def replicas(self, deployment: str) -> dict[str, int]:
        apps = self.status()["applications"].values()
        return next(app["deployments"][deployment]["replicas"] for app in apps if deployment in app["deployments"])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listeners(port: int) -> list[psutil.Process]:
    """The processes listening on ``port`` (HAProxy, for Serve's HTTP port)."""
    pids = {
        c.pid
        for c in psutil.net_connections("tcp")
        if c.laddr and c.laddr.port == port and c.status == psutil.CONN_LISTEN and c.pid
    }
    return [psutil.Process(pid) for pid in pids]


def _ray_processes(temp_dir: str) -> list[str]:
    out = subprocess.run(["pgrep", "-af", temp_dir], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "pgrep" not in line]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def _wait_until_running(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"muse serve exited early:\n{server.log.read_text()[-4000:]}")
        try:
            apps = server.status()["applications"]
            if {"muse", "muse-recommend"} <= apps.keys() and all(a["status"] == "RUNNING" for a in apps.values()):
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(1)
    pytest.fail(f"muse serve not ready in {START_TIMEOUT_S} s:\n{server.log.read_text()[-4000:]}")


def launch(server: Server) -> None:
    """Run ``muse serve`` for ``server`` (a fresh Ray session each time), without waiting for it."""
    server.ray_temp_dir = tempfile.mkdtemp(prefix="mray", dir="/tmp")  # short: Ray's socket paths are limited
    env = {
        **os.environ,
        "MUSE_HOME": str(server.home),
        "RAY_AUTH_MODE": "disabled",
        "PYTHONUNBUFFERED": "1",
        **({} if server.haproxy else {"RAY_SERVE_ENABLE_HA_PROXY": "0", "RAY_SERVE_THROUGHPUT_OPTIMIZED": "0"}),
        **server.env,
    }
    with server.log.open("a") as log_file:
        server.process = subprocess.Popen(
            [
                server.python,
                "-m",
                "muse.cli",
                "serve",
                *(a for p in server.profiles for a in ("--profile", str(p))),
                "--port",
                str(server.port),
                "--ray-temp-dir",
                server.ray_temp_dir,
                "--metrics-port",
                "0",
                *(["--dashboard-port", str(server.dashboard_port)] if server.dashboard_port else ["--no-dashboard"]),
            ],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=server.cwd,
        )


def _start(server: Server) -> None:
    """Run ``muse serve`` for ``server`` and wait until it is ready."""
    launch(server)
    _wait_until_running(server)


def refused_start(server: Server) -> str:
    """Run ``muse serve`` for ``server``, which must exit with an error before it is ready, leaving no Ray process
    and a free port; returns what it printed."""
    printed_before = server.log.stat().st_size if server.log.exists() else 0
    launch(server)
    try:
        code = server.process.wait(timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        pytest.fail(f"muse serve did not refuse to start in {START_TIMEOUT_S} s:\n{server.log.read_text()[-3000:]}")
    printed = server.log.read_bytes()[printed_before:].decode(errors="replace")
    assert code != 0, f"muse serve exited with 0:\n{printed[-3000:]}"
    deadline = time.monotonic() + 30
    while _ray_processes(server.ray_temp_dir) or not _port_is_free(server.port):
        assert time.monotonic() < deadline, "the refused start left Ray processes, or its port, behind"
        time.sleep(0.5)
    return printed


def _stop(server: Server) -> None:
    """SIGTERM must end the server with status 0, leaving no Ray process and a free port."""
    server.process.send_signal(signal.SIGTERM)
    try:
        code = server.process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        pytest.fail(f"muse serve ignored SIGTERM:\n{server.log.read_text()[-3000:]}")
    time.sleep(2)
    leftovers = _ray_processes(server.ray_temp_dir)
    assert code == 0, f"muse serve exited with {code}:\n{server.log.read_text()[-3000:]}"
    assert not leftovers, f"Ray processes left behind: {leftovers}"
    assert _port_is_free(server.port), f"something still listens on {server.port} (HAProxy left behind?)"


@contextlib.contextmanager
def running(srv: Server) -> Iterator[Server]:
    """``srv`` started, and stopped (with the shutdown checks) when the block ends."""
    try:
        _start(srv)
        yield srv
    finally:
        if srv.process is not None and srv.process.poll() is None:
            _stop(srv)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder starts the application (or shares the session's): ``-m "not integration"``
    (``make test-fast``) leaves them out."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Server:
    home = tmp_path_factory.mktemp("muse_home")
    with running(
        Server(port=_free_port(), home=home, log=home / "serve.log", dashboard_port=_free_port(), haproxy=True)
    ) as srv:
        yield srv
