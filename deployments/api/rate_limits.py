"""Per-caller rate limits (token buckets) for the routes that cost the most: generation, the assistant and
ledger writes. Over its rate a caller gets a 429 with ``Retry-After``.

A caller is the user of a valid API key, else the client's address. Buckets live in the gateway replica, so
the limits hold per replica (with two replicas a caller may get up to twice the rate). GET requests are not
counted. Behind Serve's HAProxy ingress the address a replica sees is HAProxy's unless a trusted proxy sets
``X-Forwarded-For`` (see README): anonymous callers then share one bucket per replica.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Literal, get_args

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials
from starlette.exceptions import HTTPException

from deployments.api.auth import bearer
from deployments.api.limits import GatewayLimits, Rate

Family = Literal["generation", "chat", "ledger_writes"]
MAX_TRACKED_CALLERS = 10_000  # per family; the least recently seen caller's bucket goes first (it refills)
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class TokenBuckets:
    """One token bucket per key, all at the same rate; at most ``max_keys`` of them (least recent dropped)."""

    def __init__(self, rate: Rate, max_keys: int = MAX_TRACKED_CALLERS, clock: Callable[[], float] = time.monotonic):
        self.rate, self._max_keys, self._clock = rate, max_keys, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, when)

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when there was one, else the seconds until there will be."""
        now = self._clock()
        tokens, then = self._buckets.pop(key, (float(self.rate.burst), now))
        tokens = min(float(self.rate.burst), tokens + (now - then) * self.rate.per_s)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate.per_s
        self._buckets[key] = (tokens - 1 if tokens >= 1 else tokens, now)
        if len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait


def rate_limits(limits: GatewayLimits) -> dict[str, TokenBuckets]:
    """The buckets of each family, for ``app.state.rate_limits``."""
    return {family: TokenBuckets(getattr(limits, family)) for family in get_args(Family)}


def _caller_key(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str:
    """A valid key's user, else the client's address. An invalid key counts as anonymous (the route itself
    refuses it if it needs one), so that made-up keys cannot each get a fresh bucket."""
    user = request.app.state.users.by_key(credentials.credentials) if credentials else None
    if user is not None:
        return f"user:{user.id}"
    return f"address:{request.client.host if request.client else 'unknown'}"


def rate_limited(family: Family) -> Depends:
    """A dependency for a router's routes: counts each request that is not a GET against ``family``."""

    async def check(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> None:
        if request.method in _SAFE_METHODS:
            return
        buckets: TokenBuckets = request.app.state.rate_limits[family]
        wait = buckets.take(_caller_key(request, credentials))
        if wait:
            rate = buckets.rate
            raise HTTPException(
                429,
                f"too many {family.replace('_', ' ')} requests: at most {rate.per_s:g} a second "
                f"(bursts of {rate.burst}); retry in {math.ceil(wait)} s",
                headers={"Retry-After": str(math.ceil(wait))},
            )

    return Depends(check)
