"""The off-chain index: the ledger's works, terms and licenses in SQLite, for listings and fast reads.

The chain is the truth; this is a cache fed only by the contract's events, in chain order, so deleting the
file (or ``muse ledger reindex``) rebuilds the same rows from the chain's logs. ``sync`` reads the events of
the blocks it has not seen yet; the ledger service calls it after each of its own transactions and before
each listing, so the index also follows transactions other clients send to a shared node.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ledger.client import Ledger
from ledger.metadata import decode
from ledger.types import PERPETUAL, LedgerEvent, Template, Use, from_code

MAX_PAGE = 100
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS works (
    id INTEGER PRIMARY KEY, owner TEXT NOT NULL, title TEXT NOT NULL, media_type TEXT NOT NULL,
    content_hash TEXT NOT NULL, origin INTEGER NOT NULL, model_id TEXT NOT NULL, block INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS works_by_owner ON works (owner, id);
CREATE INDEX IF NOT EXISTS works_by_content ON works (content_hash);
CREATE TABLE IF NOT EXISTS contributors (
    work_id INTEGER NOT NULL, account TEXT NOT NULL, share_bps INTEGER NOT NULL, PRIMARY KEY (work_id, account)
);
CREATE TABLE IF NOT EXISTS terms (
    work_id INTEGER PRIMARY KEY, template TEXT NOT NULL, fee_wei TEXT NOT NULL, rev_share_bps INTEGER NOT NULL,
    duration_s INTEGER NOT NULL, transferable INTEGER NOT NULL, active INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS licenses (
    work_id INTEGER NOT NULL, holder TEXT NOT NULL, template TEXT NOT NULL, paid_wei TEXT NOT NULL,
    personal_until TEXT NOT NULL, commercial_until TEXT NOT NULL, derivative_until TEXT NOT NULL,
    block INTEGER NOT NULL, PRIMARY KEY (work_id, holder)
);
CREATE INDEX IF NOT EXISTS licenses_by_holder ON licenses (holder, work_id);
CREATE TABLE IF NOT EXISTS issues (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, work_id INTEGER NOT NULL, holder TEXT NOT NULL,
    template TEXT NOT NULL, fee_wei TEXT NOT NULL, paid_wei TEXT NOT NULL, kind TEXT NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS issues_by_work ON issues (work_id, block);
CREATE TABLE IF NOT EXISTS credits (
    block INTEGER NOT NULL, log_index INTEGER NOT NULL, recipient TEXT NOT NULL, work_id INTEGER NOT NULL,
    source_work_id INTEGER NOT NULL, amount_wei TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS credits_by_recipient ON credits (recipient, work_id);
"""
TABLES = ("works", "contributors", "terms", "licenses", "issues", "credits", "meta")
SCHEMA_VERSION = "3"  # 3: every license issue and royalty credit (earnings); older index files are rebuilt


class LedgerIndex:
    def __init__(self, path: Path, ledger: Ledger):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.ledger = ledger
        self.db = sqlite3.connect(path, check_same_thread=False)  # `with self.db:` is one transaction
        self.db.execute("PRAGMA journal_mode=WAL")
        self._migrate()
        self._writing = threading.Lock()  # one sync at a time: the service runs in a thread pool
        self._last_block_time = (-1, 0)  # (block number, its time)
        if self._meta("contract") != ledger.addresses.ledger:  # a new deployment: start over
            self.rebuild()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        """Create the tables; an index of another schema version is dropped (it is rebuilt from the chain)."""
        has_meta = self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
        if has_meta and self._meta("schema_version") != SCHEMA_VERSION:
            with self.db:
                for table in TABLES:
                    self.db.execute(f"DROP TABLE IF EXISTS {table}")
        self.db.executescript(SCHEMA)
        with self.db:
            self._set_meta("schema_version", SCHEMA_VERSION)

    # Feeding

    def rebuild(self) -> int:
        """Forget everything and read the chain's events again; returns how many were applied."""
        with self._writing:
            with self.db:
                for table in TABLES:
                    self.db.execute(f"DELETE FROM {table}")
                self._set_meta("schema_version", SCHEMA_VERSION)
                self._set_meta("contract", self.ledger.addresses.ledger)
                self._set_meta("next_block", str(self.ledger.addresses.deployed_block))
            return self._sync()

    def sync(self) -> int:
        """Apply the events of the blocks not seen yet, atomically; returns how many were applied."""
        with self._writing:
            return self._sync()

    def _sync(self) -> int:
        first = int(self._meta("next_block") or self.ledger.addresses.deployed_block)
        last = self.ledger.w3.eth.block_number
        if last < first:
            return 0
        events = self.ledger.events(first, last)
        with self.db:
            for event in events:
                self._apply(event)
            self._set_meta("next_block", str(last + 1))
        return len(events)

    def _apply(self, event: LedgerEvent) -> None:
        args = event.args
        if event.name == "WorkRegistered":
            metadata = decode(args["metadata_uri"])
            self.db.execute(
                "INSERT OR REPLACE INTO works VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    args["work_id"],
                    args["owner"],
                    metadata.title,
                    metadata.media_type,
                    args["content_hash"].hex(),
                    args["provenance"],
                    args["model_id"],
                    event.block_number,
                ),
            )
            self.db.executemany(
                "INSERT OR REPLACE INTO contributors VALUES (?, ?, ?)",
                [(args["work_id"], c["account"], c["share_bps"]) for c in args["contributors"]],
            )
        elif event.name == "Transfer":  # also emitted on mint, before WorkRegistered: then no row changes
            self.db.execute("UPDATE works SET owner = ? WHERE id = ?", (args["receiver"], args["token_id"]))
        elif event.name == "TermsSet":
            terms = args["terms"]
            self.db.execute(
                "INSERT OR REPLACE INTO terms VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    args["work_id"],
                    from_code(Template, terms["template"]).value,
                    str(terms["fee"]),
                    terms["rev_share_bps"],
                    terms["duration"],
                    terms["transferable"],
                    terms["active"],
                ),
            )
        elif event.name == "LicenseIssued":  # the merged license: replaces the row, adds up what was paid
            lic = args["license"]
            before = self.db.execute(
                "SELECT paid_wei FROM licenses WHERE work_id = ? AND holder = ?", (args["work_id"], args["holder"])
            ).fetchone()
            paid = int(before[0]) if before else 0
            self.db.execute(
                "INSERT OR REPLACE INTO licenses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    args["work_id"],
                    args["holder"],
                    from_code(Template, lic["terms"]["template"]).value,
                    str(paid + args["paid"]),
                    str(lic["personal_until"]),
                    str(lic["commercial_until"]),
                    str(lic["derivative_until"]),
                    event.block_number,
                ),
            )
            self.db.execute(
                "INSERT OR REPLACE INTO issues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.block_number,
                    event.log_index,
                    args["work_id"],
                    args["holder"],
                    from_code(Template, lic["terms"]["template"]).value,
                    str(lic["terms"]["fee"]),
                    str(args["paid"]),
                    self._issue_kind(event),
                    lic["issued_at"],
                ),
            )
        elif event.name == "RoyaltyCredited":
            self.db.execute(
                "INSERT OR REPLACE INTO credits VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    event.block_number,
                    event.log_index,
                    args["recipient"],
                    args["work_id"],
                    args["source_work_id"],
                    str(args["amount"]),
                    self._block_time(event.block_number),
                ),
            )
        elif event.name == "LicenseTransferred":
            self.db.execute(
                "UPDATE licenses SET holder = ? WHERE work_id = ? AND holder = ?",
                (args["receiver"], args["work_id"], args["sender"]),
            )

    def _issue_kind(self, event: LedgerEvent) -> str:
        """``bought`` or ``granted``. A paid issue is a purchase; a free one may be either (a purchase at fee 0,
        or a grant), which only the transaction's function tells."""
        if event.args["paid"]:
            return "bought"
        return "granted" if self.ledger.function_of(event.tx_hash) == "grant" else "bought"

    def _block_time(self, number: int) -> int:
        """The block's unix time; the last one is remembered (a purchase credits several contributors at once)."""
        if self._last_block_time[0] != number:
            self._last_block_time = (number, self.ledger.w3.eth.get_block(number)["timestamp"])
        return self._last_block_time[1]

    # Reading

    def works(
        self, owner: str | None = None, query: str | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of works, newest first, and the total that match; ``query`` matches within titles."""
        where, params = _where(("owner = ?", owner), ("title LIKE ? ESCAPE '\\'", query and _contains(query)))
        rows, total = self._page(
            "SELECT w.id, w.owner, w.title, w.media_type, w.content_hash, w.block, t.template, t.fee_wei, t.active "
            f"FROM works w LEFT JOIN terms t ON t.work_id = w.id {where} ORDER BY w.id DESC",
            params,
            limit,
            offset,
        )
        return [
            {
                "id": r[0],
                "owner": r[1],
                "title": r[2],
                "media_type": r[3],
                "content_hash": r[4],
                "registered_block": r[5],
                "offer": None if r[6] is None else {"template": r[6], "fee_wei": int(r[7]), "active": bool(r[8])},
            }
            for r in rows
        ], total

    def licenses(
        self, holder: str | None = None, work_id: int | None = None, limit: int = 20, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of license records (expired ones too), newest first, and the total that match."""
        where, params = _where(("l.holder = ?", holder), ("l.work_id = ?", work_id))
        rows, total = self._page(
            "SELECT l.work_id, w.title, l.holder, l.template, l.paid_wei, l.personal_until, l.commercial_until, "
            "l.derivative_until, l.block "
            f"FROM licenses l JOIN works w ON w.id = l.work_id {where} ORDER BY l.block DESC, l.work_id DESC",
            params,
            limit,
            offset,
        )
        now = time.time()
        items = []
        for r in rows:
            until = _ends(r[5], r[6], r[7])
            items.append(
                {
                    "work_id": r[0],
                    "title": r[1],
                    "holder": r[2],
                    "template": r[3],
                    "paid_wei": int(r[4]),
                    "expires_at": until[Use.PERSONAL],
                    "expired": not _valid(until[Use.PERSONAL], now),
                    "uses": {use.value: end for use, end in until.items()},
                    "issued_block": r[8],
                }
            )
        return items, total

    def content_hashes(self) -> list[tuple[int, str]]:
        """Every work's ``(id, content hash)``, oldest first."""
        return self.db.execute("SELECT id, content_hash FROM works ORDER BY id").fetchall()

    def has_content(self, content_hash: str) -> bool:
        return self.db.execute("SELECT 1 FROM works WHERE content_hash = ?", (content_hash,)).fetchone() is not None

    def owners(self, work_ids: Iterable[int]) -> dict[int, str]:
        """The owner of each of these works that the index knows."""
        ids = list(work_ids)
        marks = ", ".join("?" * len(ids))
        return dict(self.db.execute(f"SELECT id, owner FROM works WHERE id IN ({marks})", ids).fetchall())

    def _page(self, select: str, params: list[Any], limit: int, offset: int) -> tuple[list[tuple], int]:
        total = self.db.execute(f"SELECT COUNT(*) FROM ({select})", params).fetchone()[0]
        rows = self.db.execute(f"{select} LIMIT ? OFFSET ?", [*params, min(limit, MAX_PAGE), offset]).fetchall()
        return rows, total

    def verify(self, work_id: int, holder: str, use: Use) -> bool | None:
        """``Ledger.verify`` answered from the index (as of the last sync); None for an unknown work."""
        row = self.db.execute("SELECT owner FROM works WHERE id = ?", (work_id,)).fetchone()
        if row is None:
            return None
        if (
            row[0] == holder
            or self.db.execute(
                "SELECT 1 FROM contributors WHERE work_id = ? AND account = ?", (work_id, holder)
            ).fetchone()
        ):
            return True
        lic = self.db.execute(
            "SELECT personal_until, commercial_until, derivative_until FROM licenses WHERE work_id = ? AND holder = ?",
            (work_id, holder),
        ).fetchone()
        if lic is None:
            return False
        until = _ends(*lic)
        return use in until and _valid(until[use], time.time())

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def _ends(personal: str, commercial: str, derivative: str) -> dict[Use, int | None]:
    """The uses a license row grants and when each ends (None: never), as ``License.until`` has them."""
    raw = {Use.PERSONAL: int(personal), Use.COMMERCIAL: int(commercial), Use.DERIVATIVE: int(derivative)}
    return {use: None if end == PERPETUAL else end for use, end in raw.items() if end}


def _valid(end: int | None, now: float) -> bool:
    return end is None or end > now


def _where(*conditions: tuple[str, Any]) -> tuple[str, list[Any]]:
    """A WHERE clause (or none) from ``(sql, parameter)`` pairs, keeping those whose parameter is given."""
    given = [(sql, value) for sql, value in conditions if value is not None]
    return ("WHERE " + " AND ".join(sql for sql, _ in given)) if given else "", [value for _, value in given]


def _contains(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
