"""`llaqo train`: --help, the shipped YAMLs, and one clear line (non-zero exit) for each bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from llaqo.app import app
from llaqo.model.train import config as train_config
from llaqo.model.train.config import load_config
from llaqo.model.train.runner import Run, train

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, ["train", *args])


def one_error_line(result) -> str:
    assert result.exit_code != 0
    lines = [x for x in result.output.splitlines() if x.strip()]
    errors = [x for x in lines if x.startswith("error: ")]
    # the per-dataset data report may come first; the error is one line, the last
    assert len(errors) == 1 and lines[-1] == errors[0], result.output
    assert "Traceback" not in result.output
    return errors[0]


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("stage", ["stage3", "stage2", "stage1"])
def test_help(stage, flag):
    result = runner.invoke(app, ["train", stage, flag], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "Examples" in result.output and "--audio-root" in result.output and "KEY=VALUE" in result.output
    assert not any(t in result.output for t in ("<bool>", "<str>", "<path>", "<list[", "<int>", "<float>"))


def test_train_help_lists_the_stages():
    result = invoke("-h")
    assert result.exit_code == 0 and "stage3" in result.output and "stage2" in result.output


@pytest.mark.parametrize("stage", train_config.STAGES)
def test_shipped_stage_yaml_loads(stage):
    cfg = load_config(stage)
    assert cfg.stage == stage and cfg.optim.warmup_lr == 1e-6 and cfg.optim.weight_decay == 0.05
    assert set(yaml.safe_load(train_config.stage_yaml(stage).read_text())) <= set(train_config.dump(cfg))


def test_stage3_defaults_follow_the_reference():
    cfg = load_config("stage3")
    assert (cfg.batch_size, cfg.seed, cfg.optim.lr, cfg.optim.min_lr) == (4, 42, 1e-4, 1e-5)
    assert cfg.optim.warmup_steps == 2000
    assert (cfg.optim.beta1, cfg.optim.beta2, cfg.mode, cfg.lora.enabled) == (0.9, 0.999, "compat", False)


def test_fsdp_accelerate_config_loads():
    from accelerate.commands.config.config_args import ClusterConfig

    cfg = ClusterConfig.from_yaml_file(str(train_config.CONFIGS / "accelerate_fsdp.yaml"))
    assert cfg.distributed_type == "FSDP" and cfg.fsdp_config["fsdp_use_orig_params"] is True
    assert cfg.fsdp_config["fsdp_transformer_layer_cls_to_wrap"] == "LlamaDecoderLayer"
    ddp = ClusterConfig.from_yaml_file(str(train_config.CONFIGS / "accelerate_ddp.yaml"))
    assert ddp.distributed_type == "MULTI_GPU" and ddp.mixed_precision == "bf16"


def test_overrides_are_strict():
    cfg = load_config("stage3", pairs=["optim.lr=3e-4", "mode=full"])
    assert (cfg.optim.lr, cfg.mode) == (3e-4, "full")
    from llaqo.common.errors import ConfigError

    with pytest.raises(ConfigError, match="nonsense: unknown field"):
        load_config("stage3", pairs=["nonsense=1"])


@pytest.fixture
def base(tiny_init, eight, tmp_path):
    table, audio = eight
    return ["stage3", "--init", str(tiny_init), "--data", str(table), "--audio-root", str(audio)], tmp_path


def test_unknown_layout(base):
    args, tmp = base
    odd = tmp / "odd.csv"
    odd.write_text("wav,text\na.wav,hi\n")
    line = one_error_line(invoke(*args[:3], "--data", str(odd), "--out", str(tmp / "o")))
    assert "columns found: wav, text" in line and "audio_qa" in line and "pisa" in line


def test_no_audio_at_all(base):
    args, tmp = base
    line = one_error_line(invoke(*args[:5], "--audio-root", str(tmp), "--out", str(tmp / "o")))
    assert "no audio found at all" in line


def test_unwritable_out(base):
    args, tmp = base
    blocker = tmp / "file"
    blocker.write_text("")
    line = one_error_line(invoke(*args, "--out", str(blocker / "sub")))
    assert "cannot write" in line or "not a folder" in line


def test_resume_without_checkpoint(base):
    args, tmp = base
    line = one_error_line(invoke(*args, "--out", str(tmp / "empty"), "--resume"))
    assert "no checkpoint" in line


def test_bad_key_value(base):
    args, tmp = base
    assert "expected key=value" in one_error_line(invoke(*args, "--out", str(tmp / "o"), "oops"))


@pytest.fixture(scope="module")
def finished(tiny_init, eight, tmp_path_factory) -> Path:
    table, audio = eight
    out = tmp_path_factory.mktemp("finished") / "run"
    train(Run(tiny_init, [table], audio, out, load_config("stage3", overrides={"max_steps": 2, "batch_size": 2}),
              log=lambda s: None))
    return out


def test_finished_run_is_refused_without_resume_or_overwrite(base, finished):
    args, _ = base
    line = one_error_line(invoke(*args, "--out", str(finished), "--max-steps", "2", "--batch-size", "2"))
    assert "finished run" in line and "--overwrite" in line


def test_mismatched_checkpoint(base, finished, tmp_path):
    args, _ = base
    out = Path(shutil.copytree(finished, tmp_path / "copy"))
    line = one_error_line(invoke(*args, "--out", str(out), "--resume", "--batch-size", "3"))
    assert "does not match this run" in line and "batch_size 2" in line


def test_corrupt_checkpoint(base, finished, tmp_path):
    args, _ = base
    out = Path(shutil.copytree(finished, tmp_path / "copy"))
    (out / "checkpoints" / "step-2" / "trainable.safetensors").write_bytes(b"not safetensors")
    line = one_error_line(invoke(*args, "--out", str(out), "--resume", "--batch-size", "2", "--max-steps", "3"))
    assert "trainable.safetensors" in line and "unreadable" in line


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(base, tmp_path, monkeypatch):
    import torch

    from llaqo.model.coach.llaqo import LLaQo

    args, _ = base
    calls = {"n": 0}
    real = LLaQo.forward

    def flaky(self, *a, **k):
        calls["n"] += 1
        loss = real(self, *a, **k)
        return loss * torch.tensor(float("nan")) if calls["n"] == 3 else loss

    monkeypatch.setattr(LLaQo, "forward", flaky)
    out = tmp_path / "nan"
    line = one_error_line(invoke(*args, "--out", str(out), "--max-steps", "5", "--batch-size", "2",
                                 "--save-every", "2"))
    assert "loss is nan at step 3" in line and "step-2" in line
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["step-2"]
    assert not (out / "bundle").exists()
