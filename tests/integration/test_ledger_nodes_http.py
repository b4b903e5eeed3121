"""The licensing flow over HTTP with the ledger on real nodes from npm, set up as a user would with
``ledger_rpc_url`` and the funder key in MUSE_LEDGER_FUNDER_KEY: Hardhat Network (cancun, the default
``ledger_evm_version``), and Ganache 7.9 (shanghai), where Muse refuses to start with the default and runs the
ledger with ``ledger_evm_version: shanghai``. Each node gets one Muse, restarted once: register, offer, buy, verify, a
restart keeps it all, and the royalties are withdrawn (the contract's one ``@nonreentrant`` function)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from deployments.ledger import FUNDER_KEY_ENV
from ledger.evm_version import EvmVersion
from tests.integration.conftest import PROFILE, Server, _free_port, refused_start, running
from tests.integration import evm_nodes
from tests.integration.evm_nodes import GANACHE, HARDHAT, Node, running_node
from tests.integration.http_helpers import as_user

pytestmark = pytest.mark.integration

FEE = 10**16  # 0.01 ether
NOBODY = "0x" + "12" * 20


@pytest.fixture(scope="module")
def hardhat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    with running_node(HARDHAT, tmp_path_factory.mktemp("hardhat") / "node.log") as node:
        yield node


@pytest.fixture(scope="module")
def ganache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    with running_node(GANACHE, tmp_path_factory.mktemp("ganache") / "node.log") as node:
        yield node


def muse_on(node: Node, home: Path, evm_version: EvmVersion) -> Server:
    """A Muse (not started) whose ledger is on ``node``, compiled for ``evm_version``: the test profile, and an
    overlay as a user would write it."""
    overlay = home / "ledger-node.yaml"
    overlay.write_text(
        yaml.safe_dump(
            {
                "applications": [
                    {"name": "muse", "args": {"ledger_rpc_url": node.url, "ledger_evm_version": evm_version}}
                ]
            }
        )
    )
    return Server(
        port=_free_port(),
        home=home,
        log=home / "serve.log",
        profiles=(PROFILE, overlay),
        env={FUNDER_KEY_ENV: node.spec.funder_key},
    )


def license_across_a_restart(server: Server, node: Node) -> None:
    owner, buyer = (server.add_user(name) for name in ("node-owner", "node-buyer"))
    client = httpx.Client(base_url=server.url, timeout=60)
    ledger = client.get("/v1/ledger").json()
    assert (ledger["chain_id"], ledger["embedded"]) == (node.spec.chain_id, False)
    buyer_address = client.get("/v1/account", headers=as_user(buyer)).json()["address"]

    response = client.post(
        "/v1/works",
        headers=as_user(owner),
        json={"title": "Ode to a Node", "content": f"registered on {node.spec.package}"},
    )
    assert response.status_code == 201, response.text
    work_id = response.json()["id"]
    response = client.put(
        f"/v1/works/{work_id}/terms", headers=as_user(owner), json={"template": "commercial_use", "fee_wei": FEE}
    )
    assert response.status_code == 200, response.text
    response = client.post(f"/v1/works/{work_id}/licenses", headers=as_user(buyer))
    assert response.status_code == 201, response.text

    def may_use(holder: str) -> bool:
        response = client.get("/v1/licenses/verify", params={"work_id": work_id, "holder": holder, "use": "commercial"})
        assert response.status_code == 200, response.text
        return response.json()["valid"]

    def state() -> dict:
        return {
            "ledger": client.get("/v1/ledger").json()["contract"],
            "work": client.get(f"/v1/works/{work_id}").json(),
            "listing": client.get("/v1/works", params={"q": "Node"}).json(),
            "licenses": client.get("/v1/licenses", params={"work_id": work_id}).json(),
            "accounts": [client.get("/v1/account", headers=as_user(key)).json() for key in (owner, buyer)],
        }

    assert may_use(buyer_address) and not may_use(NOBODY)
    before = state()
    assert before["accounts"][0]["royalties_wei"] == FEE and before["licenses"]["total"] == 1

    server.restart()

    assert state() == before
    assert may_use(buyer_address) and not may_use(NOBODY)
    response = client.post("/v1/account/withdraw", headers=as_user(owner))
    assert response.status_code == 200, response.text
    assert response.json()["withdrawn_wei"] == FEE and response.json()["royalties_wei"] == 0


def test_hardhat_runs_the_ledger_compiled_for_cancun(hardhat: Node, tmp_path_factory: pytest.TempPathFactory):
    with running(muse_on(hardhat, tmp_path_factory.mktemp("muse_hardhat"), "cancun")) as server:
        license_across_a_restart(server, hardhat)


def test_ganache_refuses_the_ledger_compiled_for_cancun_at_start(
    ganache: Node, tmp_path_factory: pytest.TempPathFactory
):
    printed = refused_start(muse_on(ganache, tmp_path_factory.mktemp("muse_ganache_cancun"), "cancun"))
    for words in (
        "looks like a shanghai chain",
        "ledger_evm_version 'cancun'",
        "MCOPY, TLOAD, TSTORE",
        "invalid opcode",
        "Set ledger_evm_version: shanghai",
    ):
        assert words in printed, f"{words!r} not in what muse serve printed:\n{printed[-4000:]}"


def test_ganache_runs_the_ledger_compiled_for_shanghai(ganache: Node, tmp_path_factory: pytest.TempPathFactory):
    with running(muse_on(ganache, tmp_path_factory.mktemp("muse_ganache"), "shanghai")) as server:
        license_across_a_restart(server, ganache)
    (record,) = json.loads((server.home / "ledger" / "deployment.json").read_text()).values()
    assert record["evm_version"] == "shanghai"


def test_a_failed_npm_install_fails_the_tests_with_npms_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """No registry (CI offline): the node tests fail and say why; they are never skipped."""
    monkeypatch.setattr(evm_nodes, "NODES_CACHE", tmp_path / "npm-nodes")
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("npm_config_fetch_retries", "0")
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))  # not the machine's cache, which may hold it
    with pytest.raises(pytest.fail.Exception, match=r"npm install ganache@7\.9\.2 failed \(is the npm registry"):
        evm_nodes.install(GANACHE)
