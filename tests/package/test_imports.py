"""The package's shape: one `llaqo` namespace, dependencies pointing one way (CLI → model → rubric →
common), torch only where it is needed, and a fast `llaqo --help`."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAYERS = {"common": "llaqo.common", "rubric": "llaqo.rubric", "model": "llaqo.model", "llaqo_cli": "llaqo"}


def imports_of(folder: str) -> dict[str, set[str]]:
    """Every module each file of `folder` imports (absolute names; module level and inside functions)."""
    found = {}
    for path in sorted((REPO / folder).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(REPO))] = names
    return found


@pytest.mark.parametrize("folder", list(LAYERS))
def test_nothing_imports_a_generic_top_level_name(folder):
    bad = {f: sorted(n for n in names if n.split(".")[0] in ("model", "rubric", "llaqo_cli", "common"))
           for f, names in imports_of(folder).items()}
    assert not {f: n for f, n in bad.items() if n}


@pytest.mark.parametrize("folder,forbidden", [
    ("common", ("llaqo.rubric", "llaqo.model", "llaqo.app", "llaqo.options", "llaqo.errors")),
    ("rubric", ("llaqo.model", "llaqo.app", "llaqo.options", "llaqo.errors", "torch", "numpy")),
    ("model", ("llaqo.app", "llaqo.options", "llaqo.errors", "llaqo.assess", "llaqo.record", "llaqo.ask", "typer")),
])
def test_dependencies_point_one_way(folder, forbidden):
    bad = {f: sorted(n for n in names if any(n == x or n.startswith(x + ".") for x in forbidden))
           for f, names in imports_of(folder).items()}
    assert not {f: n for f, n in bad.items() if n}


def test_common_and_rubric_load_without_torch_or_numpy():
    modules = [f"llaqo.common.{p.stem}" for p in (REPO / "common").glob("*.py") if p.stem != "__init__"]
    modules += [f"llaqo.rubric.{p.stem}" for p in (REPO / "rubric").glob("*.py") if p.stem != "__init__"]
    code = f"import sys, {', '.join(modules)}; print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cli_modules_import_torch_only_inside_commands():
    for path in sorted((REPO / "llaqo_cli").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        names = {a.name for n in top if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in top if isinstance(n, ast.ImportFrom) and n.module}
        assert not {n for n in names if n.split(".")[0] in ("torch", "torchaudio", "transformers", "numpy")}, path


def test_help_imports_no_torch_and_is_fast():
    code = ("import sys, time; t = time.perf_counter(); from llaqo.app import app; "
            "from typer.main import get_command; get_command(app); "
            "print(time.perf_counter() - t, sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'numpy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(maxsplit=1)
    assert out[1].strip() == "[]"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "llaqo", "--help"], capture_output=True, check=True)
    assert time.perf_counter() - started <= 2.0  # generous for a busy CI machine; README quotes the measured figure


def test_every_command_has_help_and_short_help():
    for command in ("assess", "ask", "record", "convert", "download", "history", "compare"):
        for flag in ("--help", "-h"):
            run = subprocess.run([sys.executable, "-m", "llaqo", command, flag], capture_output=True, text=True,
                                 env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})
            assert run.returncode == 0 and "Examples" in run.stdout, (command, flag, run.stderr)
            assert not any(t in run.stdout for t in ("<bool>", "<str>", "<path>", "<list[", "<int>"))
