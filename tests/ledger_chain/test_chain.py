"""The durable embedded chain keeps everything across restarts, and kill -9, and refuses a second opener."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from eth_account import Account
from eth_tester import EthereumTester
from web3.exceptions import ContractLogicError, Web3RPCError

from ledger.chain import (
    ChainError,
    ChainLockedError,
    open_embedded_chain,
    open_rpc_chain,
)
from tests.ledger_chain.registry import compiled, deploy, register, send

REPO = Path(__file__).resolve().parents[2]
MAX_CODE_SIZE = 24_576  # EIP-170

# Deploys, registers one work, prints what it wrote once the receipt is in, then waits to be killed.
WRITE_THEN_WAIT = """
import json, sys, time
from pathlib import Path
from ledger.chain import open_embedded_chain
from tests.ledger_chain.registry import deploy, register
chain = open_embedded_chain(Path(sys.argv[1]))
registry = deploy(chain.w3, chain.funder)
receipt = register(chain.w3, chain.funder, registry, "written just before kill -9")
print(json.dumps({"address": registry.address, "tx": receipt["transactionHash"].to_0x_hex()}), flush=True)
time.sleep(120)
"""


def test_restart_keeps_blocks_state_logs_and_receipts(tmp_path: Path) -> None:
    chain = open_embedded_chain(tmp_path)
    w3, funder = chain.w3, chain.funder
    user = Account.create()
    send(w3, funder, {"to": user.address, "value": 10**18})
    registry = deploy(w3, funder)
    first = register(w3, funder, registry, "ipfs://first")
    register(w3, funder, registry, "ipfs://second")
    before = {
        "head": w3.eth.get_block("latest"),
        "funder_balance": w3.eth.get_balance(funder.address),
        "funder_nonce": w3.eth.get_transaction_count(funder.address),
        "logs": registry.events.Registered.get_logs(from_block=0),
        "receipt": w3.eth.get_transaction_receipt(first["transactionHash"]),
        "transaction": w3.eth.get_transaction(first["transactionHash"]),
    }
    chain.close()
    chain.close()  # idempotent

    chain = open_embedded_chain(tmp_path)
    w3 = chain.w3
    registry = w3.eth.contract(address=registry.address, abi=registry.abi)
    assert w3.eth.get_block("latest") == before["head"]
    assert w3.eth.get_balance(user.address) == 10**18
    assert w3.eth.get_balance(funder.address) == before["funder_balance"]
    assert w3.eth.get_transaction_count(funder.address, "pending") == before["funder_nonce"]
    assert registry.functions.count().call() == 2
    assert registry.functions.works(1).call()[4] == "ipfs://first"
    assert registry.events.Registered.get_logs(from_block=0) == before["logs"]
    assert w3.eth.get_transaction_receipt(first["transactionHash"]) == before["receipt"]
    assert w3.eth.get_transaction(first["transactionHash"]) == before["transaction"]

    third = register(w3, funder, registry, "ipfs://third")
    assert third["blockNumber"] == before["head"]["number"] + 1
    assert w3.eth.get_block(third["blockNumber"])["timestamp"] > before["head"]["timestamp"]
    chain.close()


def test_kill_9_after_a_receipt_loses_nothing_and_leaves_no_lock(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", WRITE_THEN_WAIT, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        written = json.loads(child.stdout.readline())
        with pytest.raises(ChainLockedError, match=f"already open by process {child.pid};"):
            open_embedded_chain(tmp_path)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()

    chain = open_embedded_chain(tmp_path)
    receipt = chain.w3.eth.get_transaction_receipt(written["tx"])
    assert receipt["status"] == 1
    assert chain.w3.eth.block_number == receipt["blockNumber"]
    registry = chain.w3.eth.contract(address=written["address"], abi=compiled()[0])
    assert registry.functions.works(1).call()[4] == "written just before kill -9"
    chain.close()


def test_a_second_opener_is_refused_until_close(tmp_path: Path) -> None:
    chain = open_embedded_chain(tmp_path)
    with pytest.raises(ChainLockedError, match=str(tmp_path)):
        open_embedded_chain(tmp_path)
    chain.close()
    open_embedded_chain(tmp_path).close()


def test_block_time_and_calls_follow_the_wall_clock(tmp_path: Path) -> None:
    chain = open_embedded_chain(tmp_path)
    registry = deploy(chain.w3, chain.funder)
    time.sleep(2.1)
    now = int(time.time())
    assert registry.functions.now().call() >= now
    receipt = register(chain.w3, chain.funder, registry, "later")
    assert chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"] >= now
    chain.close()


def test_errors_are_those_of_a_json_rpc_node(tmp_path: Path) -> None:
    chain = open_embedded_chain(tmp_path)
    registry = deploy(chain.w3, chain.funder)
    with pytest.raises(ContractLogicError, match="x is zero"):
        registry.functions.positive(0).call()
    with pytest.raises(ContractLogicError, match="x is zero"):
        registry.functions.positive(0).estimate_gas({"from": chain.funder.address})
    chain.close()


def test_rejected_transaction_changes_nothing(tmp_path: Path) -> None:
    chain = open_embedded_chain(tmp_path)
    w3, funder = chain.w3, chain.funder
    registry = deploy(w3, funder)
    stale = {"to": funder.address, "nonce": 0, "gas": 21_000, "maxFeePerGas": 2 * 10**9}
    stale |= {"maxPriorityFeePerGas": 10**9, "chainId": w3.eth.chain_id}
    with pytest.raises(Web3RPCError, match="nonce"):
        w3.eth.send_raw_transaction(funder.sign_transaction(stale).raw_transaction)
    head = w3.eth.block_number
    chain.close()

    chain = open_embedded_chain(tmp_path)
    assert chain.w3.eth.block_number == head
    assert register(chain.w3, chain.funder, chain.w3.eth.contract(address=registry.address, abi=registry.abi), "ok")
    chain.close()


def test_blocks_fit_a_largest_contract(tmp_path: Path) -> None:
    chain = open_embedded_chain(tmp_path)
    # Init code returning MAX_CODE_SIZE zero bytes: PUSH2 size, PUSH1 0, RETURN.
    init_code = "0x61" + MAX_CODE_SIZE.to_bytes(2).hex() + "6000f3"
    receipt = send(chain.w3, chain.funder, {"data": init_code, "gas": 6_000_000})
    assert len(chain.w3.eth.get_code(receipt["contractAddress"])) == MAX_CODE_SIZE
    assert chain.w3.eth.get_block("latest")["gasLimit"] >= 30_000_000
    chain.close()


def test_get_logs_matches_eth_testers_own(tmp_path: Path) -> None:
    chain = open_embedded_chain(tmp_path)
    registry = deploy(chain.w3, chain.funder)
    for uri in ("a", "b", "c"):
        register(chain.w3, chain.funder, registry, uri)
    tester = chain.w3.provider.ethereum_tester
    owner_topic = "0x" + chain.funder.address[2:].lower().rjust(64, "0")
    for params in (
        {"from_block": 0},
        {"from_block": 3, "to_block": 4, "address": registry.address},
        {"from_block": "earliest", "topics": [None, None, owner_topic]},
        {"from_block": "latest"},
    ):
        assert tester.get_logs(**params) == EthereumTester.get_logs(tester, **params)
    chain.close()


def test_rpc_chain_needs_a_reachable_node() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ChainError, match=f"cannot reach the JSON-RPC node at http://127.0.0.1:{port}"):
        open_rpc_chain(f"http://127.0.0.1:{port}")


class _ChainIdNode(BaseHTTPRequestHandler):
    """Answers every JSON-RPC request with chain id 1337 (every call with the word 1, as a node that runs the EVM
    version probes does) and records the methods it was asked."""

    methods: list[str] = []

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.methods.append(request["method"])
        result = f"0x{1:064x}" if request["method"] == "eth_call" else "0x539"
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": result}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_rpc_chain_connects_with_an_optional_funder() -> None:
    server = HTTPServer(("127.0.0.1", 0), _ChainIdNode)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        key = Account.create().key.to_0x_hex()
        chain = open_rpc_chain(f"http://127.0.0.1:{server.server_port}", funder_key=key)
        assert not chain.embedded
        assert chain.w3.eth.chain_id == 1337
        assert "eth_chainId" in _ChainIdNode.methods, "the client should have asked the node itself"
        assert chain.funder.key.to_0x_hex() == key
        assert open_rpc_chain(f"http://127.0.0.1:{server.server_port}").funder is None
    finally:
        server.shutdown()
        server.server_close()


def test_gas_estimate_is_enough_and_tight(tmp_path: Path) -> None:
    """The embedded chain estimates in two runs (ledger.chain._estimate_gas); a transaction sent with exactly
    the estimate succeeds, and the estimate is within the 1/64 call allowance of what it used."""
    chain = open_embedded_chain(tmp_path)
    try:
        registry = deploy(chain.w3, chain.funder)  # sent with its bare estimate: must not run out of gas
        call = {"to": registry.address, "data": registry.encode_abi("register", ["ipfs://estimated", 1, 500])}
        estimate = chain.w3.eth.estimate_gas({"from": chain.funder.address, **call})
        receipt = send(chain.w3, chain.funder, {**call, "gas": estimate})
        assert receipt["gasUsed"] <= estimate <= receipt["gasUsed"] * 64 // 63 + 1
    finally:
        chain.close()
