"""The ledger as Muse uses it: one chain, one deployed contract, the index, and users' keystores.

``LedgerService`` opens the chain (the durable embedded one in ``$MUSE_HOME/ledger/chain``, or a JSON-RPC
node), deploys the contract the first time and remembers where (``deployment.json``), keeps the index in
step, and signs each change with the caller's own key, unlocked by the caller's API key. Its methods take
plain values and answer with the JSON form of a model of ``ledger.views`` (or an ``Earnings``), so they cross
process boundaries unchanged; the Serve deployment that runs it is its only writer. Each change takes an
optional ``idempotency_key``: a repeat with the same key returns the first answer without a new transaction
(``ledger.idempotency``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from common.cache import LruTtlCache
from common.files import write_atomic
from ledger import validation as check
from ledger.chain import Chain, ChainError, open_embedded_chain, open_rpc_chain
from ledger.client import HUMAN_MADE, Ledger
from ledger.compile import sources_key
from ledger.earnings import Earnings, Page, earnings, work_role
from ledger.errors import Forbidden, InvalidRequest, NearCopy, NotFound
from ledger.evm_version import DEFAULT_EVM_VERSION, EvmVersion
from ledger.idempotency import DEFAULT_TTL_S, IdempotencyStore, idempotent
from ledger.index import LedgerIndex
from ledger.inputs import content_hash
from ledger.keystore import Keystore, KeystoreError
from ledger.metadata import Metadata, decode, encode
from ledger.nearcopies import Match, NearCopyIndex
from ledger.similarity import Fingerprint, SimilaritySettings, fingerprint
from ledger.transact import send_value
from ledger.units import WEI_PER_ETH
from ledger.types import (
    Contributor,
    LedgerAddresses,
    Provenance,
    Terms,
    Use,
    Work,
)
from ledger.views import (
    Account,
    LedgerStatus,
    LicensePage,
    LicenseView,
    ProvenanceView,
    TermsView,
    Verification,
    Withdrawal,
    WorkPage,
    WorkView,
)

log = logging.getLogger(__name__)

DEFAULT_FUNDING_WEI = 100 * WEI_PER_ETH
SIGNER_CACHE_ENTRIES = 256  # unlocked keys kept in memory: at most this many callers...
SIGNER_CACHE_IDLE_S = 600.0  # ...each for at most this long after its last use


@dataclass(frozen=True)
class Credentials:
    """Who acts: the caller's account, and the API key that unlocks its keystore (never printed)."""

    address: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class LedgerSettings:
    home: Path  # the ledger's folder in the data directory
    rpc_url: str | None = None  # None: the embedded chain
    funder_key: str | None = field(default=None, repr=False)  # pays deployment and funds users on a node
    funding_wei: int = DEFAULT_FUNDING_WEI  # given to each new account, where there is a funder
    idempotency_ttl_s: int = DEFAULT_TTL_S  # how long the answer to a change made with an idempotency key is kept
    evm_version: EvmVersion = DEFAULT_EVM_VERSION  # the contract is compiled for it; a node must run it
    similarity: SimilaritySettings = SimilaritySettings()  # what counts as a near-copy of a registered text


def keystore_for(data_dir: Path) -> Keystore:
    """The keystore folder of a data directory (``muse users add`` writes there)."""
    return Keystore(data_dir / "keystore")


class LedgerService:
    def __init__(self, settings: LedgerSettings, keystore: Keystore):
        self.settings = settings
        self.keystore = keystore
        self.chain = _open_chain(settings)
        self.ledger = _deploy_or_attach(self.chain, settings.home, settings.evm_version)
        self.index = LedgerIndex(settings.home / "index.sqlite3", self.ledger)
        applied = self.index.sync()
        self.near_copies = NearCopyIndex(settings.home / "fingerprints.sqlite3", settings.similarity)
        self.near_copies.load(self.index.content_hashes())
        self._registering = threading.Lock()  # a near-copy check and the registration it allows are one step
        self.answers = IdempotencyStore(settings.home / "idempotency.sqlite3", settings.idempotency_ttl_s)
        # (address, sha256 of the API key) -> (unlocked key, the keystore file's stamp when it was unlocked)
        self._signers: LruTtlCache[tuple[str, str], tuple[LocalAccount, tuple[int, int] | None]] = LruTtlCache(
            SIGNER_CACHE_ENTRIES, SIGNER_CACHE_IDLE_S
        )
        self._funding = threading.Lock()
        self.on_transaction: Callable[[str], None] = lambda kind: None  # e.g. a metrics counter, by kind
        log.info(
            "ledger %s on %s chain %d at block %d (%d works, %d of them texts with a fingerprint; %d new "
            "events indexed)",
            self.ledger.addresses.ledger,
            "embedded" if self.chain.embedded else settings.rpc_url,
            self.chain.w3.eth.chain_id,
            self.chain.w3.eth.block_number,
            self.ledger.work_count(),
            len(self.near_copies),
            applied,
        )

    def close(self) -> None:
        self.near_copies.close()
        self.answers.close()
        self.index.close()
        self.chain.close()

    # Accounts

    def account(self, address: str) -> dict[str, Any]:
        address = check.address(address, "address")
        self._fund_if_new(address)
        return Account(
            address=address, balance_wei=self.ledger.balance(address), royalties_wei=self.ledger.royalties_owed(address)
        ).model_dump()

    def earnings(self, address: str, work_id: int | None = None, page: Page = Page()) -> Earnings:
        """What ``address`` earned on its works (all, or one it owns or co-created), and who licensed them."""
        address = check.address(address, "address")
        self.index.sync()
        if work_id is not None:
            mine = work_role(self.index.db, address, work_id)
            if mine is None:
                raise NotFound(f"no work {work_id}")
            if not mine:
                raise Forbidden(f"work {work_id} is neither owned nor co-created by the caller")
        return earnings(self.index.db, address, work_id, page)

    @idempotent
    def withdraw(self, caller: Credentials) -> dict[str, Any]:
        withdrawn = self.ledger.withdraw(self._signer(caller))
        if withdrawn:
            self.on_transaction("withdraw")
        return Withdrawal(withdrawn_wei=withdrawn, **self.account(caller.address)).model_dump()

    # Works

    @idempotent
    def register(
        self,
        caller: Credentials,
        content_hash: str,
        metadata: Metadata,
        provenance: Provenance = HUMAN_MADE,
        contributors: Sequence[Contributor] | None = None,
        parents: Sequence[int] = (),
        text: str | None = None,
    ) -> dict[str, Any]:
        """Register content (by its hex sha256) as the caller's work.

        ``text`` is the content itself when it is text (its sha256 must be ``content_hash``): a near-copy of
        another user's work is then refused (``NearCopy``, with that work's id) unless that work is among the
        ``parents``. The caller's own works never block: a revision registers as a new work (identical bytes
        are refused for everyone, by the contract)."""
        digest = check.hash32(_hex_bytes(content_hash, "content hash"), "content hash")
        prints = self._fingerprint(text, digest)
        signer = self._signer(caller)
        with self._registering:
            if prints is not None:
                self._refuse_near_copies(caller, digest.hex(), prints, parents)
                self.near_copies.remember(digest.hex(), prints)
            work = self.ledger.register_work(signer, digest, encode(metadata), provenance, contributors, parents)
            self.on_transaction("register")
            self.index.sync()
            if prints is not None:
                self.near_copies.add(work.id, digest.hex(), prints)
        log.info("work %d registered by %s", work.id, caller.address)
        return _work_view(work, None)

    def _fingerprint(self, text: str | None, digest: bytes) -> Fingerprint | None:
        if text is None:
            return None
        if content_hash(text.encode()) != digest.hex():
            raise InvalidRequest("the content hash is not the sha256 of the text", param="content")
        return fingerprint(text, self.settings.similarity)

    def _refuse_near_copies(
        self, caller: Credentials, content_hash: str, prints: Fingerprint, parents: Sequence[int]
    ) -> None:
        """Raise ``NearCopy`` for the most similar work of another owner that the text may not resemble.

        It may resemble the caller's own works and what derives from them (the author revising a poem that another
        user has licensed and remixed is not copying the remix), and its declared parents, what they derive from
        and what else derives from them. Owning a derivative does not excuse copying its parent. Identical content is left to the contract, which refuses
        it for everyone (declaring a parent would not help)."""
        if self.index.has_content(content_hash):
            return
        matches = self.near_copies.matches(prints)
        if not matches:
            return
        owners = self.index.owners(m.work_id for m in matches)
        own = {m.work_id for m in matches if owners.get(m.work_id) == caller.address}
        declared = self._ancestry(set(parents))
        for match in matches:
            if match.work_id in own | declared or self._ancestry({match.work_id}) & (own | set(parents)):
                continue
            raise _near_copy(match)

    def _ancestry(self, work_ids: set[int], limit: int = 64) -> set[int]:
        """These works and those they derive from, through parents' parents (at most ``limit`` works read)."""
        seen, todo = set(), list(work_ids)
        while todo and len(seen) < limit:
            work_id = todo.pop()
            if work_id not in seen:
                seen.add(work_id)
                try:
                    todo += [p.work_id for p in self.ledger.work(work_id).parents]
                except NotFound:  # a declared parent that does not exist: the contract refuses it, with its reason
                    pass
        return seen

    def work(self, work_id: int) -> dict[str, Any]:
        return _work_view(self.ledger.work(work_id), self.ledger.terms(work_id))

    def works(
        self, owner: str | None = None, query: str | None = None, limit: int = 20, offset: int = 0
    ) -> dict[str, Any]:
        self.index.sync()
        items, total = self.index.works(owner and check.address(owner, "owner"), query, limit, offset)
        return WorkPage(items=items, total=total, limit=limit, offset=offset).model_dump()

    # Terms and licenses

    @idempotent
    def set_terms(self, caller: Credentials, work_id: int, terms: Terms) -> dict[str, Any]:
        self._require_owner(caller, work_id)
        self.ledger.set_terms(self._signer(caller), work_id, terms)
        self.on_transaction("set_terms")
        self.index.sync()
        return self.work(work_id)

    @idempotent
    def buy_license(self, caller: Credentials, work_id: int, max_fee_wei: int | None = None) -> dict[str, Any]:
        """Pay the work's current fee for a license of the caller's own; never more than ``max_fee_wei``."""
        lic = self.ledger.buy_license(self._signer(caller), work_id, max_fee_wei)
        self.on_transaction("buy_license")
        self.index.sync()
        log.info("license on work %d bought by %s for %d wei", work_id, caller.address, lic.terms.fee_wei)
        return LicenseView.of(lic).model_dump()

    @idempotent
    def grant_license(self, caller: Credentials, work_id: int, holder: str) -> dict[str, Any]:
        self._require_owner(caller, work_id)
        lic = self.ledger.grant_license(self._signer(caller), work_id, holder)
        self.on_transaction("grant_license")
        self.index.sync()
        return LicenseView.of(lic).model_dump()

    def verify(self, work_id: int, holder: str, use: str, source: str = "chain") -> dict[str, Any]:
        """Whether ``holder`` may use the work so, read from the chain or from the index (as of its last sync)."""
        holder = check.address(holder, "holder")
        if use not in set(Use):
            raise InvalidRequest(f"use must be one of {', '.join(Use)}, not {use!r}")
        use = Use(use)
        if source == "index":
            valid = self.index.verify(work_id, holder, use)
            if valid is None:
                raise NotFound(f"no work {work_id} in the index")
            lic = None
        else:
            valid = self.ledger.verify(work_id, holder, use)
            lic = self.ledger.license(work_id, holder)
        return Verification(
            valid=valid,
            work_id=work_id,
            holder=holder,
            use=use.value,
            source=source,
            license=LicenseView.of(lic) if lic else None,
        ).model_dump()

    def licenses(
        self, holder: str | None = None, work_id: int | None = None, limit: int = 20, offset: int = 0
    ) -> dict[str, Any]:
        self.index.sync()
        items, total = self.index.licenses(holder and check.address(holder, "holder"), work_id, limit, offset)
        return LicensePage(items=items, total=total, limit=limit, offset=offset).model_dump()

    def status(self) -> dict[str, Any]:
        w3 = self.chain.w3
        return LedgerStatus(
            contract=self.ledger.addresses.ledger,
            chain_id=w3.eth.chain_id,
            embedded=self.chain.embedded,
            block=w3.eth.block_number,
            works=self.ledger.work_count(),
        ).model_dump()

    # Signing

    def _signer(self, caller: Credentials) -> LocalAccount:
        """The caller's key, unlocked by its API key, on an account that can pay gas.

        Unlocked keys are cached (bounded, with an idle expiry), but only while the keystore file is the one
        they were unlocked from: after a key rotation the old API key opens nothing, even here."""
        cache_key = (caller.address, hashlib.sha256(caller.api_key.encode()).hexdigest())
        stamp = self.keystore.stamp(caller.address)
        cached = self._signers.get(cache_key)
        if cached is not None and cached[1] == stamp:
            signer = cached[0]
        else:
            try:
                signer = self.keystore.unlock(caller.address, caller.api_key)
            except KeystoreError as exc:
                raise Forbidden(str(exc)) from exc
            self._signers.put(cache_key, (signer, stamp))
        self._fund_if_new(signer.address)
        return signer

    def _fund_if_new(self, address: str) -> None:
        """Give a never-used, empty account its starting ether, where Muse has a funder (the embedded chain's
        genesis account, or a configured key). The chain itself says whether it is new: no state to lose."""
        w3, funder = self.chain.w3, self.chain.funder
        if funder is None:
            return
        with self._funding:
            if w3.eth.get_transaction_count(address) or w3.eth.get_balance(address):
                return
            send_value(w3, funder, address, self.settings.funding_wei)
            self.on_transaction("fund_account")
        log.info("funded new account %s with %d wei", address, self.settings.funding_wei)

    def _require_owner(self, caller: Credentials, work_id: int) -> None:
        """Refuse early, with a clear reason, what the contract would refuse anyway."""
        owner = self.ledger.work(work_id).owner
        if owner != caller.address:
            raise Forbidden(f"work {work_id} belongs to {owner}, not to the caller")


def _open_chain(settings: LedgerSettings) -> Chain:
    if settings.rpc_url:
        return open_rpc_chain(settings.rpc_url, settings.funder_key, settings.evm_version)
    return open_embedded_chain(settings.home / "chain")


def _deploy_or_attach(chain: Chain, home: Path, evm_version: EvmVersion) -> Ledger:
    """The contract recorded for this chain in ``deployment.json``, or a new deployment (then recorded).

    The record names the contract's source version: a ledger deployed from other sources has another ABI, and
    attaching to it would misread every record, so Muse refuses to start rather than guess."""
    record_path = home / "deployment.json"
    records = _read_records(record_path)
    chain_id = str(chain.w3.eth.chain_id)
    cache_dir = home / "build"
    if chain_id in records:
        addresses = LedgerAddresses.from_dict(records[chain_id])
        if chain.w3.eth.get_code(addresses.ledger):
            if records[chain_id].get("sources") != sources_key():
                raise ChainError(
                    f"the ledger contract at {addresses.ledger} (chain {chain_id}, recorded in {record_path}) was "
                    "deployed from other contract sources than this Muse's, whose records it cannot read: run the "
                    "Muse version that deployed it, or start on a fresh data directory (MUSE_HOME)"
                )
            _require_recorded_evm_version(records[chain_id], evm_version, addresses.ledger, record_path)
            return Ledger.at(chain.w3, addresses, cache_dir, evm_version)
        log.warning("no ledger contract at %s on chain %s any more: deploying a new one", addresses.ledger, chain_id)
    if chain.funder is None:
        raise ChainError(
            "no ledger contract is recorded for this chain and no funder key is configured to deploy "
            "one (set MUSE_LEDGER_FUNDER_KEY)"
        )
    ledger = Ledger.deploy(chain.w3, chain.funder, cache_dir, evm_version)
    records[chain_id] = {**ledger.addresses.to_dict(), "sources": sources_key(), "evm_version": evm_version}
    write_atomic(record_path, json.dumps(records, indent=2))
    log.info("deployed the ledger contract at %s (block %d)", ledger.addresses.ledger, ledger.addresses.deployed_block)
    return ledger


def _require_recorded_evm_version(
    record: dict[str, Any], evm_version: EvmVersion, address: str, record_path: Path
) -> None:
    """The deployed code was compiled for the record's EVM version (cancun in records older than the setting):
    a different ``ledger_evm_version`` is a configuration mistake to fix, not a reason to deploy again."""
    recorded = record.get("evm_version", DEFAULT_EVM_VERSION)
    if recorded != evm_version:
        raise ChainError(
            f"the ledger contract at {address} (recorded in {record_path}) was compiled for EVM version "
            f"'{recorded}', but ledger_evm_version is '{evm_version}': set ledger_evm_version: {recorded}, or start "
            "on a fresh data directory (MUSE_HOME) to deploy a new ledger"
        )


def _read_records(path: Path) -> dict[str, Any]:
    """``deployment.json``'s records by chain id; none when it does not exist. A damaged file stops the start
    with its path: it is the only link to the deployed contract, so it is never silently replaced."""
    try:
        records = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise ChainError(f"{path} is damaged ({exc}); restore it, or remove it to deploy a new ledger") from exc
    if not isinstance(records, dict):
        raise ChainError(f"{path} is damaged (not an object of records by chain id)")
    return records


def _near_copy(match: Match) -> NearCopy:
    how = (
        "is the same text once case, spacing and punctuation are set aside"
        if match.similarity == 1.0
        else f"shares {match.similarity:.0%} of its character sequences"
    )
    return NearCopy(
        f"this content is a near-copy of work {match.work_id}, registered by another user: it {how}. "
        f"To register it as a derivative, declare work {match.work_id} in parents (with a license on "
        "it that allows derivatives)",
        param="content",
        details={"work_id": match.work_id, "similarity": round(match.similarity, 4)},
    )


def _hex_bytes(value: str, what: str) -> bytes:
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError as exc:
        raise InvalidRequest(f"{what} is not hex") from exc


def _work_view(work: Work, terms: Terms | None) -> dict[str, Any]:
    metadata = decode(work.metadata_uri)
    return WorkView(
        id=work.id,
        title=metadata.title,
        media_type=metadata.media_type,
        owner=work.owner,
        content_hash=work.content_hash.hex(),
        metadata_uri=work.metadata_uri,
        provenance=ProvenanceView(
            origin=work.provenance.origin.value,
            model_id=work.provenance.model_id,
            prompt_hash=work.provenance.prompt_hash.hex(),
        ),
        contributors=[{"address": c.account, "share_bps": c.share_bps} for c in work.contributors],
        parents=[{"work_id": p.work_id, "share_bps": p.share_bps} for p in work.parents],
        registered_at=work.registered_at,
        registered_block=work.registered_block,
        terms=TermsView.of(terms) if terms else None,
    ).model_dump()
