"""`llaqo assess DIR --recursive --jsonl OUT`: one line per take, resumable after a kill, split between
processes under accelerate launch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llaqo.common.errors import ConfigError
from llaqo.model.folder import JsonlLog, expand_takes
from llaqo.model.testing import performances as P
from llaqo.model.testing.piano import render
from tests.fixtures.renders import need_fast_renders

REPO = Path(__file__).resolve().parents[2]
LISTEN = ["--engine", "listen", "--transcriber", "fast", "--no-history"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    need_fast_renders()
    root = tmp_path_factory.mktemp("archive")
    base = P.base(6.0)
    flaws = ["timing jitter", "tempo drift", "hand imbalance", "staccato", "wrong notes"]
    render(base, root / "base.wav")
    for k, flaw in enumerate(flaws):
        folder = root / f"week{k % 2}"
        folder.mkdir(exist_ok=True)
        render(P.FLAWS[flaw](base), folder / f"{flaw.replace(' ', '_')}.wav")
    (root / "week0" / "notes.txt").write_text("not a take")
    return root


def llaqo(*args) -> list[str]:
    return [sys.executable, "-m", "llaqo", *map(str, args)]


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_expand_takes(tmp_path):
    (tmp_path / "sub").mkdir()
    for name in ("b.wav", "a.flac", "sub/c.m4a", "sub/readme.md", ".hidden.wav"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in expand_takes([tmp_path])] == ["a.flac", "b.wav"]
    assert [p.name for p in expand_takes([tmp_path], recursive=True)] == ["a.flac", "b.wav", "c.m4a"]
    with pytest.raises(ConfigError, match="add --recursive"):
        expand_takes([_empty(tmp_path)])


def _empty(tmp_path):
    (tmp_path / "empty" / "deeper").mkdir(parents=True)
    (tmp_path / "empty" / "deeper" / "x.wav").write_bytes(b"x")
    return tmp_path / "empty"


def test_a_cut_last_line_is_dropped_and_errors_are_tried_again(tmp_path):
    log_path = tmp_path / "out.jsonl"
    log_path.write_text('{"file": "/a.wav", "segments": []}\n{"file": "/b.wav", "error": "bad"}\n{"file": "/c.wa')
    log = JsonlLog(log_path)
    assert log.done == {str(Path("/a.wav").resolve())}
    assert log_path.read_text().endswith('"error": "bad"}\n')  # the cut line is gone, the rest kept
    assert [p.name for p in log.pending([Path("/a.wav"), Path("/b.wav"), Path("/c.wav")])] == ["b.wav", "c.wav"]
    log.write({"file": "/c.wav", "segments": []})
    assert [d["file"] for d in lines(log_path)] == ["/a.wav", "/b.wav", "/c.wav"]


def test_resumes_after_a_kill(archive, tmp_path):
    out = tmp_path / "all.jsonl"
    first = subprocess.Popen(llaqo("assess", archive, "--recursive", "--jsonl", out, *LISTEN), cwd=REPO,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (out.exists() and out.read_text().count("\n") >= 2):
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    done_before = out.read_text().count("\n")
    assert 2 <= done_before < 6, "the kill came after the last take"
    with out.open("a") as f:
        f.write('{"file": "half a line')  # what a kill in the middle of a write leaves
    second = subprocess.run(llaqo("assess", archive, "--recursive", "--jsonl", out, *LISTEN), cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-1500:]
    assert f"6 takes: {done_before} already in" in second.stderr
    files = [Path(d["file"]).name for d in lines(out)]
    assert sorted(files) == sorted(["base.wav", "timing_jitter.wav", "tempo_drift.wav", "hand_imbalance.wav",
                                    "staccato.wav", "wrong_notes.wav"])  # each take once
    assert all(d["summary"]["answers"] and "heard" not in d["segments"][0] for d in lines(out))


def test_two_processes_split_the_takes_into_one_file(archive, tmp_path):
    out = tmp_path / "ddp.jsonl"
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "llaqo", "assess",
           str(archive), "--recursive", "--jsonl", str(out), *LISTEN]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "3 to assess here" in result.stderr and result.stderr.count("to assess here") == 2
    assert len(lines(out)) == 6 and len({d["file"] for d in lines(out)}) == 6


def test_jsonl_refuses_the_per_report_outputs(archive, tmp_path):
    result = subprocess.run(llaqo("assess", archive, "--jsonl", tmp_path / "o.jsonl", "--json", tmp_path / "r.json",
                                  *LISTEN), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stderr.startswith("error: --jsonl writes")
    assert len(result.stderr.strip().splitlines()) == 1
