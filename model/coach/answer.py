"""The one answering function: audio chunks × questions → text, for ask, assess and eval alike.

The encoder runs once per chunk (it does not depend on the question); the Q-Former then reads every
window for all questions of the chunk as one batch; the LLM answers all (window, question) rows in
left-padded batches, grouped by generation settings. A row's answer never depends on its batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from llaqo.common.generation import GenerationConfig
from llaqo.model.coach.llaqo import LLaQo


@dataclass(frozen=True)
class Ask:
    text: str
    generation: GenerationConfig


@dataclass(frozen=True)
class Row:
    chunk: int
    window: int | None  # compat: the window heard; full: None (all windows)
    question: int


@torch.no_grad()
def answer(
    model: LLaQo,
    chunks: torch.Tensor,
    asks: list[Ask],
    windows: list[list[int]] | None = None,
    batch_size: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> dict[Row, str]:
    """chunks (b, 1, 4096, 128). `windows[c]`: in compat mode, which windows of chunk c to ask (each is
    heard alone, as window 0 of its own input would be); default [0], what the reference does."""
    rows, prefixes = _audio_rows(model, chunks, asks, windows)
    texts: dict[Row, str] = {}
    for gen, group in _group_by_generation(rows, asks).items():
        group.sort(key=lambda r: len(model.llm_tok.encode(asks[r.question].text)))
        for start in range(0, len(group), batch_size):
            batch = group[start : start + batch_size]
            prefix = torch.stack([prefixes[r] for r in batch])
            embeds, mask, lengths = model.llm_inputs(prefix, [asks[r.question].text for r in batch])
            for r, text in zip(batch, model.generate(embeds, mask, lengths, gen)):
                texts[r] = text
            if progress:
                progress(len(texts), len(rows))
    return texts


def _audio_rows(model: LLaQo, chunks: torch.Tensor, asks: list[Ask], windows: list[list[int]] | None):
    """→ the rows to answer and each row's audio prefix (1 + a, D)."""
    audio = model.encode(chunks)  # (b, w, p, d)
    b, w = audio.shape[:2]
    questions = [a.text for a in asks]
    rows, prefixes = [], {}
    for c in range(b):
        # every window of the chunk for every question, as the reference feeds the Q-Former
        batch = audio[c].repeat(len(asks), 1, 1)  # (questions·w, p, d), question-major
        aligned = model.align(batch, [q for q in questions for _ in range(w)])
        aligned = aligned.reshape(len(asks), w, *aligned.shape[1:])  # (questions, w, q, h)
        if model.cfg.mode == "compat":
            chosen = [(win, aligned[:, win : win + 1]) for win in (windows[c] if windows else [0])]
        else:
            chosen = [(None, aligned)]
        for win, sel in chosen:
            for qi in range(len(asks)):
                row = Row(c, win, qi)
                rows.append(row)
                # one row at a time: a batched matmul may round differently, and a row's answer must
                # not depend on which other questions share its batch
                prefixes[row] = model.audio_prefix(model.select_queries(sel[qi : qi + 1]))[0]  # (1 + a, D)
    return rows, prefixes


def _group_by_generation(rows: list[Row], asks: list[Ask]) -> dict[GenerationConfig, list[Row]]:
    groups: dict[GenerationConfig, list[Row]] = {}
    for r in rows:
        groups.setdefault(asks[r.question].generation, []).append(r)
    return groups
