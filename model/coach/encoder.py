"""AudioMAE ViT-B/16 audio encoder, built from timm, returning patch tokens without a final norm.

Shapes: b inputs, w windows (4 per chunk), p patches (512 per window), d width (768).
"""

from __future__ import annotations

from functools import partial

import torch
from timm.models.vision_transformer import VisionTransformer
from torch import nn

from llaqo.model.coach.config import EncoderConfig


class AudioEncoder(nn.Module):
    """Cuts a (b, 1, 4096, 128) chunk into 1024-frame windows and encodes each one on its own."""

    def __init__(self, cfg: EncoderConfig, exact_attention: bool = True):
        super().__init__()
        self.cfg = cfg
        self.vit = VisionTransformer(
            img_size=(cfg.window_frames, cfg.n_mels),
            patch_size=cfg.patch,
            in_chans=1,
            num_classes=0,
            global_pool="",
            embed_dim=cfg.embed_dim,
            depth=cfg.depth,
            num_heads=cfg.num_heads,
            mlp_ratio=cfg.mlp_hidden / cfg.embed_dim,
            qkv_bias=True,
            class_token=True,
            final_norm=False,  # the released encoder deletes its last norm; ln_audio follows instead
            fc_norm=False,
            norm_layer=partial(nn.LayerNorm, eps=1e-6),
        )
        # pos_embed is fixed (it comes from vit.pth and is never trained)
        self.vit.pos_embed.requires_grad_(False)
        self.set_exact_attention(exact_attention)

    def set_exact_attention(self, exact: bool) -> None:
        """exact: the reference's matmul-softmax-matmul order (bit-faithful in fp16); else fused SDPA."""
        for block in self.vit.blocks:
            block.attn.fused_attn = not exact

    def forward(self, chunks: torch.Tensor) -> torch.Tensor:
        """(b, 1, w*1024, 128) → (b, w, p, d) patch tokens of the last block."""
        b, _, frames, mels = chunks.shape
        w = frames // self.cfg.window_frames
        # window-major batch (all first windows, then all second windows, …), as the reference encodes
        windows = chunks.reshape(b, 1, w, self.cfg.window_frames, mels).permute(2, 0, 1, 3, 4)
        windows = windows.reshape(w * b, 1, self.cfg.window_frames, mels)
        tokens = self.encode_windows(windows)
        return tokens.reshape(w, b, *tokens.shape[1:]).transpose(0, 1)

    def encode_windows(self, windows: torch.Tensor) -> torch.Tensor:
        """(n, 1, 1024, 128) → (n, p, d)."""
        x = self.vit.patch_embed(windows)
        x = self.vit._pos_embed(x)
        x = self.vit.norm_pre(x)
        x = self.vit.blocks(x)
        return x[:, self.vit.num_prefix_tokens :]

