"""Which transcriber the listening engine runs, and why (model/listen/transcribe/resolve.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llaqo.common import device as device_mod
from llaqo.common.errors import ConfigError
from llaqo.model.listen.engine import ListenEngine
from llaqo.model.listen.transcribe import resolve as backends
from llaqo.model.listen.transcribe.fast import find_model_file
from llaqo.model.listen.transcribe.resolve import choose_transcriber

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


@pytest.mark.parametrize("gpu,fast,device,why", [
    (False, True, "auto", "on the CPU"),
    (True, True, "auto", "GPU is present"),
    (False, True, "cuda", "GPU is present (cuda)"),
    (True, True, "cpu", "on the CPU"),
    (False, False, "auto", "on the CPU"),
])
def test_auto_rule_is_transkun_everywhere(machine, gpu, fast, device, why):
    # the fast transcriber's note F1 on outside material (~0.75) is too low to judge by: auto never picks it
    machine(gpu, fast)
    choice = choose_transcriber("auto", device)
    assert choice.kind == "accurate" and choice.auto and why in choice.reason


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
    assert engine.choice.kind == "accurate" and "transkun" in engine.describe()["model"]
    assert "Transcriber: auto: transkun" in engine.heard_note() and "sustain pedal" in engine.heard_note()
    engine = ListenEngine(transcriber="fast")
    assert "basic-pitch" in engine.describe()["model"]
    assert "quick preview" in engine.heard_note() and "not rated" in engine.heard_note()


def test_a_driver_without_a_usable_gpu_still_gets_transkun_on_the_cpu(machine):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine's GPU is usable")
    machine(gpu=True, fast=True)
    engine = ListenEngine()
    assert engine.choice.kind == "accurate" and engine.transcriber.name.startswith("transkun")
    assert str(engine.transcriber.device) == "cpu"


def test_model_file_found_without_importing_basic_pitch():
    path = find_model_file()
    if path is None:
        pytest.skip("basic-pitch is not installed")
    assert path.name == "nmp.onnx" and path.stat().st_size > 100_000
    assert "basic_pitch" not in sys.modules


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and glibc's malloc_trim")
def test_freed_heap_memory_goes_back_to_the_system_between_segments():
    """Holes left in the C heap (what a window's freed tensors leave) are returned, so RSS does not grow
    with a take's length."""
    from llaqo.common.memory import release_free_memory

    def rss_kb() -> int:
        return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0])

    blocks = [bytearray(b"x" * 64 * 1024) for _ in range(2000)]  # 125 MB of heap blocks, every page touched
    kept = blocks[::2]  # every other one freed: holes the heap cannot give back on its own
    del blocks
    before = rss_kb()
    assert release_free_memory()
    assert before - rss_kb() > 30_000  # of the ~62 MB freed, most goes back
    assert len(kept) == 1000
