"""The bounded, idle-expiring cache (common/cache.py) that keeps unlocked ledger keys."""

import pytest

from common.cache import LruTtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_least_recently_used_entry_goes_first():
    cache = LruTtlCache(2, idle_s=60)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_an_entry_idle_too_long_is_gone_and_use_keeps_it():
    clock = Clock()
    cache = LruTtlCache(10, idle_s=60, clock=clock)
    cache.put("used", 1)
    cache.put("idle", 2)
    clock.now = 50
    assert cache.get("used") == 1
    clock.now = 100  # "idle" last used at 0, "used" at 50
    assert cache.get("idle") is None and cache.get("used") == 1
    clock.now = 200
    assert len(cache) == 0


def test_limits_must_make_sense():
    with pytest.raises(ValueError):
        LruTtlCache(0, idle_s=1)
    with pytest.raises(ValueError):
        LruTtlCache(1, idle_s=0)
