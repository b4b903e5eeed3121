"""What a creator earned, read from the index's record of the contract's events.

Every wei the contract credits to a contributor is a ``RoyaltyCredited`` event (``contracts/splits.vy``): a
license sold on a work is split among its contributors after its parents take their revenue shares, and each
parent's part is split among the parent's contributors, credited with the parent as ``work_id`` and the work
sold as ``source_work_id``. So a creator's earnings on a work are the credits to them on that work, revenue
share from its derivatives included, and their total is exactly what the contract credited them: royalties
owed plus everything withdrawn. Licenses come from ``LicenseIssued`` events, one per purchase or grant.

Bounds: a page of at most ``MAX_WORKS`` works, each with its latest ``MAX_LICENSES`` license issues (and their
count), and a daily series of at most ``MAX_DAYS`` days.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from ledger.errors import InvalidRequest

MAX_WORKS = 50
MAX_LICENSES = 100
MAX_DAYS = 366


class LicenseIssue(BaseModel):
    """One purchase or grant of a license on a work."""

    holder: str
    template: str
    fee_wei: int = Field(description="the terms' fee when it was issued")
    paid_wei: int = Field(description="what the holder paid (0 for a grant)")
    at: int = Field(description="unix seconds (the block's time)")
    kind: Literal["bought", "granted"]


class WorkEarnings(BaseModel):
    work_id: int
    title: str
    owner: bool = Field(description="whether the caller owns the work (a creator may also be a contributor only)")
    share_bps: int = Field(description="the caller's share of the work's own license revenue (0: owner only)")
    earned_wei: int = Field(description="everything the contract credited the caller on this work")
    from_derivatives_wei: int = Field(description="the part of earned_wei that came from derivatives' sales")
    licenses_count: int
    licenses: list[LicenseIssue] = Field(description="the latest issues, newest first, at most licenses_limit")


class DailyEarnings(BaseModel):
    date: str = Field(description="YYYY-MM-DD, UTC")
    earned_wei: int


class Earnings(BaseModel):
    """A creator's earnings; ``total_wei`` and ``daily`` cover every selected work, not only this page."""

    address: str
    total_wei: int
    works_total: int
    limit: int
    offset: int
    licenses_limit: int
    works: list[WorkEarnings]
    daily: list[DailyEarnings] = Field(
        description="every UTC day from the first with earnings to the last "
        "(zero-filled), at most `days` of them: the latest"
    )


@dataclass(frozen=True)
class Page:
    limit: int = 20  # works, 1..MAX_WORKS
    offset: int = 0
    licenses_limit: int = 20  # per work, 0..MAX_LICENSES
    days: int = 90  # 1..MAX_DAYS

    def __post_init__(self) -> None:
        for name, low, high in (
            ("limit", 1, MAX_WORKS),
            ("offset", 0, 10**9),
            ("licenses_limit", 0, MAX_LICENSES),
            ("days", 1, MAX_DAYS),
        ):
            if not low <= getattr(self, name) <= high:
                raise InvalidRequest(f"{name} must be {low} to {high}", param=name)


def work_role(db: sqlite3.Connection, address: str, work_id: int) -> bool | None:
    """Whether ``address`` owns or co-created the work; None when the index has no such work."""
    row = db.execute(
        "SELECT owner = ? OR EXISTS (SELECT 1 FROM contributors WHERE work_id = ? AND account = ?) "
        "FROM works WHERE id = ?",
        (address, work_id, address, work_id),
    ).fetchone()
    return None if row is None else bool(row[0])


def earnings(db: sqlite3.Connection, address: str, work_id: int | None, page: Page) -> Earnings:
    """The caller's works (all, or the one ``work_id``), newest first, with what each earned them."""
    mine = "(w.owner = :me OR EXISTS (SELECT 1 FROM contributors c WHERE c.work_id = w.id AND c.account = :me))" + (
        "" if work_id is None else " AND w.id = :work"
    )
    params = {"me": address, "work": work_id}
    works_total = db.execute(f"SELECT COUNT(*) FROM works w WHERE {mine}", params).fetchone()[0]
    rows = db.execute(
        "SELECT w.id, w.title, w.owner = :me, COALESCE((SELECT share_bps FROM contributors c "
        f"WHERE c.work_id = w.id AND c.account = :me), 0) FROM works w WHERE {mine} "
        "ORDER BY w.id DESC LIMIT :limit OFFSET :offset",
        {**params, "limit": page.limit, "offset": page.offset},
    ).fetchall()
    credits = db.execute(
        "SELECT work_id, source_work_id, amount_wei, at FROM credits WHERE recipient = :me"
        + ("" if work_id is None else " AND work_id = :work"),
        params,
    ).fetchall()
    earned: dict[int, int] = defaultdict(int)
    from_derivatives: dict[int, int] = defaultdict(int)
    by_day: dict[date, int] = defaultdict(int)
    for credited_work, source, amount, at in credits:
        earned[credited_work] += int(amount)
        if source != credited_work:
            from_derivatives[credited_work] += int(amount)
        by_day[datetime.fromtimestamp(at, UTC).date()] += int(amount)
    works = [
        WorkEarnings(
            work_id=r[0],
            title=r[1],
            owner=bool(r[2]),
            share_bps=r[3],
            earned_wei=earned[r[0]],
            from_derivatives_wei=from_derivatives[r[0]],
            **_licenses(db, r[0], page.licenses_limit),
        )
        for r in rows
    ]
    return Earnings(
        address=address,
        total_wei=sum(earned.values()),
        works_total=works_total,
        limit=page.limit,
        offset=page.offset,
        licenses_limit=page.licenses_limit,
        works=works,
        daily=_series(by_day, page.days),
    )


def _licenses(db: sqlite3.Connection, work_id: int, limit: int) -> dict:
    count = db.execute("SELECT COUNT(*) FROM issues WHERE work_id = ?", (work_id,)).fetchone()[0]
    rows = db.execute(
        "SELECT holder, template, fee_wei, paid_wei, at, kind FROM issues WHERE work_id = ? "
        "ORDER BY block DESC, log_index DESC LIMIT ?",
        (work_id, limit),
    ).fetchall()
    return {
        "licenses_count": count,
        "licenses": [
            LicenseIssue(holder=r[0], template=r[1], fee_wei=int(r[2]), paid_wei=int(r[3]), at=r[4], kind=r[5])
            for r in rows
        ],
    }


def _series(by_day: dict[date, int], days: int) -> list[DailyEarnings]:
    """Zero-filled from the first day with earnings to the last, keeping the latest ``days``."""
    if not by_day:
        return []
    last = max(by_day)
    first = max(min(by_day), last - timedelta(days=days - 1))
    days_shown = (first + timedelta(days=i) for i in range((last - first).days + 1))
    return [DailyEarnings(date=day.isoformat(), earned_wei=by_day.get(day, 0)) for day in days_shown]
