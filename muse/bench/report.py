"""Shared pieces of the benchmarks: the server check, percentiles, a printed table, JSON and PNG output."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def require_muse(url: str) -> None:
    """Exit with a hint unless Muse answers ``GET /healthz`` at ``url``."""
    try:
        httpx.get(f"{url}/healthz", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise SystemExit(f"Muse is not answering at {url} ({exc}); start it with `muse serve`") from exc


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0-100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def print_table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """Print ``rows`` with ``columns`` given as (key, header)."""
    cells = [[_fmt(row.get(key)) for key, _ in columns] for row in rows]
    widths = [max(len(header), *(len(c[i]) for c in cells)) for i, (_, header) in enumerate(columns)]
    print("  ".join(h.rjust(w) for (_, h), w in zip(columns, widths)))
    for line in cells:
        print("  ".join(c.rjust(w) for c, w in zip(line, widths)))


def _fmt(value) -> str:
    if isinstance(value, float):
        if abs(value) < 1:
            return f"{value:.4f}"
        return f"{value:.2f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def write_json(out_dir: Path, name: str, payload: dict) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.json"
    path.write_text(json.dumps({"created": time.strftime("%Y-%m-%dT%H:%M:%S"), **payload}, indent=2) + "\n")
    return path


def save_figure(fig: plt.Figure, out_dir: Path, name: str) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
