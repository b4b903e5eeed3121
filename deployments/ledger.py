"""The Ledger deployment: the one writer of the ledger chain.

Exactly one replica: the embedded chain lives in this process (its data directory is locked to it), and one
sender keeps nonces in order on a JSON-RPC node too. Its methods are ``LedgerService``'s; they block on the
chain, so Serve runs them in its thread pool, and the service serialises what must be serial.
"""

from __future__ import annotations

import logging
import os

from ray import serve

from deployments.metrics import counter
from deployments.replica_logs import log_to_replica
from ledger.errors import LedgerError
from ledger.evm_version import DEFAULT_EVM_VERSION, EvmVersion
from ledger.idempotency import DEFAULT_TTL_S
from ledger.service import LedgerService, LedgerSettings, keystore_for
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
                f"refused ({type(error).__name__}): {error}", (), None, None)
        return True


@serve.deployment(name="Ledger")
class LedgerDeployment(LedgerService):
    def __init__(self, rpc_url: str | None = None, idempotency_ttl_s: int = DEFAULT_TTL_S,
                 evm_version: EvmVersion = DEFAULT_EVM_VERSION):
        serve_logger = logging.getLogger("ray.serve")
        serve_logger.addFilter(_RefusalsAreNotFailures())
        log_to_replica("ledger")
        home = muse_home()
        settings = LedgerSettings(home / "ledger", rpc_url, os.environ.get(FUNDER_KEY_ENV),
                                  idempotency_ttl_s=idempotency_ttl_s, evm_version=evm_version)
        super().__init__(settings, keystore_for(home))
        transactions = counter("muse_ledger_transactions", ("kind",))
        self.on_transaction = lambda kind: transactions.inc(tags={"kind": kind})

    def check_health(self) -> None:
        """Unhealthy when the chain stops answering (a node gone away; a closed embedded chain)."""
        self.chain.w3.eth.get_block_number()

    def __del__(self) -> None:
        self.close()  # flush and unlock the embedded chain when Serve stops the replica
