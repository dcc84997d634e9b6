"""Training end to end on a tiny model: it overfits and its bundle answers through `llaqo ask`; a run
killed with SIGKILL resumes to the same losses; two processes through `accelerate launch` train."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from llaqo.app import app
from llaqo.model.train.config import load_config
from llaqo.model.train.outdir import read_metrics
from llaqo.model.train.runner import Run, train
from tests.train.conftest import ANSWERS, QUESTIONS

REPO = Path(__file__).parents[2]


def run_cfg(**kw):
    return load_config("stage3", overrides=kw)


def test_overfits_eight_examples_and_the_bundle_answers(tiny_init, eight, tmp_path):
    table, audio = eight
    cfg = run_cfg(max_steps=20, batch_size=8, save_every=20, **{
        "optim.lr": 1e-2, "optim.warmup_steps": 0, "lora.enabled": True, "lora.rank": 16, "lora.dropout": 0.0,
        "lora.targets": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]})
    bundle = train(Run(tiny_init, [table], audio, tmp_path / "out", cfg, log=lambda s: None))
    losses = [m["loss"] for m in read_metrics(tmp_path / "out") if "split" not in m]
    assert len(losses) == 20
    assert min(losses[-3:]) <= 0.1 * losses[0], losses
    result = CliRunner().invoke(app, ["ask", str(audio / "Burgmuller" / "b-00.wav"), QUESTIONS[0], "--model",
                                      str(bundle), "--device", "cpu", "--fast", "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["answers"][0]["answer"] == ANSWERS[0]


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "llaqo", "train", "stage3", *args]


def test_sigkill_then_resume_gives_the_same_losses(tiny_init, eight, tmp_path):
    table, audio = eight
    common = ["--init", str(tiny_init), "--data", str(table), "--audio-root", str(audio), "--max-steps", "12",
              "--batch-size", "2", "--save-every", "3", "--lr", "1e-3", "--warmup", "4"]
    whole = train(Run(tiny_init, [table], audio, tmp_path / "whole",
                      run_cfg(max_steps=12, batch_size=2, save_every=3, **{"optim.lr": 1e-3, "optim.warmup_steps": 4}),
                      log=lambda s: None))
    assert whole is not None
    out = tmp_path / "killed"
    proc = subprocess.Popen(_cli(*common, "--out", str(out)), cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None:
            if any(m.get("step", 0) >= 7 for m in read_metrics(out)):
                break
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert not (out / "bundle").exists(), "the run finished before it could be killed"
    done = max(m["step"] for m in read_metrics(out))
    assert 7 <= done < 12
    said: list[str] = []
    train(Run(tiny_init, [table], audio, out,
              run_cfg(max_steps=12, batch_size=2, save_every=3, **{"optim.lr": 1e-3, "optim.warmup_steps": 4}),
              resume=True, log=said.append))
    assert any(s.startswith("resuming from") for s in said)
    a = [(m["step"], m["loss"], m["lr"]) for m in read_metrics(tmp_path / "whole")]
    b = [(m["step"], m["loss"], m["lr"]) for m in read_metrics(out)]
    assert [s for s, _, _ in b] == list(range(1, 13))
    assert a == b  # bit for bit
    assert (out / "bundle" / "manifest.json").is_file()


def test_two_processes_through_accelerate_launch(tiny_init, eight, tmp_path):
    table, audio = eight
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
           "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "llaqo", "train",
           "stage3", "--init", str(tiny_init), "--data", str(table), "--audio-root", str(audio), "--out", str(out),
           "--max-steps", "2", "--batch-size", "2"]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "2 process(es)" in result.stderr
    assert result.stdout.strip().splitlines() == [str(out / "bundle")]  # printed once, by the main process
    steps = read_metrics(out)
    assert [m["step"] for m in steps] == [1, 2] and steps[-1]["epoch"] == 1.0  # 2 steps x 2 x 2 = 8 rows
    assert sorted(p.name for p in (out / "checkpoints" / "step-2").glob("rng-*")) == ["rng-0.pt", "rng-1.pt"]
    assert (out / "bundle" / "manifest.json").is_file()


def test_ctrl_c_saves_a_checkpoint_and_resume_finishes(tiny_init, eight, tmp_path):
    table, audio = eight
    out = tmp_path / "int"
    args = ["--init", str(tiny_init), "--data", str(table), "--audio-root", str(audio), "--out", str(out),
            "--max-steps", "200", "--batch-size", "2", "--save-every", "1000"]
    proc = subprocess.Popen(_cli(*args), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not read_metrics(out):
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    last = max(m["step"] for m in read_metrics(out))
    assert f"interrupted at step {last}" in err and (out / "checkpoints" / f"step-{last}" / "state.json").is_file()
    train(Run(tiny_init, [table], audio, out, run_cfg(max_steps=last + 1, batch_size=2), resume=True,
              log=lambda s: None))
    assert [m["step"] for m in read_metrics(out)] == list(range(1, last + 2))


def test_stage2_caption_table_full_mode_eval_and_checkpointing(tiny_init, eight, tmp_path):
    """Stage 2 on a caption JSON, every window reaching the LLM, activations recomputed, eval lines logged."""
    _, audio = eight
    rows = [{"audio": f"Burgmuller/b-{i:02d}.wav", "caption": f"a piano take number {i}", "split": split}
            for i, split in enumerate(["train"] * 6 + ["test"] * 2)]
    table = tmp_path / "caps.json"
    table.write_text(json.dumps(rows))
    cfg = load_config("stage2", overrides={"max_steps": 2, "batch_size": 2, "grad_accum": 2, "mode": "full",
                                           "gradient_checkpointing": True, "eval_every": 1})
    bundle = train(Run(tiny_init, [table], audio, tmp_path / "s2", cfg, log=lambda s: None))
    metrics = read_metrics(tmp_path / "s2")
    assert [m["step"] for m in metrics if "split" not in m] == [1, 2]
    assert [(m["step"], m["split"]) for m in metrics if "split" in m] == [(1, "val+test"), (2, "val+test")]
    assert [m for m in metrics if "split" not in m][-1]["epoch"] == 8 / 6  # 2 steps x 2 x 2 samples over 6 training rows
    assert "mode: full" in (bundle / "config.yaml").read_text()
