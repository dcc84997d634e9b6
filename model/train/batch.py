"""Samples → model batches, through the same front end as `assess`/`ask` (`chunk_features`), and the
deterministic sample order that makes a resumed run see exactly the batches an uninterrupted one sees.

Shapes: b examples per micro-batch; a chunk is (1, 4096, 128).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch.utils.data import Dataset

from llaqo.model.audio.frontend import chunk_features
from llaqo.model.train.data import Example, Source, open_audio


@dataclass
class Batch:
    chunks: torch.Tensor  # (b, 1, 4096, 128)
    questions: list[str]
    answers: list[str]

    def __len__(self) -> int:
        return len(self.questions)


class ExampleDataset(Dataset):
    """Example i → (chunk (1, 4096, 128), question, answer). The whole file is normalised and clipped to
    its first 40.96 s, as the reference's audio processor does for a training file."""

    def __init__(self, examples: list[Example], audio_bytes: dict[str, bytes]):
        self.examples, self.audio_bytes = examples, audio_bytes

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, i: int):
        ex = self.examples[i]
        samples, rate = open_audio(ex, self.audio_bytes)
        return chunk_features(samples, rate), ex.question, ex.answer


def collate(items: list) -> Batch:
    return Batch(torch.stack([c for c, _, _ in items]), [q for _, q, _ in items], [a for _, _, a in items])


class Order:
    """An endless, seeded sequence of example indices over the concatenated sources.

    Epoch e is fixed by (seed, e) alone, so position p (samples drawn so far, all processes together)
    is the whole data state. Without weights every row is drawn once per epoch (uniform over rows, as the
    reference's stage-3 ConcatDataset); with weights each draw first picks a source with probability ∝
    weight, then that source's next row in its own shuffled cycle (the reference's stage-1/2 mixing).
    """

    def __init__(self, sources: list[Source], seed: int):
        self.sizes = [len(s.examples) for s in sources]
        self.offsets = [sum(self.sizes[:i]) for i in range(len(self.sizes))]
        self.total = sum(self.sizes)
        weights = [s.weight for s in sources]
        self.weights = None if all(w is None for w in weights) else [
            (w if w is not None else 1.0) if n else 0.0 for w, n in zip(weights, self.sizes)]
        self.seed = seed
        self._cache: tuple[int, list[int]] | None = None

    def epoch(self, e: int) -> list[int]:
        if self._cache and self._cache[0] == e:
            return self._cache[1]
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + e)
        if self.weights is None:
            order = torch.randperm(self.total, generator=gen).tolist()
        else:
            picks = torch.multinomial(torch.tensor(self.weights, dtype=torch.float64), self.total, True, generator=gen)
            perms = [torch.randperm(n, generator=gen).tolist() if n else [] for n in self.sizes]
            cursor = [0] * len(self.sizes)
            order = []
            for s in picks.tolist():
                order.append(self.offsets[s] + perms[s][cursor[s] % self.sizes[s]])
                cursor[s] += 1
        self._cache = (e, order)
        return order

    def at(self, position: int) -> int:
        return self.epoch(position // self.total)[position % self.total]

    def batches(self, start: int, per_rank: int, rank: int, world: int):
        """Index lists for this rank from global position `start`: global batch g takes positions
        [start + g·per_rank·world, …) and rank r its r-th slice."""
        g = 0
        while True:
            base = start + g * per_rank * world + rank * per_rank
            yield [self.at(p) for p in range(base, base + per_rank)]
            g += 1


def eval_indices(n: int, limit: int, seed: int) -> list[int]:
    """A fixed subset of an evaluation split (the first `limit` of a seeded shuffle)."""
    if n == 0:
        return []
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    return sorted(order[: max(1, min(limit, n))])


def steps_per_epoch(total: int, per_step: int) -> int:
    return max(1, math.ceil(total / per_step))
