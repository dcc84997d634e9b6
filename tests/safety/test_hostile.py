"""The hostile-input suite: every case (generated in hostile.py) run as `llaqo assess ...` would be by a user.

Each must end within its time limit, under a 3 GB address-space cap, without a traceback: a refusal is one
`error:` line and a non-zero exit; an input that can be answered honestly ("no piano heard") exits 0.
"""

from __future__ import annotations

import pytest

from tests.safety.conftest import assert_one_line, run_llaqo
from tests.safety.hostile import ALL, Case

TIMEOUT_S = 20.0


@pytest.mark.parametrize("case", ALL, ids=[c.name for c in ALL])
def test_hostile_input(case: Case, tmp_path):
    args = case.make(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    run = run_llaqo(args, tmp_path, timeout=TIMEOUT_S)
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert "out of memory" not in run.stderr
    assert "root:x:0" not in run.stdout + run.stderr  # nothing from /etc/passwd
    assert "\x1b" not in run.stdout + run.stderr  # never a raw escape (COLUMNS set, no terminal: no styling)
    if case.ok:
        assert run.returncode == 0, run.stderr[-2000:]
        assert not [line for line in run.stderr.splitlines() if line.startswith("error")], run.stderr
    else:
        assert_one_line(run)
    if case.says:
        assert case.says.lower() in (run.stdout + run.stderr).lower(), (run.stdout + run.stderr)[-2000:]
    for path, content in before.items():  # whatever happens, no file the user had is changed
        assert path.read_bytes() == content, f"{path.name} was changed"


def test_enough_cases():
    assert len(ALL) >= 40 and len({c.name for c in ALL}) == len(ALL)
