"""The one answering function: audio chunks × questions → text, for ask, assess and eval alike.

The encoder runs once per heard window (it does not depend on the question; in compat mode only the
windows asked about are encoded); the Q-Former reads each window with each question, questions of one
token length together (no padding); the LLM answers all rows in left-padded batches, grouped by
generation settings, and drops each row when it is done. With `invariant` (this function's default,
the coach engine's `--exact`) a row's numbers never depend on its batch (`model.coach.invariant`), so
every answer is the one the question gets alone — and the one the reference's one-question-at-a-time loop
gives; without it, each layer is one product for the batch and an answer can differ only at a last-bit tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from llaqo.common.generation import GenerationConfig
from llaqo.model.coach.decode import DecodeStats
from llaqo.model.coach.llaqo import LLaQo

QFORMER_ROWS = 64  # Q-Former rows per call: bounds the memory of the repeated audio (rows × p × d)
KV_CACHE_MB = 1536  # the LLM batch's key/value cache (allocated once per batch, for its longest answer)
KV_CACHE_GPU_SHARE = 0.5  # on a GPU: this share of its free memory after loading, if more than KV_CACHE_MB


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
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    stats: DecodeStats | None = None,
    invariant: bool = True,
) -> dict[Row, str]:
    """chunks (b, 1, 4096, 128). `windows[c]`: in compat mode, which windows of chunk c to ask (each is
    heard alone, as window 0 of its own input would be); default [0], what the reference does.
    `batch_size`: sequences per LLM batch, beams counted; default: as many as the KV cache holds in
    the KV budget (`sequences_per_batch`: on a CPU, a 512 × 8 LLM takes every question of the rubric with
    its five beams, Vicuna-7b in fp16 12 sequences).
    `stats` (optional) counts the LLM's work. `invariant=False` lets the LLM's products span the batch
    (faster; answers differ from the one-at-a-time ones only at last-bit ties: `model.coach.decode`)."""
    rows, prefixes = _audio_rows(model, chunks, asks, windows)
    texts: dict[Row, str] = {}
    for gen, group in _group_by_generation(rows, asks).items():
        group.sort(key=lambda r: len(model.llm_tok.encode(asks[r.question].text)))
        per_batch = max(1, (batch_size or sequences_per_batch(model, gen)) // gen.num_beams)
        for start in range(0, len(group), per_batch):
            batch = group[start : start + per_batch]
            prefix = torch.stack([prefixes[r] for r in batch])
            embeds, mask, lengths = model.llm_inputs(prefix, [asks[r.question].text for r in batch])
            for r, text in zip(batch, model.generate(embeds, mask, lengths, gen, stats, invariant)):
                texts[r] = text
            if progress:
                progress(len(texts), len(rows))
    return texts


def sequences_per_batch(model: LLaQo, gen: GenerationConfig) -> int:
    """How many sequences' KV caches of `gen.max_length` positions fit in KV_CACHE_MB: a larger batch
    shares more of each step's work, at the cost of its cache (one question's beams at least). On a GPU
    the budget grows to KV_CACHE_GPU_SHARE of its free memory: an H200 holds the whole rubric's beams for
    Vicuna-7b in fp16, where 1.5 GB would hold 12 sequences."""
    cfg = model.llm.config
    heads = getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads
    per_position = 2 * cfg.num_hidden_layers * heads * (cfg.hidden_size // cfg.num_attention_heads)
    per_sequence = per_position * model.llm.dtype.itemsize * gen.max_length
    budget = KV_CACHE_MB * 2**20
    device = model.llm.device
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        budget = max(budget, int(KV_CACHE_GPU_SHARE * free))
    return max(gen.num_beams, budget // per_sequence)


def _audio_rows(model: LLaQo, chunks: torch.Tensor, asks: list[Ask], windows: list[list[int]] | None):
    """→ the rows to answer and each row's audio prefix (1 + a, D)."""
    units, audio = _encode_heard(model, chunks, windows)  # audio (units, w, p, d)
    pairs = [(u, qi) for u in range(len(units)) for qi in range(len(asks))]
    length = {qi: len(model.question_tok.tok(a.text, truncation=True, max_length=model.question_tok.max_tokens)
                      ["input_ids"]) for qi, a in enumerate(asks)}
    prefixes = {}
    # questions of one token length share a Q-Former call: no padding, so each row's sums are its own
    for n in sorted(set(length.values())):
        same = [(u, qi) for u, qi in pairs if length[qi] == n]
        for start in range(0, len(same), QFORMER_ROWS):
            part = same[start : start + QFORMER_ROWS]
            w = audio.shape[1]
            aligned = model.align(torch.cat([audio[u] for u, _ in part]),
                                  [asks[qi].text for _, qi in part for _ in range(w)])  # (part·w, q, h)
            aligned = aligned.reshape(len(part), w, *aligned.shape[1:])
            for (u, qi), sel in zip(part, aligned):
                chunk, win = units[u]
                # one row at a time, as the reference projects its one query (M = 1)
                prefixes[Row(chunk, win, qi)] = model.audio_prefix(model.select_queries(sel[None]))[0]
    rows = [Row(*units[u], qi) for u, qi in pairs]
    return rows, prefixes


def _encode_heard(model: LLaQo, chunks: torch.Tensor, windows: list[list[int]] | None):
    """→ units [(chunk, window or None)] and their patch tokens (units, w, p, d): compat, one window per
    unit (only the windows asked about are encoded); full, every window of each chunk."""
    if model.cfg.mode != "compat":
        return [(c, None) for c in range(chunks.shape[0])], model.encode(chunks)
    frames = model.cfg.encoder.window_frames
    units = [(c, win) for c in range(chunks.shape[0]) for win in (windows[c] if windows else [0])]
    heard = torch.stack([chunks[c, :, win * frames : (win + 1) * frames] for c, win in units])  # (units, 1, 1024, 128)
    return units, model.encode(heard)  # (units, 1, p, d)
def _group_by_generation(rows: list[Row], asks: list[Ask]) -> dict[GenerationConfig, list[Row]]:
    groups: dict[GenerationConfig, list[Row]] = {}
    for r in rows:
        groups.setdefault(asks[r.question].generation, []).append(r)
    return groups
