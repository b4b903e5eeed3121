"""Property: whatever registrations, terms, purchases, grants, derivatives, transfers and withdrawals happen, no wei
is created or lost, and the contract always holds exactly the royalties it owes.

Each example registers a first work, then plays a random list of operations on one chain, checking after every
operation, and reverts to a snapshot. Operations name works and licenses by index into those made so far, and
"license" both offers terms and buys (or grants) them, so most operations move money.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from ledger.client import Ledger
from ledger.errors import Forbidden, InvalidRequest, NotFound
from ledger.types import BPS, Contributor, Template, Terms
from tests.ledger.helpers import advance, fund, snapshot

PLAYERS = 4
STARTING_WEI = 100 * 10**18

player = st.integers(0, PLAYERS - 1)
ref = st.integers(0, 7)  # a registered work or license, modulo how many there are
# Hypothesis favours the first of several choices: list odd fees (which leave rounding dust) and 2+ contributors first.
split = st.tuples(
    st.permutations(range(PLAYERS)), st.lists(st.integers(1, BPS - 1), unique=True, min_size=1, max_size=PLAYERS - 1)
)
terms = st.builds(
    Terms,
    st.sampled_from(list(Template)),
    fee_wei=st.sampled_from([10**15 + 7, 999, 1, 0]),
    rev_share_bps=st.sampled_from([3333, 1, BPS, 0]),
    duration_s=st.sampled_from([0, 3600]),
    active=st.booleans(),
)
operation = st.one_of(
    st.tuples(st.just("license"), ref, player, terms, st.booleans()),
    st.tuples(st.just("derive"), ref, ref, split),
    st.tuples(st.just("withdraw"), player),
    st.tuples(st.just("register"), player, split),
    st.tuples(st.just("set_terms"), ref, terms),
    st.tuples(st.just("buy"), player, ref),
    st.tuples(st.just("transfer"), ref, player),
    st.tuples(st.just("time_passes")),
)


class Economy:
    """Plays operations against the ledger and keeps the accounting needed to check conservation."""

    def __init__(self, ledger: Ledger, players: list[LocalAccount]):
        self.ledger, self.w3, self.players = ledger, ledger.w3, players
        self.works: list[int] = []
        self.owners: dict[int, int] = {}  # work id -> player index
        self.licenses: list[tuple[int, int]] = []  # (holder index, work id)
        self.checked_block = self.w3.eth.block_number
        self.gas_paid = 0
        self.initial_total = self._ether_held()

    def play(self, op: tuple) -> None:
        """Refused operations fail at gas estimation with the contract's reason: nothing is sent, and the
        invariants must still hold."""
        try:
            self._play(op)
        except (Forbidden, NotFound, InvalidRequest) as refusal:
            reason = str(refusal)
            assert reason and not reason.startswith(("forbidden:", "not found:", "invalid:")), (
                f"a refusal should carry the contract's reason without its category prefix, got {reason!r}"
            )

    def _play(self, op: tuple) -> None:
        match op:
            case ("license", work_ref, holder, offer, paid):
                work = self._work(work_ref)
                self.ledger.set_terms(self._owner(work), work, replace(offer, active=True))
                self._license(work, holder, paid)
            case ("derive", license_ref, other_ref, shares) if self.licenses:
                holder, parent = self.licenses[license_ref % len(self.licenses)]
                other = self._work(other_ref)
                self._register(holder, shares, [parent] if other == parent else [parent, other])
            case ("register", actor, shares):
                self._register(actor, shares, [])
            case ("set_terms", work_ref, new_terms):
                work = self._work(work_ref)
                self.ledger.set_terms(self._owner(work), work, new_terms)
            case ("buy", holder, work_ref):
                self._license(self._work(work_ref), holder, paid=True)
            case ("transfer", work_ref, to):
                work = self._work(work_ref)
                self.ledger.transfer(self._owner(work), work, self.players[to].address)
                self.owners[work] = to
            case ("withdraw", actor):
                owed = self.ledger.royalties_owed(self.players[actor].address)
                assert self.ledger.withdraw(self.players[actor]) == owed
            case ("time_passes",):
                advance(self.w3, 3601)

    def check(self) -> None:
        self._collect_gas()
        assert self._ether_held() + self.gas_paid == self.initial_total, "wei created or lost"
        owed = sum(self.ledger.royalties_owed(p.address) for p in self.players)
        assert self.ledger.balance(self.ledger.addresses.ledger) == owed, "contract balance differs from royalties owed"

    def _register(self, actor: int, shares: tuple[list[int], list[int]], parents: list[int]) -> None:
        order, cuts = shares
        bounds = [0, *sorted(cuts), BPS]
        contributors = [Contributor(self.players[i].address, hi - lo) for i, lo, hi in zip(order, bounds, bounds[1:])]
        content = Web3.keccak(text=f"work {len(self.works)}")
        work = self.ledger.register_work(
            self.players[actor], content, "ipfs://w", contributors=contributors, parents=parents
        )
        self.works.append(work.id)
        self.owners[work.id] = actor

    def _license(self, work: int, holder: int, paid: bool) -> None:
        if paid:
            self.ledger.buy_license(self.players[holder], work)
        else:
            self.ledger.grant_license(self._owner(work), work, self.players[holder].address)
        self.licenses.append((holder, work))

    def _work(self, index: int) -> int:
        return self.works[index % len(self.works)]

    def _owner(self, work: int) -> LocalAccount:
        return self.players[self.owners[work]]

    def _ether_held(self) -> int:
        accounts = [p.address for p in self.players] + [self.ledger.addresses.ledger]
        return sum(self.ledger.balance(a) for a in accounts)

    def _collect_gas(self) -> None:
        """Add the fees (burnt base fee and tip) of every transaction mined since the last check."""
        latest = self.w3.eth.block_number
        for number in range(self.checked_block + 1, latest + 1):
            for tx_hash in self.w3.eth.get_block(number)["transactions"]:
                receipt = self.w3.eth.get_transaction_receipt(tx_hash)
                self.gas_paid += receipt["gasUsed"] * receipt["effectiveGasPrice"]
        self.checked_block = latest


@pytest.fixture(scope="module")
def players(ledger: Ledger, accounts: list[LocalAccount]) -> list[LocalAccount]:
    return fund(ledger.w3, accounts[0].address, PLAYERS, STARTING_WEI)


@settings(max_examples=20, deadline=None, database=None)
@given(first=st.tuples(player, split), operations=st.lists(operation, min_size=3, max_size=9))
def test_no_wei_is_created_or_lost(ledger: Ledger, players: list[LocalAccount], first: tuple, operations: list[tuple]):
    with snapshot(ledger.w3):
        economy = Economy(ledger, players)
        for op in [("register", *first), *operations]:
            economy.play(op)
            economy.check()
