"""Idempotent ledger changes: a repeat with the same key (per caller) returns the first answer and sends no
transaction, even when the two calls race, and even after the service restarts."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.users import Users, connect
from ledger.errors import InvalidRequest, NotFound
from ledger.metadata import Metadata
from ledger.service import Credentials, keystore_for
from ledger.types import Template, Terms
from tests.ledger_service.conftest import open_service

FEE = 10**16


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def license_events(service, work_id: int) -> int:
    """LicenseIssued events for a work on the chain itself (the index keeps one row per holder)."""
    first = service.ledger.addresses.deployed_block
    return sum(1 for e in service.ledger.events(first) if e.name == "LicenseIssued" and e.args["work_id"] == work_id)


@pytest.fixture(scope="module")
def offered(service, member) -> dict:
    seller = member("seller")
    work = service.register(seller.credentials, digest("idempotent ode"), Metadata("Ode"))
    service.set_terms(seller.credentials, work["id"], Terms(Template.COMMERCIAL_USE, FEE))
    return work


def test_a_repeated_purchase_with_the_same_key_is_charged_once(service, member, offered):
    buyer = member("buyer")
    before = service.account(buyer.user.address)["balance_wei"]
    first = service.buy_license(buyer.credentials, offered["id"], idempotency_key="k-1")
    again = service.buy_license(buyer.credentials, offered["id"], idempotency_key="k-1")
    assert again == first
    spent = before - service.account(buyer.user.address)["balance_wei"]
    assert FEE <= spent < 2 * FEE  # one fee (and its gas), not two
    assert license_events(service, offered["id"]) == 1


def test_concurrent_calls_with_one_key_run_once(service, member, offered):
    racer = member("racer")
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(lambda _: service.buy_license(racer.credentials, offered["id"], idempotency_key="race"), range(4))
        )
    assert all(answer == answers[0] for answer in answers)
    holders = [
        e
        for e in service.ledger.events(service.ledger.addresses.deployed_block)
        if e.name == "LicenseIssued" and e.args["holder"] == racer.user.address
    ]
    assert len(holders) == 1


def test_keys_belong_to_their_caller_and_to_one_change(service, member, offered):
    ann, ben = member("ann"), member("ben")
    service.buy_license(ann.credentials, offered["id"], idempotency_key="shared")
    service.buy_license(ben.credentials, offered["id"], idempotency_key="shared")  # ben's own key: a purchase
    holders = {
        e.args["holder"]
        for e in service.ledger.events(service.ledger.addresses.deployed_block)
        if e.name == "LicenseIssued"
    }
    assert {ann.user.address, ben.user.address} <= holders
    with pytest.raises(InvalidRequest, match="buy_license"):
        service.withdraw(ann.credentials, idempotency_key="shared")
    with pytest.raises(InvalidRequest, match="at most"):
        service.withdraw(ann.credentials, idempotency_key="x" * 201)


def test_a_refused_change_is_not_remembered(service, member, offered):
    """A refusal changed nothing, so the same key may try again (here: after the terms allow it)."""
    cleo = member("cleo")
    work = service.register(cleo.credentials, digest("not yet on sale"), Metadata("Later"))
    with pytest.raises(NotFound):
        service.buy_license(cleo.credentials, work["id"] + 10_000, idempotency_key="retry")
    assert service.buy_license(cleo.credentials, offered["id"], idempotency_key="retry")["work_id"] == offered["id"]


def test_every_change_takes_a_key(service, member):
    dora = member("dora")
    work = service.register(dora.credentials, digest("dora"), Metadata("Dora"), idempotency_key="reg")
    assert service.register(dora.credentials, digest("dora"), Metadata("Dora"), idempotency_key="reg") == work
    terms = Terms(Template.CC_BY)
    assert service.set_terms(dora.credentials, work["id"], terms, idempotency_key="terms") == service.set_terms(
        dora.credentials, work["id"], terms, idempotency_key="terms"
    )
    granted = service.grant_license(dora.credentials, work["id"], dora.user.address, idempotency_key="grant")
    assert service.grant_license(dora.credentials, work["id"], dora.user.address, idempotency_key="grant") == granted
    assert service.withdraw(dora.credentials, idempotency_key="w") == service.withdraw(
        dora.credentials, idempotency_key="w"
    )


def test_answers_survive_a_restart(tmp_path):
    first = open_service(tmp_path)
    try:
        user, key = Users(connect(tmp_path / "muse.db")).add("eli", create_account=keystore_for(tmp_path).create)
        eli = Credentials(user.address, key)
        work = first.register(eli, digest("kept"), Metadata("Kept"), idempotency_key="once")
    finally:
        first.close()
    second = open_service(tmp_path)
    try:
        assert second.register(eli, digest("kept"), Metadata("Kept"), idempotency_key="once") == work
        assert second.works()["total"] == 1
    finally:
        second.close()
