"""The PianoJudges paper's metrics for the heads: class-balanced Acc0/Acc1 (Eq. 2; the published code's
Acc1 was micro), and for the multi-label technique head the macro mean average precision (mAP) and the
macro area under the ROC curve (AUROC) over the labels that have both a positive and a negative item.

AP and AUROC are a few sums over ranked scores, written out here (with hand-computed tests) rather than
taken from scikit-learn or torchmetrics, which the project does not otherwise need: AP is the mean of the
precision at each positive's rank (ties count all tied items); AUROC is the Mann-Whitney probability that
a positive outscores a negative (ties count one half).
"""

from __future__ import annotations

from llaqo.model.evaluate.metrics.classes import balanced_accuracy_within


def average_precision(scores: list[float], positive: list[bool]) -> float | None:
    if not any(positive):
        return None
    total, hits = 0.0, 0
    for score, is_pos in zip(scores, positive):
        if is_pos:
            ranked_at = sum(1 for s in scores if s >= score)  # items ranked at or above it
            hits_at = sum(1 for s, p in zip(scores, positive) if p and s >= score)
            total += hits_at / ranked_at
            hits += 1
    return total / hits


def auroc(scores: list[float], positive: list[bool]) -> float | None:
    pos = [s for s, p in zip(scores, positive) if p]
    neg = [s for s, p in zip(scores, positive) if not p]
    if not pos or not neg:
        return None
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg)
    return wins / (len(pos) * len(neg))


def multilabel_scores(probs: list[list[float]], targets: list[list[int]], classes: list[str]) -> dict:
    """mAP, AUROC (macro over the labels where each is defined), and each label's AP."""
    ap, auc = {}, {}
    for k, name in enumerate(classes):
        column, truth = [p[k] for p in probs], [bool(t[k]) for t in targets]
        if (a := average_precision(column, truth)) is not None:
            ap[name] = a
        if (u := auroc(column, truth)) is not None:
            auc[name] = u
    return {"n": len(targets), "map": _mean(ap.values()), "auroc": _mean(auc.values()), "ap": ap}


def single_label_scores(preds: list[int], targets: list[int], ordinal: bool) -> dict:
    """Balanced Acc0 (and Acc1, within one class, for an ordinal scale such as difficulty)."""
    out = {"n": len(targets), "acc0": balanced_accuracy_within(preds, targets, 0),
           "micro_acc0": sum(p == t for p, t in zip(preds, targets)) / len(targets) if targets else 0.0}
    if ordinal:
        out["acc1"] = balanced_accuracy_within(preds, targets, 1)
    return out


def _mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None
