"""ListenEngine answers every question of a rubric, with evidence and times, from a real segment."""

from __future__ import annotations

import pytest

from llaqo.model.audio.chunks import AudioSegment
from llaqo.model.listen.engine import ListenEngine
from llaqo.model.testing import performances as P
from llaqo.rubric.schema import Question, Rubric, load_rubric
from tests.listen.test_measures import as_heard


def test_full_rubric_answered_from_notes():
    rubric = load_rubric("full")
    answers = ListenEngine().answer_transcription(as_heard(P.base(16.0)), rubric)
    assert [a.id for a in answers] == [q.id for q in rubric.questions]
    for q, a in zip(rubric.questions, answers):
        value = a.remarks[0].value
        if q.kind == "rating":
            assert isinstance(value, int) and 1 <= value <= 6 and a.evidence, q.id
        elif q.kind == "verbal":
            assert value is None and a.remarks[0].text
        elif q.kind == "difficulty":
            assert 1 <= value <= 9
        else:
            assert value in q.classes
        assert a.remarks[0].start_s == 0.0 and a.remarks[0].end_s > 15


def test_free_question_is_answered_honestly():
    q = Question("mood", "Does it sound happy?", "verbal", "mood", "Mood")
    answer = ListenEngine().answer_transcription(as_heard(P.base(8.0)), Rubric("t", (q,), "t.yaml"))[0]
    assert answer.remarks[0].value is None and "cannot answer this free question" in answer.remarks[0].text


@pytest.mark.parametrize("kind,model", [("fast", "basic-pitch"), ("accurate", "transkun")])
def test_engine_on_audio_segment(rendered, transcribers, kind, model):
    from llaqo.model.audio.io import read_audio

    engine = ListenEngine(transcriber=kind)
    engine._transcriber = transcribers(kind)  # the session's model, loaded once
    samples, rate = read_audio(rendered("base")[1])
    seg = AudioSegment(index=1, start_s=40.0, samples=samples, rate=rate)
    shares: list[float] = []
    engine.progress = shares.append  # what assess_file sets: the bar moves within the segment
    answers = engine.answer_segment(seg, load_rubric("quick"))
    assert shares and shares == sorted(shares) and 0 < shares[0] and shares[-1] == pytest.approx(0.9)
    assert answers and all(a.remarks[0].start_s == 40.0 for a in answers)
    times = [t for a in answers for e in a.evidence for t in e.times]
    assert times and all(40.0 <= s <= seg.end_s + 1 for s, _ in times)
    assert engine.describe()["device"] == "cpu" and model in engine.describe()["model"]
    assert model in engine.heard_note() and "asked for" in engine.heard_note()


def test_assess_file_reports_progress_within_a_segment(tmp_path):
    """The bar is never stuck at 0 for a whole segment: an engine's share of the segment is passed on."""
    import numpy as np
    import soundfile as sf

    from llaqo.model.assess import assess_file
    from llaqo.rubric.report import Answer

    class Halving:  # an engine that reports halfway through each segment
        name, reason, join_tail_s, progress = "listen", "test", 0.0, None

        def describe(self):
            return {}

        def heard_note(self):
            return ""

        def heard_part(self):
            return None

        def score_errors(self):
            return None

        def answer_segment(self, segment, rubric):
            self.progress(0.5)
            return [Answer.for_question(q) for q in rubric.questions]

    t = np.arange(int(50 * 16_000)) / 16_000
    sf.write(tmp_path / "t.wav", (0.3 * np.sin(2 * np.pi * 330 * t) * np.exp(-(t % 0.5) * 4)).astype("float32"),
             16_000)
    seen: list[tuple[float, int]] = []
    assess_file(tmp_path / "t.wav", load_rubric("quick"), Halving(), lambda done, total: seen.append((done, total)))
    assert seen == [(0.5, 2), (1, 2), (1.5, 2), (2, 2)]
