"""What every transcriber is to the listening engine: audio of one segment in, notes (and pedal) out."""

from __future__ import annotations

from typing import Callable, Protocol

import numpy as np

from llaqo.common.device import Device
from llaqo.model.listen.notes import Transcription


class Transcriber(Protocol):
    name: str  # "transkun 2.0.1", "basic-pitch 0.4.0 (ONNX)"
    kind: str  # "accurate" | "fast": what --transcriber calls it
    hears_pedal: bool

    @property
    def device(self) -> Device:
        """Where it runs (resolved: cpu or cuda[:N])."""

    def describe(self) -> str:
        """Its name as the report shows it, with how it runs ("transkun 2.0.1 (int8)")."""

    def transcribe(self, samples: np.ndarray, rate: int, start_s: float = 0.0,
                   progress: Callable[[float], None] | None = None) -> Transcription:
        """samples (channels, n) float32 at `rate` → notes with times in take seconds (start_s + t);
        `progress(share)` is called as the work advances (0–1)."""
