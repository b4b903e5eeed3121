"""Send contract transactions signed locally, so any JSON-RPC node (or eth-tester) works without unlocked accounts."""

from __future__ import annotations

import threading
from collections.abc import Callable

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.types import TxParams, TxReceipt

from ledger.errors import InsufficientFunds, LedgerError, translated

TRANSFER_GAS = 21_000  # exact for a payment to an account
GAS_HEADROOM_PERCENT = 20  # over the estimate, in case state moves between estimate and inclusion
_nonce_lock = threading.Lock()  # two sends from one account must not read the same pending nonce


def send(w3: Web3, sender: LocalAccount, call: ContractFunction | ContractConstructor, value: int = 0) -> TxReceipt:
    """Estimate, sign, send and wait for the receipt; reverts raise ``LedgerError``s (before anything is sent).

    web3 fills the gas (``estimate_gas``), the chain id and EIP-1559 fees (priority fee from the node, max fee
    twice the latest base fee on top), or a legacy gas price where a gas price strategy is set.
    """

    def build(nonce: int) -> TxParams:
        tx = call.build_transaction({"from": sender.address, "value": value, "nonce": nonce})
        tx["gas"] = tx["gas"] * (100 + GAS_HEADROOM_PERCENT) // 100
        return tx

    return _send(w3, sender, build)


def send_value(w3: Web3, sender: LocalAccount, to: str, value: int) -> TxReceipt:
    """Pay ``value`` wei to ``to`` (an account, not a contract: the gas is a plain transfer's)."""
    return _send(
        w3,
        sender,
        lambda nonce: {
            "from": sender.address,
            "to": to,
            "value": value,
            "nonce": nonce,
            "gas": TRANSFER_GAS,
            "chainId": w3.eth.chain_id,
            "maxPriorityFeePerGas": w3.eth.max_priority_fee,
            "maxFeePerGas": 2 * w3.eth.get_block("latest")["baseFeePerGas"] + w3.eth.max_priority_fee,
        },
    )


def _send(w3: Web3, sender: LocalAccount, build: Callable[[int], TxParams]) -> TxReceipt:
    with translated():
        with _nonce_lock:
            tx = build(w3.eth.get_transaction_count(sender.address, "pending"))
            _check_affordable(w3, tx)
            tx_hash = w3.eth.send_raw_transaction(sender.sign_transaction(tx).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1:
        raise LedgerError(f"transaction {tx_hash.to_0x_hex()} reverted on chain")
    return receipt


def _check_affordable(w3: Web3, tx: TxParams) -> None:
    price = tx.get("maxFeePerGas", tx.get("gasPrice", 0))
    cost = tx["value"] + tx["gas"] * price
    balance = w3.eth.get_balance(tx["from"])
    if balance < cost:
        raise InsufficientFunds(f"{tx['from']} has {balance} wei but the transaction may cost up to {cost} wei")
