"""Which transcriber the listening engine runs: `--transcriber auto | fast | accurate`, the whole rule.

- accurate: transkun 2.0.1 (torch; notes, velocities, sustain and soft pedal). On a GPU it is fast; on
  2 CPU cores one 16-s window costs ~3 s, plus ~2 s to import torch.
- fast: basic-pitch 0.4.0's ONNX model with onnxruntime (no torch; notes, velocities read from the
  audio, no pedal), ~0.04× real time on 2 CPU cores.
- auto: transkun when a GPU is present (asked for with a cuda device, or an NVIDIA driver is loaded and
  the device is auto); otherwise the fast backend when basic-pitch's model file and onnxruntime are
  installed; otherwise transkun on the CPU. A GPU the driver shows but torch cannot use falls back to
  the fast backend when building.

The first look (`choose_transcriber`) costs no torch import: the GPU is probed through the driver's
/proc entry; `resolve_transcriber` builds the transcriber and confirms the GPU with torch when it matters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from llaqo.common.device import Device
from llaqo.common.errors import ConfigError
from llaqo.model.listen.transcribe.base import Transcriber
from llaqo.model.listen.transcribe.fast import fast_backend_missing

TRANSCRIBERS = ("auto", "fast", "accurate")


@dataclass(frozen=True)
class TranscriberChoice:
    kind: str  # "fast" | "accurate"
    reason: str  # why, for the report's note
    auto: bool = False  # chosen by the auto rule (not asked for by name)


def choose_transcriber(asked: str = "auto", device: Device | str = "auto") -> TranscriberChoice:
    """The first look at the setting (raises ConfigError for an unknown one or a fast one not installed)."""
    device = Device.parse(device)
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
    if device.gpu_suspected():
        return TranscriberChoice("accurate", f"auto: a GPU is present ({device}), where transkun is fast", True)
    if missing is None:
        return TranscriberChoice("fast", "auto: no GPU, so basic-pitch's ONNX model (fast on a CPU)", True)
    return TranscriberChoice("accurate", f"auto: no GPU, but {missing}; transkun runs on the CPU (slower)",
                             True)


def resolve_transcriber(asked: str | TranscriberChoice = "auto", device: Device | str = "auto"
                        ) -> tuple[Transcriber, TranscriberChoice]:
    """→ the transcriber (built; its model loads on first use) and the final choice with its reason."""
    device = Device.parse(device)
    choice = asked if isinstance(asked, TranscriberChoice) else choose_transcriber(asked, device)
    if choice.kind == "accurate" and choice.auto and device.kind == "auto" and fast_backend_missing() is None:
        import torch

        if not torch.cuda.is_available():
            choice = replace(choice, kind="fast", reason="auto: an NVIDIA driver is loaded but torch cannot use "
                             "the GPU, so basic-pitch's ONNX model (fast on a CPU)")
    if choice.kind == "fast":
        from llaqo.model.listen.transcribe.fast import FastTranscriber

        return FastTranscriber(), choice
    from llaqo.model.listen.transcribe.accurate import AccurateTranscriber

    return AccurateTranscriber(device), choice
