"""The listening engine: transcribe a segment, measure what a teacher listens for, answer the rubric.

Two halves: `transcribe/` (audio → notes; which backend runs is `resolve_transcriber`'s rule) and
`judge/` (notes → findings; each dimension's measure is found in `judge.dimensions.DIMENSIONS`). Every
rating comes from a Finding whose readings the rules in judge/rating.py turn into 1–6, and whose
evidence (measurement, unit, detail, times) travels with the answer; docs/listening-engine.md lists the
measures and rules. Needs no downloaded weights: both transcribers ship inside their wheels.
"""

from __future__ import annotations

from pathlib import Path

from llaqo.common.device import Device
from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.model.audio.chunks import AudioSegment
from llaqo.model.listen.judge.dimensions import DIMENSIONS, OVERALL, dimension_name
from llaqo.model.listen.judge.measures.base import Finding
from llaqo.model.listen.judge.segment import SegmentJudge
from llaqo.model.listen.notes import Transcription
from llaqo.model.listen.transcribe import Transcriber, choose_transcriber, resolve_transcriber
from llaqo.rubric.report import Answer, Remark
from llaqo.rubric.schema import Question, Rubric

FREE_QUESTION = ("The listening engine measures the rubric's dimensions only ({}); it cannot answer this "
                 "free question. Use the neural coach for it.")
NO_PEDAL_HEARD = ("notes, and velocities read from each note's level in the audio; this transcriber hears "
                  "no pedal, so a note lasts until its key is heard let go or its sound fades (pedal "
                  "included), and pedalling is not rated")


class ListenEngine:
    """Engine protocol: `answer_segment(segment, rubric)` → one Answer per question.

    `transcriber`: "auto", "fast" (basic-pitch's ONNX model, no torch, no pedal) or "accurate"
    (transkun); transcribe/resolve.py holds the rule. The transcriber is built on first use.
    """

    name = "listen"
    reason = ""
    progress = None  # set by assess_file: the share of the segment done
    TRANSCRIBE_SHARE = 0.9  # of a segment's time; the measures take the rest
    join_tail_s = 8.0  # a shorter last part is judged with the one before: too few notes to rate alone

    def __init__(self, reference: Path | None = None, device: Device | str = "auto", transcriber: str = "auto"):
        self.device = Device.parse(device)
        self.choice = choose_transcriber(transcriber, self.device)
        self._transcriber: Transcriber | None = None
        self._last: Transcription | None = None  # the segment last answered, for heard_part
        self.follower = None
        if reference is not None:
            from llaqo.model.listen.judge.follower import ScoreFollower

            self.follower = ScoreFollower.from_file(Path(reference))

    @property
    def transcriber(self) -> Transcriber:
        if self._transcriber is None:
            self._transcriber, self.choice = resolve_transcriber(self.choice, self.device)
        return self._transcriber

    def describe(self) -> dict[str, str]:
        t = self.transcriber
        return {"model": f"listening engine: {t.describe()} transcription + measures", "device": str(t.device)}

    def heard_note(self) -> str:
        t = self.transcriber
        heard = "notes, velocities, sustain pedal" if t.hears_pedal else NO_PEDAL_HEARD
        note = (f"The listening engine transcribed every segment in full with {t.describe()}"
                f" ({heard}) and measured each dimension; each rating's evidence names the measurement and its "
                f"times. Transcriber: {self.choice.reason}.")
        if self.follower is not None:
            note += " " + self.follower.summary()
        return note

    def heard_part(self) -> dict | None:
        from llaqo.model.listen.heard import heard_part

        if self._last is None:
            return None
        part = heard_part(self._last)
        if self.follower is not None and self.follower.last is not None:  # where the score's bars fell
            part["bars"] = self.follower.last.bar_lines()
            part["score_tempo"] = self.follower.last.score_tempo()
        return part

    def transcribe(self, segment: AudioSegment) -> Transcription:
        within = self.progress
        tell = (lambda share: within(self.TRANSCRIBE_SHARE * share)) if within else None
        return self.transcriber.transcribe(segment.samples, segment.rate, segment.start_s, progress=tell)

    def answer_segment(self, segment: AudioSegment, rubric: Rubric) -> list[Answer]:
        keys = None
        if self.follower is not None:  # the score follower checks its claims against the audio itself
            from llaqo.model.listen.judge.keys import KeyRises

            keys = KeyRises.from_audio(segment.samples, segment.rate, segment.start_s)
        return self.answer_transcription(self.transcribe(segment), rubric, keys)

    def score_errors(self) -> list[dict] | None:
        """The take's wrong, missing and extra notes against the reference (None without one)."""
        return None if self.follower is None else list(self.follower.errors)

    def answer_transcription(self, tr: Transcription, rubric: Rubric, keys=None) -> list[Answer]:
        self._last = tr
        judge = SegmentJudge(tr, self.follower, keys)
        return [answer_question(q, judge, tr.start_s, tr.end_s) for q in rubric.questions]


def answer_question(q: Question, found: SegmentJudge, start: float, end: float) -> Answer:
    answer = Answer.for_question(q)
    dimension = dimension_name(q.dimension)
    if q.kind == "difficulty":
        value, finding = found.difficulty()
        if value is not None and q.scale and q.scale != (1, 9):
            lo, hi = q.scale
            value = round(lo + (value - 1) * (hi - lo) / 8)
    elif q.kind == "technique":
        value, finding = found.technique()
        classes = q.classes or TECHNIQUE_CLASSES
        if value is not None and value not in classes:
            finding = Finding("technique", finding.comment + f" ({value} is not among this question's classes.)",
                              evidence=finding.evidence)
            value = None
    elif found.judges(dimension):
        finding = found.get(dimension)
        value = finding.rating if q.kind == "rating" else None
        if dimension == OVERALL and q.kind == "verbal" and _asks_what_to_work_on(q):
            finding = found.work_on()
        if q.kind == "rating" and value is not None and q.scale and q.scale != (1, 6):
            lo, hi = q.scale
            value = round(lo + (value - 1) * (hi - lo) / 5)
    else:
        measured = [name for name, d in DIMENSIONS.items() if not d.needs_score]
        known = ", ".join(measured + [OVERALL, "difficulty", "technique"])
        answer.remarks.append(Remark(start, end, FREE_QUESTION.format(known), None))
        return answer
    answer.remarks.append(Remark(start, end, finding.comment, value))
    answer.evidence = list(finding.evidence)
    return answer


def _asks_what_to_work_on(q: Question) -> bool:
    return "work_on" in q.id or "work on" in q.text.lower()
