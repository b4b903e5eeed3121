"""A small storage-heavy Vyper contract and signed-transaction helpers for the chain tests and benchmark."""

from __future__ import annotations

from functools import cache
from typing import Any

import vyper
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

# Each registration writes ~9 fresh storage slots and logs a ~100-byte string: ~250k gas.
SOURCE = """
# pragma version 0.4.3

event Registered:
    work_id: indexed(uint256)
    owner: indexed(address)
    uri: String[128]

struct Work:
    owner: address
    price: uint256
    royalty: uint256
    created: uint256
    uri: String[128]

works: public(HashMap[uint256, Work])
count: public(uint256)

@external
def register(uri: String[128], price: uint256, royalty: uint256) -> uint256:
    self.count += 1
    self.works[self.count] = Work(owner=msg.sender, price=price, royalty=royalty, created=block.timestamp, uri=uri)
    log Registered(work_id=self.count, owner=msg.sender, uri=uri)
    return self.count

@view
@external
def now() -> uint256:
    return block.timestamp

@view
@external
def positive(x: uint256) -> uint256:
    assert x > 0, "x is zero"
    return x
"""


@cache
def compiled() -> tuple[list[dict[str, Any]], str]:
    out = vyper.compile_code(SOURCE, output_formats=["abi", "bytecode"])
    return out["abi"], out["bytecode"]


def send(w3: Web3, account: LocalAccount, tx: dict[str, Any]) -> TxReceipt:
    """Sign locally, send raw and wait for the receipt, as Muse does."""
    tx = {
        "from": account.address,
        "nonce": w3.eth.get_transaction_count(account.address, "pending"),
        "chainId": w3.eth.chain_id,
        **tx,
    }
    if "gas" not in tx:
        tx["gas"] = w3.eth.estimate_gas(tx)
    tx.setdefault("maxFeePerGas", 2 * 10**9)
    tx.setdefault("maxPriorityFeePerGas", 10**9)
    signed = account.sign_transaction(tx)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction))
    assert receipt["status"] == 1, receipt
    return receipt


def deploy(w3: Web3, account: LocalAccount) -> Contract:
    abi, bytecode = compiled()
    receipt = send(w3, account, {"data": bytecode})
    return w3.eth.contract(address=receipt["contractAddress"], abi=abi)


def register(w3: Web3, account: LocalAccount, registry: Contract, uri: str, price: int = 1) -> TxReceipt:
    """Register a work with a fixed gas limit: py-evm's gas estimate alone costs ~13 runs of the call."""
    data = registry.encode_abi("register", [uri, price, 500])
    return send(w3, account, {"to": registry.address, "data": data, "gas": 400_000})
