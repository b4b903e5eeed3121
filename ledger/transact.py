"""Send contract transactions signed locally, so any JSON-RPC node (or eth-tester) works without unlocked accounts."""

from __future__ import annotations

import threading

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.types import TxParams, TxReceipt

from ledger.errors import InsufficientFunds, LedgerError, translated

GAS_HEADROOM_PERCENT = 20  # over the estimate, in case state moves between estimate and inclusion
_nonce_lock = threading.Lock()  # two sends from one account must not read the same pending nonce


def send(w3: Web3, sender: LocalAccount, call: ContractFunction | ContractConstructor, value: int = 0) -> TxReceipt:
    """Estimate, sign, send and wait for the receipt; reverts raise ``LedgerError``s (before anything is sent).

    web3 fills the gas (``estimate_gas``), the chain id and EIP-1559 fees (priority fee from the node, max fee
    twice the latest base fee on top), or a legacy gas price where a gas price strategy is set.
    """
    with translated():
        with _nonce_lock:
            nonce = w3.eth.get_transaction_count(sender.address, "pending")
            tx = call.build_transaction({"from": sender.address, "value": value, "nonce": nonce})
            tx["gas"] = tx["gas"] * (100 + GAS_HEADROOM_PERCENT) // 100
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
