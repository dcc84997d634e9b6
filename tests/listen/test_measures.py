"""Each flaw moves its measurement the right way: exactly on the notes, and through each transcriber on
short renders (a subset, to keep the suite fast; bench/listen_flaws.py runs them all)."""

from __future__ import annotations

import numpy as np
import pytest

from llaqo.model.listen.judge.dimensions import DIMENSIONS
from llaqo.model.listen.judge.segment import SegmentJudge

MEASURES = [name for name, d in DIMENSIONS.items() if not d.needs_score]  # what a take without a score is judged on
from llaqo.model.listen.judge.rating import RULES
from llaqo.model.listen.notes import Note, Transcription
from llaqo.model.testing import performances as P

RENDERED = ("timing jitter", "hand imbalance", "hands apart", "staccato", "wrong notes", "thin sound")
# transkun costs a 16-s window per render: the flaws its velocities and key releases decide. Thin sound
# moves transkun's velocities by only ~5 steps (it reads loudness from the timbre, not the level), less
# than its int8 path's velocities differ between CPUs (on an AVX-512 machine the clean render read 78,
# the thin one 83; on AVX2 86 → 83): that check runs on the float32 model, whose arithmetic does not
# depend on the CPU's int8 kernels.
ACCURATE = ("hand imbalance", "staccato")
THROUGH = [(f, "fast") for f in RENDERED] + [(f, "accurate") for f in ACCURATE] + [("thin sound", "accurate-fp32")]


def as_heard(notes) -> Transcription:
    return Transcription([Note(n.pitch, n.start, n.end, n.velocity) for n in notes], 0.0,
                         max(n.end for n in notes), [], True)


def value(tr: Transcription, dimension: str, measure: str) -> tuple[float, int]:
    finding = SegmentJudge(tr).get(dimension)
    return next(r.value for r in finding.readings if r.measure == measure), finding.rating


@pytest.mark.parametrize("flaw", list(P.EXPECTED_MOVES))
def test_flaw_moves_its_measure_on_the_notes(flaw):
    dimension, measure, sign = P.EXPECTED_MOVES[flaw]
    base = P.base(16.0)
    clean, r0 = value(as_heard(base), dimension, measure)
    flawed, r1 = value(as_heard(P.FLAWS[flaw](base)), dimension, measure)
    assert sign * (flawed - clean) > 0
    assert r1 < r0  # and the rating falls


@pytest.mark.parametrize("flaw,kind", THROUGH)
def test_flaw_moves_its_measure_through_the_transcriber(heard, flaw, kind):
    dimension, measure, sign = P.EXPECTED_MOVES[flaw]
    clean, _ = value(heard("base", kind)[1], dimension, measure)
    flawed, _ = value(heard(flaw, kind)[1], dimension, measure)
    assert sign * (flawed - clean) > 0


def test_every_dimension_has_a_rated_clean_reading_and_times():
    found = SegmentJudge(as_heard(P.base(16.0)))
    for dimension in MEASURES:
        if dimension == "pedal":
            continue
        finding = found.get(dimension)
        assert finding.rating is not None and 1 <= finding.rating <= 6, dimension
        assert all(r.measure in RULES for r in finding.readings)
        assert finding.evidence and finding.comment
    assert found.get("overall").rating >= 5


def test_rules_are_monotone_and_bounded():
    for rule in RULES.values():
        values = [v for v, _ in rule.anchors]
        ratings = [r for _, r in rule.anchors]
        assert values == sorted(values)
        assert ratings in (sorted(ratings), sorted(ratings, reverse=True))
        assert rule.rate(-1e9) in (1, 6) and rule.rate(1e9) in (1, 6)


def test_remarks_name_times():
    tr = as_heard(P.hand_imbalance(P.base(16.0)))
    finding = SegmentJudge(tr).get("hand_balance")
    assert "0:" in finding.comment and finding.evidence[0].times


def test_too_few_notes_gives_no_rating():
    tr = as_heard(P.base(16.0)[:3])
    found = SegmentJudge(tr)
    assert found.get("tempo").rating is None and "Too few" in found.get("tempo").comment


def _chorale(seconds: float, top_velocity, voice_velocity) -> Transcription:
    """Four-voice chords every 0.5 s; velocities given per chord index for the top and the other voices."""
    notes = []
    for k in range(int(seconds / 0.5)):
        t = 0.5 * k
        notes += [Note(pitch, t, t + 0.45, int(voice_velocity(k))) for pitch in (48, 55, 64)]
        notes.append(Note(72 + (k % 3), t, t + 0.45, int(top_velocity(k))))
    return Transcription(notes, 0.0, seconds, [], True)


def test_loudness_curve_averages_all_voices_not_a_noisy_top_line():
    # every note played at 70; the transcriber scatters its top notes by ±8 (as transkun does a chord's
    # top note): the loudness stays flat, so the range must read small
    scatter = _chorale(12.0, lambda k: 70 + (8 if k % 4 < 2 else -8), lambda k: 70)
    flat, _ = value(scatter, "dynamics", "dynamic_range")
    # a phrase's swell moves every voice: that is read
    swell = _chorale(12.0, lambda k: 60 + 20 * np.sin(np.pi * k / 24), lambda k: 55 + 20 * np.sin(np.pi * k / 24))
    shaped, _ = value(swell, "dynamics", "dynamic_range")
    assert flat < 4.5 < 10 < shaped


def _slowing(by: float) -> Transcription:
    """A dotted rhythm (gaps of 3, 1, 2, 2 tatums of 0.15 s) whose beat slows by `by` halfway through."""
    gaps = np.tile([0.45, 0.15, 0.3, 0.3], 12)
    clock = np.concatenate([[0.0], np.cumsum(gaps)])
    onsets = np.concatenate([[0.0], np.cumsum(gaps * np.where(clock[1:] > clock[-1] / 2, 1 + by, 1.0))])
    notes = [Note(60 + (k % 5), float(t), float(t) + 0.1, 70) for k, t in enumerate(onsets)]
    return Transcription(notes, 0.0, float(onsets[-1]) + 0.5, [], True)


@pytest.mark.parametrize("by", [0.15, 0.3])
def test_a_beat_that_lurches_in_a_dotted_rhythm_lowers_the_tempo_rating(by):
    # after the lurch, gaps of two and three tatums lie 0.3–0.9 of a tatum off the part's grid: they must
    # still be read as tempo (against the phrase's tatum), not dropped as off the grid
    _, steady = value(_slowing(0.0), "tempo", "tempo_drift")
    drift, slowed = value(_slowing(by), "tempo", "tempo_drift")
    assert drift > 15 and slowed <= steady - 2
