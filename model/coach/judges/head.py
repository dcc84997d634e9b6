"""The published PianoJudges head, one per task, on the AudioMAE patch embeddings of 10.24-s windows.

Shapes: b batch, s segments (windows, zero-padded to `n_segments`; a ranking pair: each segment's two
windows side by side), p patches (512), d encoder width (768), h×w the map after the two convolutions.

    1. each segment's (p, d) map → 2× [Conv2d k7 s5 p1, BatchNorm, ReLU, Dropout 0.1] (1 → 2 → 1 channels)
    2. flatten (h·w) → Linear → 128
    3. one Transformer encoder layer across the s segments (d 128, 2 heads, feed-forward 64)
    4. flatten (s·128) → Linear → the task's logits (no pooling, as published)

The module returns LOGITS. The published code applied a softmax (a sigmoid for multi-label) in `forward`
and then CrossEntropyLoss (BCEWithLogitsLoss) on top — a double softmax / double sigmoid that flattens
the gradients; here the loss takes the logits (`loss`) and `probabilities` applies the one softmax or
sigmoid, at prediction time only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn

from llaqo.common.errors import ConfigError
from llaqo.model.coach.judges.tasks import TASKS, task_classes  # noqa: F401  (task_classes: re-exported)

POS_WEIGHT = 1.4  # the published multi-label loss's positive weight
DIM, HEADS, FEED_FORWARD, DROPOUT = 128, 2, 64, 0.1


@dataclass(frozen=True)
class HeadConfig:
    task: str
    classes: list[str]
    multi_label: bool = False
    n_patches: int = 512  # p of one window
    embed_dim: int = 768  # d
    n_segments: int = 30  # windows per take (30 × 10.24 s ≈ 5 min)
    encoder_id: str = ""  # the fingerprint of the encoder the embeddings came from
    extra: dict = field(default_factory=dict)  # what training recorded (data, steps, metrics)

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ConfigError(f"unknown judge task {self.task!r}", "use expertise, difficulty or technique")
        if len(self.classes) < 2:
            raise ConfigError(f"a {self.task} head needs at least 2 classes")

    @property
    def pair(self) -> bool:
        return self.task == "expertise"

    def to_dict(self) -> dict:
        return asdict(self)


class JudgeHead(nn.Module):
    def __init__(self, cfg: HeadConfig):
        super().__init__()
        self.cfg = cfg
        self.convs = nn.Sequential(_conv(1, 2), _conv(2, 1))
        height = cfg.n_patches * (2 if cfg.pair else 1)  # a pair: both takes' patches, one after the other
        with torch.no_grad():  # the map's size after the convolutions, measured rather than re-derived
            h, w = self.convs.eval()(torch.zeros(1, 1, height, cfg.embed_dim)).shape[-2:]
        self.proj = nn.Linear(h * w, DIM)
        self.mixer = nn.TransformerEncoderLayer(DIM, HEADS, FEED_FORWARD, DROPOUT, batch_first=True)
        self.out = nn.Linear(cfg.n_segments * DIM, len(cfg.classes))
        if cfg.multi_label:
            self.register_buffer("pos_weight", torch.full((len(cfg.classes),), POS_WEIGHT), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(b, s, p', d) → (b, classes) logits; p' = p, or 2p for a pair."""
        b, s, p, d = x.shape
        x = self.convs(x.reshape(b * s, 1, p, d))  # 1. (b·s, 1, h, w)
        x = self.proj(x.reshape(b, s, -1))  # 2. (b, s, 128)
        x = self.mixer(x)  # 3. across segments
        return self.out(x.reshape(b, -1))  # 4. (b, classes)

    def loss(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Cross-entropy on logits (class indices), or BCE-with-logits (multi-hot, pos_weight 1.4)."""
        if self.cfg.multi_label:
            return nn.functional.binary_cross_entropy_with_logits(logits, target.float(), pos_weight=self.pos_weight)
        return nn.functional.cross_entropy(logits, target.long())

    def probabilities(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits) if self.cfg.multi_label else torch.softmax(logits, dim=-1)


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel_size=7, stride=5, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Dropout(DROPOUT))


def pad_segments(x: torch.Tensor, n: int) -> torch.Tensor:
    """(s, p, d) → (n, p, d): the first n segments, zero-padded at the end (as published)."""
    x = x[:n]
    return torch.nn.functional.pad(x, (0, 0, 0, 0, 0, n - x.shape[0])) if x.shape[0] < n else x


def pair_input(a: torch.Tensor, b: torch.Tensor, n: int) -> torch.Tensor:
    """Two takes' (s, p, d) → (n, 2p, d): segment k of A and segment k of B side by side, as published."""
    return torch.cat([pad_segments(a, n), pad_segments(b, n)], dim=1)
