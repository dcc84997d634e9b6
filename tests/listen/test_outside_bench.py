"""The outside-material benchmark's own parts: a deterministic split by piece, flaws that do what they
say, and the score-error count (bench/outside_checks.py, scripts/build_outside_set.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "scripts")]

import build_outside_set as outside  # noqa: E402
import outside_checks as C  # noqa: E402


def performance(seconds: float = 12.0) -> np.ndarray:
    """A two-hand C-major passage: right-hand eighths over left-hand quarters, [on, off, pitch, vel]."""
    rows = [[t, t + 0.28, 72 + [0, 2, 4, 5, 7, 5, 4, 2][k % 8], 80] for k, t in enumerate(np.arange(0, seconds, 0.3))]
    rows += [[t, t + 0.55, 48 + [0, 7][k % 2], 60] for k, t in enumerate(np.arange(0, seconds, 0.6))]
    return np.array(sorted(rows))


def test_split_is_by_piece_deterministic_and_even():
    halves = {p: outside.split_of(p) for p in list(outside.CORPUS) + [outside.HUMAN]}
    assert halves == {p: outside.split_of(p) for p in halves}
    assert halves[outside.HUMAN] == "held_out"
    counts = [list(halves.values()).count(h) for h in ("tuning", "held_out")]
    assert abs(counts[0] - counts[1]) <= 1


def test_flaws_change_what_they_name():
    notes = performance()
    rng = lambda: np.random.default_rng(0)  # noqa: E731
    flat, _ = C.flat_dynamics(notes, [], rng())
    assert np.ptp(flat[:, 3]) == 0
    late, _ = C.hands_apart(notes, [], rng())
    left = C.left_hand(notes)
    assert np.allclose(late[left, 0] - notes[left, 0], 0.07) and np.allclose(late[~left, 0], notes[~left, 0])
    jitter, _ = C.timing_jitter(notes, [], rng())
    assert 0.01 < np.std(jitter[:, 0] - notes[:, 0]) < 0.05


def test_injected_score_errors_are_counted_against_the_truth():
    notes = performance()
    flawed, truth = C.inject_score_errors(notes, np.random.default_rng(3))
    assert [t[0] for t in truth].count("wrong") == 5 and len(truth) == 15
    assert len(flawed) == len(notes) - 5 + 5
    assert C.error_hits(truth, truth) == (15, 15, 15)
    moved = [(k, t + 0.5, p) for k, t, p in truth]
    assert C.error_hits(moved, truth)[2] == 0  # half a second off is not the same error


def test_an_injected_wrong_or_extra_note_never_doubles_a_key_struck_at_that_moment():
    chords = np.array([[0.5 * i, 0.5 * i + 0.4, p, 64.0] for i in range(40) for p in (60, 62, 64, 65, 67)])
    for seed in range(5):  # close-voiced chords: most ±1–2 or ±5–7 semitone moves land on a chord key
        flawed, truth = C.inject_score_errors(chords, np.random.default_rng(seed))
        assert np.all(np.diff(sorted(t for _, t, _ in truth)) > 0.3)  # each error a separate event
        for kind, t, p in truth:
            if kind != "missing":
                assert np.sum((flawed[:, 2] == p) & (np.abs(flawed[:, 0] - t) < C.UNISON_S)) == 1


def test_renders_are_written_atomically_and_the_room_rings_on(tmp_path):
    if outside.missing_inputs():
        pytest.skip(outside.missing_inputs())
    import soundfile as sf

    notes = performance(2.0)
    outside.write_midi(notes, [[0.1, 127], [1.5, 0]], tmp_path / "p.mid")
    tails = []
    for reverb in (False, True):
        wav = tmp_path / f"p{int(reverb)}.wav"
        secs = outside.render(tmp_path / "p.mid", wav, outside.SOUNDFONTS["FluidR3"][0], reverb, 0,
                              last_offset=float(notes[:, 1].max()))
        audio, rate = sf.read(wav)
        assert secs == pytest.approx(len(audio) / rate)
        tails.append(float(np.abs(audio[int((notes[:, 1].max() + 0.8) * rate):]).mean()))
    assert not list(tmp_path.glob("*.part*"))
    assert tails[1] > 10 * tails[0] + 1e-5  # the room rings on after the last note; the dry render has died away
