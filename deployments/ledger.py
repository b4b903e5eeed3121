"""The Ledger deployment: the one writer of the ledger chain.

Exactly one replica: the embedded chain lives in this process (its data directory is locked to it), and one
sender keeps nonces in order on a JSON-RPC node too. It wraps a ``LedgerService``; its methods block on the
chain, so Serve runs them in its thread pool, and the service serialises what must be serial.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from ray import serve

from deployments.metrics import counter
from deployments.replica_logs import log_to_replica
from ledger.earnings import Earnings, Page
from ledger.errors import LedgerError
from ledger.evm_version import DEFAULT_EVM_VERSION, EvmVersion
from ledger.idempotency import DEFAULT_TTL_S
from ledger.metadata import Metadata
from ledger.service import Credentials, LedgerService, LedgerSettings, keystore_for
from ledger.types import Contributor, Provenance, Terms
from core.paths import muse_home

FUNDER_KEY_ENV = "MUSE_LEDGER_FUNDER_KEY"  # a secret: from the environment, never from serve_config.yaml


class _RefusalsAreNotFailures(logging.Filter):
    """Serve logs every exception a method raises as a failed request, with its traceback. A refusal by the
    ledger (not the owner, no such work, bad shares) is an answer, which the gateway turns into a 4xx: log
    it as one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, LedgerError):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args, record.exc_info, record.exc_text = (
                f"refused ({type(error).__name__}): {error}",
                (),
                None,
                None,
            )
        return True


@serve.deployment(name="Ledger")
class LedgerDeployment:
    """A ``LedgerService`` in a Serve replica, with the data directory, a health check, metrics and logging. Its
    methods are what the gateway's routes and the assistant's tools call, each the service's own; the rest of
    the service (keystore, chain, index) stays inside the replica."""

    def __init__(
        self,
        rpc_url: str | None = None,
        idempotency_ttl_s: int = DEFAULT_TTL_S,
        evm_version: EvmVersion = DEFAULT_EVM_VERSION,
    ):
        serve_logger = logging.getLogger("ray.serve")
        serve_logger.addFilter(_RefusalsAreNotFailures())
        log_to_replica("ledger")
        home = muse_home()
        settings = LedgerSettings(
            home / "ledger",
            rpc_url,
            os.environ.get(FUNDER_KEY_ENV),
            idempotency_ttl_s=idempotency_ttl_s,
            evm_version=evm_version,
        )
        self._service = LedgerService(settings, keystore_for(home))
        transactions = counter("muse_ledger_transactions", ("kind",))
        self._service.on_transaction = lambda kind: transactions.inc(tags={"kind": kind})

    # Accounts

    def account(self, address: str) -> dict[str, Any]:
        return self._service.account(address)

    def earnings(self, address: str, work_id: int | None = None, page: Page = Page()) -> Earnings:
        return self._service.earnings(address, work_id, page)

    def withdraw(self, caller: Credentials, idempotency_key: str | None = None) -> dict[str, Any]:
        return self._service.withdraw(caller, idempotency_key=idempotency_key)

    # Works

    def register(
        self,
        caller: Credentials,
        content_hash: str,
        metadata: Metadata,
        provenance: Provenance,
        contributors: Sequence[Contributor] | None,
        parents: Sequence[int],
        text: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        return self._service.register(
            caller,
            content_hash,
            metadata,
            provenance,
            contributors,
            parents,
            text=text,
            idempotency_key=idempotency_key,
        )

    def work(self, work_id: int) -> dict[str, Any]:
        return self._service.work(work_id)

    def works(self, owner: str | None, query: str | None, limit: int, offset: int) -> dict[str, Any]:
        return self._service.works(owner, query, limit, offset)

    # Terms and licenses

    def set_terms(
        self, caller: Credentials, work_id: int, terms: Terms, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        return self._service.set_terms(caller, work_id, terms, idempotency_key=idempotency_key)

    def buy_license(
        self, caller: Credentials, work_id: int, max_fee_wei: int | None, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        return self._service.buy_license(caller, work_id, max_fee_wei, idempotency_key=idempotency_key)

    def grant_license(
        self, caller: Credentials, work_id: int, holder: str, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        return self._service.grant_license(caller, work_id, holder, idempotency_key=idempotency_key)

    def verify(self, work_id: int, holder: str, use: str, source: str = "chain") -> dict[str, Any]:
        return self._service.verify(work_id, holder, use, source)

    def licenses(self, holder: str | None, work_id: int | None, limit: int, offset: int) -> dict[str, Any]:
        return self._service.licenses(holder, work_id, limit, offset)

    def status(self) -> dict[str, Any]:
        return self._service.status()

    # Serve's hooks

    def check_health(self) -> None:
        """Unhealthy when the chain stops answering (a node gone away; a closed embedded chain)."""
        self._service.chain.w3.eth.get_block_number()

    def __del__(self) -> None:
        self._service.close()  # flush and unlock the embedded chain when Serve stops the replica
