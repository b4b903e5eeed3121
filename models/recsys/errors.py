"""The recommender's refusals, raised by the services and mapped to HTTP answers by the gateway."""

from __future__ import annotations

from collections.abc import Iterable


class UnknownItem(KeyError):
    """Items a request names (looked up, liked, or in its history) that the catalogue does not hold (yet)."""

    def __init__(self, items: Iterable[str]):
        self.items = [str(i) for i in items]
        super().__init__(self.items)

    def __str__(self) -> str:
        return f"unknown items: {', '.join(self.items)}"
