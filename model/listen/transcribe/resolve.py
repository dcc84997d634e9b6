"""Which transcriber the listening engine runs: `--transcriber auto | fast | accurate`, the whole rule.

- accurate: transkun 2.0.1 (torch; notes, velocities, sustain and soft pedal). On a GPU it is fast; on
  2 CPU cores (int8) the whole engine runs at ~0.25× real time, plus ~2 s to import torch.
- fast: basic-pitch 0.4.0's ONNX model with onnxruntime (no torch; notes, velocities read from the
  audio, no pedal), ~0.05× real time on 2 CPU cores: a quick preview, not a judge.
- auto: transkun, on the GPU when there is one, else on the CPU. Measured on outside material (other
  piano sounds, reverb, a human performance; bench/listen_outside.py) the fast transcriber's note F1 is
  ~0.75 against transkun's ~0.94: too many missed and invented notes for the measures to judge by, so it
  runs only when asked for.

The first look (`choose_transcriber`) costs no torch import: the GPU is probed through the driver's
/proc entry; `resolve_transcriber` builds the transcriber (transkun confirms the GPU with torch).
"""

from __future__ import annotations

from dataclasses import dataclass

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
    if asked == "fast":
        if device.is_cuda:
            raise ConfigError(f"the fast transcriber runs on the CPU only, not on {device}",
                              "use --device cpu or auto, or --transcriber accurate")
        missing = fast_backend_missing()
        if missing:
            raise ConfigError(f"the fast transcriber cannot run: {missing}",
                              "install it, or use the accurate transcriber")
        return TranscriberChoice("fast", "the fast transcriber asked for (a quick preview: it misses more notes "
                                 "than transkun and hears no pedal)")
    if device.gpu_suspected():
        return TranscriberChoice("accurate", f"auto: transkun (accurate), a GPU is present ({device})", True)
    return TranscriberChoice("accurate", "auto: transkun (accurate; on the CPU ~0.25× real time), as the "
                             "fast transcriber misses too many notes to judge by (--transcriber fast: a quick "
                             "preview)", True)


def resolve_transcriber(asked: str | TranscriberChoice = "auto", device: Device | str = "auto"
                        ) -> tuple[Transcriber, TranscriberChoice]:
    """→ the transcriber (built; its model loads on first use) and the final choice with its reason."""
    device = Device.parse(device)
    choice = asked if isinstance(asked, TranscriberChoice) else choose_transcriber(asked, device)
    if choice.kind == "fast":
        from llaqo.model.listen.transcribe.fast import FastTranscriber

        return FastTranscriber(), choice
    from llaqo.model.listen.transcribe.accurate import AccurateTranscriber

    return AccurateTranscriber(device), choice
