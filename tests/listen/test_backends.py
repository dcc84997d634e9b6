"""Which transcriber the listening engine runs, and why (model/listen/backends.py)."""

from __future__ import annotations

import sys

import pytest

from llaqo.common import device as device_mod
from llaqo.common.errors import ConfigError
from llaqo.model.listen.transcribe import resolve as backends
from llaqo.model.listen.transcribe.resolve import choose_transcriber
from llaqo.model.listen.engine import ListenEngine
from llaqo.model.listen.transcribe.fast import find_model_file

MISSING = "basic-pitch's model file is not installed (pip install --no-deps basic-pitch==0.4.0)"


@pytest.fixture
def machine(monkeypatch, tmp_path):
    """machine(gpu=..., fast=...): pretend an NVIDIA GPU is (not) there and the fast model is (not) installed."""

    def set_(gpu: bool, fast: bool) -> None:
        gpus = tmp_path / "gpus"
        gpus.mkdir(exist_ok=True)
        if gpu:
            (gpus / "0000:01:00.0").mkdir(exist_ok=True)
        monkeypatch.setattr(device_mod, "NVIDIA_GPUS", gpus)
        monkeypatch.setattr(backends, "fast_backend_missing", lambda: None if fast else MISSING)

    return set_


@pytest.mark.parametrize("gpu,fast,device,kind,why", [
    (False, True, "auto", "fast", "no GPU"),
    (True, True, "auto", "accurate", "GPU is present"),
    (False, True, "cuda", "accurate", "GPU is present (cuda)"),
    (True, True, "cpu", "fast", "no GPU"),
    (False, False, "auto", "accurate", "basic-pitch's model file is not installed"),
])
def test_auto_rule(machine, gpu, fast, device, kind, why):
    machine(gpu, fast)
    choice = choose_transcriber("auto", device)
    assert choice.kind == kind and choice.auto and why in choice.reason


def test_named_choices(machine):
    machine(gpu=True, fast=True)
    assert choose_transcriber("fast", "auto").kind == "fast"
    assert choose_transcriber("accurate", "cpu").kind == "accurate"
    machine(gpu=False, fast=False)
    with pytest.raises(ConfigError, match="fast transcriber cannot run") as e:
        choose_transcriber("fast")
    assert "basic-pitch" in str(e.value)
    with pytest.raises(ConfigError, match="unknown transcriber") as e:
        ListenEngine(transcriber="fastest")
    assert e.value.hint == "use auto, fast or accurate"


def test_report_note_says_which_transcriber_and_why(machine):
    machine(gpu=False, fast=True)
    engine = ListenEngine()
    assert engine.choice.kind == "fast" and "basic-pitch" in engine.describe()["model"]
    assert "Transcriber: auto: no GPU" in engine.heard_note() and "not rated" in engine.heard_note()
    machine(gpu=False, fast=False)
    engine = ListenEngine()
    assert "not installed" in engine.heard_note() and "sustain pedal" in engine.heard_note()


def test_driver_without_a_usable_gpu_falls_back_to_the_fast_transcriber(machine):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine's GPU is usable")
    from llaqo.model.listen.transcribe import fast as fast_transcribe

    if fast_transcribe.fast_backend_missing():
        pytest.skip(fast_transcribe.fast_backend_missing())
    machine(gpu=True, fast=True)
    engine = ListenEngine()
    assert engine.choice.kind == "accurate"
    assert engine.transcriber.name.startswith("basic-pitch") and "torch cannot use the GPU" in engine.heard_note()


def test_model_file_found_without_importing_basic_pitch():
    path = find_model_file()
    if path is None:
        pytest.skip("basic-pitch is not installed")
    assert path.name == "nmp.onnx" and path.stat().st_size > 100_000
    assert "basic_pitch" not in sys.modules
