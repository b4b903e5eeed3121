"""Property: a license only grows. Whatever purchases, grants, term changes, transfers and time jumps happen, no
holder's use of a work ends earlier because of an action before its end, except the holder's own transfer of
its license away.

Each example plays a random list of operations on one work, then reverts to a snapshot. After every operation
it reads each holder's license from the chain and checks that each use's end (never granted < a time < never
ending) has not moved earlier, and that ``verify`` agrees with those ends at the chain's current time.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.client import Ledger
from ledger.errors import Forbidden, InvalidRequest, NotFound
from ledger.types import License, Template, Terms, Use
from tests.ledger.helpers import advance, fund, now, snapshot

HOLDERS = 3
NEVER_ENDS = float("inf")

holder = st.integers(0, HOLDERS - 1)
terms = st.builds(
    Terms,
    st.sampled_from(list(Template)),
    fee_wei=st.sampled_from([0, 1000]),
    rev_share_bps=st.sampled_from([0, 2500, 10_000]),
    duration_s=st.sampled_from([0, 30, 3600]),
    transferable=st.booleans(),
    active=st.booleans(),
)
operation = st.one_of(
    st.tuples(st.just("set_terms"), terms),
    st.tuples(st.just("buy"), holder),
    st.tuples(st.just("grant"), holder),
    st.tuples(st.just("transfer"), holder, holder),
    st.tuples(st.just("time_passes"), st.sampled_from([1, 31, 4000])),
)


def ends(lic: License | None) -> dict[Use, float]:
    """Each use's end as a number: 0 never granted, inf never ends."""
    until = lic.until if lic else {}
    return {use: (NEVER_ENDS if until[use] is None else until[use]) if use in until else 0 for use in Use}


class Market:
    def __init__(self, ledger: Ledger, owner: LocalAccount, holders: list[LocalAccount], work_id: int):
        self.ledger, self.owner, self.holders, self.work_id = ledger, owner, holders, work_id

    def play(self, op: tuple) -> int | None:
        """Run one operation (refusals are fine: they change nothing); returns the holder who gave its license
        away, whose own rights may then shrink."""
        try:
            return self._play(op)
        except (Forbidden, NotFound, InvalidRequest):
            return None

    def _play(self, op: tuple) -> int | None:
        match op:
            case ("set_terms", offer):
                self.ledger.set_terms(self.owner, self.work_id, offer)
            case ("buy", who):
                self.ledger.buy_license(self.holders[who], self.work_id)
            case ("grant", who):
                self.ledger.grant_license(self.owner, self.work_id, self.holders[who].address)
            case ("transfer", who, to) if who != to:
                self.ledger.transfer_license(self.holders[who], self.work_id, self.holders[to].address)
                return who
            case ("time_passes", seconds):
                advance(self.ledger.w3, seconds)
        return None

    def rights(self) -> list[dict[Use, float]]:
        return [ends(self.ledger.license(self.work_id, h.address)) for h in self.holders]

    def check_verify_agrees(self, rights: list[dict[Use, float]]) -> None:
        at = now(self.ledger.w3)
        for h, held in zip(self.holders, rights):
            for use in Use:
                assert self.ledger.verify(self.work_id, h.address, use.value) is (held[use] > at), (h.address, use)


@pytest.fixture(scope="module")
def holders(ledger: Ledger, accounts: list[LocalAccount]) -> list[LocalAccount]:
    return fund(ledger.w3, accounts[0].address, HOLDERS, 10**18)


@settings(max_examples=25, deadline=None, database=None)
@given(first=terms, operations=st.lists(operation, min_size=3, max_size=10))
def test_no_action_of_another_shortens_a_holders_rights(
    ledger: Ledger,
    accounts: list[LocalAccount],
    holders: list[LocalAccount],
    new_hash: Callable[[], bytes],
    first: Terms,
    operations: list[tuple],
):
    owner = accounts[1]
    with snapshot(ledger.w3):
        work = ledger.register_work(owner, new_hash(), "ipfs://rights")
        market = Market(ledger, owner, holders, work.id)
        market.play(("set_terms", first))
        before = market.rights()
        for op in operations:
            gave_away = market.play(op)
            after = market.rights()
            for index, (old, new) in enumerate(zip(before, after)):
                if index != gave_away:
                    assert all(new[use] >= old[use] for use in Use), f"{op} shortened holder {index}: {old} -> {new}"
            market.check_verify_agrees(after)
            before = after
