"""The Q-Former aligner (InstructBLIP style): learned queries read the audio patches, guided by the question.

Shapes: n windows in the batch, p patches, d encoder width, q queries, t question tokens, h Q-Former width.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import InstructBlipQFormerConfig, InstructBlipQFormerModel

from llaqo.model.coach.config import AlignerConfig


def qformer_config(cfg: AlignerConfig, encoder_width: int) -> InstructBlipQFormerConfig:
    config = InstructBlipQFormerConfig(
        vocab_size=cfg.vocab_size,
        hidden_size=cfg.hidden,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.num_heads,
        intermediate_size=cfg.intermediate,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=cfg.max_positions,
        layer_norm_eps=1e-12,
        pad_token_id=0,
        cross_attention_frequency=cfg.cross_attention_every,
        encoder_hidden_size=encoder_width,
    )
    # eager = the reference's matmul / softmax / matmul; exact in fp16 and fp32 alike
    config._attn_implementation = "eager"
    return config


class Aligner(nn.Module):
    def __init__(self, cfg: AlignerConfig, encoder_width: int):
        super().__init__()
        self.cfg = cfg
        self.qformer = InstructBlipQFormerModel(qformer_config(cfg, encoder_width))
        self.query_tokens = nn.Parameter(torch.zeros(1, cfg.num_queries, cfg.hidden))

    def forward(self, audio: torch.Tensor, text_ids: torch.Tensor, text_mask: torch.Tensor) -> torch.Tensor:
        """audio (n, p, d), question (n, t) → (n, q, h): the query positions of the last layer."""
        n = audio.shape[0]
        queries = self.query_tokens.expand(n, -1, -1)
        query_mask = torch.ones(queries.shape[:-1], dtype=text_mask.dtype, device=text_mask.device)
        out = self.qformer(
            input_ids=text_ids,
            attention_mask=torch.cat([query_mask, text_mask], dim=1),
            query_embeds=queries,
            encoder_hidden_states=audio,
            encoder_attention_mask=torch.ones(audio.shape[:-1], dtype=torch.long, device=audio.device),
        )
        return out.last_hidden_state[:, : queries.shape[1]]
