"""The terminal side of ``muse users``: the table of users, and reading a key without echoing it."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime, timezone

from core.users import User


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def print_users(users: list[User]) -> None:
    """One line per user: id, name, admin, ledger address, created, status. Never a key."""
    if not users:
        print("no users yet: create one with `muse users add NAME`")
        return
    rows = [
        (
            str(u.id),
            u.name,
            "yes" if u.is_admin else "no",
            u.address or "-",
            _when(u.created_at),
            "active" if u.revoked_at is None else f"revoked {_when(u.revoked_at)}",
        )
        for u in users
    ]
    header = ("id", "name", "admin", "address", "created", "status")
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def read_current_key(name: str) -> str:
    """The user's current API key from standard input: a prompt without echo on a terminal, else one line."""
    if sys.stdin.isatty():
        key = getpass.getpass(f"current API key of {name}: ")
    else:
        key = sys.stdin.readline()
    key = key.strip()
    if not key:
        raise SystemExit("error: give the user's current API key on standard input (it unlocks their ledger account)")
    return key
