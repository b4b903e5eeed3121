"""ERC-721 ownership, approvals and transfers; ERC-165 and EIP-2981."""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from operator import xor

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import abi_to_signature, function_signature_to_4byte_selector
from web3 import Web3

from ledger.client import Ledger
from ledger.errors import Forbidden, LedgerError, NotFound
from ledger.transact import send
from ledger.types import Contributor, Template, Terms, Work
from tests.ledger.helpers import view

ZERO_ADDRESS = "0x" + "00" * 20


@pytest.fixture
def work(ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]) -> Work:
    return ledger.register_work(accounts[1], new_hash(), "ipfs://work")


def test_registrant_owns_the_new_token(ledger: Ledger, accounts: list[LocalAccount], work: Work):
    fn = ledger.contract.functions
    assert work.owner == view(fn.ownerOf(work.id)) == accounts[1].address
    assert view(fn.tokenURI(work.id)) == "ipfs://work"
    assert (view(fn.name()), view(fn.symbol())) == ("Muse Works", "MUSE")


def test_transfer_moves_ownership_and_balances(ledger: Ledger, accounts: list[LocalAccount], work: Work):
    fn = ledger.contract.functions
    seller, buyer = accounts[1].address, accounts[2].address
    before = view(fn.balanceOf(seller)), view(fn.balanceOf(buyer))
    ledger.transfer(accounts[1], work.id, buyer)
    assert ledger.work(work.id).owner == buyer
    assert (view(fn.balanceOf(seller)), view(fn.balanceOf(buyer))) == (before[0] - 1, before[1] + 1)
    (event,) = [e for e in ledger.events(ledger.w3.eth.block_number) if e.name == "Transfer"]
    assert event.args == {"sender": seller, "receiver": buyer, "token_id": work.id}


def test_stranger_cannot_transfer(ledger: Ledger, accounts: list[LocalAccount], work: Work):
    with pytest.raises(Forbidden, match="not owner or approved"):
        ledger.transfer(accounts[3], work.id, accounts[3].address)


def test_approved_address_transfers_once(ledger: Ledger, accounts: list[LocalAccount], work: Work):
    fn = ledger.contract.functions
    with pytest.raises(Forbidden, match="only the owner can approve"):
        send(ledger.w3, accounts[3], fn.approve(accounts[3].address, work.id))
    send(ledger.w3, accounts[1], fn.approve(accounts[3].address, work.id))
    assert view(fn.getApproved(work.id)) == accounts[3].address
    ledger.transfer(accounts[3], work.id, accounts[4].address)
    assert ledger.work(work.id).owner == accounts[4].address
    assert view(fn.getApproved(work.id)) == ZERO_ADDRESS


def test_operator_may_transfer_and_set_terms(ledger: Ledger, accounts: list[LocalAccount], work: Work):
    fn = ledger.contract.functions
    send(ledger.w3, accounts[1], fn.setApprovalForAll(accounts[5].address, True))
    assert view(fn.isApprovedForAll(accounts[1].address, accounts[5].address))
    ledger.set_terms(accounts[5], work.id, Terms(Template.CC_BY))
    ledger.transfer(accounts[5], work.id, accounts[6].address)
    assert ledger.work(work.id).owner == accounts[6].address
    send(ledger.w3, accounts[1], fn.setApprovalForAll(accounts[5].address, False))
    assert not view(fn.isApprovedForAll(accounts[1].address, accounts[5].address))


def test_safe_transfer_to_a_contract_without_receiver_hook_fails(
    ledger: Ledger, accounts: list[LocalAccount], work: Work
):
    with pytest.raises(LedgerError):
        ledger.transfer(accounts[1], work.id, ledger.addresses.ledger)
    assert ledger.work(work.id).owner == accounts[1].address


def test_plain_transfer_from_checks_the_sender(ledger: Ledger, accounts: list[LocalAccount], work: Work):
    fn = ledger.contract.functions
    with pytest.raises(LedgerError, match="sender is not the owner"):
        send(ledger.w3, accounts[1], fn.transferFrom(accounts[2].address, accounts[3].address, work.id))
    send(ledger.w3, accounts[1], fn.transferFrom(accounts[1].address, accounts[3].address, work.id))
    assert ledger.work(work.id).owner == accounts[3].address


def test_unknown_token_is_not_found(ledger: Ledger):
    with pytest.raises(NotFound, match="no such work"):
        view(ledger.contract.functions.ownerOf(10_000))


@pytest.mark.parametrize(
    "interface_id, signatures",
    [
        (
            "0x80ac58cd",
            [
                "balanceOf(address)",
                "ownerOf(uint256)",
                "approve(address,uint256)",
                "getApproved(uint256)",
                "setApprovalForAll(address,bool)",
                "isApprovedForAll(address,address)",
                "transferFrom(address,address,uint256)",
                "safeTransferFrom(address,address,uint256)",
                "safeTransferFrom(address,address,uint256,bytes)",
            ],
        ),
        ("0x5b5e139f", ["name()", "symbol()", "tokenURI(uint256)"]),
        ("0x2a55205a", ["royaltyInfo(uint256,uint256)"]),
    ],
)
def test_claimed_interfaces_are_implemented(ledger: Ledger, interface_id: str, signatures: list[str]):
    """An ERC-165 interface id is the XOR of its functions' selectors; each must be in the ABI."""
    abi_signatures = {abi_to_signature(item) for item in ledger.contract.abi if item["type"] == "function"}
    assert set(signatures) <= abi_signatures
    selectors = [int.from_bytes(function_signature_to_4byte_selector(s)) for s in signatures]
    assert reduce(xor, selectors) == int(interface_id, 16)


@pytest.mark.parametrize(
    "interface_id, supported",
    [
        ("0x01ffc9a7", True),  # ERC-165
        ("0x80ac58cd", True),  # ERC-721
        ("0x5b5e139f", True),  # ERC-721 Metadata
        ("0x2a55205a", True),  # EIP-2981
        ("0xffffffff", False),
        ("0x12345678", False),
    ],
)
def test_supports_interface(ledger: Ledger, interface_id: str, supported: bool):
    assert view(ledger.contract.functions.supportsInterface(Web3.to_bytes(hexstr=interface_id))) is supported


def test_royalty_info_pays_the_first_contributor_the_revenue_share(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]
):
    lead, other = accounts[7], accounts[8]
    work = ledger.register_work(
        other,
        new_hash(),
        "ipfs://duo",
        contributors=[Contributor(lead.address, 6000), Contributor(other.address, 4000)],
    )
    # Without decode_tuples: web3 8.0 decodes two unnamed outputs into a named tuple as a single 0.
    royalty = ledger.w3.eth.contract(address=ledger.contract.address, abi=ledger.contract.abi).functions.royaltyInfo
    assert view(royalty(work.id, 10_000)) == [lead.address, 0]
    ledger.set_terms(other, work.id, Terms(Template.COMMERCIAL_REMIX, rev_share_bps=250))
    assert view(royalty(work.id, 10_000)) == [lead.address, 250]
