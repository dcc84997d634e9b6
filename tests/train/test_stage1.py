"""Stage 1 (Q-Former pre-training, no LLM) on the tiny released-layout fixture: the three losses are finite
and fall, the contrastive loss is symmetric and tells matched from shuffled pairs, a run killed with
SIGKILL resumes bit for bit, and its output starts a stage-2 run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from typer.testing import CliRunner

from llaqo.app import app
from llaqo.common.errors import CheckpointError
from llaqo.model.train.config import load_config
from llaqo.model.train.outdir import read_metrics
from llaqo.model.train.runner import Run, build_model, train
from llaqo.model.train.stage1 import build_stage1
from tests.train.test_cli_train import one_error_line

REPO = Path(__file__).parents[2]
CAPTIONS = ["a slow scale in the left hand", "loud octave jumps", "soft arpeggios with pedal", "staccato chords",
            "a singing melody over a steady bass", "fast ornaments and trills", "a legato line, evenly played",
            "the tempo kept constant throughout"]


def _train(init: Path, steps: int, lr: float, pairs: list[str]):
    """The stage-1 model after `steps` AdamW steps on 8 fixed (audio, caption) pairs → (model, losses, chunks).
    Each audio has its own spectral profile (i.i.d. noise would look alike to every query after attention)."""
    torch.manual_seed(0)
    model, _ = build_stage1(init, None, load_config("stage1", pairs=pairs).stage1, torch.device("cpu"))
    model.encoder.requires_grad_(False)
    g = torch.Generator().manual_seed(1)
    chunks = torch.randn(8, 1, 1, 128, generator=g) * 2 + 0.3 * torch.randn(8, 1, 1024, 128, generator=g)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses = []
    for _ in range(steps):
        loss = model(chunks, [""] * 8, CAPTIONS)
        losses.append({"sum": loss.item(), **model.last})
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval(), losses, chunks


@pytest.fixture(scope="module")
def trained(tiny_init):
    return _train(tiny_init, 6, 2e-3, [])


@pytest.fixture(scope="module")
def contrastive_only(tiny_init):
    return _train(tiny_init, 12, 1e-2, ["stage1.matching=false", "stage1.generation=false"])


def test_three_losses_are_finite_and_the_sum_falls(trained):
    _, losses, _ = trained
    assert all(set(m) == {"sum", "atc", "atm", "atg"} for m in losses)
    assert all(torch.isfinite(torch.tensor(list(m.values()))).all() for m in losses)
    assert all(abs(m["sum"] - m["atc"] - m["atm"] - m["atg"]) < 1e-4 for m in losses)
    assert losses[-1]["sum"] < 0.9 * losses[0]["sum"], losses
    assert losses[-1]["atm"] < losses[0]["atm"] and losses[-1]["atg"] < 0.9 * losses[0]["atg"]


def _features(model, chunks, captions):
    with torch.no_grad():
        audio = model.encode(chunks)
        a = F.normalize(model.audio_proj(model.queries(audio)), dim=-1)
        ids, mask = model.tok(captions, "cpu")
        t = F.normalize(model.text_proj(model.text_cls(ids, mask)), dim=-1)
    return a, t


def test_contrastive_is_symmetric_and_prefers_matched_pairs(contrastive_only):
    model, losses, chunks = contrastive_only
    assert all(set(m) == {"sum", "atc"} for m in losses)
    a, t = _features(model, chunks, CAPTIONS)
    with torch.no_grad():
        loss, sim = model.contrastive(a, t)
        # the audio→text and text→audio losses are the two directions of the same (b, b) matrix
        ce = [F.cross_entropy(m, torch.arange(8), label_smoothing=0.1) for m in (sim, sim.t())]
        assert torch.allclose(loss, (ce[0] + ce[1]) / 2)
        perm = torch.tensor([3, 0, 6, 1, 7, 2, 5, 4])
        permuted, _ = model.contrastive(a[perm], t[perm])  # the same pairs in another order
        assert torch.allclose(loss, permuted, atol=1e-5)
        shuffled = [CAPTIONS[i] for i in [1, 2, 3, 4, 5, 6, 7, 0]]  # no caption with its own audio
        a2, t2 = _features(model, chunks, shuffled)
        wrong, _ = model.contrastive(a2, t2)
    assert loss < wrong - 0.1, (loss, wrong)
    assert sim.diagonal().mean() > sim.masked_fill(torch.eye(8, dtype=torch.bool), 0).sum() / 56


def _kill_at(cmd: list[str], out: Path, at: int) -> None:
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if any(m.get("step", 0) >= at for m in read_metrics(out)):
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()


def test_sigkill_then_resume_is_bit_identical_and_starts_stage2(tiny_init, eight, tmp_path):
    table, audio = eight
    kw = {"max_steps": 6, "batch_size": 2, "save_every": 2, "optim.lr": 1e-3, "optim.warmup_steps": 2}
    whole = train(Run(tiny_init, [table], audio, tmp_path / "whole", load_config("stage1", overrides=kw),
                      log=lambda s: None))
    assert whole == tmp_path / "whole" / "stage1"
    out = tmp_path / "killed"
    _kill_at([sys.executable, "-m", "llaqo", "train", "stage1", "--init", str(tiny_init), "--data", str(table),
              "--audio-root", str(audio), "--out", str(out), "--max-steps", "6", "--batch-size", "2",
              "--save-every", "2", "--lr", "1e-3", "--warmup", "2"], out, 3)
    assert not (out / "stage1").exists(), "the run finished before it could be killed"
    said: list[str] = []
    train(Run(tiny_init, [table], audio, out, load_config("stage1", overrides=kw), resume=True, log=said.append))
    assert any(s.startswith("resuming from") for s in said)
    a = [(m["step"], m["loss"], m["atc"], m["atm"], m["atg"], m["lr"]) for m in read_metrics(tmp_path / "whole")]
    b = [(m["step"], m["loss"], m["atc"], m["atm"], m["atg"], m["lr"]) for m in read_metrics(out)]
    assert [s[0] for s in b] == list(range(1, 7)) and a == b  # bit for bit, hard negatives included
    with pytest.raises(CheckpointError, match="stage1"):  # other objectives: not the run it was
        train(Run(tiny_init, [table], audio, out, load_config("stage1", overrides={**kw, "max_steps": 7},
                                                              pairs=["stage1.generation=false"]), resume=True))
    trained_w = load_file(str(out / "stage1" / "weights.safetensors"))
    fresh = build_stage1(tiny_init, None, load_config("stage1").stage1, "cpu")[0].state_dict()
    assert torch.equal(trained_w["encoder.vit.blocks.0.attn.qkv.weight"], fresh["encoder.vit.blocks.0.attn.qkv.weight"])
    assert not torch.equal(trained_w["aligner.query_tokens"], fresh["aligner.query_tokens"])  # trained

    # the hand-off: a stage-2 coach takes aligner.* and ln_audio.* from stage 1 (strictly), the rest from --init
    coach, _, _ = build_model(tiny_init, load_config("stage2"), torch.device("cpu"), stage1=out / "stage1")
    own = coach.state_dict()
    handed = [k for k in own if k.startswith(("aligner.", "ln_audio."))]
    assert handed and all(torch.equal(own[k], trained_w[k]) for k in handed)
    bundle = train(Run(tiny_init, [table], audio, tmp_path / "s2", load_config("stage2", overrides={
        "max_steps": 1, "batch_size": 2}), stage1=out / "stage1", log=lambda s: None))
    assert (bundle / "manifest.json").is_file()


def test_bad_stage1_inputs_one_line(tiny_init, eight, tmp_path):
    table, audio = eight
    runner = CliRunner()
    (tmp_path / "empty").mkdir()
    result = runner.invoke(app, ["train", "stage2", "--init", str(tiny_init), "--stage1", str(tmp_path / "empty"),
                                 "--data", str(table), "--audio-root", str(audio), "--out", str(tmp_path / "a")])
    assert "not a `llaqo train stage1` output" in one_error_line(result)
    result = runner.invoke(app, ["train", "stage1", "--init", str(tiny_init / "vit.pth"), "--data", str(table),
                                 "--audio-root", str(audio), "--out", str(tmp_path / "b")])
    assert "needs --bert" in one_error_line(result)
    result = runner.invoke(app, ["train", "stage1", "--init", str(tiny_init), "--data", str(table), "--audio-root",
                                 str(audio), "--out", str(tmp_path / "c"), "--batch-size", "1", "--max-steps", "1"])
    assert "at least 2 captions" in one_error_line(result)
    result = runner.invoke(app, ["train", "stage1", "--init", str(tiny_init), "--data", str(table), "--out",
                                 str(tmp_path / "d"), "stage1.temperature=0"])
    assert "temperature in (0, 0.5]" in one_error_line(result)
