"""Muse as a package: the wheel, installed (not editable) into a fresh virtual environment, serves from any
directory with what it ships (serve_config.yaml, the sample data, the bundled model, the contracts).

The fresh environment gets Muse from the wheel alone; its dependencies come from this test's environment
(added as a site directory), since installing torch and Ray again is minutes of download that proves nothing
about Muse's packaging.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Server, _free_port, running

REPO = Path(__file__).resolve().parents[2]


def _tracked_copy(target: Path) -> Path:
    """The repository's tracked files (links kept as links), so the build sees what a clone would."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source, copy = REPO / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            copy.symlink_to(os.readlink(source))
        elif source.exists():
            shutil.copy2(source, copy)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The python of a fresh venv with the Muse wheel installed."""
    root = tmp_path_factory.mktemp("wheel")
    source = _tracked_copy(root / "src")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(root / "dist"),
        ],
        check=True,
        timeout=600,
    )
    (wheel,) = (root / "dist").glob("muse-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True)
    python = root / "venv" / "bin" / "python"
    site_packages = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    dependencies = sysconfig.get_paths()["purelib"]
    Path(site_packages, "muse-test-dependencies.pth").write_text(f"import site; site.addsitedir({dependencies!r})\n")
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True, timeout=600
    )
    return python


def test_the_wheel_ships_what_muse_serve_needs(installed, tmp_path):
    where = subprocess.run(
        [
            str(installed),
            "-c",
            "import core.paths as p, muse; print(muse.__file__); "
            "print(p.SERVE_CONFIG.is_file(), p.MOVIELENS.is_dir(), p.BUNDLED_TEXT_MODEL.is_dir())",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert str(installed.parents[1]) in where[0]  # the installed copy, not this checkout
    assert where[1:] == ["True", "True", "True"]


def test_muse_serve_from_the_wheel_registers_and_recommends(installed, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with running(
        Server(port=_free_port(), home=home, log=tmp_path / "serve.log", python=str(installed), cwd=tmp_path)
    ) as server:
        key = server.add_user("wheel")
        client = httpx.Client(base_url=server.url, timeout=120, headers={"authorization": f"Bearer {key}"})
        work = client.post("/v1/works", json={"title": "Packaged", "content": "Shipped in a wheel."})
        assert work.status_code == 201, work.text
        recommended = client.post("/v1/recommend", json={"query": "space adventure", "k": 3})
        assert recommended.status_code == 200 and len(recommended.json()["items"]) == 3
