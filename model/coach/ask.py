"""One question for every chunk of a take: the smallest use of the answering path.

Each chunk is one model input, exactly as the reference feeds a file of up to 40.96 s. In compat mode
the model hears the first 10.24-s window of each chunk, and the times returned say so.
"""

from __future__ import annotations

from pathlib import Path

import torch

from llaqo.model.audio import constants as C
from llaqo.model.audio.chunks import iter_segments
from llaqo.model.audio.frontend import chunk_features
from llaqo.model.audio.io import probe
from llaqo.model.coach.engine import CoachEngine


def ask_file(path: Path, question: str, coach: CoachEngine, chunks_per_batch: int = 4
             ) -> list[tuple[float, float, str]]:
    """→ [(start_s, end_s of the audio heard, answer)] per chunk."""
    probe(path)
    spans, out = [], []
    batch: list[torch.Tensor] = []
    for seg in iter_segments(path, C.CHUNK_SECONDS):
        spans.append((seg.start_s, min(seg.end_s, seg.start_s + coach.heard_s)))
        batch.append(chunk_features(seg.samples, seg.rate))
        if len(batch) == chunks_per_batch:
            out += coach.ask_chunks(torch.stack(batch), question)
            batch.clear()
    if batch:
        out += coach.ask_chunks(torch.stack(batch), question)
    return [(round(s, 2), round(e, 2), t) for (s, e), t in zip(spans, out)]
