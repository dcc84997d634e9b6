"""Judging one segment: every dimension measured on first use and kept for the other questions,
the overall rating and the "what to work on" list built from them."""

from __future__ import annotations

from llaqo.model.listen.judge import difficulty as difficulty_mod
from llaqo.model.listen.judge import rating
from llaqo.model.listen.judge import technique as technique_mod
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.dimensions import DIMENSIONS, OVERALL
from llaqo.model.listen.judge.measures.base import Finding
from llaqo.model.listen.notes import Transcription


class SegmentJudge:
    """One segment's transcription, judged dimension by dimension (see dimensions.DIMENSIONS)."""

    def __init__(self, tr: Transcription, score=None, keys=None):
        """score: a ScoreFollower when a reference score is given; keys: the part's audio as
        keys.KeyRises, which the follower reads to check its claims (None: the notes alone)."""
        self.analysis = Analysis(tr)
        self.score = score
        if score is not None:
            score.compare(self.analysis, keys)  # compared once, with the audio, before any measure asks
        self._found: dict[str, Finding] = {}
        self._difficulty = self._technique = None
        self.weakest: list[Finding] = []  # the overall's "work on" list, set with the overall

    def judges(self, dimension: str) -> bool:
        """Whether this segment can answer `dimension` (the overall, or a registered measure it has the
        inputs for: the score-only ones need a reference)."""
        d = DIMENSIONS.get(dimension)
        return dimension == OVERALL or (d is not None and (self.score is not None or not d.needs_score))

    def get(self, dimension: str) -> Finding:
        if dimension not in self._found:
            if dimension == OVERALL:
                self._found[dimension] = self._overall()
            else:
                self._found[dimension] = rating.rate(DIMENSIONS[dimension].measure(self))
        return self._found[dimension]

    def difficulty(self) -> tuple[int | None, Finding]:
        """From the notes heard; with a reference, from the score's notes over the stretch played, at
        the tempo played (follower.ScoreFollower.as_played): the piece's demands, not the take's slips."""
        if self._difficulty is None:
            written = self.score.as_played(self.analysis) if self.score is not None else None
            if written is not None and len(written.notes) >= 4:
                level, found = difficulty_mod.difficulty(Analysis(written))
                c = self.score.compare(self.analysis)
                found.comment = (f"From the score (bars {c.bars[0]}–{c.bars[1]}, at the tempo played): "
                                 + found.comment)
                self._difficulty = level, found
            else:
                self._difficulty = difficulty_mod.difficulty(self.analysis)
        return self._difficulty

    def technique(self) -> tuple[str | None, Finding]:
        if self._technique is None:
            self._technique = technique_mod.technique(self.analysis)
        return self._technique

    def _overall(self) -> Finding:
        dims = [self.get(d.name) for d in DIMENSIONS.values() if d.in_overall and self.judges(d.name)]
        rated = sorted((f for f in dims if f.rating is not None), key=lambda f: f.rating)
        value = rating.overall(rated)
        if value is None:
            return Finding(OVERALL, "Too few notes in this part to judge the performance.")
        weak = [f for f in rated if f.rating <= 4][:3]
        strong = [f for f in reversed(rated) if f.rating >= 5][:3]
        text = f"Overall {value}/6."
        if strong:
            text += " Strong: " + ", ".join(f"{_label(f)} ({f.rating})" for f in strong) + "."
        if weak:
            # the weak dimensions by name, and the weakest one's remark; "what to work on" gives them all
            text += " Work on: " + ", ".join(f"{_label(f)} ({f.rating})" for f in weak) + f" — {weak[0].comment}"
        self.weakest = weak
        return Finding(OVERALL, text, evidence=[e for f in rated for e in f.evidence[:1]], rating=value)

    def work_on(self) -> Finding:
        overall = self.get(OVERALL)
        if not self.weakest:
            return Finding(OVERALL, "Nothing stands out to fix in this part: keep the same care.",
                           evidence=overall.evidence)
        text = " ".join(f"{_label(f).capitalize()}: {f.comment}" for f in self.weakest)
        return Finding(OVERALL, text, evidence=[e for f in self.weakest for e in f.evidence])


def _label(f: Finding) -> str:
    return f.dimension.replace("_", " ")
