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


def count_segments(duration_s: float, segment_s: float = C.SEGMENT_SECONDS, join_tail_s: float = 0.0) -> int:
    n = max(1, math.ceil(round(duration_s / segment_s, 6)))
    tail = duration_s - (n - 1) * segment_s
    return n - 1 if n > 1 and tail < join_tail_s else n


def iter_segments(path: str | Path, segment_s: float = C.SEGMENT_SECONDS, join_tail_s: float = 0.0
                  ) -> Iterator[AudioSegment]:
    """Yield consecutive segments of `segment_s` seconds; the last one holds what is left. A last
    segment shorter than `join_tail_s` joins the one before it (one block of look-ahead, so memory
    stays bounded by two segments)."""
    info = probe(path)
    held: AudioSegment | None = None
    for i, (start, block) in enumerate(iter_blocks(info.path, block_s=segment_s)):
        seg = AudioSegment(index=i, start_s=start / info.rate, samples=block, rate=info.rate)
        if held is not None and seg.duration_s < join_tail_s and seg.duration_s < segment_s:
            held = AudioSegment(held.index, held.start_s, np.concatenate([held.samples, block], axis=1), info.rate)
            continue
        if held is not None:
            yield held
        held = seg
    if held is not None:
        yield held
