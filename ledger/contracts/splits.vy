# pragma version 0.4.3
"""
@title Pull-payment royalty splits
@notice Incoming fees are credited to contributors by their shares; each
        contributor withdraws its own balance. The contract's ether balance
        always equals the sum of all balances owed.
"""

MAX_CONTRIBUTORS: constant(uint256) = 8
BPS: constant(uint256) = 10_000

struct Contributor:
    account: address
    share_bps: uint256

event RoyaltyCredited:
    recipient: indexed(address)
    work_id: indexed(uint256)
    source_work_id: indexed(uint256)
    amount: uint256

event Withdrawn:
    recipient: indexed(address)
    amount: uint256

royaltiesOwed: public(HashMap[address, uint256])


@external
@nonreentrant
def withdraw() -> uint256:
    amount: uint256 = self.royaltiesOwed[msg.sender]
    assert amount > 0, "invalid: no royalties owed"
    self.royaltiesOwed[msg.sender] = 0
    log Withdrawn(recipient=msg.sender, amount=amount)
    raw_call(msg.sender, b"", value=amount)
    return amount


@pure
@internal
def _check_shares(contributors: DynArray[Contributor, MAX_CONTRIBUTORS]):
    """Non-empty, no zero address, no duplicate, no zero share, summing to exactly 10,000 bps."""
    assert len(contributors) > 0, "invalid: at least one contributor"
    total: uint256 = 0
    for i: uint256 in range(len(contributors), bound=MAX_CONTRIBUTORS):
        c: Contributor = contributors[i]
        assert c.account != empty(address), "invalid: contributor is zero address"
        assert c.share_bps > 0, "invalid: contributor share is zero"
        for j: uint256 in range(i, bound=MAX_CONTRIBUTORS):
            assert contributors[j].account != c.account, "invalid: duplicate contributor"
        total += c.share_bps
    assert total == BPS, "invalid: shares must sum to 10000"


@internal
def _split(work_id: uint256, source_work_id: uint256, amount: uint256,
           contributors: DynArray[Contributor, MAX_CONTRIBUTORS]):
    """Credit `amount` to `contributors` by share; rounding dust goes to the first contributor."""
    if amount == 0:
        return
    paid: uint256 = 0
    for i: uint256 in range(1, len(contributors), bound=MAX_CONTRIBUTORS):
        part: uint256 = amount * contributors[i].share_bps // BPS
        self._credit(contributors[i].account, work_id, source_work_id, part)
        paid += part
    self._credit(contributors[0].account, work_id, source_work_id, amount - paid)


@internal
def _credit(recipient: address, work_id: uint256, source_work_id: uint256, amount: uint256):
    if amount == 0:
        return
    self.royaltiesOwed[recipient] += amount
    log RoyaltyCredited(recipient=recipient, work_id=work_id, source_work_id=source_work_id, amount=amount)
