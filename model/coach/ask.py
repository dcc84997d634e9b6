"""One question for every chunk of a take: the smallest use of the answering path.

Each chunk is one model input, exactly as the reference feeds a file of up to 40.96 s. In compat mode
the model hears the first 10.24-s window of each chunk, and the times returned say so.
"""

from __future__ import annotations

from pathlib import Path

import torch

from llaqo.model.assess import EngineOptions, build_engine
from llaqo.model.audio import constants as C
from llaqo.model.audio.chunks import iter_segments
from llaqo.model.audio.frontend import chunk_features
from llaqo.model.audio.io import probe
from llaqo.model.coach.answer import Ask, answer


def ask_file(path: Path, question: str, opts: EngineOptions, chunks_per_batch: int = 4) -> list[tuple[float, float, str]]:
    """→ [(start_s, end_s of the audio heard, answer)] per chunk."""
    probe(path)  # a bad file fails before the model is loaded
    engine, _ = build_engine(opts)
    model = engine.model
    heard_s = C.WINDOW_SECONDS if model.cfg.mode == "compat" else C.CHUNK_SECONDS
    spans, out = [], []
    batch: list[torch.Tensor] = []

    def flush() -> None:
        texts = answer(model, torch.stack(batch), [Ask(question, engine.generation)])
        out.extend(texts[row] for row in sorted(texts, key=lambda r: r.chunk))
        batch.clear()

    for seg in iter_segments(path, C.CHUNK_SECONDS):
        spans.append((seg.start_s, min(seg.end_s, seg.start_s + heard_s)))
        batch.append(chunk_features(seg.samples, seg.rate))
        if len(batch) == chunks_per_batch:
            flush()
    if batch:
        flush()
    return [(round(s, 2), round(e, 2), t) for (s, e), t in zip(spans, out)]
