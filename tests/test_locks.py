"""KeyedLocks: one block at a time per key, and no lock left behind once nobody holds or waits for a key."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from common.locks import KeyedLocks


def test_one_holder_per_key_and_nothing_kept_afterwards():
    locks, inside, most = KeyedLocks(), [0], [0]
    guard = threading.Lock()

    def work(key: str) -> None:
        with locks.hold(key):
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.01)
            with guard:
                inside[0] -= 1

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, ["same"] * 16))
    assert most[0] == 1
    assert len(locks) == 0


def test_different_keys_do_not_wait_for_each_other():
    locks, entered = KeyedLocks(), threading.Event()

    def other() -> None:
        with locks.hold("b"):
            entered.set()

    with locks.hold("a"):
        thread = threading.Thread(target=other)
        thread.start()
        assert entered.wait(5)  # while "a" is held
        thread.join()
    assert len(locks) == 0
