"""Near-copies on a real chain: another user's copy is refused naming the work, the same text declared as a
derivative registers, the owner's own revisions register, and a restarted service still knows every text."""

from __future__ import annotations

import hashlib

import pytest

from core.users import Users, connect
from ledger.errors import InvalidRequest, NearCopy
from ledger.metadata import Metadata
from ledger.service import Credentials, keystore_for
from ledger.types import Template, Terms
from tests.ledger_service.conftest import open_service

POEM = (
    "No longer mourn for me when I am dead\nThan you shall hear the surly sullen bell\n"
    "Give warning to the world that I am fled\nFrom this vile world, with vilest worms to dwell"
)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def register(service, who: Credentials, text: str, parents: tuple[int, ...] = ()) -> dict:
    return service.register(who, digest(text), Metadata("Sonnet"), parents=parents, text=text)


@pytest.fixture(scope="module")
def original(service, member) -> tuple[dict, Credentials]:
    author = member("sonneteer").credentials
    return register(service, author, POEM), author


def test_another_users_near_copy_is_refused_naming_the_work(service, member, original):
    work, _ = original
    copier = member("copier").credentials
    for copy in (
        POEM.upper(),
        POEM.replace("\n", " ").replace(",", ""),
        POEM.replace("surly", "sorry"),
        "\n".join(reversed(POEM.split("\n"))),
    ):
        with pytest.raises(NearCopy, match=f"near-copy of work {work['id']}.*parents") as refused:
            register(service, copier, copy)
        assert refused.value.param == "content" and refused.value.details["work_id"] == work["id"]
    assert service.works(owner=copier.address)["total"] == 0


def test_declared_as_a_derivative_it_registers(service, member, original):
    work, author = original
    remixer = member("remixer").credentials
    remix = POEM.replace("vilest worms", "the worms")
    service.set_terms(author, work["id"], Terms(Template.COMMERCIAL_REMIX, fee_wei=0, rev_share_bps=1_000))
    service.buy_license(remixer, work["id"])
    derivative = register(service, remixer, remix, parents=(work["id"],))
    assert derivative["owner"] == remixer.address
    assert derivative["parents"] == [{"work_id": work["id"], "share_bps": 1_000}]
    with pytest.raises(NearCopy, match=f"work {work['id']}"):  # owning a derivative does not excuse copying its parent
        register(service, remixer, POEM.lower())
    with pytest.raises(NearCopy, match=f"work {derivative['id']}"):  # a copy of the derivative is refused too
        register(service, member("third").credentials, remix.lower())
    remix_of_remix = remix.replace("sullen", "solemn")  # like both: the remix declared, the original its parent
    service.set_terms(remixer, derivative["id"], Terms(Template.COMMERCIAL_REMIX))
    fourth = member("fourth").credentials
    service.buy_license(fourth, derivative["id"])
    assert register(service, fourth, remix_of_remix, parents=(derivative["id"],))["owner"] == fourth.address


def test_the_owner_registers_revisions_but_never_the_same_bytes(service, original):
    """Even though another user's licensed remix resembles the revision as much as the original does."""
    work, author = original
    revision = register(service, author, POEM.replace("Than you shall", "Than thou shalt"))
    assert revision["owner"] == author.address and revision["id"] != work["id"]
    with pytest.raises(InvalidRequest, match="already registered"):  # as before: the contract refuses it
        register(service, author, POEM)


def test_only_text_is_compared_and_it_must_be_the_content(service, member, original):
    copier = member("binary").credentials
    other = service.register(copier, digest(POEM.upper()), Metadata("Not text", "image/png"))  # no text: hash only
    assert other["owner"] == copier.address
    with pytest.raises(InvalidRequest, match="not the sha256"):
        service.register(copier, digest("something else"), Metadata("Lie"), text="a different text")


def test_a_restarted_service_still_catches_copies_of_earlier_works(tmp_path):
    users = Users(connect(tmp_path / "muse.db"))
    (author, author_key), (copier, copier_key) = (
        users.add(n, create_account=keystore_for(tmp_path).create) for n in ("author", "copier")
    )
    service = open_service(tmp_path)
    work = register(service, Credentials(author.address, author_key), POEM)
    service.close()

    for _ in range(2):  # the second time with the ledger's index rebuilt from the chain
        reopened = open_service(tmp_path)
        with pytest.raises(NearCopy) as refused:
            register(reopened, Credentials(copier.address, copier_key), POEM.replace("dead", "gone"))
        assert refused.value.details["work_id"] == work["id"]
        reopened.close()
        (tmp_path / "ledger" / "index.sqlite3").unlink()
