import math

import numpy as np
import pytest
import torch

from llaqo.model.audio import constants as C
from llaqo.model.audio.chunks import AudioSegment, count_segments, iter_segments
from llaqo.model.audio.frontend import chunk_features, fbank, normalise, to_model_rate
from tests.coach.conftest import tone_take


def test_constants_are_derived():
    assert C.FRAMES_PER_CHUNK == 4096 and C.WINDOWS_PER_CHUNK * C.FRAMES_PER_WINDOW == C.FRAMES_PER_CHUNK
    assert C.WINDOW_SECONDS == pytest.approx(10.24) and C.CHUNK_SECONDS == pytest.approx(40.96)
    # exactly one chunk of fbank frames from SAMPLES_PER_CHUNK samples
    assert fbank(torch.zeros(1, C.SAMPLES_PER_CHUNK)).shape[0] == C.FRAMES_PER_CHUNK


@pytest.mark.parametrize("seconds", [0.5, 5.0, 40.96, 55.0])
def test_chunk_is_4096_by_128_and_zero_padded(seconds):
    rate = 22_050
    x = np.random.default_rng(0).standard_normal((2, int(seconds * rate))).astype(np.float32) * 0.1
    feats = chunk_features(x, rate)
    assert feats.shape == (1, C.FRAMES_PER_CHUNK, C.N_MELS)
    real = 1 + (int(seconds * C.SAMPLE_RATE) - C.WIN) // C.HOP
    if real < C.FRAMES_PER_CHUNK:
        assert torch.all(feats[0, real + 1 :] == 0)
        assert torch.all(feats[0, : real - 1].abs().sum(-1) > 0)


def test_normalisation_over_all_channels_and_fbank_on_channel_0():
    wave = torch.tensor([[0.0, 1.0, 2.0, 3.0], [10.0, 10.0, 10.0, 10.0]])
    out = normalise(wave)
    assert out.mean().abs() < 1e-6 and out.abs().max() == pytest.approx(0.5, abs=1e-6)
    rng = torch.Generator().manual_seed(0)
    stereo = torch.randn(2, 32_000, generator=rng)
    assert torch.equal(fbank(stereo), fbank(stereo[:1]))


def test_resampled_to_32k():
    assert to_model_rate(np.zeros((1, 44_100), np.float32), 44_100).shape == (1, 32_000)
    assert to_model_rate(np.zeros((2, 16_000), np.float32), 16_000).shape == (2, 32_000)


def test_too_short_input_gives_silence():
    assert torch.all(chunk_features(np.zeros((1, 100), np.float32), 32_000) == 0)


@pytest.mark.parametrize("seconds,segments,windows", [
    (5.0, 1, [1]), (10.24, 1, [1]), (40.0, 1, [4]), (41.0, 2, [4, 1]), (95.0, 3, [4, 4, 2]),
])
def test_segment_and_window_counts(tmp_path, seconds, segments, windows):
    path = tone_take(tmp_path / "t.wav", seconds, rate=8_000, channels=1)
    segs = list(iter_segments(path))
    assert count_segments(seconds) == segments == len(segs)
    assert [s.n_windows for s in segs] == windows
    assert segs[-1].end_s == pytest.approx(seconds, abs=1e-3)
    assert all(math.isclose(s.start_s, 40.0 * s.index) for s in segs)


def test_window_count_of_a_short_segment():
    seg = AudioSegment(0, 0.0, np.zeros((1, 8000 * 11), np.float32), 8000)
    assert seg.n_windows == 2
