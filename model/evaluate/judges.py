"""The PianoJudges heads on a benchmark's items, scored with the paper's metrics, as one more row of
`llaqo eval cipi|techniques --judges DIR` next to the engines' answers.

- cipi, 9-way head: class-balanced Acc0 and Acc1 (Eq. 2), micro Acc0 and MAE, like the engines' rows;
  a 3-way head: balanced accuracy over the bands (henle − 1) // 3.
- techniques: mAP and AUROC over the 7 labels (multi-label head), and Acc0 (first label) / Acc0-any /
  macro-F1 of the likeliest class, like the engines' rows.
"""

from __future__ import annotations

import time

import torch

from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.model.evaluate.datasets import Item
from llaqo.model.evaluate.metrics.classes import difficulty_scores, technique_scores
from llaqo.model.evaluate.metrics.judges import multilabel_scores, single_label_scores
from llaqo.rubric.parse import parse_technique

HEAD_FOR = {"cipi": "difficulty", "techniques": "technique"}
ROW = "pianojudges"


def judge_run(task: str, items: list[Item], judges) -> dict | None:
    """The summary entry of the heads' row (None when the folder has no head for this benchmark)."""
    head_task = HEAD_FOR.get(task)
    if head_task not in judges.heads:
        return None
    started = time.perf_counter()
    head = judges.heads[head_task]
    probs = [_probabilities(judges, head_task, item) for item in items]
    scores = _difficulty(head, probs, items) if task == "cipi" else _technique(head, probs, items)
    scores["elapsed_s"] = round(time.perf_counter() - started, 1)
    return {"reason": f"PianoJudges {judges.describe()} heads in {judges.folder}", "describe": {},
            "heard": "the first 30 windows of 10.24 s of each recording (about 5 min), as published",
            "files": [], "unreadable_audio": 0, "runs": [scores], "mean": scores, "sd": {}}


def _probabilities(judges, task: str, item: Item) -> list[float]:
    head = judges.heads[task]
    return judges.probabilities(task, judges.embedder.file(item.audio, head.cfg.n_segments))


def _difficulty(head, probs, items) -> dict:
    gts = [int(item.gt) for item in items]
    best = [int(torch.tensor(p).argmax()) for p in probs]
    if len(head.cfg.classes) == 9:
        return difficulty_scores([b + 1 for b in best], gts).as_dict()
    return {**single_label_scores(best, [(g - 1) // 3 for g in gts], ordinal=False), "parsed": len(items)}


def _technique(head, probs, items) -> dict:
    labels = [tuple(n for n in (parse_technique(x) for x in item.labels) if n) for item in items]
    best = [head.cfg.classes[int(torch.tensor(p).argmax())] for p in probs]
    out = technique_scores(best, labels, TECHNIQUE_CLASSES).as_dict()
    if head.cfg.multi_label:
        hot = [[int(c in lab) for c in head.cfg.classes] for lab in labels]
        ranked = multilabel_scores(probs, hot, head.cfg.classes)
        out |= {"map": ranked["map"], "auroc": ranked["auroc"], "ap": ranked["ap"]}
    return out
