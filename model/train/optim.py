"""What trains, the optimiser and the learning-rate schedule.

Trainable in stages 2–3 (the reference's `lam_vicuna_instruct`): AudioMAE (pos_embed fixed), ln_audio,
the Q-Former with its query tokens, llm_proj and the audio indicator; the LLM is frozen (LoRA adapters,
when enabled, train). Stage 1 also freezes AudioMAE.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from llaqo.model.train.config import OptimConfig


def set_trainable(model: nn.Module, freeze_encoder: bool = False) -> list[str]:
    """Set requires_grad on the trainable set; → the names of the trainable parameters."""
    for name, p in model.named_parameters():
        lora = "lora_" in name
        frozen = (name.startswith("llm.") and not lora) or name.endswith("vit.pos_embed") or (
            freeze_encoder and name.startswith("encoder."))
        p.requires_grad_(not frozen)
    return [n for n, p in model.named_parameters() if p.requires_grad]


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Weight decay on >= 2-D weights whose names hold neither `bias`, `ln` nor `bn` (the reference's rule;
    every norm weight is 1-D)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim < 2 or "bias" in name or "ln" in name or "bn" in name:
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_optimizer(model: nn.Module, cfg: OptimConfig) -> torch.optim.AdamW:
    return torch.optim.AdamW(param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2),
                             eps=cfg.eps)


def lr_at(step: int, cfg: OptimConfig, max_steps: int) -> float:
    """Linear warm-up warmup_lr → lr over warmup_steps, then cosine lr → min_lr, reaching min_lr at max_steps."""
    if step < cfg.warmup_steps:
        return cfg.warmup_lr + (cfg.lr - cfg.warmup_lr) * step / cfg.warmup_steps
    span = max(1, max_steps - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span)
    return cfg.min_lr + (cfg.lr - cfg.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))


def make_scheduler(optimizer: torch.optim.Optimizer, cfg: OptimConfig, max_steps: int):
    """torch's LambdaLR over `lr_at` (its state — the step count — is what a checkpoint keeps)."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_at(step, cfg, max_steps) / cfg.lr)
