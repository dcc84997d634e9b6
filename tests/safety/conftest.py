"""Run `llaqo` as a user would: a subprocess, under a memory cap and a time limit.

LLAQO_TEST_COMMAND (a shell-quoted command, e.g. an older build's entry point) replaces `python -m llaqo`,
so the same cases can be pointed at another build of the program.
"""

from __future__ import annotations

import os
import resource
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

MEMORY_CAP = 3 << 30  # bytes of address space: a bomb that needs more ends in MemoryError, which we catch
REPO = Path(__file__).resolve().parents[2]


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def llaqo_command() -> list[str]:
    custom = os.environ.get("LLAQO_TEST_COMMAND")
    return shlex.split(custom) if custom else [sys.executable, "-m", "llaqo"]


def run_llaqo(args: list[str], cwd: Path, timeout: float = 30.0, env: dict | None = None,
              preexec=_cap) -> subprocess.CompletedProcess:
    """`llaqo ARGS` in `cwd` under the memory cap; a hang past `timeout` fails the test (not the run)."""
    full_env = {**os.environ, "COLUMNS": "100", **(env or {})}
    full_env.pop("LLAQO_DEBUG", None)
    try:
        return subprocess.run(llaqo_command() + list(args), cwd=cwd, env=full_env, capture_output=True, text=True,
                              errors="replace", timeout=timeout, preexec_fn=preexec)
    except subprocess.TimeoutExpired:
        pytest.fail(f"llaqo {' '.join(map(repr, args))[:200]} did not end within {timeout:.0f} s")


def assert_one_line(run: subprocess.CompletedProcess) -> str:
    """A refusal: non-zero exit, exactly one line on stderr, starting with `error:`, nothing raw."""
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    assert run.returncode != 0, run.stdout[-500:]
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr[-2000:]
    assert "out of memory" not in lines[0], lines[0]
    assert "\x1b" not in run.stderr
    return lines[0]
