"""Batch invariance for the LLM: every row of a batch gets the numbers it would get alone at batch 1.

The reference answers one question per `generate` call, so its matrix products have M = beams × tokens
rows: M = 1 (greedy decoding), 5 (beam decoding) or 5·L (the prompt). A CPU BLAS (MKL) picks its kernel by
M, and the kernels round differently: on the machines measured, M = 1 (a matrix-vector product), M = 2–3
and M ≥ 4 are three families, each row-invariant within itself (a row of an M = 40 product equals the same
row in an M = 5 product, at one thread). So a batched linear layer keeps the reference's numbers when each
question's M is ≥ 4, and below that runs as a batched product of per-question blocks (`torch.bmm` computes
each block with the kernel of its own M). `row_groups(beams)` tells the layers the block size while
decoding; outside it (training, the encoder) they are ordinary `nn.Linear`s.

Left padding changes the length of each row's attention, and with it the order of the sums: the
attention below cuts each row's padding off and runs rows of equal length together, with exactly the
shapes the row has alone. With several threads MKL splits small products between the threads by M, so
the reference's own answers then depend on the thread count; see README ("Batch invariance").
"""

from __future__ import annotations

import contextlib
import contextvars
import weakref

import torch
from torch import nn
from transformers import AttentionInterface
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, eager_mask

from llaqo.model.coach.llm import reference_attention

ROW_ATTENTION = "llaqo_rows"
SMALLEST_SHARED_M = 4  # from M = 4 rows up, MKL's fp32 kernel gives each row the same numbers

_rows_per_question: contextvars.ContextVar[int | None] = contextvars.ContextVar("rows_per_question", default=None)


@contextlib.contextmanager
def row_groups(rows_per_question: int):
    """While decoding: consecutive blocks of `rows_per_question` rows (one question's beams) are what the
    reference multiplies together."""
    token = _rows_per_question.set(rows_per_question)
    try:
        yield
    finally:
        _rows_per_question.reset(token)


class RowGroupLinear(nn.Linear):
    """nn.Linear whose rows are computed in the reference's blocks when those are below SMALLEST_SHARED_M."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, t, k) → (n, t, out)."""
        group = _rows_per_question.get()
        if group is None or x.dim() != 3 or group * x.shape[1] >= SMALLEST_SHARED_M:
            return super().forward(x)
        n, t, k = x.shape
        blocks = x.reshape(n // group, group * t, k)  # one question's rows per block: M = group · t
        weight = self.weight.t().unsqueeze(0).expand(blocks.shape[0], -1, -1)
        if self.bias is None:
            return torch.bmm(blocks, weight).reshape(n, t, -1)
        # the bias enters the sum first, as in the addmm of a plain linear layer
        bias = self.bias.expand(blocks.shape[0], blocks.shape[1], -1)
        return torch.baddbmm(bias, blocks, weight).reshape(n, t, -1)


def make_row_invariant(llm: nn.Module) -> None:
    """Every linear layer of the LLM becomes a RowGroupLinear (same weights, same state-dict keys; an
    ordinary nn.Linear outside `row_groups`). Decoding switches the attention to `row_attention`."""
    for module in llm.modules():
        if type(module) is nn.Linear:
            module.__class__ = RowGroupLinear


def row_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    """The reference attention per row, on the row's own positions: query (n, heads, t, hd), key/value
    (n, kv_heads, s, hd), additive mask (n, 1, t, s) with the left padding masked → (n, t, heads, hd).

    Consecutive rows with the same padding (one question's beams, equal prompt lengths) run together.
    Queries at padded positions get zeros (nothing reads them).
    """
    if attention_mask is None:
        return reference_attention(module, query, key, value, None)[0], None
    s, t = key.shape[-2], query.shape[-2]
    parts = []
    for start, end, pad in _runs_of_padding(attention_mask, s):
        first = max(0, pad - (s - t))  # queries before the row's first real position are padding
        # one new token sees all of its row's keys: its mask is zeros, and adding zeros changes no bit
        mask = None if t == 1 else attention_mask[start:end, :, first:, pad:s]
        o, _ = reference_attention(module, query[start:end, :, first:], key[start:end, :, pad:],
                                   value[start:end, :, pad:], mask)
        if first:
            o = torch.cat([o.new_zeros(o.shape[0], first, *o.shape[2:]), o], dim=1)
        parts.append(o)
    return (parts[0] if len(parts) == 1 else torch.cat(parts)), None


_last_runs: tuple[weakref.ref, list[tuple[int, int, int]]] | None = None


def _runs_of_padding(attention_mask: torch.Tensor, s: int) -> list[tuple[int, int, int]]:
    """→ [(first row, end row, left padding)] for runs of rows with equal padding. Every layer of one
    forward call gets the same mask object: the runs are found once per call."""
    global _last_runs
    if _last_runs is not None and _last_runs[0]() is attention_mask:
        return _last_runs[1]
    # left padding: the keys the last (real) query may not see are the row's pad
    pads = (attention_mask[:, 0, -1, :s] < 0).sum(-1).tolist()
    runs, start = [], 0
    for i in range(1, len(pads) + 1):
        if i == len(pads) or pads[i] != pads[start]:
            runs.append((start, i, pads[start]))
            start = i
    _last_runs = (weakref.ref(attention_mask), runs)
    return runs


AttentionInterface.register(ROW_ATTENTION, row_attention)
ALL_MASK_ATTENTION_FUNCTIONS.register(ROW_ATTENTION, eager_mask)
