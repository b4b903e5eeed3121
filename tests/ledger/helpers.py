"""Small helpers shared by the ledger tests."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.contract.contract import ContractFunction

from ledger.errors import translated


def view(call: ContractFunction) -> Any:
    """A raw contract view, with reverts translated to ledger errors."""
    with translated():
        return call.call()


def now(w3: Web3) -> int:
    return w3.eth.get_block("latest")["timestamp"]


def advance(w3: Web3, seconds: int) -> None:
    """Move the chain's clock forward and mine a block at the new time."""
    w3.testing.timeTravel(now(w3) + seconds)
    w3.testing.mine()
