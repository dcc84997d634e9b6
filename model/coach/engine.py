"""The neural coach behind the Engine protocol: a segment is one model input (one 40.96-s chunk).

In compat mode the released model hears one 10.24-s window per input, so the coach asks every window
of the segment as its own input and keeps one remark per window, with the window's times. In full mode
the LLM hears every window at once and there is one remark per segment.
"""

from __future__ import annotations

from dataclasses import replace

import torch

from llaqo.model.audio import constants as C
from llaqo.model.audio.chunks import AudioSegment
from llaqo.model.audio.frontend import chunk_features
from llaqo.model.coach.answer import Ask, answer
from llaqo.model.coach.llaqo import LLaQo
from llaqo.rubric.parse import remark_from_text
from llaqo.rubric.report import Answer
from llaqo.rubric.schema import Question, Rubric


class CoachEngine:
    name = "coach"
    reason = ""
    join_tail_s = 0.0  # the model hears at most one 40.96-s chunk per segment: a tail stays its own
    progress = None  # set by assess_file: the share of the segment's answers generated

    def __init__(self, model: LLaQo, model_name: str, device: str, fast: bool = False,
                 max_length: int | None = None, batch_size: int | None = None, exact: bool = False):
        self.model = model
        self.model_name = model_name
        self.device = device
        base = model.cfg.generation
        self.generation = base.fast() if fast else base
        if max_length:
            self.generation = replace(self.generation, max_length=max_length)
        self.fast = fast
        self.batch_size = batch_size
        # a batch's products span all its questions unless asked otherwise: the answers are the one-at-a-time
        # ones except at last-bit ties (none in 27 × 2 decodings × 3 sizes measured, README)
        self.exact = exact

    def heard_part(self) -> dict | None:
        return None  # the neural coach hears features, not notes

    def score_errors(self) -> list[dict] | None:
        return None  # compares no score

    def describe(self) -> dict[str, str]:
        return {"model": self.model_name, "device": self.device}

    def heard_note(self) -> str:
        if self.model.cfg.mode == "compat":
            return ("The released model hears one 10.24-s window per input; each window of every segment "
                    "was asked on its own, and each remark shows the window it is about.")
        return "The model heard every 10.24-s window of each 40-s segment together."

    @property
    def heard_s(self) -> float:
        """How much of each input the LLM hears: one window in compat mode, the whole chunk in full."""
        return C.WINDOW_SECONDS if self.model.cfg.mode == "compat" else C.CHUNK_SECONDS

    def ask_chunks(self, features: torch.Tensor, question: str) -> list[str]:
        """One free question for each chunk of a batch (b, 1, 4096, 128), with the engine's settings."""
        texts = answer(self.model, features, [Ask(question, self.generation)], batch_size=self.batch_size,
                       invariant=self.exact)
        return [texts[row] for row in sorted(texts, key=lambda r: r.chunk)]

    def ask_for(self, question: Question) -> Ask:
        """The question's own generation settings (the verbal NeuroPiano penalties) over the engine's;
        `--fast` stays greedy whatever the question asks."""
        gen = replace(self.generation, **question.generation)
        return Ask(question.text, replace(gen, num_beams=1) if self.fast else gen)

    def answer_segment(self, segment: AudioSegment, rubric: Rubric) -> list[Answer]:
        features = chunk_features(segment.samples, segment.rate).unsqueeze(0)  # (1, 1, 4096, 128)
        compat = self.model.cfg.mode == "compat"
        windows = [list(range(min(segment.n_windows, C.WINDOWS_PER_CHUNK)))] if compat else None
        within = self.progress
        tell = (lambda done, total: within(done / total)) if within else None
        texts = answer(self.model, features, [self.ask_for(q) for q in rubric.questions], windows,
                       batch_size=self.batch_size, progress=tell, invariant=self.exact)
        answers = [Answer.for_question(q) for q in rubric.questions]
        for row, text in sorted(texts.items(), key=lambda kv: (kv[0].question, kv[0].window or 0)):
            start, end = self._span(segment, row.window)
            answers[row.question].remarks.append(remark_from_text(rubric.questions[row.question], start, end, text))
        return answers

    @staticmethod
    def _span(segment: AudioSegment, window: int | None) -> tuple[float, float]:
        if window is None:
            return segment.start_s, segment.end_s
        start = segment.start_s + window * C.WINDOW_SECONDS
        return start, min(segment.end_s, start + C.WINDOW_SECONDS)

