"""Cutting a take into the 40-s segments the report speaks of, read block by block (bounded memory)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from llaqo.model.audio import constants as C
from llaqo.model.audio.io import iter_blocks, probe


@dataclass
class AudioSegment:
    """One segment of a take at the file's own rate; samples are (channels, n) float32."""

    index: int
    start_s: float
    samples: np.ndarray
    rate: int

    @property
    def duration_s(self) -> float:
        return self.samples.shape[1] / self.rate

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s

    @property
    def n_windows(self) -> int:
        """How many 10.24-s model windows hold audio of this segment."""
        return max(1, math.ceil(round(self.duration_s / C.WINDOW_SECONDS, 6)))


def count_segments(duration_s: float, segment_s: float = C.SEGMENT_SECONDS) -> int:
    return max(1, math.ceil(round(duration_s / segment_s, 6)))


def iter_segments(path: str | Path, segment_s: float = C.SEGMENT_SECONDS) -> Iterator[AudioSegment]:
    """Yield consecutive segments of `segment_s` seconds; the last one holds what is left."""
    info = probe(path)
    for i, (start, block) in enumerate(iter_blocks(info.path, block_s=segment_s)):
        yield AudioSegment(index=i, start_s=start / info.rate, samples=block, rate=info.rate)
