"""Creators' earnings from the index, against what the contract credited, to the wei.

Two co-creators share a parent work (3333/6667 bps, so splits leave rounding dust); a derivative of it owes it
15% of its sales. Purchases and a grant fall on two UTC days (the chain's clock is moved to the next midnight).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from ledger.earnings import MAX_WORKS, Page
from ledger.errors import Forbidden, InvalidRequest, NotFound
from ledger.metadata import Metadata
from ledger.types import BPS, Contributor, Template, Terms

PARENT_FEE = 10**17 + 7
REMIX_FEE = 2 * 10**17 + 3
PARENT_SHARE_BPS = 1_500
ALICE_BPS, BOB_BPS = 3_333, 6_667


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def split(amount: int, shares: list[int]) -> list[int]:
    """The contract's split: each contributor after the first gets amount * share // BPS; the first the rest."""
    rest = [amount * share // BPS for share in shares[1:]]
    return [amount - sum(rest), *rest]


def day_of(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).date().isoformat()


def next_utc_day(service) -> None:
    """Move the chain's clock to 01:00 UTC of the next day and mine a block there."""
    w3 = service.chain.w3
    now = w3.eth.get_block("latest")["timestamp"]
    w3.testing.timeTravel(now - now % 86_400 + 86_400 + 3_600)
    w3.testing.mine()


def withdrawn(service, address: str) -> int:
    """Everything the contract paid out to ``address``, from its Withdrawn events."""
    return sum(
        e.args["amount"]
        for e in service.ledger.events(service.ledger.addresses.deployed_block)
        if e.name == "Withdrawn" and e.args["recipient"] == address
    )


@pytest.fixture(scope="module")
def market(service, member):
    """The scenario: who is who, the two works, and what each purchase credited whom, by day."""
    alice, bob, carol, dave, erin = (member(n) for n in ("alice", "bob", "carol", "dave", "erin"))
    parent = service.register(
        alice.credentials,
        digest("parent"),
        Metadata("Autumn"),
        contributors=[Contributor(alice.user.address, ALICE_BPS), Contributor(bob.user.address, BOB_BPS)],
    )["id"]
    service.set_terms(alice.credentials, parent, Terms(Template.COMMERCIAL_REMIX, PARENT_FEE, PARENT_SHARE_BPS))
    expected: dict[tuple[str, int], int] = defaultdict(int)  # (address, work) -> wei
    from_remix: dict[tuple[str, int], int] = defaultdict(int)
    by_day: dict[tuple[str, str], int] = defaultdict(int)

    def credit(address: str, work: int, wei: int, at: int, remix: bool = False) -> None:
        expected[address, work] += wei
        from_remix[address, work] += wei if remix else 0
        by_day[address, day_of(at)] += wei

    def parent_sale(buyer) -> None:
        at = service.buy_license(buyer.credentials, parent)["issued_at"]
        for who, wei in zip((alice, bob), split(PARENT_FEE, [ALICE_BPS, BOB_BPS])):
            credit(who.user.address, parent, wei, at)

    # Day 1: carol buys a remix license on the parent and registers a derivative; dave buys both.
    parent_sale(carol)
    remix = service.register(carol.credentials, digest("remix"), Metadata("Autumn, remixed"), parents=[parent])["id"]
    service.set_terms(carol.credentials, remix, Terms(Template.COMMERCIAL_USE, REMIX_FEE))

    def remix_sale(buyer) -> None:
        at = service.buy_license(buyer.credentials, remix)["issued_at"]
        to_parent = REMIX_FEE * PARENT_SHARE_BPS // BPS
        for who, wei in zip((alice, bob), split(to_parent, [ALICE_BPS, BOB_BPS])):
            credit(who.user.address, parent, wei, at, remix=True)
        credit(carol.user.address, remix, REMIX_FEE - to_parent, at)

    remix_sale(dave)
    parent_sale(dave)
    service.withdraw(alice.credentials)  # earnings count what was withdrawn too
    # Day 2: erin buys the remix, alice grants erin a license on the parent, then erin buys one too.
    next_utc_day(service)
    remix_sale(erin)
    service.grant_license(alice.credentials, parent, erin.user.address)
    parent_sale(erin)
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "dave": dave,
        "erin": erin,
        "parent": parent,
        "remix": remix,
        "expected": expected,
        "from_remix": from_remix,
        "by_day": by_day,
    }


def test_each_creators_total_is_what_the_contract_credited_to_the_wei(service, market):
    for name in ("alice", "bob", "carol"):
        address = market[name].user.address
        chain_total = service.ledger.royalties_owed(address) + withdrawn(service, address)
        earned = service.earnings(address)
        assert earned.total_wei == chain_total > 0
        assert earned.total_wei == sum(w for (who, _), w in market["expected"].items() if who == address)
        assert sum(w.earned_wei for w in earned.works) == earned.total_wei
    assert withdrawn(service, market["alice"].user.address) > 0  # the withdrawal really happened


def test_per_work_earnings_include_revenue_share_from_the_derivative(service, market):
    parent, remix = market["parent"], market["remix"]
    for name in ("alice", "bob"):
        address = market[name].user.address
        (work,) = service.earnings(address).works
        assert (work.work_id, work.title) == (parent, "Autumn")
        assert work.earned_wei == market["expected"][address, parent]
        assert work.from_derivatives_wei == market["from_remix"][address, parent] > 0
        assert work.share_bps == {"alice": ALICE_BPS, "bob": BOB_BPS}[name]
        assert work.owner == (name == "alice")
    carol = service.earnings(market["carol"].user.address)
    assert [w.work_id for w in carol.works] == [remix]  # a licensee of the parent, not a creator of it
    assert carol.works[0].earned_wei == market["expected"][market["carol"].user.address, remix]


def test_daily_series_is_in_utc_days_and_adds_up(service, market):
    address = market["alice"].user.address
    daily = service.earnings(address).daily
    expected = {day: wei for (who, day), wei in market["by_day"].items() if who == address}
    assert len(expected) == 2
    assert {d.date: d.earned_wei for d in daily} == expected
    assert sum(d.earned_wei for d in daily) == service.earnings(address).total_wei


def test_licenses_say_who_bought_and_who_was_granted(service, market):
    (work,) = service.earnings(market["bob"].user.address).works
    assert work.licenses_count == 4
    newest_first = [(lic.holder, lic.kind, lic.paid_wei) for lic in work.licenses]
    erin, dave, carol = (market[n].user.address for n in ("erin", "dave", "carol"))
    assert newest_first == [
        (erin, "bought", PARENT_FEE),
        (erin, "granted", 0),
        (dave, "bought", PARENT_FEE),
        (carol, "bought", PARENT_FEE),
    ]
    assert all(lic.template == "commercial_remix" and lic.fee_wei == PARENT_FEE for lic in work.licenses)
    assert [lic.at for lic in work.licenses] == sorted((lic.at for lic in work.licenses), reverse=True)


def test_one_work_and_bounds(service, market):
    alice = market["alice"].user.address
    one = service.earnings(alice, market["parent"], Page(licenses_limit=1))
    assert one.works_total == 1 and one.works[0].licenses_count == 4 and len(one.works[0].licenses) == 1
    assert one.total_wei == service.earnings(alice).total_wei
    with pytest.raises(Forbidden, match="neither owned nor co-created"):
        service.earnings(alice, market["remix"])  # alice earns from it, but it is carol's work
    with pytest.raises(NotFound):
        service.earnings(alice, 10_000)
    with pytest.raises(InvalidRequest, match="limit"):
        Page(limit=MAX_WORKS + 1)
    assert service.earnings(market["dave"].user.address).total_wei == 0  # a buyer earns nothing
    assert service.earnings(market["dave"].user.address).works == []


def test_a_rebuilt_index_gives_the_same_earnings(service, market):
    before = {n: service.earnings(market[n].user.address) for n in ("alice", "bob", "carol")}
    service.index.rebuild()
    assert {n: service.earnings(market[n].user.address) for n in before} == before
