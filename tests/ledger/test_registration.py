"""Registering works: recorded fields, provenance, shares and parent validation (client and contract side)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.client import Ledger
from ledger.errors import InvalidRequest, NotFound
from ledger.transact import send
from ledger.types import BPS, ZERO_HASH, Contributor, Origin, Provenance

ZERO_ADDRESS = "0x" + "00" * 20
AI = Provenance(Origin.AI_GENERATED, model_id="muse-text-small", prompt_hash=b"\x07" * 32)


def test_ids_start_at_one_and_fields_are_recorded(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]
):
    owner, partner = accounts[1], accounts[2]
    content = new_hash()
    work = ledger.register_work(
        owner, content, "ipfs://first", AI, [Contributor(owner.address, 7000), Contributor(partner.address, 3000)]
    )
    block = ledger.w3.eth.get_block("latest")
    assert work.id == 1 == ledger.work_count()
    assert (work.owner, work.content_hash, work.metadata_uri, work.provenance) == (
        owner.address,
        content,
        "ipfs://first",
        AI,
    )
    assert work.contributors == (Contributor(owner.address, 7000), Contributor(partner.address, 3000))
    assert work.parents == ()
    assert (work.registered_block, work.registered_at) == (block["number"], block["timestamp"])
    assert ledger.work(1) == work


def test_contributors_default_to_the_sender(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]
):
    work = ledger.register_work(accounts[3], new_hash(), "ipfs://solo")
    assert work.contributors == (Contributor(accounts[3].address, BPS),)
    assert work.provenance == Provenance(Origin.HUMAN, "", ZERO_HASH)


def test_registration_event_carries_the_index_fields(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]
):
    content = new_hash()
    work = ledger.register_work(accounts[1], content, "ipfs://indexed", AI)
    (event,) = [e for e in ledger.events(work.registered_block, work.registered_block) if e.name == "WorkRegistered"]
    assert event.args == {
        "work_id": work.id,
        "owner": accounts[1].address,
        "content_hash": content,
        "metadata_uri": "ipfs://indexed",
        "provenance": 1,
        "model_id": AI.model_id,
        "prompt_hash": AI.prompt_hash,
        "contributors": [{"account": accounts[1].address, "share_bps": BPS}],
        "parents": [],
    }


def test_same_content_twice_is_refused(ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]):
    content = new_hash()
    ledger.register_work(accounts[1], content, "ipfs://a")
    with pytest.raises(InvalidRequest, match="content already registered"):
        ledger.register_work(accounts[2], content, "ipfs://b")


def test_unknown_work_is_not_found(ledger: Ledger):
    with pytest.raises(NotFound, match="no such work"):
        ledger.work(9_999)


def _shares(*pairs: tuple[str, int]) -> list[Contributor]:
    return [Contributor(account, share) for account, share in pairs]


A, B = Account.create().address, Account.create().address
BAD_SHARES = {
    "sum below": (_shares((A, 5000), (B, 4999)), "shares must sum to 10000"),
    "sum above": (_shares((A, 5000), (B, 5001)), "shares must sum to 10000"),
    "zero share": (_shares((A, 10000), (B, 0)), "contributor share is zero"),
    "duplicate": (_shares((A, 5000), (A, 5000)), "duplicate contributor"),
    "zero address": (_shares((ZERO_ADDRESS, 5000), (A, 5000)), "contributor is zero address"),
}


@pytest.mark.parametrize("contributors, message", BAD_SHARES.values(), ids=BAD_SHARES.keys())
def test_bad_shares_are_refused_by_the_contract(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes], contributors, message
):
    call = ledger.contract.functions.register(
        new_hash(), "ipfs://x", 0, "", ZERO_HASH, [(c.account, c.share_bps) for c in contributors], []
    )
    with pytest.raises(InvalidRequest, match=message):
        send(ledger.w3, accounts[1], call)


CLIENT_REFUSALS = {
    "sum": {"contributors": _shares((A, 5000), (B, 4999))},
    "zero share": {"contributors": _shares((A, 10000), (B, 0))},
    "duplicate": {"contributors": _shares((A, 5000), (A.lower(), 5000))},
    "zero address": {"contributors": _shares((ZERO_ADDRESS, 5000), (A, 5000))},
    "not an address": {"contributors": _shares(("0x1234", 10000))},
    "no contributors": {"contributors": []},
    "nine contributors": {
        "contributors": _shares(*[(Account.create().address, 1111) for _ in range(8)], (A, 10000 - 8 * 1111))
    },
    "negative share": {"contributors": _shares((A, -1), (B, 10001))},
    "short hash": {"content_hash": b"\x01" * 31},
    "long uri": {"metadata_uri": "x" * 257},
    "ai without model": {"provenance": Provenance(Origin.AI_ASSISTED)},
    "five parents": {"parents": [1, 2, 3, 4, 5]},
    "duplicate parents": {"parents": [1, 1]},
    "parent zero": {"parents": [0]},
}


@pytest.mark.parametrize("override", CLIENT_REFUSALS.values(), ids=CLIENT_REFUSALS.keys())
def test_client_refuses_bad_registrations_before_sending(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes], override
):
    sender = accounts[1]
    nonce = ledger.w3.eth.get_transaction_count(sender.address)
    with pytest.raises(InvalidRequest):
        ledger.register_work(sender, **{"content_hash": new_hash(), "metadata_uri": "ipfs://x", **override})
    assert ledger.w3.eth.get_transaction_count(sender.address) == nonce


def test_contract_requires_a_model_id_for_ai_works(
    ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]
):
    call = ledger.contract.functions.register(new_hash(), "ipfs://x", 2, "", ZERO_HASH, [(A, BPS)], [])
    with pytest.raises(InvalidRequest, match="AI provenance needs a model id"):
        send(ledger.w3, accounts[1], call)


def test_unknown_parent_is_not_found(ledger: Ledger, accounts: list[LocalAccount], new_hash: Callable[[], bytes]):
    with pytest.raises(NotFound, match="parent work does not exist"):
        ledger.register_work(accounts[1], new_hash(), "ipfs://x", parents=[9_999])
