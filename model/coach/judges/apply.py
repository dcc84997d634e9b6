"""The heads inside assess and compare.

`JudgedEngine` wraps whichever engine answers (coach or listening): every segment is answered by it,
then its difficulty and technique answers are replaced by the heads' — the class with the highest
probability as the value, every class's probability in the remark and the evidence — and the report's
notes say so. `expertise(a, b)` is the ranking head's verdict on two takes for `llaqo compare`.
"""

from __future__ import annotations

from pathlib import Path

import torch

from llaqo.common.errors import CheckpointError
from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.model.audio.chunks import AudioSegment
from llaqo.model.coach.judges.embed import Embedder
from llaqo.model.coach.judges.head import JudgeHead, pad_segments, pair_input
from llaqo.rubric.report import Answer, Evidence, Remark
from llaqo.rubric.schema import Rubric

SHOWN_CLASSES = 3  # the remark names the likeliest few; the evidence holds every class


class Judges:
    """Loaded heads and the embedder they read."""

    def __init__(self, heads: dict[str, JudgeHead], embedder: Embedder, folder: Path):
        for task, head in heads.items():
            if head.cfg.encoder_id and head.cfg.encoder_id != embedder.encoder_id:
                raise CheckpointError(f"{folder}: the {task} head was trained on another encoder's embeddings "
                                      f"({head.cfg.encoder_id}, this model's is {embedder.encoder_id})",
                                      "train it again with --init this model, or give the model it was trained with")
            if (head.cfg.n_patches, head.cfg.embed_dim) != embedder.shape:
                raise CheckpointError(f"{folder}: the {task} head reads {head.cfg.n_patches}×{head.cfg.embed_dim} "
                                      f"embeddings; this encoder gives {embedder.shape[0]}×{embedder.shape[1]}")
        self.heads = {t: h.to(embedder.device).eval() for t, h in heads.items()}
        self.embedder, self.folder = embedder, folder

    @torch.no_grad()
    def probabilities(self, task: str, x: torch.Tensor) -> list[float]:
        head = self.heads[task]
        batch = pad_segments(x, head.cfg.n_segments).float().unsqueeze(0).to(self.embedder.device)
        return head.probabilities(head(batch))[0].cpu().tolist()

    @torch.no_grad()
    def expertise(self, a: Path, b: Path) -> float | None:
        """P(take B is played better than take A), or None without a ranking head."""
        head = self.heads.get("expertise")
        if head is None:
            return None
        n = head.cfg.n_segments
        x = pair_input(self.embedder.file(a, n), self.embedder.file(b, n), n).float().unsqueeze(0)
        probs = head.probabilities(head(x.to(self.embedder.device)))[0].cpu()
        return float(probs[1] if len(probs) == 2 else probs[2:].sum())  # 4-way: "B better" + "B much better"

    def describe(self) -> str:
        return ", ".join(f"{task} ({len(h.cfg.classes)}-way{' multi-label' if h.cfg.multi_label else ''})"
                         for task, h in self.heads.items())


class JudgedEngine:
    """An engine whose difficulty and technique answers come from the PianoJudges heads."""

    def __init__(self, inner, judges: Judges):
        self.inner, self.judges = inner, judges
        self.name, self.join_tail_s = inner.name, inner.join_tail_s

    @property
    def reason(self) -> str:
        return self.inner.reason

    @reason.setter
    def reason(self, value: str) -> None:
        self.inner.reason = value

    def describe(self) -> dict[str, str]:
        return self.inner.describe()

    def heard_part(self) -> dict | None:
        return self.inner.heard_part()

    def score_errors(self) -> list[dict] | None:
        return self.inner.score_errors()

    def heard_note(self) -> str:
        tasks = [t for t in ("difficulty", "technique") if t in self.judges.heads]
        said = " and ".join(tasks)
        return (self.inner.heard_note() + f" {said.capitalize()}: PianoJudges heads in {self.judges.folder} "
                f"(on the AudioMAE embeddings of each 10.24-s window), with each class's probability.")

    def answer_segment(self, segment: AudioSegment, rubric: Rubric) -> list[Answer]:
        answers = self.inner.answer_segment(segment, rubric)
        wanted = [a for a in answers if a.kind in ("difficulty", "technique") and a.kind in self.judges.heads]
        if not wanted:
            return answers
        x = self.judges.embedder.samples(segment.samples, segment.rate)
        for answer in wanted:
            question = next(q for q in rubric.questions if q.id == answer.id)
            probs = self.judges.probabilities(answer.kind, x)
            judged_answer(answer, self.judges.heads[answer.kind], probs, question, segment)
        return answers


def judged_answer(answer: Answer, head: JudgeHead, probs: list[float], question, segment: AudioSegment) -> Answer:
    """Replace the answer's remarks and evidence with the head's (in place)."""
    classes = head.cfg.classes
    ranked = sorted(range(len(classes)), key=lambda k: -probs[k])
    best = classes[ranked[0]]
    if answer.kind == "difficulty":
        value = _difficulty_value(best, question.scale)
        kind = "Henle level" if len(classes) == 9 else "Henle band"
    else:
        value = best if best in (question.classes or TECHNIQUE_CLASSES) else None
        kind = "technique"
    listed = ", ".join(f"{classes[k]} {probs[k]:.0%}" for k in ranked[:SHOWN_CLASSES])
    text = f"PianoJudges head: {kind} {best} ({listed})."
    answer.remarks = [Remark(segment.start_s, segment.end_s, text, value)]
    answer.evidence = [Evidence(f"p_{_slug(c)}", round(p, 4), "probability", f"the head's probability of {c}",
                                [(segment.start_s, segment.end_s)]) for c, p in zip(classes, probs)]
    return answer


def _difficulty_value(best: str, scale) -> int:
    """A Henle level 1-9 (a 3-way band: its middle level), mapped onto the question's scale."""
    level = int(best) if best.isdigit() else {"1-3": 2, "4-6": 5, "7-9": 8}[best]
    lo, hi = scale or (1, 9)
    return round(lo + (level - 1) * (hi - lo) / 8) if (lo, hi) != (1, 9) else level


def _slug(name: str) -> str:
    return name.lower().replace(" ", "_").replace("-", "_to_")
