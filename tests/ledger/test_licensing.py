"""Terms, licenses, verification, expiry, derivatives, revenue splits and withdrawals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.client import Ledger, terms_hash
from ledger.errors import Conflict, Forbidden, InsufficientFunds, InvalidRequest, NotFound
from ledger.transact import send
from ledger.types import BPS, Contributor, Parent, Template, Terms, Use, Work
from ledger.units import WEI_PER_ETH as ETHER
from tests.ledger.helpers import advance, now


@pytest.fixture
def owner(accounts: list[LocalAccount]) -> LocalAccount:
    return accounts[1]


@pytest.fixture
def buyer(accounts: list[LocalAccount]) -> LocalAccount:
    return accounts[2]


@pytest.fixture
def stranger(accounts: list[LocalAccount]) -> LocalAccount:
    return accounts[3]


@pytest.fixture
def work(ledger: Ledger, owner: LocalAccount, new_hash: Callable[[], bytes]) -> Work:
    return ledger.register_work(owner, new_hash(), "ipfs://work")


def _offer(ledger: Ledger, owner: LocalAccount, work: Work, terms: Terms) -> Work:
    ledger.set_terms(owner, work.id, terms)
    return work


def test_terms_round_trip_and_start_unset(ledger: Ledger, owner: LocalAccount, work: Work):
    assert ledger.terms(work.id) is None
    terms = Terms(Template.COMMERCIAL_REMIX, fee_wei=ETHER, rev_share_bps=1500, duration_s=3600, transferable=False)
    assert ledger.set_terms(owner, work.id, terms) == terms == ledger.terms(work.id)
    assert (terms.commercial, terms.derivatives) == (True, True)


@pytest.mark.parametrize(
    "template, commercial, derivatives",
    [
        (Template.NON_COMMERCIAL_REMIX, False, True),
        (Template.COMMERCIAL_USE, True, False),
        (Template.COMMERCIAL_REMIX, True, True),
        (Template.CC_BY, True, True),
    ],
)
def test_template_defaults(template: Template, commercial: bool, derivatives: bool):
    terms = Terms(template)
    assert (terms.commercial, terms.derivatives) == (commercial, derivatives)
    assert (terms.fee_wei, terms.rev_share_bps, terms.duration_s, terms.transferable, terms.active) == (
        0,
        0,
        0,
        True,
        True,
    )


def test_only_the_owner_sets_terms_and_grants(ledger: Ledger, work: Work, stranger: LocalAccount):
    with pytest.raises(Forbidden, match="only the owner can set terms"):
        ledger.set_terms(stranger, work.id, Terms(Template.CC_BY))
    with pytest.raises(Forbidden, match="only the owner can grant"):
        ledger.grant_license(stranger, work.id, stranger.address)


def test_contract_refuses_flags_that_contradict_the_template(ledger: Ledger, owner: LocalAccount, work: Work):
    commercial_non_commercial = (0, 0, True, True, 0, 0, True, True)
    with pytest.raises(InvalidRequest, match="commercial flag must match template"):
        send(ledger.w3, owner, ledger.contract.functions.setTerms(work.id, commercial_non_commercial))


@pytest.mark.parametrize(
    "terms",
    [
        Terms(Template.CC_BY, fee_wei=-1),
        Terms(Template.COMMERCIAL_REMIX, rev_share_bps=BPS + 1),
        Terms(Template.CC_BY, duration_s=2**64),
        Terms("cc_by"),
    ],
)
def test_client_refuses_bad_terms(ledger: Ledger, owner: LocalAccount, work: Work, terms: Terms):
    with pytest.raises(InvalidRequest):
        ledger.set_terms(owner, work.id, terms)


def test_buying_needs_offered_terms_and_the_exact_fee(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, work: Work
):
    with pytest.raises(NotFound, match="no terms on offer"):
        ledger.buy_license(buyer, work.id)
    _offer(ledger, owner, work, Terms(Template.COMMERCIAL_USE, fee_wei=1000, active=False))
    with pytest.raises(NotFound, match="no terms on offer"):
        ledger.buy_license(buyer, work.id)
    ledger.set_terms(owner, work.id, Terms(Template.COMMERCIAL_USE, fee_wei=1000))
    agreed = terms_hash(ledger.terms(work.id))
    for wrong in (999, 1001, 0):
        with pytest.raises(InvalidRequest, match="payment must equal the fee"):
            send(ledger.w3, buyer, ledger.contract.functions.buy(work.id, agreed), value=wrong)
    lic = ledger.buy_license(buyer, work.id)
    assert (lic.holder, lic.terms, lic.expires_at) == (buyer.address, ledger.terms(work.id), None)


def test_buyer_without_ether_gets_insufficient_funds(ledger: Ledger, owner: LocalAccount, work: Work):
    _offer(ledger, owner, work, Terms(Template.COMMERCIAL_USE, fee_wei=ETHER))
    with pytest.raises(InsufficientFunds):
        ledger.buy_license(Account.create(), work.id)


@pytest.mark.parametrize("template", list(Template))
def test_verify_follows_the_template(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, stranger: LocalAccount, work: Work, template: Template
):
    _offer(ledger, owner, work, Terms(template))
    ledger.buy_license(buyer, work.id)
    expected = {Use.PERSONAL: True, Use.COMMERCIAL: template.commercial, Use.DERIVATIVE: template.derivatives}
    for use, allowed in expected.items():
        assert ledger.verify(work.id, buyer.address, use.value) is allowed
        assert ledger.verify(work.id, stranger.address, use.value) is False
        assert ledger.verify(work.id, owner.address, use.value) is True


def test_contributors_are_always_licensed(ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]):
    partner = accounts[4]
    work = ledger.register_work(
        accounts[1],
        new_hash(),
        "ipfs://duo",
        contributors=[Contributor(accounts[1].address, 5000), Contributor(partner.address, 5000)],
    )
    assert all(ledger.verify(work.id, partner.address, use) for use in ("personal", "commercial", "derivative"))


def test_verify_rejects_unknown_uses_and_works(ledger: Ledger, buyer: LocalAccount, work: Work):
    with pytest.raises(ValueError):
        ledger.verify(work.id, buyer.address, "resale")
    with pytest.raises(NotFound):
        ledger.verify(9_999, buyer.address, "personal")


def test_grant_is_free_and_works_on_withdrawn_terms(
    ledger: Ledger, owner: LocalAccount, stranger: LocalAccount, work: Work
):
    with pytest.raises(NotFound, match="no terms set"):
        ledger.grant_license(owner, work.id, stranger.address)
    _offer(ledger, owner, work, Terms(Template.COMMERCIAL_USE, fee_wei=ETHER, active=False))
    lic = ledger.grant_license(owner, work.id, stranger.address)
    assert lic.holder == stranger.address and ledger.license(work.id, stranger.address) == lic
    assert ledger.verify(work.id, stranger.address, "commercial")
    (issued,) = [e for e in ledger.events(ledger.w3.eth.block_number) if e.name == "LicenseIssued"]
    assert issued.args["paid"] == 0


def test_license_expires_and_renewal_extends(ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, work: Work):
    _offer(ledger, owner, work, Terms(Template.CC_BY, duration_s=100))
    first = ledger.buy_license(buyer, work.id)
    assert first.expires_at == first.issued_at + 100
    renewed = ledger.buy_license(buyer, work.id)
    assert renewed.expires_at == first.expires_at + 100  # time left carries over
    advance(ledger.w3, renewed.expires_at - now(ledger.w3) - 10)
    assert ledger.verify(work.id, buyer.address, "personal")
    advance(ledger.w3, 20)
    assert not ledger.verify(work.id, buyer.address, "personal")
    assert ledger.license(work.id, buyer.address).expires_at == renewed.expires_at  # the record stays
    after_expiry = ledger.buy_license(buyer, work.id)
    assert after_expiry.expires_at == after_expiry.issued_at + 100
    assert ledger.verify(work.id, buyer.address, "personal")


def test_fee_is_split_by_shares_with_dust_to_the_first(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]
):
    trio = [Account.create().address for _ in range(3)]
    work = ledger.register_work(
        accounts[1],
        new_hash(),
        "ipfs://trio",
        contributors=[Contributor(a, s) for a, s in zip(trio, (3334, 3333, 3333))],
    )
    _offer(ledger, accounts[1], work, Terms(Template.COMMERCIAL_USE, fee_wei=100))
    ledger.buy_license(accounts[2], work.id)
    assert [ledger.royalties_owed(a) for a in trio] == [34, 33, 33]


def test_derivative_needs_a_license_that_allows_derivatives(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, work: Work, new_hash: Callable[[], bytes]
):
    with pytest.raises(Forbidden, match="no derivative license on parent"):
        ledger.register_work(buyer, new_hash(), "ipfs://remix", parents=[work.id])
    _offer(ledger, owner, work, Terms(Template.COMMERCIAL_USE))
    ledger.buy_license(buyer, work.id)
    with pytest.raises(Forbidden, match="no derivative license on parent"):
        ledger.register_work(buyer, new_hash(), "ipfs://remix", parents=[work.id])
    ledger.set_terms(owner, work.id, Terms(Template.NON_COMMERCIAL_REMIX))
    ledger.buy_license(buyer, work.id)
    remix = ledger.register_work(buyer, new_hash(), "ipfs://remix", parents=[work.id])
    assert remix.parents == (Parent(work.id, 0),)


def test_owner_derives_from_its_own_work_without_a_license(
    ledger: Ledger, owner: LocalAccount, work: Work, new_hash: Callable[[], bytes]
):
    _offer(ledger, owner, work, Terms(Template.COMMERCIAL_REMIX, rev_share_bps=700))
    sequel = ledger.register_work(owner, new_hash(), "ipfs://sequel", parents=[work.id])
    assert sequel.parents == (Parent(work.id, 700),)


def test_revenue_share_flows_to_the_parents_contributors(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]
):
    p1a, p1b = Account.create().address, Account.create().address
    remixer, fan = accounts[5], accounts[6]
    parent = ledger.register_work(
        accounts[1], new_hash(), "ipfs://parent", contributors=[Contributor(p1a, 6000), Contributor(p1b, 4000)]
    )
    other = ledger.register_work(
        accounts[1], new_hash(), "ipfs://other", contributors=[Contributor(remixer.address, BPS)]
    )
    _offer(ledger, accounts[1], parent, Terms(Template.COMMERCIAL_REMIX, fee_wei=10, rev_share_bps=2000))
    _offer(ledger, accounts[1], other, Terms(Template.CC_BY, rev_share_bps=1000))
    ledger.buy_license(remixer, parent.id)
    ledger.buy_license(remixer, other.id)
    remix = ledger.register_work(remixer, new_hash(), "ipfs://remix", parents=[parent.id, other.id])
    assert remix.parents == (Parent(parent.id, 2000), Parent(other.id, 1000))
    ledger.set_terms(remixer, remix.id, Terms(Template.COMMERCIAL_USE, fee_wei=ETHER))
    owed = {a: ledger.royalties_owed(a) for a in (p1a, p1b, remixer.address)}
    ledger.buy_license(fan, remix.id)
    gained = {a: ledger.royalties_owed(a) - before for a, before in owed.items()}
    assert gained == {
        p1a: ETHER * 20 // 100 * 6 // 10,
        p1b: ETHER * 20 // 100 * 4 // 10,
        remixer.address: ETHER * 80 // 100,
    }  # remixer: 70% as owner plus 10% as other's contributor


def test_parent_shares_over_100_percent_are_refused(ledger: Ledger, owner: LocalAccount, new_hash: Callable[[], bytes]):
    parents = [ledger.register_work(owner, new_hash(), "ipfs://p") for _ in range(2)]
    for parent in parents:
        _offer(ledger, owner, parent, Terms(Template.COMMERCIAL_REMIX, rev_share_bps=6000))
    with pytest.raises(InvalidRequest, match="parent shares exceed 100%"):
        ledger.register_work(owner, new_hash(), "ipfs://greedy", parents=[p.id for p in parents])


def test_withdraw_pays_exactly_and_zeroes_the_balance(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]
):
    creator = accounts[7]
    work = ledger.register_work(creator, new_hash(), "ipfs://paid")
    _offer(ledger, creator, work, Terms(Template.COMMERCIAL_USE, fee_wei=3 * ETHER + 1))
    ledger.buy_license(accounts[8], work.id)
    owed = ledger.royalties_owed(creator.address)
    assert owed == 3 * ETHER + 1
    before = ledger.balance(creator.address)
    assert ledger.withdraw(creator) == owed
    receipt = ledger.w3.eth.get_transaction_receipt(ledger.events(ledger.w3.eth.block_number)[-1].tx_hash)
    gas = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert ledger.balance(creator.address) == before + owed - gas
    assert ledger.royalties_owed(creator.address) == 0
    assert ledger.withdraw(creator) == 0  # nothing owed: no transaction


def test_contract_refuses_an_empty_withdrawal(ledger: Ledger, accounts: list[LocalAccount]):
    assert ledger.royalties_owed(accounts[9].address) == 0
    with pytest.raises(InvalidRequest, match="no royalties owed"):
        send(ledger.w3, accounts[9], ledger.contract.functions.withdraw())


def test_transferable_license_moves_to_a_new_holder(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, stranger: LocalAccount, work: Work
):
    _offer(ledger, owner, work, Terms(Template.CC_BY))
    ledger.buy_license(buyer, work.id)
    moved = ledger.transfer_license(buyer, work.id, stranger.address)
    assert moved.holder == stranger.address
    assert ledger.license(work.id, buyer.address) is None
    assert ledger.verify(work.id, stranger.address, "commercial")


def test_non_transferable_license_stays(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, stranger: LocalAccount, work: Work
):
    _offer(ledger, owner, work, Terms(Template.CC_BY, transferable=False))
    ledger.buy_license(buyer, work.id)
    with pytest.raises(Forbidden, match="not transferable"):
        ledger.transfer_license(buyer, work.id, stranger.address)


def test_events_index_every_change_in_chain_order(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, new_hash: Callable[[], bytes]
):
    start = ledger.w3.eth.block_number + 1
    work = ledger.register_work(owner, new_hash(), "ipfs://indexed")
    ledger.set_terms(owner, work.id, Terms(Template.COMMERCIAL_USE, fee_wei=5))
    ledger.buy_license(buyer, work.id)
    ledger.withdraw(owner)
    events = ledger.events(start)
    assert [e.name for e in events] == [
        "Transfer",
        "WorkRegistered",
        "TermsSet",
        "LicenseIssued",
        "RoyaltyCredited",
        "Withdrawn",
    ]
    assert [(e.block_number, e.log_index) for e in events] == sorted((e.block_number, e.log_index) for e in events)
    assert events[3].args["license"]["terms"]["fee"] == 5 and events[3].args["paid"] == 5


def test_terms_hash_matches_the_contract(ledger: Ledger, owner: LocalAccount, work: Work):
    for terms in (
        Terms(Template.COMMERCIAL_REMIX, fee_wei=10**18 + 3, rev_share_bps=2500, duration_s=86_400, transferable=False),
        Terms(Template.CC_BY),
    ):
        ledger.set_terms(owner, work.id, terms)
        assert terms_hash(terms) == ledger.contract.functions.termsHash(work.id).call()


def test_the_buyer_names_the_price(ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, work: Work):
    _offer(ledger, owner, work, Terms(Template.COMMERCIAL_USE, fee_wei=2000))
    balance = ledger.balance(buyer.address)
    with pytest.raises(Conflict, match="2000 wei") as refused:
        ledger.buy_license(buyer, work.id, max_fee_wei=1999)
    assert refused.value.details == {"fee_wei": 2000} and refused.value.param == "max_fee_wei"
    assert ledger.balance(buyer.address) == balance and ledger.license(work.id, buyer.address) is None
    assert ledger.buy_license(buyer, work.id, max_fee_wei=2000).terms.fee_wei == 2000


def test_terms_changed_after_they_were_read_buy_nothing(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, work: Work
):
    """The owner raises the fee between the buyer's read and its transaction: the agreed hash no longer matches."""
    read = Terms(Template.COMMERCIAL_USE, fee_wei=1000)
    _offer(ledger, owner, work, read)
    ledger.set_terms(owner, work.id, replace(read, fee_wei=5000))
    balance = ledger.balance(buyer.address)
    with pytest.raises(Conflict, match="terms changed"):
        send(ledger.w3, buyer, ledger.contract.functions.buy(work.id, terms_hash(read)), value=1000)
    with pytest.raises(Conflict, match="terms changed"):  # paying the new fee on the old terms' hash: no better
        send(ledger.w3, buyer, ledger.contract.functions.buy(work.id, terms_hash(read)), value=5000)
    assert ledger.balance(buyer.address) == balance and ledger.license(work.id, buyer.address) is None


def test_a_grant_never_takes_back_a_paid_license(ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, work: Work):
    """The attack of issue 11: sell a perpetual commercial license, then grant a one-second non-commercial one
    over it. The buyer keeps every use it paid for."""
    _offer(ledger, owner, work, Terms(Template.COMMERCIAL_USE, fee_wei=ETHER))
    paid = ledger.buy_license(buyer, work.id)
    ledger.set_terms(owner, work.id, Terms(Template.NON_COMMERCIAL_REMIX, duration_s=1))
    merged = ledger.grant_license(owner, work.id, buyer.address)
    advance(ledger.w3, 5)
    assert ledger.verify(work.id, buyer.address, "commercial") and ledger.verify(work.id, buyer.address, "personal")
    assert not ledger.verify(work.id, buyer.address, "derivative")  # the one-second remix right has lapsed
    assert merged.until == {Use.PERSONAL: None, Use.COMMERCIAL: None, Use.DERIVATIVE: merged.issued_at + 1}
    assert paid.until == {Use.PERSONAL: None, Use.COMMERCIAL: None}


def test_a_timed_license_bought_over_a_perpetual_one_keeps_it(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, work: Work
):
    _offer(ledger, owner, work, Terms(Template.CC_BY))
    ledger.buy_license(buyer, work.id)
    ledger.set_terms(owner, work.id, Terms(Template.COMMERCIAL_USE, fee_wei=7, duration_s=100))
    lic = ledger.buy_license(buyer, work.id)
    advance(ledger.w3, 1000)
    assert all(ledger.verify(work.id, buyer.address, use) for use in ("personal", "commercial", "derivative"))
    assert lic.expires_at is None and lic.terms.duration_s == 100


def test_derivatives_owe_the_lowest_share_held_without_a_gap(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, work: Work
):
    _offer(ledger, owner, work, Terms(Template.COMMERCIAL_REMIX, rev_share_bps=1000, duration_s=100))
    assert ledger.buy_license(buyer, work.id).rev_share_bps == 1000
    ledger.set_terms(owner, work.id, Terms(Template.COMMERCIAL_REMIX, rev_share_bps=9000, duration_s=100))
    assert ledger.grant_license(owner, work.id, buyer.address).rev_share_bps == 1000  # raising it takes nothing
    advance(ledger.w3, 300)  # every derivative right has lapsed: a new one comes on the terms of the day
    assert ledger.buy_license(buyer, work.id).rev_share_bps == 9000


def test_transferable_and_non_transferable_rights_are_not_merged(
    ledger: Ledger, owner: LocalAccount, buyer: LocalAccount, work: Work
):
    _offer(ledger, owner, work, Terms(Template.CC_BY, duration_s=100))
    ledger.buy_license(buyer, work.id)
    ledger.set_terms(owner, work.id, Terms(Template.CC_BY, transferable=False))
    with pytest.raises(InvalidRequest, match="transferability"):
        ledger.grant_license(owner, work.id, buyer.address)
    assert ledger.license(work.id, buyer.address).transferable
    advance(ledger.w3, 200)  # once the old license has lapsed there is nothing to lose
    assert not ledger.grant_license(owner, work.id, buyer.address).transferable
