"""The fast transcriber: windows tiling one frame grid, basic-pitch's note-creation rule, the levels read
from the audio (velocity, attack, key release), and a whole fast path that never imports torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from llaqo.model.listen.transcribe import fast as F
from llaqo.model.listen.transcribe import levels as L
from llaqo.model.listen.transcribe.note_creation import MIN_NOTE_FRAMES, inferred_onsets, posteriors_to_notes

KEY = 40  # column of MIDI 61
REPO = Path(__file__).resolve().parents[2]


def test_windows_tile_one_frame_grid():
    assert F.WINDOW_HOP == F.KEPT_FRAMES * F.HOP and F.WINDOW_TRIM + F.KEPT_FRAMES <= F.WINDOW_FRAMES
    audio = np.arange(1, 200_001, dtype=np.float32)  # sample i holds i + 1
    windows = F._windows(audio)
    assert windows.shape[1] == F.WINDOW_SAMPLES and len(windows) * F.KEPT_FRAMES >= -(-len(audio) // F.HOP)
    lead = F.WINDOW_TRIM * F.HOP  # the first kept frame of window i sits at audio sample i × WINDOW_HOP
    for i, w in enumerate(windows):
        assert w[lead] == i * F.WINDOW_HOP + 1
    assert np.all(windows[0, :lead] == 0)


def test_posteriorgrams_have_one_frame_per_hop():
    if F.fast_backend_missing():
        pytest.skip(F.fast_backend_missing())
    onsets, frames = F.FastTranscriber().posteriorgrams(np.zeros(50_000, dtype=np.float32))
    assert onsets.shape == frames.shape == (-(-50_000 // F.HOP), 88)


def _grams(t: int = 200) -> tuple[np.ndarray, np.ndarray]:
    return np.full((t, 88), 0.05, dtype=np.float32), np.full((t, 88), 0.05, dtype=np.float32)


def test_an_onset_peak_starts_a_note_that_runs_while_the_key_sounds():
    onsets, frames = _grams()
    onsets[10, KEY] = 0.9
    frames[10:41, KEY] = 0.6
    frames[31:36, KEY] = 0.1  # a dip shorter than ENERGY_TOL frames does not end it
    [note] = posteriors_to_notes(onsets, frames)
    assert (note.start, note.end, note.pitch, note.from_onset) == (10, 41, 61, True)
    assert note.amplitude == pytest.approx(frames[10:41, KEY].mean())


def test_notes_of_min_length_or_shorter_are_dropped():
    for length, kept in ((MIN_NOTE_FRAMES, False), (MIN_NOTE_FRAMES + 1, True)):
        onsets, frames = _grams()
        onsets[10, KEY] = 0.9
        frames[10 : 10 + length, KEY] = 0.6
        assert bool(posteriors_to_notes(onsets, frames, melodia=False)) is kept


def test_melodia_trick_finds_a_note_without_an_onset_unless_no_attack_is_heard():
    onsets, frames = _grams()
    frames[100:131, KEY] = 0.6
    [note] = posteriors_to_notes(onsets, frames)
    assert (note.start, note.end, note.from_onset) == (100, 130, False)
    quiet = np.zeros(frames.shape, dtype=bool)
    assert posteriors_to_notes(onsets, frames, onset_ok=quiet) == []
    quiet[101, KEY] = True  # an attack within MELODIA_ATTACK_FRAMES of its start
    assert len(posteriors_to_notes(onsets, frames, onset_ok=quiet)) == 1


def test_onset_without_attack_is_ignored_and_rises_infer_onsets():
    onsets, frames = _grams()
    onsets[10, KEY] = 0.9
    frames[10:41, KEY] = 0.6
    allowed = np.ones(frames.shape, dtype=bool)
    allowed[10, KEY] = False
    assert all(not n.from_onset for n in posteriors_to_notes(onsets, frames, onset_ok=allowed))
    onsets, frames = _grams()
    onsets[5, 0] = 0.8
    frames[50:90, KEY] = 0.7  # no onset peak of its own: the rise of the note posterior stands in
    inferred = inferred_onsets(onsets, frames)
    assert inferred[50, KEY] == pytest.approx(0.8) and inferred[60, KEY] == pytest.approx(0.05)


def _tone(pitch: int, amplitude: np.ndarray) -> np.ndarray:
    t = np.arange(len(amplitude)) / F.MODEL_RATE
    return (amplitude * np.sin(2 * np.pi * 440 * 2 ** ((pitch - 69) / 12) * t)).astype(np.float32)


def _levels(audio: np.ndarray) -> np.ndarray:
    return L.partial_levels(audio, F.MODEL_RATE, F.HOP, -(-len(audio) // F.HOP))


def test_level_velocity_and_attack_of_a_tone():
    n = 3 * F.MODEL_RATE
    envelope = np.where(np.arange(n) >= F.MODEL_RATE, 0.1, 0.0)  # A4 at −20 dBFS from 1 s
    partials = _levels(_tone(69, envelope))
    onset = round(1.0 / F.FRAME_S)
    assert L.key_levels(partials)[onset + 5, 69 - L.LOWEST_KEY] == pytest.approx(-20, abs=0.5)
    assert L.attack_velocity(L.key_levels(partials), np.array([69]), np.array([onset]))[0] == 104  # 64 + 2 × 20
    attack = L.attack_confirmed(partials)[:, 69 - L.LOWEST_KEY]
    assert attack[onset - 2 : onset + 3].any() and not attack[onset + 20 :].any()


def test_release_is_where_the_level_starts_to_fall_fast():
    n = 3 * F.MODEL_RATE
    t = np.arange(n) / F.MODEL_RATE
    held = 0.3 * 10 ** (-25 * t / 20)  # a held string: −25 dB/s (~0.3 dB a frame)
    released = np.where(t < 1.5, held, held * 10 ** (-200 * (t - 1.5) / 20))  # damped: −200 dB/s from 1.5 s
    levels = L.key_levels(_levels(_tone(60, released)))
    end = round(2.5 / F.FRAME_S)  # before the tone's own cut at 3 s
    assert abs(L.release_frame(levels, 60, 0, end) * F.FRAME_S - 1.5) < 0.06
    assert L.release_frame(L.key_levels(_levels(_tone(60, held))), 60, 0, end) == end


def test_fast_path_imports_no_torch():
    """A whole fast answer, in a fresh interpreter: no torch, transkun, TensorFlow, basic_pitch or scipy
    (scipy.signal alone takes ~0.8 s to import)."""
    if F.fast_backend_missing():
        pytest.skip(F.fast_backend_missing())
    code = """
import sys
import numpy as np
from llaqo.model.audio.chunks import AudioSegment
from llaqo.model.listen.engine import ListenEngine
from llaqo.rubric.schema import load_rubric
engine = ListenEngine(transcriber="fast")
t = np.arange(4 * 44100) / 44100
x = np.stack([0.2 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)]).astype(np.float32)
engine.answer_segment(AudioSegment(index=1, start_s=0.0, samples=x, rate=44100), load_rubric("full"))
engine.describe(), engine.heard_note()
print(sorted({m.split(".")[0] for m in sys.modules} & {"torch", "torchaudio", "transkun", "tensorflow",
                                                        "basic_pitch", "scipy"}))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
