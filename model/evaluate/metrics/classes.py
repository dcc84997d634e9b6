"""Class metrics: the difficulty level (CIPI, Henle 1-9) and the main technique (PLD, 7 classes).

Difficulty (PianoJudges Eq. 2, class-balanced): Acc_n = (1/|C|) Σ_c |{i ∈ S_c : |ŷ_i − c| ≤ n}| / |S_c|, C the
levels present in the ground truth, S_c the items of level c; an unparsed answer is wrong. Beside it the
micro accuracy (share of all items with ŷ = y) and the MAE over the parsed answers.

Technique: Acc0 counts a prediction right when it is the item's first label (the reference's ground
truth); "any" counts it right when it is any of the item's labels (PianoJudges' FlexibleAccuracy).
Macro-F1 over the classes that occur in the ground truth (first labels) or the parsed predictions, F1 = 0
for a class never predicted right; an unparsed answer is a miss for its true class. The confusion matrix
has the true first label as rows, the prediction (or "(none)") as columns.

These few sums are written out here rather than taken from scikit-learn, which the project does not
otherwise need; the tests check them on hand-computed cases.
"""

from __future__ import annotations

from dataclasses import dataclass

NONE = "(none)"


@dataclass(frozen=True)
class DifficultyScores:
    n: int
    parsed: int
    acc0: float  # class-balanced
    acc1: float  # class-balanced, within one level
    micro_acc0: float
    mae: float | None  # over parsed answers

    def as_dict(self) -> dict:
        return {"n": self.n, "parsed": self.parsed, "acc0": self.acc0, "acc1": self.acc1,
                "micro_acc0": self.micro_acc0, "mae": self.mae}


def balanced_accuracy_within(preds: list[int | None], gts: list[int], within: int) -> float:
    per_class = []
    for c in sorted(set(gts)):
        idx = [i for i, g in enumerate(gts) if g == c]
        hits = sum(1 for i in idx if preds[i] is not None and abs(preds[i] - c) <= within)
        per_class.append(hits / len(idx))
    return sum(per_class) / len(per_class) if per_class else 0.0


def difficulty_scores(preds: list[int | None], gts: list[int]) -> DifficultyScores:
    parsed = [(p, g) for p, g in zip(preds, gts) if p is not None]
    n = len(gts)
    return DifficultyScores(
        n=n, parsed=len(parsed),
        acc0=balanced_accuracy_within(preds, gts, 0),
        acc1=balanced_accuracy_within(preds, gts, 1),
        micro_acc0=sum(1 for p, g in parsed if p == g) / n if n else 0.0,
        mae=sum(abs(p - g) for p, g in parsed) / len(parsed) if parsed else None,
    )


@dataclass(frozen=True)
class TechniqueScores:
    n: int
    parsed: int
    acc0: float  # prediction == first label
    acc_any: float  # prediction among the labels
    macro_f1: float
    per_class_f1: dict[str, float]
    confusion: dict[str, dict[str, int]]  # true first label → predicted (or "(none)") → count

    def as_dict(self) -> dict:
        return {"n": self.n, "parsed": self.parsed, "acc0": self.acc0, "acc_any": self.acc_any,
                "macro_f1": self.macro_f1, "per_class_f1": self.per_class_f1, "confusion": self.confusion}


def technique_scores(preds: list[str | None], labels: list[tuple[str, ...]],
                     classes: tuple[str, ...]) -> TechniqueScores:
    """`preds[i]` and every label already in the same spelling (rubric.parse.parse_technique's)."""
    firsts = [lab[0] for lab in labels]
    n = len(labels)
    acc0 = sum(1 for p, f in zip(preds, firsts) if p is not None and p == f) / n if n else 0.0
    acc_any = sum(1 for p, lab in zip(preds, labels) if p is not None and p in lab) / n if n else 0.0
    present = [c for c in classes if c in set(firsts) | {p for p in preds if p is not None}]
    f1 = {c: _f1(preds, firsts, c) for c in present}
    confusion = {c: {k: 0 for k in (*classes, NONE)} for c in classes if c in set(firsts)}
    for p, f in zip(preds, firsts):
        confusion[f][p if p is not None else NONE] += 1
    return TechniqueScores(n, sum(p is not None for p in preds), acc0, acc_any,
                           sum(f1.values()) / len(f1) if f1 else 0.0, f1, confusion)


def _f1(preds: list[str | None], truths: list[str], c: str) -> float:
    tp = sum(1 for p, t in zip(preds, truths) if p == c and t == c)
    fp = sum(1 for p, t in zip(preds, truths) if p == c and t != c)
    fn = sum(1 for p, t in zip(preds, truths) if p != c and t == c)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
