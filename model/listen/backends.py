"""Which transcriber the listening engine runs: `transcriber="auto" | "fast" | "accurate"`.

- accurate: transkun 2.0.1 (torch; notes, velocities, sustain and soft pedal). On a GPU it is fast; on
  2 CPU cores one 16-s window costs ~3 s, plus ~2 s to import torch.
- fast: basic-pitch 0.4.0's ONNX model with onnxruntime (no torch; notes, velocities read from the
  audio, no pedal), ~0.04× real time on 2 CPU cores.
- auto: transkun when a GPU is present (asked for with a cuda device, or an NVIDIA driver is loaded and
  the device is auto); otherwise the fast backend when basic-pitch's model file and onnxruntime are
  installed; otherwise transkun on the CPU.

Deciding costs no torch import: the GPU is probed through the driver's /proc entry (torch then
confirms it when transkun is built, see ListenEngine.transcriber).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llaqo.model.errors import ConfigError
from llaqo.model.listen.fast_transcribe import fast_backend_missing

TRANSCRIBERS = ("auto", "fast", "accurate")
NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")  # one folder per GPU while the driver is loaded


@dataclass(frozen=True)
class TranscriberChoice:
    kind: str  # "fast" | "accurate"
    reason: str  # why, for the report's note
    auto: bool = False  # chosen by the auto rule (not asked for by name)


def gpu_present(device: str) -> bool:
    """Whether the device setting points at a GPU: cuda/mps asked for, or auto with an NVIDIA GPU."""
    if device == "auto":
        return NVIDIA_GPUS.is_dir() and any(NVIDIA_GPUS.iterdir())
    return device != "cpu"


def choose_transcriber(asked: str = "auto", device: str = "auto") -> TranscriberChoice:
    """Resolve the transcriber setting (raises ConfigError for an unknown one or a fast one not installed)."""
    if asked not in TRANSCRIBERS:
        raise ConfigError(f"unknown transcriber {asked!r}", "use auto, fast or accurate")
    if asked == "accurate":
        return TranscriberChoice("accurate", "transkun asked for (accurate)")
    missing = fast_backend_missing()
    if asked == "fast":
        if missing:
            raise ConfigError(f"the fast transcriber cannot run: {missing}",
                              "install it, or use the accurate transcriber")
        return TranscriberChoice("fast", "the fast transcriber asked for")
    if gpu_present(device):
        return TranscriberChoice("accurate", f"auto: a GPU is present ({device}), where transkun is fast", True)
    if missing is None:
        return TranscriberChoice("fast", "auto: no GPU, so basic-pitch's ONNX model (fast on a CPU)", True)
    return TranscriberChoice("accurate", f"auto: no GPU, but {missing}; transkun runs on the CPU (slower)",
                             True)
