"""transkun (the accurate transcriber): window planning, the lean paths equal transkun's own; note F1 of both."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from llaqo.model.listen.notes import OnsetEvidence
from llaqo.model.listen.transcribe.accurate import WINDOW_S, _best_start, _stitch_evidence, plan_windows
from llaqo.model.listen.transcribe.viterbi import decode_intervals
from llaqo.model.testing.scoring import note_f1


def test_windows_cover_the_segment_with_overlap():
    assert plan_windows(5.0) == [0.0]
    starts = plan_windows(40.0)
    assert len(starts) == 3 and starts[0] == 0.0 and starts[-1] + WINDOW_S == pytest.approx(40.0)
    assert all(b - a <= WINDOW_S - 2.0 for a, b in zip(starts, starts[1:]))


def test_viterbi_matches_transkun_decoder():
    from transkun.CRF.NeuralSemiCRFInterval import viterbiBackward

    torch.manual_seed(0)
    score = torch.randn(40, 40, 6) * 3  # (T_end, T_begin, P) as transkun lays it out
    noise = torch.zeros(39, 6)
    expected = viterbiBackward(score, noise, None)
    assert decode_intervals(score.permute(2, 1, 0).contiguous().numpy()) == expected


def test_lean_modules_equal_the_originals():
    from transkun.LayersTransformer import ScaledInnerProductIntervalScorer
    from transkun.Util import MelSpectrum

    from llaqo.model.listen.transcribe.transkun_lean import (
        LeanIntervalScorer,
        LeanMelSpectrum,
        UpsampleAsMatmul,
        load_transkun,
    )

    torch.manual_seed(0)
    mel = MelSpectrum(512, f_min=30, f_max=8000, n_mels=32, fs=44100, nExtraWins=2, log=True, toMono=True)
    frames = torch.randn(1, 2, 10, 512)
    assert torch.allclose(LeanMelSpectrum(mel)(frames), mel(frames), atol=1e-5)
    scorer = ScaledInnerProductIntervalScorer(16, 1)
    ctx = torch.randn(1, 3, 12, 16)
    s, _ = scorer(ctx)  # (T_end, T_begin, B, P)
    assert torch.allclose(LeanIntervalScorer(scorer)(ctx), s.flatten(-2, -1).permute(2, 1, 0), atol=1e-4)
    up = torch.nn.ConvTranspose1d(8, 4, 8, stride=8)
    x = torch.randn(3, 8, 5)
    assert torch.allclose(UpsampleAsMatmul(up)(x), up(x), atol=1e-5)
    model = load_transkun(torch.device("cpu"), quantize=False)
    assert model.backbone.useGradientCheckpoint is False


@pytest.mark.parametrize("kind", ["fast", "accurate"])
def test_transcribes_rendered_piano(heard, kind):
    notes, tr = heard("base", kind)
    f1, _, _ = note_f1(notes, tr.notes)
    assert f1 >= 0.9
    assert all(21 <= n.pitch <= 108 and 1 <= n.velocity <= 127 and n.offset > n.onset for n in tr.notes)
    assert tr.signal is not None and tr.signal_rate > 0
    assert tr.has_pedal is (kind == "accurate")
    melody = np.mean([n.velocity for n in tr.notes if n.pitch >= 64])
    accompaniment = np.mean([n.velocity for n in tr.notes if n.pitch < 64])
    assert melody > accompaniment  # velocities follow the rendered ones


def test_onset_evidence_is_the_best_interval_beginning_at_each_frame():
    rng = np.random.default_rng(0)
    score = rng.normal(size=(2, 6, 6)).astype(np.float32)
    expected = np.array([[max(score[p, b, e] for e in range(b, 6)) for b in range(6)] for p in range(2)])
    assert np.allclose(_best_start(score.copy()), expected)  # ends before the beginning never count


def test_onset_evidence_is_stitched_where_the_notes_are():
    first = OnsetEvidence(np.zeros((88, 5)), np.arange(5) * 1.0)  # frames at 0..4 s
    second = OnsetEvidence(np.ones((88, 5)), 3.0 + np.arange(5) * 1.0)  # 3..7 s
    joined = _stitch_evidence([first, second], [3.5], 6.5)
    assert joined.times.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert joined.best(60, 0.0, 3.4) == 0.0 and joined.best(60, 3.6, 9.0) == 1.0
    assert joined.best(20, 0.0, 9.0) is None and joined.best(60, 7.5, 9.0) is None  # below A0; after the audio


def test_onset_evidence_tells_struck_keys_from_silent_ones(heard):
    notes, tr = heard("base", "accurate")
    ev = tr.onsets
    assert ev is not None and ev.scores.shape[0] == 88 and np.all(np.diff(ev.times) > 0)
    struck = [ev.best(n.pitch, n.onset - 0.05, n.onset + 0.05) for n in tr.notes]
    silent = [ev.best(n.pitch + 5, n.onset - 0.05, n.onset + 0.05) for n in tr.notes
              if n.pitch + 5 <= 108 and not any(m.pitch == n.pitch + 5 and abs(m.onset - n.onset) < 1.0 for m in tr.notes)]
    assert len(silent) > 10 and np.median(struck) > 0 > max(silent)
