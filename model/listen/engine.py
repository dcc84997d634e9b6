"""The listening engine: transcribe a segment, measure what a teacher listens for, answer the rubric.

Every rating comes from a Finding whose readings the rules in rating.py turn into 1–6, and whose
evidence (measurement, unit, detail, times) travels with the answer; docs/listening-engine.md lists the
measures and rules. Needs no downloaded weights: both transcribers ship inside their wheels
(backends.py says which one runs: transkun, or basic-pitch's ONNX model without torch).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from llaqo.model.audio.chunks import AudioSegment
from llaqo.model.listen import difficulty as difficulty_mod
from llaqo.model.listen import rating, technique as technique_mod
from llaqo.model.listen.analysis import Analysis
from llaqo.model.listen.backends import TranscriberChoice, choose_transcriber
from llaqo.model.listen.measures import articulation, dynamics, hands, pedal, timing, tonality
from llaqo.model.listen.measures.base import Finding
from llaqo.model.listen.notes import Transcription
from llaqo.rubric.report import Answer, Remark
from llaqo.rubric.schema import Question, Rubric

MEASURES: dict[str, Callable[[Analysis], Finding]] = {
    "tempo": timing.tempo,
    "rhythm": timing.rhythm,
    "note_values": timing.note_values,
    "legato": articulation.legato,
    "lines": articulation.lines,
    "attack": articulation.attack,
    "hand_balance": hands.balance,
    "hand_timing": hands.timing,
    "dynamics": dynamics.dynamics,
    "sound": dynamics.sound,
    "tonality": tonality.tonality,
    "pedal": pedal.pedalling,
}
ALIASES = {"pedalling": "pedal", "pedaling": "pedal", "summary": "overall"}
FREE_QUESTION = ("The listening engine measures the rubric's dimensions only ({}); it cannot answer this "
                 "free question. Use the neural coach for it.")


class SegmentFindings:
    """Everything measured on one segment, computed on first use and kept for the other questions."""

    def __init__(self, tr: Transcription, follower=None):
        self.analysis = Analysis(tr)
        self.follower = follower
        self._found: dict[str, Finding] = {}
        self._difficulty = self._technique = None
        self.weakest: list[Finding] = []  # the overall's "work on" list, set with the overall

    def get(self, dimension: str) -> Finding:
        if dimension not in self._found:
            if dimension == "overall":
                self._found[dimension] = self._overall()
            elif dimension == "accuracy":
                self._found[dimension] = rating.rate(self.follower.accuracy(self.analysis))
            else:
                finding = MEASURES[dimension](self.analysis)
                if self.follower is not None and dimension == "rhythm":
                    finding = self.follower.rhythm(self.analysis, finding)
                self._found[dimension] = rating.rate(finding)
        return self._found[dimension]

    def difficulty(self) -> tuple[int | None, Finding]:
        if self._difficulty is None:
            self._difficulty = difficulty_mod.difficulty(self.analysis)
        return self._difficulty

    def technique(self) -> tuple[str | None, Finding]:
        if self._technique is None:
            self._technique = technique_mod.technique(self.analysis)
        return self._technique

    def _overall(self) -> Finding:
        dims = [self.get(d) for d in MEASURES if d != "pedal"]
        if self.follower is not None:
            dims.append(self.get("accuracy"))
        rated = sorted((f for f in dims if f.rating is not None), key=lambda f: f.rating)
        value = rating.overall(rated)
        if value is None:
            return Finding("overall", "Too few notes in this part to judge the performance.")
        weak = [f for f in rated if f.rating <= 4][:3]
        strong = [f for f in reversed(rated) if f.rating >= 5][:3]
        text = f"Overall {value}/6."
        if strong:
            text += " Strong: " + ", ".join(f"{_label(f)} ({f.rating})" for f in strong) + "."
        if weak:
            # the weak dimensions by name, and the weakest one's remark; "what to work on" gives them all
            text += " Work on: " + ", ".join(f"{_label(f)} ({f.rating})" for f in weak) + f" — {weak[0].comment}"
        self.weakest = weak
        return Finding("overall", text, evidence=[e for f in rated for e in f.evidence[:1]], rating=value)

    def work_on(self) -> Finding:
        overall = self.get("overall")
        if not self.weakest:
            return Finding("overall", "Nothing stands out to fix in this part: keep the same care.",
                           evidence=overall.evidence)
        text = " ".join(f"{_label(f).capitalize()}: {f.comment}" for f in self.weakest)
        return Finding("overall", text, evidence=[e for f in self.weakest for e in f.evidence])


def _label(f: Finding) -> str:
    return f.dimension.replace("_", " ")


class ListenEngine:
    """Engine protocol: `answer_segment(segment, rubric)` → one Answer per question.

    `transcriber`: "auto" (transkun on a GPU, else the fast ONNX backend when installed, else transkun),
    "fast" (basic-pitch's ONNX model, no torch, no pedal) or "accurate" (transkun); see backends.py.
    """

    name = "listen"

    def __init__(self, reference: Path | None = None, device: str = "auto", transcriber: str = "auto"):
        self.device = device
        self.choice = choose_transcriber(transcriber, device)
        self._transcriber = None
        self.follower = None
        if reference is not None:
            from llaqo.model.listen.align import ScoreFollower

            self.follower = ScoreFollower.from_file(Path(reference))

    @property
    def transcriber(self):
        if self._transcriber is None:
            self._transcriber = self._build_transcriber()
        return self._transcriber

    def _build_transcriber(self):
        if self.choice.kind == "accurate" and self.choice.auto and self.device == "auto":
            import torch

            from llaqo.model.listen.fast_transcribe import fast_backend_missing

            if not torch.cuda.is_available() and fast_backend_missing() is None:
                self.choice = TranscriberChoice(
                    "fast", "auto: an NVIDIA driver is loaded but torch cannot use the GPU, so basic-pitch's "
                    "ONNX model (fast on a CPU)", auto=True)
        if self.choice.kind == "fast":
            from llaqo.model.listen.fast_transcribe import FastTranscriber

            return FastTranscriber()
        from llaqo.model.listen.transcribe import Transcriber

        return Transcriber(self.device)

    def describe(self) -> dict[str, str]:
        model, device = self._model_and_device()
        return {"model": f"listening engine: {model} transcription + measures", "device": device}

    def _model_and_device(self) -> tuple[str, str]:
        if self._transcriber is not None:
            return self._transcriber.describe(), str(self._transcriber.device)
        if self.choice.kind == "fast":
            from llaqo.model.listen.fast_transcribe import NAME

            return NAME, "cpu"
        import torch

        device = "cuda" if self.device == "auto" and torch.cuda.is_available() else (
            "cpu" if self.device == "auto" else self.device)
        return "transkun 2.0.1" + (" (int8)" if device == "cpu" else ""), device

    def heard_note(self) -> str:
        if self.choice.kind == "fast":
            heard = ("notes, and velocities read from each note's level in the audio; this transcriber hears "
                     "no pedal, so a note lasts until its key is heard let go or its sound fades (pedal "
                     "included), and pedalling is not rated")
        else:
            heard = "notes, velocities, sustain pedal"
        note = (f"The listening engine transcribed every segment in full with {self._model_and_device()[0]}"
                f" ({heard}) and measured each dimension; each rating's evidence names the measurement and its "
                f"times. Transcriber: {self.choice.reason}.")
        if self.follower is not None:
            note += " " + self.follower.summary()
        return note

    def transcribe(self, segment: AudioSegment) -> Transcription:
        return self.transcriber.transcribe(segment.samples, segment.rate, segment.start_s)

    def answer_segment(self, segment: AudioSegment, rubric: Rubric) -> list[Answer]:
        return self.answer_transcription(self.transcribe(segment), rubric)

    def answer_transcription(self, tr: Transcription, rubric: Rubric) -> list[Answer]:
        found = SegmentFindings(tr, self.follower)
        return [answer_question(q, found, tr.start_s, tr.end_s) for q in rubric.questions]


def answer_question(q: Question, found: SegmentFindings, start: float, end: float) -> Answer:
    answer = Answer.for_question(q)
    dimension = ALIASES.get(q.dimension, q.dimension)
    if q.kind == "difficulty":
        value, finding = found.difficulty()
        if value is not None and q.scale and q.scale != (1, 9):
            lo, hi = q.scale
            value = round(lo + (value - 1) * (hi - lo) / 8)
    elif q.kind == "technique":
        value, finding = found.technique()
        classes = q.classes or technique_mod.CLASSES
        if value is not None and value not in classes:
            finding = Finding("technique", finding.comment + f" ({value} is not among this question's classes.)",
                              evidence=finding.evidence)
            value = None
    elif dimension in MEASURES or dimension == "overall" or (dimension == "accuracy" and found.follower):
        finding = found.get(dimension)
        value = finding.rating if q.kind == "rating" else None
        if dimension == "overall" and q.kind == "verbal" and _asks_what_to_work_on(q):
            finding = found.work_on()
        if q.kind == "rating" and value is not None and q.scale and q.scale != (1, 6):
            lo, hi = q.scale
            value = round(lo + (value - 1) * (hi - lo) / 5)
    else:
        known = ", ".join(list(MEASURES) + ["overall", "difficulty", "technique"])
        answer.remarks.append(Remark(start, end, FREE_QUESTION.format(known), None))
        return answer
    answer.remarks.append(Remark(start, end, finding.comment, value))
    answer.evidence = list(finding.evidence)
    return answer


def _asks_what_to_work_on(q: Question) -> bool:
    return "work_on" in q.id or "work on" in q.text.lower()
