"""The coach's configuration: one dataclass per component, composed. YAML holds the values.

Sizes are never guessed: `model.coach.checkpoints.released` infers them from a checkpoint's tensor shapes,
and a bundle stores them. Head counts are not visible in shapes; they follow head dimension 64.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from llaqo.common.generation import GenerationConfig
from llaqo.model.audio import constants as C

HEAD_DIM = 64


@dataclass
class EncoderConfig:
    """AudioMAE ViT (timm layout) on one (1024 frames × 128 mels) window."""

    embed_dim: int = 768
    depth: int = 12
    mlp_hidden: int = 3072
    patch: int = 16
    window_frames: int = C.FRAMES_PER_WINDOW
    n_mels: int = C.N_MELS

    @property
    def num_heads(self) -> int:
        return max(1, self.embed_dim // HEAD_DIM)


@dataclass
class AlignerConfig:
    """The Q-Former (BERT backbone with text input, cross-attention every 2nd layer)."""

    hidden: int = 256
    layers: int = 4
    intermediate: int = 1024
    vocab_size: int = 30523
    max_positions: int = 512
    num_queries: int = 32
    cross_attention_every: int = 2
    max_text_tokens: int = 128

    @property
    def num_heads(self) -> int:
        return max(1, self.hidden // HEAD_DIM)


@dataclass
class CoachConfig:
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    aligner: AlignerConfig = field(default_factory=AlignerConfig)
    llm_hidden: int = 4096
    # compat: the released model — ONE projected query of window 0 reaches the LLM.
    # full: all queries of every window reach the LLM (for new training).
    mode: Literal["compat", "full"] = "compat"
    generation: GenerationConfig = field(default_factory=GenerationConfig)
