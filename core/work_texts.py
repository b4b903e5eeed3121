"""The text of registered works, for the recommender's ``works`` catalogue.

The chain keeps only a work's hash, title and media type; the recommender embeds the title with the text.
The registration route keeps the beginning of each text work here, keyed by its content hash, before the
work goes to the ledger, so the text is always there when a replica sees the work in the ledger's index.
A registration that then fails leaves a row nobody reads (at most ``MAX_TEXT_CHARS`` characters).
"""

from __future__ import annotations

import sqlite3

from models.recsys.works import MAX_TEXT_CHARS

SCHEMA = "CREATE TABLE IF NOT EXISTS work_texts (content_hash TEXT PRIMARY KEY, text TEXT NOT NULL)"


def text_of(content: bytes, media_type: str) -> str | None:
    """The text worth embedding from a work's content: text media only (UTF-8, undecodable bytes dropped)."""
    if not media_type.startswith("text/"):
        return None
    return content[: MAX_TEXT_CHARS * 4].decode("utf-8", errors="ignore")[:MAX_TEXT_CHARS] or None


class WorkTexts:
    def __init__(self, db: sqlite3.Connection):
        self.db = db
        db.execute(SCHEMA)

    def remember(self, content_hash: str, text: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO work_texts VALUES (?, ?)",
            (content_hash.removeprefix("0x").lower(), text[:MAX_TEXT_CHARS]),
        )

    def texts(self, content_hashes: list[str]) -> dict[str, str]:
        if not content_hashes:
            return {}
        rows = self.db.execute(
            f"SELECT content_hash, text FROM work_texts WHERE content_hash IN ({','.join('?' * len(content_hashes))})",
            content_hashes,
        ).fetchall()
        return dict(rows)
