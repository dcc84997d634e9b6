"""`llaqo eval`: help, the table on a synthetic NeuroPiano folder, scoring a file, bad input in one line."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from llaqo.app import app
from tests.evaluate.conftest import SHORT


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("command", [[], ["neuropiano"], ["cipi"], ["techniques"], ["score"]])
def test_help(command):
    result = invoke("eval", *command, "--help")
    assert result.exit_code == 0
    assert "Examples" in result.output or not command


def test_eval_help_does_not_import_torch():
    code = "import sys; from llaqo.app import app; import llaqo.eval; print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_neuropiano_with_the_listening_engine_prints_the_table(neuropiano_dir, tmp_path):
    out = tmp_path / "out"
    result = invoke("eval", "neuropiano", "--data", neuropiano_dir, "--engine", "listen", "--out", out,
                    "--transcriber", "fast", "--limit", "6")
    assert result.exit_code == 0, result.output
    assert "PFR" in result.output and "listen" in result.output and "per question category" in result.output
    assert "skipped 1 row(s) whose audio is missing" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["items"] == 6 and (out / "neuropiano_listen.csv").is_file()
    again = invoke("eval", "neuropiano", "--data", neuropiano_dir, "--engine", "listen", "--out", out)
    assert again.exit_code == 1 and "already exists" in again.output and "--resume" in again.output


def test_neuropiano_with_the_tiny_coach(neuropiano_dir, released_dir, tmp_path):
    out = tmp_path / "out"
    result = invoke("eval", "neuropiano", "--data", neuropiano_dir, "--model", released_dir, "--out", out,
                    "--device", "cpu", "--max-length", SHORT, "--limit", "4", "--repeats", "2")
    assert result.exit_code == 0, result.output
    assert "coach" in result.output and "±" in result.output
    assert (out / "neuropiano_coach.csv").is_file() and (out / "neuropiano_coach.run2.csv").is_file()
    # beam search is deterministic: the two runs agree row for row
    assert (out / "neuropiano_coach.csv").read_text() == (out / "neuropiano_coach.run2.csv").read_text()


def test_score_prints_pfr_and_mae(tmp_path):
    path = tmp_path / "ltu_results.csv"
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["audio_path", "question", "response", "rating", "gt", "verbal_output", "verbal_gt",
                    "question_id", "question_category", "mae"])
        w.writerow(["a.wav", "q", "3 out of 6", 3, 5, "good", "good tone", 1, "summary", 2])
        w.writerow(["a.wav", "q", "4", 4, 3, "fine", "fine", 3, "coordination", 1])
        w.writerow(["a.wav", "q", "4", 4, 4, "ok", "ok", 4, "coordination", 0])
    result = invoke("eval", "score", path, "--out", tmp_path / "scored")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "ltu_results" in line)
    assert "1.00" in row and "1.00 │" in row  # PFR 3/3, MAE (2 + 1 + 0) / 3
    assert json.loads((tmp_path / "scored" / "summary.json").read_text())["engines"]["ltu_results"]["mean"]["mae"] == 1.0


@pytest.mark.parametrize("args, says", [
    (["eval", "neuropiano", "--data", "{tmp}"], "no NeuroPiano parquet files here"),
    (["eval", "score", "{tmp}/bad.csv"], "needs the column(s) output (or response)"),
    (["eval", "cipi", "--data", "{tmp}"], "no cipi metadata here"),
    (["eval", "score", "{tmp}/none.csv"], "no such results file"),
])
def test_bad_input_is_one_line(tmp_path, args, says):
    (tmp_path / "bad.csv").write_text("audio_path,gt,verbal_output,verbal_gt\na,3,x,y\n")
    result = invoke(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 1
    assert says in result.output and "Traceback" not in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1


def test_a_metric_model_folder_that_is_not_a_model_is_one_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("output,output_rating,gt,verbal_output,verbal_gt\n4,4,3,good,good\n")
    (tmp_path / "roberta").mkdir()
    result = invoke("eval", "score", path, "--bertscore-model", tmp_path / "roberta")
    assert result.exit_code == 1 and "not a model folder for BERTScore" in result.output
