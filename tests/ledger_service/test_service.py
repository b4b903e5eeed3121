"""LedgerService on a real durable chain: accounts, signing as the caller, the index, restarts."""

from __future__ import annotations

import hashlib
import json
import stat

import pytest

from core.users import Users, connect
from ledger.chain import ChainError
from ledger.compile import sources_key
from ledger.errors import Forbidden, InvalidRequest, NotFound
from ledger.metadata import Metadata
from ledger.service import DEFAULT_FUNDING_WEI, Credentials, keystore_for
from ledger.types import Template, Terms
from ledger.units import WEI_PER_ETH as ETHER
from tests.ledger_service.conftest import open_service


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def index_rows(service) -> dict[str, list]:
    return {
        table: service.index.db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in ("works", "contributors", "terms", "licenses")
    }


def test_a_new_account_is_funded_once_from_genesis(service, member):
    alice = member("alice")
    assert service.account(alice.user.address)["balance_wei"] == DEFAULT_FUNDING_WEI
    assert service.account(alice.user.address)["balance_wei"] == DEFAULT_FUNDING_WEI  # not twice


def test_keystore_is_encrypted_and_private(home, member):
    bob = member("bob")
    path = home / "keystore" / f"{bob.user.address}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())
    assert stored["crypto"]["kdf"] == "pbkdf2" and "ciphertext" in stored["crypto"]
    assert bob.key not in path.read_text()


def test_only_the_callers_own_api_key_signs(service, member):
    carol, mallory = member("carol"), member("mallory")
    with pytest.raises(Forbidden, match="does not open"):
        service.register(Credentials(carol.user.address, mallory.key), digest("stolen"), Metadata("Not mine"))
    assert service.works(owner=carol.user.address)["total"] == 0


def test_after_a_rotation_the_old_key_signs_nothing_even_from_the_cache(service, member, users, home):
    fay = member("fay")
    work = service.register(fay.credentials, digest("fay's poem"), Metadata("Poem"))  # her key is now cached
    _, new_key = users.rotate("fay", fay.key, rekey=keystore_for(home).rekeying)
    with pytest.raises(Forbidden, match="does not open"):
        service.set_terms(fay.credentials, work["id"], Terms(Template.CC_BY))
    rotated = Credentials(fay.user.address, new_key)
    assert service.set_terms(rotated, work["id"], Terms(Template.CC_BY))["terms"]["template"] == "cc_by"


def test_owner_rules_and_unknown_works(service, member):
    dan, eve = member("dan"), member("eve")
    work = service.register(dan.credentials, digest("dan's song"), Metadata("Song"))
    with pytest.raises(Forbidden, match="belongs to"):
        service.set_terms(eve.credentials, work["id"], Terms(Template.CC_BY))
    with pytest.raises(Forbidden):
        service.grant_license(eve.credentials, work["id"], eve.user.address)
    with pytest.raises(NotFound):
        service.work(10_000)
    with pytest.raises(NotFound):
        service.verify(10_000, eve.user.address, "personal")
    with pytest.raises(InvalidRequest, match="already registered"):
        service.register(eve.credentials, digest("dan's song"), Metadata("Copy"))
    with pytest.raises(InvalidRequest, match="use must be"):
        service.verify(work["id"], eve.user.address, "resell")


def test_index_answers_as_the_chain_does_and_rebuilds_identically(service, member):
    owner, buyer, grantee, stranger = (member(n) for n in ("olga", "bruno", "greta", "sam"))
    paid = service.register(owner.credentials, digest("paid work"), Metadata("Paid 秋"))
    remix = service.register(owner.credentials, digest("remix work"), Metadata("Remix"))
    service.set_terms(owner.credentials, paid["id"], Terms(Template.COMMERCIAL_USE, fee_wei=ETHER // 100))
    service.set_terms(owner.credentials, remix["id"], Terms(Template.NON_COMMERCIAL_REMIX, duration_s=3600))
    service.buy_license(buyer.credentials, paid["id"])
    service.grant_license(owner.credentials, remix["id"], grantee.user.address)
    for work in (paid, remix):
        for who in (owner, buyer, grantee, stranger):
            for use in ("personal", "commercial", "derivative"):
                on_chain = service.verify(work["id"], who.user.address, use)["valid"]
                assert service.verify(work["id"], who.user.address, use, source="index")["valid"] == on_chain
    assert service.verify(paid["id"], buyer.user.address, "commercial")["valid"]
    assert not service.verify(paid["id"], stranger.user.address, "commercial")["valid"]
    assert [w["title"] for w in service.works(query="秋")["items"]] == ["Paid 秋"]
    assert service.licenses(holder=buyer.user.address)["items"][0]["paid_wei"] == ETHER // 100

    before = index_rows(service)
    assert service.index.rebuild() > 0
    assert index_rows(service) == before


def test_a_restart_keeps_everything_and_a_lost_index_is_rebuilt(tmp_path):
    users = Users(connect(tmp_path / "muse.db"))
    (owner, owner_key), (buyer, buyer_key) = (
        users.add(n, create_account=keystore_for(tmp_path).create) for n in ("owner", "buyer")
    )
    service = open_service(tmp_path)
    work = service.register(Credentials(owner.address, owner_key), digest("kept"), Metadata("Kept"))
    service.set_terms(Credentials(owner.address, owner_key), work["id"], Terms(Template.COMMERCIAL_USE, fee_wei=5))
    service.buy_license(Credentials(buyer.address, buyer_key), work["id"])
    state = (
        service.work(work["id"]),
        service.account(owner.address),
        service.account(buyer.address),
        service.works(),
        service.licenses(),
    )
    rows = index_rows(service)
    service.close()

    reopened = open_service(tmp_path)
    assert (
        reopened.work(work["id"]),
        reopened.account(owner.address),
        reopened.account(buyer.address),
        reopened.works(),
        reopened.licenses(),
    ) == state
    reopened.close()

    (tmp_path / "ledger" / "index.sqlite3").unlink()
    rebuilt = open_service(tmp_path)
    assert index_rows(rebuilt) == rows
    assert rebuilt.verify(work["id"], buyer.address, "commercial", source="index")["valid"]
    rebuilt.close()


def test_the_deployment_record_is_written_whole_and_checked(tmp_path):
    """deployment.json is the only link to the contract: written atomically, and a damaged or foreign record stops
    the start with a message that says what to do, instead of a traceback or a silent new ledger."""
    open_service(tmp_path).close()
    record_path = tmp_path / "ledger" / "deployment.json"
    records = json.loads(record_path.read_text())
    assert [p.name for p in record_path.parent.glob(".deployment.json.*")] == []
    ((chain_id, record),) = records.items()
    assert record["sources"] == sources_key()

    record_path.write_text('{"1337": {"ledger": "0x')  # a kill mid-write, before writes were atomic
    with pytest.raises(ChainError, match="deployment.json is damaged"):
        open_service(tmp_path)

    record_path.write_text(json.dumps({chain_id: {**record, "sources": "an older contract"}}))
    with pytest.raises(ChainError, match="other contract sources"):
        open_service(tmp_path)

    record_path.write_text(json.dumps(records))
    open_service(tmp_path).close()
