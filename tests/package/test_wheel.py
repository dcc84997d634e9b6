"""The wheel, installed as a user installs it, works beside look-alike names: PyPI's `rubric` package and
a `model.py` in the folder the user runs from cannot shadow llaqo's own modules."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "etude.flac"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding only the built wheel (its dependencies are this environment's, made visible
    after the install through a .pth file), plus a stand-in for PyPI's top-level `rubric` package."""
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(root / "dist"), str(REPO)], check=True, capture_output=True)
    wheel = next((root / "dist").glob("llaqo-*.whl"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (site / "rubric").mkdir()
    (site / "rubric" / "__init__.py").write_text("raise ImportError('PyPI rubric imported instead of llaqo.rubric')\n")
    return venv


def test_the_wheel_holds_one_top_level_package(installed):
    site = Path(subprocess.run([str(installed / "bin" / "python"), "-c",
                                "import llaqo, pathlib; print(pathlib.Path(llaqo.__file__).parents[1])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    record = next(site.glob("llaqo-*.dist-info")) / "RECORD"
    tops = {line.split("/")[0] for line in record.read_text().splitlines() if "/" in line and not line.startswith("..")}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"llaqo"}


@pytest.mark.parametrize("how", ["script", "module"])
def test_assess_runs_beside_lookalike_names(installed, tmp_path, how):
    (tmp_path / "model.py").write_text("raise SystemExit('the model.py in this folder was imported')\n")
    command = [str(installed / "bin" / "llaqo")] if how == "script" else [str(installed / "bin" / "python"), "-m", "llaqo"]
    run = subprocess.run([*command, "assess", str(EXAMPLE), "--rubric", "quick", "--engine", "listen"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Overall" in run.stdout and "Technique" in run.stdout


def test_every_package_folder_is_in_the_wheel_list():
    """A subpackage missing from pyproject's explicit list installs nowhere (and only the wheel notices)."""
    import tomllib

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {folder: name for name, folder in config["package-dir"].items()}
    found = set()
    for folder, name in folders.items():
        for init in (root / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(root / folder).parts
            found.add(".".join((name, *rel)))
    assert found - set(config["packages"]) == set()
