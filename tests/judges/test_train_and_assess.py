"""A head trained on a tiny synthetic CIPI set (tiny random encoder in the released layout) answers in
assess — from <model>/judges or --judges — and the expertise head decides compare."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from llaqo.app import app
from llaqo.model.testing.piano import decaying_tones
from tests.coach.conftest import released_dir  # noqa: F401  (shared fixture)

LISTEN = ["--engine", "listen", "--transcriber", "fast", "--no-history"]


def _take(path: Path, henle: int, seed: int) -> Path:
    """Easy pieces: slow low notes; hard ones: fast high notes (what even a random encoder tells apart)."""
    rate = 16_000
    step, base = (0.5, 220) if henle < 5 else (0.12, 880)
    x = decaying_tones(6, rate, seed, step_s=step, decay=4.0, base_hz=base, span=12)
    sf.write(path, x.astype(np.float32), rate)
    return path


@pytest.fixture(scope="module")
def cipi(tmp_path_factory):
    """A CIPI-layout table (the authors' absolute paths) and its audio: 6 + 2 takes of Henle 2 and of 8."""
    folder = tmp_path_factory.mktemp("difficulty_cipi")
    rows, k = [], 0
    for split, n in (("train", 6), ("val", 2)):
        for henle in (2, 8):
            for _ in range(n):
                _take(folder / f"c{k}.wav", henle, k)
                rows.append({"": k, "Composer": "X", "henle": henle, "audio_id": k, "split": split,
                             "audio_path": f"/data/scratch/acw630/difficulty_cipi/c{k}.wav",
                             "Q": "Which difficulty level is the piece, in a scale of 9?", "A": henle})
                k += 1
    with (folder / "audio_qa.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def trained(cipi, released_dir, tmp_path_factory):  # noqa: F811
    model = Path(shutil.copytree(released_dir, tmp_path_factory.mktemp("model") / "ckpts", symlinks=True))
    result = run("train", "judge", "--task", "difficulty", "--init", model, "--data", cipi, "--audio-root", cipi,
                 "--out", model / "judges", "--max-steps", "40", "--batch-size", "4", "--eval-every", "10",
                 "--lr", "1e-3")
    assert result.exit_code == 0, result.output
    return model


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _difficulty(doc):
    return next(a for a in doc["segments"][0]["answers"] if a["kind"] == "difficulty")


def test_training_writes_the_head_with_its_validation_metrics(trained):
    config = json.loads((trained / "judges" / "difficulty.json").read_text())
    assert config["task"] == "difficulty" and config["classes"] == [str(k) for k in range(1, 10)]
    assert config["extra"]["validation"] == "split 'val'" and config["extra"]["train_examples"] == 12
    assert config["extra"]["metrics"]["acc0"] >= 0.75  # 4 validation takes: the head learnt the two levels
    assert (trained / "judges" / "difficulty.safetensors").stat().st_size > 10_000


def test_assess_answers_difficulty_from_the_head_next_to_the_model(trained, cipi, tmp_path):
    out = tmp_path / "r.json"
    result = run("assess", cipi / "c14.wav", *LISTEN, "--model", trained, "--json", out)  # a Henle-8 val take
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    answer = _difficulty(doc)
    assert answer["value"] == 8 and answer["text"].startswith("PianoJudges head: Henle level 8")
    probs = [e["value"] for e in answer["evidence"]]
    assert len(probs) == 9 and sum(probs) == pytest.approx(1.0, abs=1e-3)
    assert any("PianoJudges heads in" in n for n in doc["notes"])
    technique = next(a for a in doc["segments"][0]["answers"] if a["kind"] == "technique")
    assert not technique["text"].startswith("PianoJudges")  # no technique head: the engine's own answer


def test_judges_dir_and_the_engine_alone(trained, cipi, tmp_path):
    moved = Path(shutil.copytree(trained / "judges", tmp_path / "heads"))
    out = tmp_path / "r.json"
    assert run("assess", cipi / "c12.wav", *LISTEN, "--judges", moved, "--model", trained, "--json", out).exit_code == 0
    assert _difficulty(json.loads(out.read_text()))["value"] == 2
    assert run("assess", cipi / "c12.wav", *LISTEN, "--json", out).exit_code == 0  # --engine listen, no --model
    assert not _difficulty(json.loads(out.read_text()))["text"].startswith("PianoJudges")
    result = run("assess", cipi / "c12.wav", *LISTEN, "--judges", moved, "--json", out)
    assert result.exit_code == 1 and "no model was found" in result.output  # the heads need the encoder


def test_a_head_is_not_overwritten_unasked(trained, cipi):
    result = run("train", "judge", "--task", "difficulty", "--init", trained, "--data", cipi, "--audio-root", cipi,
                 "--out", trained / "judges", "--max-steps", "1")
    assert result.exit_code == 1 and "already there" in result.output and "--overwrite" in result.output


def test_compare_is_decided_by_the_expertise_head(trained, cipi, tmp_path):
    from llaqo.model.coach.judges.embed import load_encoder
    from llaqo.model.coach.judges.head import HeadConfig, JudgeHead, task_classes
    from llaqo.model.coach.judges.store import save_head

    _, encoder_id = load_encoder(trained)
    heads = Path(shutil.copytree(trained / "judges", tmp_path / "heads"))
    save_head(JudgeHead(HeadConfig("expertise", task_classes("expertise")[0], False, 512, 64, 30, encoder_id)), heads)
    out = tmp_path / "c.json"
    result = run("compare", cipi / "c0.wav", cipi / "c14.wav", "--transcriber", "fast", "--judges", heads,
                 "--model", trained, "--json", out)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert "expertise head" in doc["decided_by"] and 0.5 <= doc["confidence"] <= 1.0
    assert doc["better"] in (str(cipi / "c0.wav"), str(cipi / "c14.wav"))


def test_eval_reports_the_head_next_to_the_engine(trained, cipi, tmp_path):
    result = run("eval", "cipi", "--data", cipi, "--audio-root", cipi, "--engine", "listen", "--transcriber", "fast",
                 "--judges", trained / "judges", "--model", trained, "--out", tmp_path / "ev")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "ev" / "summary.json").read_text())
    assert set(summary["engines"]) == {"listen", "pianojudges"}
    head = summary["engines"]["pianojudges"]["mean"]
    assert head["n"] == 4 and head["acc0"] >= 0.75 and head["acc1"] >= head["acc0"]
    assert "pianojudges" in result.output and "Acc0 (bal.)" in result.output
