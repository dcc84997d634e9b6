"""Training a PianoJudges head: embeddings once per file (cached), then minutes of Adam on the head.

    result = train_judge(JudgeRun(task="difficulty", init=Path("ckpts"), data=Path("metadatas/difficulty_cipi"),
                                  audio_root=Path("/data/cipi"), out=Path("judges")))

The published recipe: Adam, lr 5e-5 (expertise, difficulty) or 5e-6 (technique), early stopping on the
validation loss (patience 200 steps: here `patience` evaluations of `eval_every` steps). Two changes,
both said in docs/judges.md: the loss takes the head's logits (the published code applied a softmax or
sigmoid before CrossEntropyLoss / BCEWithLogitsLoss), and classes are balanced by oversampling the
TRAINING examples only (the published CIPI loader oversampled before the split, so its test set held
copies). The best head by validation loss is written to OUT/<task>.safetensors + OUT/<task>.json.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

import torch

from llaqo.common.device import Device
from llaqo.common.errors import TrainingError
from llaqo.model.coach.judges.embed import MAX_SEGMENTS, Embedder, load_encoder
from llaqo.model.coach.judges.head import HeadConfig, JudgeHead, pad_segments, pair_input, task_classes
from llaqo.model.coach.judges.store import save_head
from llaqo.model.evaluate.errors import DatasetError
from llaqo.model.evaluate.metrics.judges import multilabel_scores, single_label_scores
from llaqo.model.train.judge_data import Example, read_examples

LEARNING_RATES = {"expertise": 5e-5, "difficulty": 5e-5, "technique": 5e-6}
Progress = Callable[[str], None]


@dataclass(frozen=True)
class JudgeRun:
    task: str
    init: Path  # the AudioMAE encoder: a released folder, a bundle or a vit.pth
    data: Path
    out: Path
    audio_root: Path | None = None
    n_classes: int | None = None  # expertise 2|4, difficulty 9|3
    multi_label: bool = True  # technique
    max_steps: int = 2000
    batch_size: int = 8
    lr: float | None = None  # default: the published rate of the task
    eval_every: int = 50
    patience: int = 4  # evaluations without a better validation loss
    seed: int = 42
    split: str = "train"
    val_split: str = "val"
    overwrite: bool = False
    device: Device = field(default_factory=Device)
    cache: Path | None = None  # default: $LLAQO_HOME/embeddings


@dataclass
class JudgeResult:
    path: Path
    steps: int
    metrics: dict
    log: list[dict]


def train_judge(run: JudgeRun, progress: Progress | None = None) -> JudgeResult:
    say = progress or (lambda _: None)
    target = Path(run.out) / f"{run.task}.safetensors"
    if target.exists() and not run.overwrite:
        raise TrainingError(f"{target}: a {run.task} head is already there", "add --overwrite, or another --out")
    classes, multi = task_classes(run.task, run.n_classes, run.multi_label)
    train, val, val_from = _splits(run, len(classes))
    say(f"{len(train)} training and {len(val)} validation examples ({val_from})")
    embedder = _embedder(run)
    feats = Features(embedder)
    files = sorted({p for ex in train + val for p in ex.audio})
    for k, path in enumerate(files, start=1):
        feats.embed(path)
        if k % 50 == 0 or k == len(files):
            say(f"embeddings: {k} of {len(files)} files")
    p, d = embedder.shape
    torch.manual_seed(run.seed)
    device = run.device.torch()
    head = JudgeHead(HeadConfig(run.task, classes, multi, p, d, MAX_SEGMENTS, embedder.encoder_id)).to(device)
    optimiser = torch.optim.Adam(head.parameters(), lr=run.lr or LEARNING_RATES[run.task])
    draw = _sampler(train, multi, run.seed)
    best, best_loss, waited, log, step = None, float("inf"), 0, [], 0
    for step in range(1, run.max_steps + 1):
        head.train()
        x, y = feats.batch([draw() for _ in range(run.batch_size)], head.cfg, device)
        loss = head.loss(head(x), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        loss = float(loss.detach())
        if step % run.eval_every == 0 or step == run.max_steps:
            val_loss = evaluate_loss(head, val, feats, device)
            log.append({"step": step, "train_loss": round(float(loss), 5), "val_loss": round(val_loss, 5)})
            say(f"step {step}: train loss {float(loss):.4f}, validation loss {val_loss:.4f}")
            if val_loss < best_loss - 1e-6:
                best, best_loss, waited = copy.deepcopy(head.state_dict()), val_loss, 0
            else:
                waited += 1
                if waited >= run.patience:
                    say(f"early stop at step {step}: no better validation loss for {run.patience} evaluations")
                    break
    if best is not None:
        head.load_state_dict(best)
    metrics = judge_metrics(head, val, feats, device)
    head = head.cpu()
    head.cfg = replace(head.cfg, extra={"data": str(run.data), "steps": step, "val_loss": round(best_loss, 5),
                                        "validation": val_from, "train_examples": len(train), "metrics": metrics})
    return JudgeResult(save_head(head, run.out), step, metrics, log)


def _splits(run: JudgeRun, n_classes: int) -> tuple[list[Example], list[Example], str]:
    train, missing = read_examples(run.task, run.data, run.audio_root, run.split, n_classes, run.multi_label)
    if not train:
        raise TrainingError(f"{run.data}: no {run.task} examples of split {run.split!r} with their audio"
                            + (f" ({missing} rows' audio not found)" if missing else ""),
                            "check --audio-root (the tables' paths are remapped by their last components)")
    try:
        val, _ = read_examples(run.task, run.data, run.audio_root, run.val_split, n_classes, run.multi_label)
    except DatasetError:
        val = []
    if val:
        return train, val, f"split {run.val_split!r}"
    shuffled = train[:]
    random.Random(run.seed).shuffle(shuffled)
    cut = max(1, len(shuffled) // 5)
    if len(shuffled) - cut < 2:
        return train, train, "the training examples themselves (too few to hold any out)"
    return shuffled[cut:], shuffled[:cut], f"{cut} training examples held out (no {run.val_split!r} rows)"


def _embedder(run: JudgeRun) -> Embedder:
    from llaqo.model.history.location import llaqo_home

    encoder, encoder_id = load_encoder(run.init)
    return Embedder(encoder, encoder_id, run.device.torch(), run.cache or llaqo_home() / "embeddings")


def _sampler(examples: list[Example], multi: bool, seed: int) -> Callable[[], Example]:
    """Uniform over examples (multi-label), or a class first, then one of its examples: oversampling the
    rarer classes of the training set."""
    rng = random.Random(seed)
    if multi:
        return lambda: rng.choice(examples)
    by_class: dict = {}
    for ex in examples:
        by_class.setdefault(ex.target, []).append(ex)
    keys = sorted(by_class)
    return lambda: rng.choice(by_class[rng.choice(keys)])


class Features:
    """Each file's embeddings, read once from the cache (the embedder writes it) and kept as float16."""

    def __init__(self, embedder: Embedder):
        self.embedder, self.held = embedder, {}

    def embed(self, path: Path) -> torch.Tensor:
        if path not in self.held:
            self.held[path] = self.embedder.file(path)
        return self.held[path]

    def batch(self, examples: list[Example], cfg: HeadConfig, device) -> tuple[torch.Tensor, torch.Tensor]:
        """→ (b, s, p', d) float32 inputs, (b,) class indices or (b, classes) multi-hot targets."""
        xs = [pair_input(self.embed(ex.audio[0]), self.embed(ex.audio[1]), cfg.n_segments) if cfg.pair
              else pad_segments(self.embed(ex.audio[0]), cfg.n_segments) for ex in examples]
        y = torch.tensor([ex.target for ex in examples])
        return torch.stack(xs).float().to(device), y.to(device)


@torch.no_grad()
def predict(head: JudgeHead, examples: list[Example], feats: Features, device, batch: int = 16) -> torch.Tensor:
    head.eval()
    out = [head.probabilities(head(feats.batch(examples[k:k + batch], head.cfg, device)[0])).cpu()
           for k in range(0, len(examples), batch)]
    return torch.cat(out) if out else torch.zeros(0, len(head.cfg.classes))


@torch.no_grad()
def evaluate_loss(head: JudgeHead, examples: list[Example], feats: Features, device, batch: int = 16) -> float:
    head.eval()
    total = 0.0
    for k in range(0, len(examples), batch):
        x, y = feats.batch(examples[k:k + batch], head.cfg, device)
        total += float(head.loss(head(x), y)) * len(y)
    return total / max(len(examples), 1)


def judge_metrics(head: JudgeHead, examples: list[Example], feats: Features, device) -> dict:
    """The paper's metrics on `examples`: mAP + AUROC (multi-label), balanced Acc0 (+ Acc1 for the
    9-way difficulty; + the 4-way ranking read as 2-way)."""
    probs = predict(head, examples, feats, device)
    cfg = head.cfg
    if cfg.multi_label:
        return multilabel_scores(probs.tolist(), [list(ex.target) for ex in examples], cfg.classes)
    preds, targets = probs.argmax(-1).tolist(), [int(ex.target) for ex in examples]
    scores = single_label_scores(preds, targets, ordinal=cfg.task == "difficulty")
    if cfg.task == "expertise" and len(cfg.classes) == 4:
        scores["acc0_2way"] = single_label_scores([int(p >= 2) for p in preds], [int(t >= 2) for t in targets],
                                                  ordinal=False)["acc0"]
    return scores
