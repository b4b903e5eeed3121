"""Real EVM nodes from npm for the ledger's integration tests: Hardhat Network (cancun) and Ganache (shanghai).

Each package is installed once into ``.cache/npm-nodes/<package>-<version>`` (ignored by git), so a second run
starts at once; CI installs from the npm registry. A failed install fails the test with npm's own words, never
skips it. A node runs on 127.0.0.1 on a free port, in its own process group, for as long as its fixture.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from core.paths import REPO_ROOT
from ledger.evm_version import EvmVersion
from tests.integration.conftest import _free_port

NODES_CACHE = REPO_ROOT / ".cache" / "npm-nodes"
INSTALL_TIMEOUT_S = 300
READY_TIMEOUT_S = 120


@dataclass(frozen=True)
class NodeSpec:
    package: str
    version: str  # exact: what runs in CI is what ran here
    evm_version: EvmVersion  # the newest the node's fork runs
    funder_key: str  # its first deterministic account: publicly known, holds test ether only
    chain_id: int
    config: str | None = None  # hardhat.config.js, for Hardhat

    @property
    def folder(self) -> Path:
        return NODES_CACHE / f"{self.package}-{self.version}"

    def command(self, port: int) -> list[str]:
        binary = str(self.folder / "node_modules" / ".bin" / self.package)
        if self.package == "hardhat":
            return [binary, "node", "--hostname", "127.0.0.1", "--port", str(port)]
        return [
            binary,
            "--wallet.deterministic",
            "--chain.chainId",
            str(self.chain_id),
            "--chain.hardfork",
            self.evm_version,
            "--server.host",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--logging.quiet",
        ]


HARDHAT = NodeSpec(
    "hardhat",
    "2.29.1",
    "cancun",
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    31337,
    config='module.exports = { networks: { hardhat: { hardfork: "cancun" } } };\n',
)
GANACHE = NodeSpec(
    "ganache", "7.9.2", "shanghai", "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d", 1337
)


@dataclass(frozen=True)
class Node:
    spec: NodeSpec
    url: str


def install(spec: NodeSpec) -> None:
    """``npm install`` the node's package into its cache folder, unless it is there already."""
    if (spec.folder / "node_modules" / ".bin" / spec.package).exists():
        return
    if shutil.which("npm") is None:
        pytest.fail("npm is not installed: the ledger's node tests need Node.js 18+ and npm (README: Ledger)")
    spec.folder.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            [
                "npm",
                "install",
                "--prefix",
                str(spec.folder),
                f"{spec.package}@{spec.version}",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"npm install {spec.package}@{spec.version} took over {INSTALL_TIMEOUT_S} s "
            "(is the npm registry reachable?)"
        )
    if done.returncode != 0:
        pytest.fail(
            f"npm install {spec.package}@{spec.version} failed (is the npm registry reachable?):\n{done.stderr[-2000:]}"
        )


@contextmanager
def running_node(spec: NodeSpec, log: Path) -> Iterator[Node]:
    """The node installed, started on a free port and answering JSON-RPC; stopped when the block ends."""
    install(spec)
    if spec.config:
        (spec.folder / "hardhat.config.js").write_text(spec.config)
    port = _free_port()
    env = {**os.environ, "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true"}
    with log.open("a") as log_file:
        process = subprocess.Popen(
            spec.command(port),
            cwd=spec.folder,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    node = Node(spec, f"http://127.0.0.1:{port}")
    try:
        _wait_until_answering(node, process, log)
        yield node
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_answering(node: Node, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    request = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{node.spec.package} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if int(httpx.post(node.url, json=request, timeout=5).json()["result"], 16) == node.spec.chain_id:
                return
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{node.spec.package} did not answer in {READY_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
