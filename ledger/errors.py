"""Ledger errors. The contract prefixes every revert reason with a category, mapped here to an exception type
(and by the server to an HTTP status); the message is the reason without its prefix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eth_tester.exceptions import TransactionFailed
from eth_utils import ValidationError
from web3.exceptions import ContractLogicError, Web3RPCError


class LedgerError(Exception):
    """A ledger operation failed (also: a revert without a categorised reason).

    ``param`` names the request field at fault, where one is; ``details`` are facts the caller can act on
    (the current fee of a purchase refused for its price, say). Both reach the HTTP error body.
    """

    def __init__(self, message: str, param: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.param, self.details = param, details or {}


class Forbidden(LedgerError):
    """The sender may not act on this work or license."""


class NotFound(LedgerError):
    """No such work, terms or license."""


class InvalidRequest(LedgerError):
    """The request is malformed or breaks a ledger rule (shares, fee, duplicate content, ...)."""


class Conflict(LedgerError):
    """The ledger changed since the caller read it (terms or fee of a purchase), or holds what the request
    would add (``NearCopy``): nothing was done."""


class NearCopy(Conflict):
    """The content copies another user's registered work (``details["work_id"]``): it may be registered as a
    derivative of that work, which needs a license allowing derivatives."""


class InsufficientFunds(LedgerError):
    """The sender's account cannot pay the value plus gas."""


_CATEGORIES: dict[str, type[LedgerError]] = {
    "forbidden": Forbidden,
    "not found": NotFound,
    "invalid": InvalidRequest,
    "conflict": Conflict,
}
_REASON = re.compile(r"\b(forbidden|not found|invalid|conflict): (.+)", re.DOTALL)
# How nodes word a sender that cannot pay: geth, anvil and hardhat; eth-tester (py-evm).
_NO_FUNDS = re.compile(r"insufficient funds|cannot afford", re.IGNORECASE)
# eth-tester raises its own exception for reverts, JSON-RPC nodes give web3's ContractLogicError.
_REVERTS = (ContractLogicError, TransactionFailed)


def from_revert(reason: str) -> LedgerError:
    """The error for a revert message such as ``execution reverted: forbidden: only the owner can set terms``."""
    match = _REASON.search(reason)
    if match is None:
        return LedgerError(reason)
    return _CATEGORIES[match.group(1)](match.group(2).strip())


@contextmanager
def translated() -> Iterator[None]:
    """Re-raise reverts and unaffordable transactions from the node as ``LedgerError``s."""
    try:
        yield
    except _REVERTS as exc:
        raise from_revert(getattr(exc, "message", None) or str(exc)) from exc
    except (Web3RPCError, ValidationError) as exc:
        if _NO_FUNDS.search(str(exc)):
            raise InsufficientFunds(f"the sender cannot pay value plus gas ({exc})") from exc
        raise
