"""Batch invariance for the LLM: every row of a batch gets the numbers it would get alone at batch 1.

The reference answers one question per `generate` call, so its matrix products have M = beams × tokens
rows: M = 1 (greedy decoding), 5 (beam decoding) or 5·L (the prompt). A CPU BLAS (MKL) picks its kernel by
M (and by the layer's shape, the CPU and the thread count), and the kernels round differently. Measured:
on a Zen 4 EPYC, M = 1, M = 2–3 and M ≥ 4 are three families for every layer; on a Xeon, M = 2–15 and
M ≥ 16 for a 512 × 512 layer but M = 2–4 and M ≥ 5 for a 96 × 80 one. Within a family each row gets the
same numbers wherever it stands. So no fixed threshold is right everywhere: `blocks_per_product` asks the
BLAS itself, once per shape, how many of a question's blocks one product may hold (all of them when the
block and the batch fall in one family; a few when the block's family reaches that far; else one), and
the rest run as a batched product of those pieces (`torch.bmm` computes each piece with the kernel of its
own M). `row_groups(beams)` tells the layers the block size while decoding; outside it (training, the
encoder) they are ordinary `nn.Linear`s.

Left padding changes the length of each row's attention, and with it the order of the sums: the
attention below cuts each row's padding off and runs rows of equal length together, with exactly the
shapes the row has alone. The prompt's blocks are ≥ 16 rows, which every CPU measured puts in one family
(the prompt runs padded to the batch's longest and, under beam search, once per question instead of once
per beam). With several threads MKL splits small products between the threads by M, so the reference's
own answers then depend on the thread count; see README ("Batch invariance").
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
    """nn.Linear whose rows are computed in products that give each question's block its numbers alone."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, t, k) → (n, t, out)."""
        group = _rows_per_question.get()
        if group is None or x.dim() != 3:
            return super().forward(x)
        n, t, k = x.shape
        block, blocks = group * t, n // group
        per = blocks_per_product(self.weight, self.bias, block, blocks)
        if per == blocks:
            return super().forward(x)
        full = blocks - blocks % per  # blocks in pieces of `per`; the rest in one piece of their own
        out = [self._pieces(x[: full * group].reshape(full // per, per * block, k))] if full else []
        if full < blocks:
            out.append(self._pieces(x[full * group :].reshape(1, -1, k)))
        return torch.cat([o.reshape(-1, o.shape[-1]) for o in out]).reshape(n, t, -1)

    def _pieces(self, pieces: torch.Tensor) -> torch.Tensor:
        """(p, m, k) → (p, m, out): each piece as its own product."""
        weight = self.weight.t().unsqueeze(0).expand(pieces.shape[0], -1, -1)
        if self.bias is None:
            return torch.bmm(pieces, weight)
        # the bias enters the sum first, as in the addmm of a plain linear layer
        return torch.baddbmm(self.bias.expand(*pieces.shape[:2], -1), pieces, weight)


_plans: dict[tuple, int] = {}


def blocks_per_product(weight: torch.Tensor, bias: torch.Tensor | None, block: int, blocks: int) -> int:
    """How many consecutive `block`-row blocks one product with this weight may hold so that each block gets
    exactly the numbers of its product alone: `blocks` (one product), or the most that do (≥ 1).

    Asked of the BLAS with random rows (its kernel choice depends on shapes, strides and threads, never on
    the numbers, and two kernels' roundings differ on random data), once per shape in a process."""
    key = (*weight.shape, bias is not None, weight.dtype, weight.device.type, torch.get_num_threads(), block, blocks)
    if key not in _plans:
        if blocks == 1 or _shares(weight, bias, block, blocks):
            _plans[key] = blocks
        else:  # the families are intervals of M: grow the piece while its blocks still get their own numbers
            per = 1
            while per + 1 < blocks and _shares(weight, bias, block, per + 1):
                per += 1
            _plans[key] = per
    return _plans[key]


@torch.no_grad()
def _shares(weight: torch.Tensor, bias: torch.Tensor | None, block: int, blocks: int) -> bool:
    """Does one product of `blocks` blocks give its first, middle and last block their numbers alone?"""
    rows = torch.randn(blocks * block, weight.shape[1], generator=torch.Generator().manual_seed(blocks))
    rows = rows.to(weight.device, weight.dtype)
    together = nn.functional.linear(rows, weight, bias)
    for b in sorted({0, blocks // 2, blocks - 1}):
        part = slice(b * block, (b + 1) * block)
        if not torch.equal(together[part], nn.functional.linear(rows[part], weight, bias)):
            return False
    return True


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
