"""Small helpers shared by the ledger tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
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


@contextmanager
def snapshot(w3: Web3) -> Iterator[None]:
    """Undo every block mined inside the block (each hypothesis example starts from the same chain)."""
    taken = w3.testing.snapshot()
    try:
        yield
    finally:
        w3.testing.revert(taken)


def fund(w3: Web3, funder: str, count: int, wei: int) -> list[LocalAccount]:
    """``count`` new accounts holding ``wei`` each."""
    players = [Account.create() for _ in range(count)]
    for p in players:
        w3.eth.send_transaction({"from": funder, "to": p.address, "value": wei})
    return players
