"""Training configuration: one dataclass per concern, composed; each stage's defaults ship as YAML.

Loading is strict (unknown, missing or ill-typed fields are errors). The command line overrides the
YAML with flags and `key=value` pairs (dotted keys reach nested fields: `optim.lr=3e-4`); the resolved
config is written to OUT/config.yaml.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from llaqo.common.config import from_dict, to_dict
from llaqo.common.errors import ConfigError
from llaqo.common.yamlfile import parse_yaml, read_yaml_text

CONFIGS = Path(__file__).parent / "configs"
STAGES = ("stage1", "stage2", "stage3")


@dataclass
class OptimConfig:
    """AdamW with weight decay on >= 2-D weights only (not biases, norms, or 1-D tensors), as the reference.

    Schedule: linear warm-up from `warmup_lr` to `lr` over `warmup_steps`, then a cosine from `lr` to
    `min_lr` over the remaining steps up to `max_steps` (see docs/training.md for the reference's variant).
    """

    lr: float = 1e-4
    min_lr: float = 1e-5
    warmup_lr: float = 1e-6
    warmup_steps: int = 2000
    weight_decay: float = 0.05
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    max_grad_norm: float = 0.0  # 0: no clipping (the reference does not clip)


@dataclass
class LoraConfig:
    """peft LoRA adapters on the frozen LLM (`--lora`)."""

    enabled: bool = False
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    targets: list[str] = field(default_factory=lambda: ["q_proj", "v_proj"])


@dataclass
class Stage1Config:
    """Q-Former pre-training (BLIP-2 style): which objectives, and their sizes."""

    contrastive: bool = True  # audio-text contrastive (ATC)
    matching: bool = True  # audio-text matching (ATM), hard negatives from the contrastive similarities
    generation: bool = True  # audio-grounded text generation (LM)
    embed_dim: int = 256  # the shared contrastive space
    temperature: float = 0.07  # initial value; learned
    max_text_tokens: int = 128


@dataclass
class TrainConfig:
    stage: Literal["stage1", "stage2", "stage3"] = "stage3"
    # compat: the released path (one projected query of window 0 reaches the LLM); full: every query of
    # every window reaches the LLM
    mode: Literal["compat", "full"] = "compat"
    max_steps: int = 5000
    batch_size: int = 4  # per process and micro-batch
    grad_accum: int = 1
    seed: int = 42
    split: str = "train"
    eval_splits: list[str] = field(default_factory=lambda: ["val", "test"])
    eval_max_samples: int = 64
    save_every: int = 1000
    eval_every: int = 0  # 0: never
    keep_checkpoints: int = 2
    log_every: int = 1
    # auto: bf16 autocast on CUDA (fp16 + GradScaler where bf16 is missing), none on the CPU
    mixed_precision: Literal["auto", "no", "fp16", "bf16"] = "auto"
    llm_dtype: Literal["auto", "fp16", "bf16", "fp32"] = "auto"  # the frozen LLM's weights
    gradient_checkpointing: bool = False
    freeze_encoder: bool = False  # stage 1 freezes AudioMAE
    num_workers: int = 0
    max_question_tokens: int = 128  # left-truncated, in the LLM prompt and in the Q-Former
    max_answer_tokens: int = 256  # answer + `</s>`, right-truncated
    caption_prompt: str = "Describe the audio in detail."  # the question of a caption-only table
    optim: OptimConfig = field(default_factory=OptimConfig)
    lora: LoraConfig = field(default_factory=LoraConfig)
    stage1: Stage1Config = field(default_factory=Stage1Config)

    def check(self) -> "TrainConfig":
        problems = [f"{k} must be >= 1 (got {v})" for k, v in
                    (("max_steps", self.max_steps), ("batch_size", self.batch_size), ("grad_accum", self.grad_accum),
                     ("save_every", self.save_every), ("log_every", self.log_every),
                     ("keep_checkpoints", self.keep_checkpoints)) if v < 1]
        if self.optim.lr <= 0 or self.optim.min_lr < 0 or self.optim.warmup_steps < 0:
            problems.append("optim: lr must be > 0, min_lr >= 0, warmup_steps >= 0")
        if self.eval_every < 0:
            problems.append("eval_every must be >= 0")
        if self.stage1.embed_dim < 1 or not 0 < self.stage1.temperature <= 0.5 or self.stage1.max_text_tokens < 2:
            problems.append("stage1: embed_dim must be >= 1, temperature in (0, 0.5], max_text_tokens >= 2")
        if problems:
            raise ConfigError("; ".join(problems))
        return self


def stage_yaml(stage: str) -> Path:
    return CONFIGS / f"{stage}.yaml"


def load_config(stage: str, config_file: Path | None = None, overrides: dict | None = None,
                pairs: list[str] | None = None) -> TrainConfig:
    """The stage's shipped YAML, then `config_file`, then flag `overrides` ({dotted key: value}), then
    `key=value` pairs — each layer strict."""
    data = _read(stage_yaml(stage))
    if config_file is not None:
        data = _merge(data, _read(Path(config_file)), str(config_file))
    flat = dict(overrides or {})
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{pair!r}: expected key=value (e.g. optim.lr=3e-4)")
        try:
            flat[key.strip()] = parse_yaml(value)
        except yaml.YAMLError:
            flat[key.strip()] = value
    for key, value in flat.items():
        _set(data, key, value)
    if data.get("stage", stage) != stage:
        raise ConfigError(f"the config is for {data['stage']}, the command trains {stage}")
    data["stage"] = stage
    return from_dict(TrainConfig, _exponents(data), "training config").check()


def dump(cfg: TrainConfig) -> dict:
    return to_dict(cfg)


_EXPONENT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def _exponents(node):
    """YAML 1.1 reads `3e-4` (no dot) as text; every value written so is meant as a number."""
    if isinstance(node, dict):
        return {k: _exponents(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_exponents(v) for v in node]
    return float(node) if isinstance(node, str) and _EXPONENT.match(node) else node


def _read(path: Path) -> dict:
    try:
        data = parse_yaml(read_yaml_text(path)) or {}  # bounded: no alias bomb, no deep nesting
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read YAML ({e})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def _merge(base: dict, extra: dict, source: str, prefix: str = "") -> dict:
    out = copy.deepcopy(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v, source, f"{prefix}{k}.")
        else:
            out[k] = v
    return out


def _set(data: dict, dotted: str, value) -> None:
    *parents, leaf = dotted.split(".")
    node = data
    for p in parents:
        if not isinstance(node.setdefault(p, {}), dict):
            raise ConfigError(f"{dotted}: {p} is not a section")
        node = node[p]
    node[leaf] = value
