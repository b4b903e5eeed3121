"""Muse's import graph between its top-level packages, checked against the layer order.

Reads every module's imports with ``ast`` (imports inside functions count too), folds them to package-level
edges, and reports any edge that points up the layers of docs/ARCHITECTURE.md. ``--plot FILE`` draws the
graph, layer by layer, as a PNG.

    python tools/import_graph.py                     # print the edges; exit 1 on an upward import
    python tools/import_graph.py --plot docs/import-graph.png
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Top-level packages, lowest floor first. A package may import its own floor's code and any floor below.
LAYERS: list[tuple[str, ...]] = [
    ("common",),
    ("models", "ledger"),
    ("core",),
    ("assistant",),
    ("deployments",),
    ("muse",),
]
FLOOR = {package: floor for floor, packages in enumerate(LAYERS) for package in packages}


def imported_packages(source: Path) -> set[str]:
    """The Muse top-level packages one file imports (absolute imports; relative ones stay in the package)."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & FLOOR.keys()


def package_edges(root: Path = ROOT) -> Counter[tuple[str, str]]:
    """(importer, imported) package pairs, counted by the files that make them."""
    edges: Counter[tuple[str, str]] = Counter()
    for package in FLOOR:
        for source in sorted((root / package).rglob("*.py")):
            for imported in imported_packages(source) - {package}:
                edges[(package, imported)] += 1
    return edges


def upward(edges: Counter[tuple[str, str]]) -> list[tuple[str, str]]:
    """Edges from a package to one on its own floor or above (peers on one floor do not import each other)."""
    return sorted(edge for edge in edges if FLOOR[edge[1]] >= FLOOR[edge[0]])


def plot(edges: Counter[tuple[str, str]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    position = {}
    for floor, packages in enumerate(LAYERS):
        stagger = 0.12 * (-1) ** floor if len(packages) == 1 else 0.0  # keeps long arrows off the boxes
        for i, package in enumerate(packages):
            position[package] = ((i + 1) / (len(packages) + 1) + stagger, floor)
    fig, ax = plt.subplots(figsize=(7, 6))
    bad = set(upward(edges))
    for (src, dst), files in edges.items():
        (x0, y0), (x1, y1) = position[src], position[dst]
        ax.annotate(
            "",
            xy=(x1, y1 + 0.18),
            xytext=(x0, y0 - 0.18),
            arrowprops={
                "arrowstyle": "->",
                "color": "red" if (src, dst) in bad else "0.55",
                "lw": 0.6 + 0.15 * min(files, 12),
                "connectionstyle": "arc3,rad=0.12",
            },
        )
    for package, (x, y) in position.items():
        ax.text(
            x,
            y,
            f"{package}/",
            ha="center",
            va="center",
            fontsize=11,
            bbox={"boxstyle": "round", "fc": "#e8f0fe", "ec": "#3367d6"},
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(LAYERS) - 0.4)
    ax.axis("off")
    ax.set_title("Imports between Muse's packages (arrow width: files; red: upward)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", type=Path, metavar="FILE", help="also draw the graph as a PNG")
    args = parser.parse_args(argv)
    edges = package_edges()
    for (src, dst), files in sorted(edges.items(), key=lambda e: (-FLOOR[e[0][0]], e[0])):
        print(f"{src:>12} -> {dst:<12} {files:3d} files")
    if args.plot:
        plot(edges, args.plot)
        print(f"plot: {args.plot}")
    bad = upward(edges)
    for src, dst in bad:
        print(f"UPWARD: {src} imports {dst}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
