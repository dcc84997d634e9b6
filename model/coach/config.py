"""The coach's configuration: one dataclass per component, composed. YAML holds the values.

Sizes are never guessed: `model.coach.checkpoints.released` infers them from a checkpoint's tensor shapes,
and a bundle stores them. Head counts are not visible in shapes; they follow head dimension 64.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from llaqo.common.config import check
from llaqo.common.generation import GenerationConfig
from llaqo.model.audio import constants as C

HEAD_DIM = 64


def size(default: int, most: int):
    """A size field: a positive integer up to `most` (a bundle's config.yaml is checked against it, so
    `patch: 0` or `depth: 100000` is one line, before anything is built)."""
    return field(default=default, metadata=check(lambda v: 0 < v <= most, f"an integer from 1 to {most}"))


@dataclass
class EncoderConfig:
    """AudioMAE ViT (timm layout) on one (1024 frames × 128 mels) window."""

    embed_dim: int = size(768, 32768)
    depth: int = size(12, 128)
    mlp_hidden: int = size(3072, 131072)
    patch: int = size(16, 128)
    window_frames: int = size(C.FRAMES_PER_WINDOW, 65536)
    n_mels: int = size(C.N_MELS, 1024)

    @property
    def num_heads(self) -> int:
        return max(1, self.embed_dim // HEAD_DIM)


@dataclass
class AlignerConfig:
    """The Q-Former (BERT backbone with text input, cross-attention every 2nd layer)."""

    hidden: int = size(256, 32768)
    layers: int = size(4, 128)
    intermediate: int = size(1024, 131072)
    vocab_size: int = size(30523, 1048576)
    max_positions: int = size(512, 65536)
    num_queries: int = size(32, 4096)
    cross_attention_every: int = size(2, 128)
    max_text_tokens: int = size(128, 65536)

    @property
    def num_heads(self) -> int:
        return max(1, self.hidden // HEAD_DIM)


@dataclass
class CoachConfig:
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    aligner: AlignerConfig = field(default_factory=AlignerConfig)
    llm_hidden: int = size(4096, 1 << 16)
    # compat: the released model — ONE projected query of window 0 reaches the LLM.
    # full: all queries of every window reach the LLM (for new training).
    mode: Literal["compat", "full"] = "compat"
    generation: GenerationConfig = field(default_factory=GenerationConfig)
