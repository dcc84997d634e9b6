"""`assess` and `record` store each result; `llaqo history` shows, plots and exports it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from llaqo.model.history.store import HistoryStore
from tests.fixtures.renders import even_and_jittered, run

LISTEN = ["--engine", "listen", "--transcriber", "fast"]


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    return even_and_jittered(tmp_path_factory.mktemp("takes"))


def db() -> Path:
    return Path(os.environ["LLAQO_HOME"]) / "history.db"


def test_three_assess_runs_make_three_sessions_shown_and_plotted(takes, tmp_path):
    for name in ("jitter", "even", "even"):
        result = run("assess", takes[name], *LISTEN, "--piece", "etude", "--json", tmp_path / "r.json")
        assert result.exit_code == 0, result.output
    run("assess", takes["even"], *LISTEN, "--piece", "waltz", "--json", tmp_path / "r.json")
    png, table = tmp_path / "p.png", tmp_path / "p.csv"
    result = run("history", "--piece", "etude", "--plot", png, "--csv", table)
    assert result.exit_code == 0, result.output
    assert "etude: 3 sessions" in result.output and "waltz" not in result.output
    assert "Weakest: rhythm improved from" in result.output  # the jittered take came first
    rows = list(csv.DictReader(table.open()))
    assert [Path(r["take_path"]).name for r in rows] == ["jitter.wav", "even.wav", "even.wav"]
    assert float(rows[0]["grid_deviation"]) > 2 * float(rows[1]["grid_deviation"])
    assert int(rows[0]["rhythm"]) < int(rows[1]["rhythm"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_stored_session_carries_hash_engine_and_measurements(takes, tmp_path):
    import hashlib

    assert run("assess", takes["even"], *LISTEN, "--piece", "etude", "--json", tmp_path / "r.json").exit_code == 0
    with HistoryStore.open(db()) as store:
        (s,) = store.sessions()
    assert s.take_sha256 == hashlib.sha256(takes["even"].read_bytes()).hexdigest()
    assert (s.engine, s.piece, s.rubric) == ("listen", "etude", "full")
    assert s.measurement("grid_deviation") is not None and s.rating("rhythm") in range(1, 7)
    assert s.rating("difficulty") in range(1, 10)


def test_no_history_writes_nothing(takes, tmp_path):
    result = run("assess", takes["even"], *LISTEN, "--no-history", "--json", tmp_path / "r.json")
    assert result.exit_code == 0 and not db().exists()
    assert run("history").exit_code == 0 and not db().exists()  # reading never creates the file


def test_damaged_history_is_one_line_and_never_overwritten(takes, tmp_path):
    db().parent.mkdir(parents=True, exist_ok=True)
    db().write_bytes(b"my notes, not a database\n" * 50)
    before = db().read_bytes()
    for args in (["assess", takes["even"], *LISTEN, "--json", tmp_path / "r.json"], ["history"]):
        result = run(*args)
        assert result.exit_code == 1
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and "history.db" in lines[0]
        assert "--no-history" in lines[0]
    assert db().read_bytes() == before and not (tmp_path / "r.json").exists()  # refused before any work


def test_history_refusals_are_one_line(tmp_path):
    assert run("history", "--since", "last tuesday").output.startswith("error: --since 'last tuesday' is not a date")
    assert "is a PNG picture" in run("history", "--plot", tmp_path / "p.jpg").output
    assert run("history", "--piece", "nothing").exit_code == 1
    result = run("assess", "x.wav", "--piece", "a", "--no-history")
    assert result.exit_code == 1 and "drop one of them" in result.output


def test_two_llaqo_processes_writing_at_once_lose_nothing(takes, tmp_path):
    llaqo = [sys.executable, "-c", "from llaqo.app import main; main()"]
    procs = [subprocess.Popen([*llaqo, "assess", takes["even"], takes["jitter"], *LISTEN, "--piece", name,
                               "--json", tmp_path / f"{name}.json"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=os.environ.copy())
             for name in ("first", "second")]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    with HistoryStore.open(db()) as store:
        assert sorted((s.piece, Path(s.take_path).name) for s in store.sessions()) == [
            ("first", "even.wav"), ("first", "jitter.wav"), ("second", "even.wav"), ("second", "jitter.wav")]
