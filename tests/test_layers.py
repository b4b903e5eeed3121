"""The layers of docs/ARCHITECTURE.md hold: no package imports one on its own floor or above
(``tools/import_graph.py``, which reads every module's imports, including those inside functions)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_imports_point_down_only():
    checked = subprocess.run(
        [sys.executable, str(REPO / "tools" / "import_graph.py")], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert checked.returncode == 0, checked.stderr
    edges = checked.stdout.splitlines()
    assert any(line.split()[:3] == ["deployments", "->", "models"] for line in edges)  # it did read the code
    assert not any(line.split()[:3] == ["models", "->", "core"] for line in edges)


def test_an_upward_import_is_reported(tmp_path):
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import import_graph
    finally:
        sys.path.remove(str(REPO / "tools"))
    for package in import_graph.FLOOR:
        (tmp_path / package).mkdir()
    (tmp_path / "ledger" / "bad.py").write_text("def f():\n    from deployments.app import build_app\n")
    (tmp_path / "muse" / "good.py").write_text("import ledger.service\nfrom common import files\n")
    edges = import_graph.package_edges(tmp_path)
    assert import_graph.upward(edges) == [("ledger", "deployments")]
    assert ("muse", "ledger") in edges and ("muse", "common") in edges
