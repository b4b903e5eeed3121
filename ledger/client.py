"""Typed client of the licensing ledger contract (``contracts/Ledger.vy``).

State-changing methods take the acting account and sign locally (see ``ledger.transact``); reverts surface as
``ledger.errors`` types. Views read the latest block.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.datastructures import AttributeDict
from web3.logs import DISCARD
from web3.types import TxReceipt

from ledger import validation as check
from ledger.compile import compile_contract
from ledger.errors import Conflict, NotFound, translated
from ledger.evm_version import DEFAULT_EVM_VERSION, EvmVersion
from ledger.transact import send
from ledger.types import (
    BPS,
    MAX_URI_BYTES,
    PERPETUAL,
    Contributor,
    LedgerAddresses,
    LedgerEvent,
    License,
    Origin,
    Parent,
    Provenance,
    Template,
    Terms,
    Use,
    Work,
    code,
    from_code,
)

CONTRACT = "Ledger"
TERMS_ABI_TYPE = "(uint8,uint256,bool,bool,uint256,uint256,bool,bool)"  # the contract's Terms struct
HUMAN_MADE = Provenance()


class Ledger:
    """One deployed ledger contract; ``addresses`` is what to persist to reattach with ``Ledger.at``."""

    def __init__(self, w3: Web3, abi: list[dict], addresses: LedgerAddresses):
        self.w3 = w3
        self.addresses = addresses
        self.contract: Contract = w3.eth.contract(address=addresses.ledger, abi=abi, decode_tuples=True)
        self._fn = self.contract.functions

    @classmethod
    def deploy(
        cls, w3: Web3, deployer: LocalAccount, cache_dir: Path, evm_version: EvmVersion = DEFAULT_EVM_VERSION
    ) -> Ledger:
        artifact = compile_contract(CONTRACT, cache_dir, evm_version)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = send(w3, deployer, factory.constructor())
        return cls(w3, artifact.abi, LedgerAddresses(receipt["contractAddress"], receipt["blockNumber"]))

    @classmethod
    def at(
        cls, w3: Web3, addresses: LedgerAddresses, cache_dir: Path, evm_version: EvmVersion = DEFAULT_EVM_VERSION
    ) -> Ledger:
        if not w3.eth.get_code(addresses.ledger):
            raise NotFound(f"no contract at {addresses.ledger}")
        return cls(w3, compile_contract(CONTRACT, cache_dir, evm_version).abi, addresses)

    # Works

    def register_work(
        self,
        sender: LocalAccount,
        content_hash: bytes,
        metadata_uri: str,
        provenance: Provenance = HUMAN_MADE,
        contributors: Sequence[Contributor] | None = None,
        parents: Sequence[int] = (),
    ) -> Work:
        """Register a work owned by ``sender``; contributors default to ``sender`` alone.

        A derivative (with ``parents``) needs, on each parent, a valid license allowing derivatives (its terms'
        revenue share then goes to that parent) or ownership/contributorship of the parent.
        """
        shares = check.contributors([Contributor(sender.address, BPS)] if contributors is None else contributors)
        call = self._fn.register(
            check.hash32(content_hash, "content hash"),
            check.text(metadata_uri, "metadata uri", MAX_URI_BYTES),
            code(check.provenance(provenance).origin),
            provenance.model_id,
            provenance.prompt_hash,
            [(c.account, c.share_bps) for c in shares],
            check.parents(parents),
        )
        receipt = send(self.w3, sender, call)
        return self.work(self._event(receipt, "WorkRegistered")["work_id"])

    def work(self, work_id: int) -> Work:
        with translated():
            raw = self._fn.work(check.work_id(work_id)).call()
            owner = self._fn.ownerOf(work_id).call()
        return Work(
            id=work_id,
            owner=owner,
            content_hash=raw.content_hash,
            metadata_uri=raw.metadata_uri,
            provenance=Provenance(from_code(Origin, raw.provenance), raw.model_id, raw.prompt_hash),
            contributors=tuple(Contributor(c.account, c.share_bps) for c in raw.contributors),
            parents=tuple(Parent(p.work_id, p.share_bps) for p in raw.parents),
            registered_block=raw.registered_block,
            registered_at=raw.registered_at,
        )

    def work_count(self) -> int:
        return self._fn.workCount().call()

    def transfer(self, sender: LocalAccount, work_id: int, to: str) -> None:
        """Move the work's token (``safeTransferFrom``: a contract receiver must accept it)."""
        with translated():
            owner = self._fn.ownerOf(check.work_id(work_id)).call()
        send(self.w3, sender, self._fn.safeTransferFrom(owner, check.address(to, "receiver"), work_id))

    # Terms and licenses

    def set_terms(self, sender: LocalAccount, work_id: int, terms: Terms) -> Terms:
        call = self._fn.setTerms(check.work_id(work_id), _terms_to_chain(check.terms(terms)))
        send(self.w3, sender, call)
        return terms

    def terms(self, work_id: int) -> Terms | None:
        """The work's current terms, offered or not; None if never set."""
        with translated():
            if not self._fn.hasTerms(check.work_id(work_id)).call():
                return None
            return _terms_from_chain(self._fn.terms(work_id).call())

    def buy_license(self, sender: LocalAccount, work_id: int, max_fee_wei: int | None = None) -> License:
        """Pay exactly the offered fee for a license (or more time on one: the time left carries over).

        The buyer names its price: a fee above ``max_fee_wei`` is refused (``Conflict``, with the current fee in
        its details) before anything is sent, and the transaction carries the hash of the terms read here, so an
        owner who changes them before it is mined makes it revert instead of selling on other terms.
        """
        terms = self.terms(work_id)
        if terms is not None and max_fee_wei is not None and terms.fee_wei > max_fee_wei:
            raise Conflict(
                f"the fee is now {terms.fee_wei} wei, above the {max_fee_wei} wei agreed to",
                param="max_fee_wei",
                details={"fee_wei": terms.fee_wei},
            )
        agreed = terms_hash(terms) if terms else bytes(32)
        send(self.w3, sender, self._fn.buy(work_id, agreed), value=terms.fee_wei if terms else 0)
        return self._license(work_id, sender.address)

    def grant_license(self, sender: LocalAccount, work_id: int, holder: str) -> License:
        """Issue a free license on the work's current terms (owner or approved operator only)."""
        holder = check.address(holder, "holder")
        send(self.w3, sender, self._fn.grant(check.work_id(work_id), holder))
        return self._license(work_id, holder)

    def transfer_license(self, sender: LocalAccount, work_id: int, to: str) -> License:
        """Hand an unexpired, transferable license to an address that holds none on this work."""
        to = check.address(to, "receiver")
        send(self.w3, sender, self._fn.transferLicense(check.work_id(work_id), to))
        return self._license(work_id, to)

    def license(self, work_id: int, holder: str) -> License | None:
        """The holder's license record (possibly expired); None if it never had one."""
        holder = check.address(holder, "holder")
        with translated():
            raw = self._fn.license(check.work_id(work_id), holder).call()
        return _license_from_chain(work_id, holder, raw)

    def verify(self, work_id: int, holder: str, use: str) -> bool:
        """Whether ``holder`` may use the work so: "personal", "commercial" or "derivative" (else ValueError).

        The owner and contributors always may; others need an unexpired license whose template allows the use.
        """
        use_code = code(Use(use))
        with translated():
            return self._fn.verify(check.work_id(work_id), check.address(holder, "holder"), use_code).call()

    # Money

    def royalties_owed(self, address: str) -> int:
        return self._fn.royaltiesOwed(check.address(address, "address")).call()

    def withdraw(self, sender: LocalAccount) -> int:
        """Pay ``sender`` all royalties owed to it; returns the amount (0, and no transaction, when none)."""
        if self.royalties_owed(sender.address) == 0:
            return 0
        return self._event(send(self.w3, sender, self._fn.withdraw()), "Withdrawn")["amount"]

    def balance(self, address: str) -> int:
        """The address's ether balance on chain, in wei."""
        return self.w3.eth.get_balance(check.address(address, "address"))

    # Index

    def events(self, from_block: int, to_block: int | Literal["latest"] = "latest") -> list[LedgerEvent]:
        """Every event the contract emitted in the block range, decoded, in chain order."""
        logs = self.w3.eth.get_logs({"address": self.contract.address, "fromBlock": from_block, "toBlock": to_block})
        events = []
        for log in logs:
            event = self.contract.get_event_by_topic(log["topics"][0].to_0x_hex()).process_log(log)
            events.append(
                LedgerEvent(
                    name=event["event"],
                    args=_plain(event["args"]),
                    block_number=log["blockNumber"],
                    tx_hash=log["transactionHash"].to_0x_hex(),
                    log_index=log["logIndex"],
                )
            )
        return sorted(events, key=lambda e: (e.block_number, e.log_index))

    def function_of(self, tx_hash: str) -> str:
        """The name of the contract function a transaction called (``buy``, ``grant``...)."""
        function, _ = self.contract.decode_function_input(self.w3.eth.get_transaction(tx_hash)["input"])
        return function.fn_name

    def _license(self, work_id: int, holder: str) -> License:
        """The license a transaction just issued (or moved)."""
        lic = self.license(work_id, holder)
        if lic is None:
            raise NotFound(f"no license of {holder} on work {work_id} after issuing it")
        return lic

    def _event(self, receipt: TxReceipt, name: str) -> AttributeDict:
        (event,) = self.contract.events[name]().process_receipt(receipt, errors=DISCARD)
        return event["args"]


def _terms_to_chain(terms: Terms) -> tuple:
    return (
        code(terms.template),
        terms.fee_wei,
        terms.commercial,
        terms.derivatives,
        terms.rev_share_bps,
        terms.duration_s,
        terms.transferable,
        terms.active,
    )


def terms_hash(terms: Terms) -> bytes:
    """The contract's ``termsHash``: keccak256 of the ABI-encoded ``Terms`` struct (a static tuple)."""
    return Web3.keccak(abi_encode([TERMS_ABI_TYPE], [_terms_to_chain(terms)]))


def _license_from_chain(work_id: int, holder: str, raw: Any) -> License | None:
    if raw.issued_at == 0:
        return None
    ends = {
        Use.PERSONAL: raw.personal_until,
        Use.COMMERCIAL: raw.commercial_until,
        Use.DERIVATIVE: raw.derivative_until,
    }
    return License(
        work_id=work_id,
        holder=holder,
        terms=_terms_from_chain(raw.terms),
        issued_at=raw.issued_at,
        until={use: None if end == PERPETUAL else end for use, end in ends.items() if end},
        rev_share_bps=raw.rev_share_bps,
        transferable=raw.transferable,
    )


def _terms_from_chain(raw: Any) -> Terms:
    return Terms(
        template=from_code(Template, raw.template),
        fee_wei=raw.fee,
        rev_share_bps=raw.rev_share_bps,
        duration_s=raw.duration,
        transferable=raw.transferable,
        active=raw.active,
    )


def _plain(value: Any) -> Any:
    """web3's nested AttributeDicts and tuples as plain dicts and lists."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
