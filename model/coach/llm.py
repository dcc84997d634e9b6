"""The frozen LLM (Vicuna-7b v1.5 through transformers' LlamaForCausalLM) and the reference attention.

`reference` attention reproduces the released model's LLaMA arithmetic order in half precision —
scores divided by sqrt(head_dim), the mask added and floored at the dtype's minimum, softmax in fp32,
probabilities cast back — so beam search picks the same tokens as the reference implementation.
"""

from __future__ import annotations

import math
import pickle
from pathlib import Path

import torch
from torch import nn
from transformers import AttentionInterface, LlamaForCausalLM
from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, eager_mask

from llaqo.common.errors import CheckpointError

REFERENCE_ATTENTION = "llaqo_reference"


def reference_attention(
    module: nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(b, heads, q, hd) × (b, kv_heads, k, hd) → (b, q, heads, hd), as the reference computes it."""
    groups = query.shape[1] // key.shape[1]
    if groups > 1:
        key = key.repeat_interleave(groups, dim=1)
        value = value.repeat_interleave(groups, dim=1)
    scores = torch.matmul(query, key.transpose(2, 3)) / math.sqrt(query.shape[-1])
    if attention_mask is not None:
        scores = scores + attention_mask[:, :, :, : key.shape[-2]]
        scores = torch.max(scores, torch.tensor(torch.finfo(scores.dtype).min, device=scores.device))
    probs = nn.functional.softmax(scores, dim=-1, dtype=torch.float32).to(query.dtype)
    out = torch.matmul(probs, value)
    return out.transpose(1, 2).contiguous(), probs


AttentionInterface.register(REFERENCE_ATTENTION, reference_attention)
# the same additive causal + padding mask eager attention gets (0 where seen, the dtype's minimum elsewhere)
ALL_MASK_ATTENTION_FUNCTIONS.register(REFERENCE_ATTENTION, eager_mask)


def load_llm(
    folder: Path, vocab_size: int, dtype: torch.dtype, attention: str = REFERENCE_ATTENTION
) -> LlamaForCausalLM:
    """Load the HF folder, grow the vocabulary to `vocab_size` with zero rows, freeze everything."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # llaqo draws its own progress; transformers' bars are noise here
    try:
        llm = LlamaForCausalLM.from_pretrained(
            str(folder), dtype=dtype, local_files_only=True, attn_implementation=attention
        )
    except (OSError, ValueError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        from llaqo.model.coach.checkpoints.released import load_problem

        raise CheckpointError(f"{folder}: cannot load the LLM: {load_problem(e)}") from None
    grow_vocab(llm, vocab_size)
    llm.requires_grad_(False)
    from llaqo.model.coach.invariant import make_row_invariant

    make_row_invariant(llm)
    return llm.eval()


@torch.no_grad()
def grow_vocab(llm: LlamaForCausalLM, vocab_size: int) -> None:
    """Rows added for `[PAD]` and `<AUDIO>` are in no checkpoint: zeros make them deterministic."""
    old = llm.get_input_embeddings().weight.shape[0]
    if vocab_size == old:
        return
    llm.resize_token_embeddings(vocab_size, mean_resizing=False)
    llm.get_input_embeddings().weight[old:].zero_()
    llm.get_output_embeddings().weight[old:].zero_()
