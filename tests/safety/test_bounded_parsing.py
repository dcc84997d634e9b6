"""Tiny files that claim huge things end in one line, in seconds, under a 3 GB cap."""

from __future__ import annotations

import time

import numpy as np
import pytest

from llaqo.common.config import describe
from llaqo.common.errors import AudioError, ConfigError
from llaqo.common.yamlfile import MAX_DEPTH, YamlLimitError, parse_yaml
from llaqo.model.audio.io import probe
from llaqo.model.audio.presence import inspect_segment
from llaqo.model.listen.judge.score import load_score
from llaqo.rubric.schema import RubricError, load_rubric
from tests.safety.conftest import assert_one_line, run_llaqo
from tests.safety.hostile import _END, _NOTE, _TS0, BOMB, LISTEN, _mxl_bomb, midi_bytes, tone, wav_bytes


@pytest.mark.parametrize("name, write", [
    ("bomb.yaml", lambda p: p.write_text(BOMB)),
    ("ts0.mid", lambda p: p.write_bytes(midi_bytes(_TS0 + _NOTE + _END))),
    ("bomb.mxl", lambda p: p.write_bytes(_mxl_bomb())),
])
def test_the_three_tiny_bombs_end_in_one_line_within_seconds(tmp_path, name, write):
    bomb = tmp_path / name
    write(bomb)
    assert bomb.stat().st_size < 2_200_000  # the .mxl is 2 MB; the others are bytes
    import soundfile as sf

    take = tmp_path / "t.wav"
    sf.write(take, tone(), 16_000)
    option = "--rubric" if name.endswith(".yaml") else "--reference"
    args = ["assess", str(take), *LISTEN, option, str(bomb)]
    started = time.monotonic()
    line = assert_one_line(run_llaqo(args, tmp_path, timeout=30))  # under the 3 GB address-space cap
    assert time.monotonic() - started < 15
    assert str(bomb) in line and len(line) < 400


def test_alias_bomb_is_refused_by_the_loader_and_the_message_is_short():
    started = time.monotonic()
    with pytest.raises(YamlLimitError, match="alias"):
        parse_yaml(BOMB)
    assert time.monotonic() - started < 1


def test_deep_nesting_is_refused_not_a_recursion_error():
    for text in ("[" * 100_000 + "]" * 100_000, "".join(" " * i + "a:\n" for i in range(1000))):
        with pytest.raises(YamlLimitError, match=f"deeper than {MAX_DEPTH}"):
            parse_yaml(text)
    assert parse_yaml("a: [[[1]]]") == {"a": [[[1]]]}


def test_rubric_bomb_names_the_file_in_one_bounded_message(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    with pytest.raises(RubricError) as e:
        load_rubric(path)
    assert str(path) in str(e.value) and len(str(e.value)) < 300


def test_describe_is_bounded_at_every_level():
    nested = [[list(range(1000))] * 9] * 9
    assert len(describe(nested)) < 120


@pytest.mark.parametrize("body, says", [
    (_TS0 + _NOTE + _END, "time signature 0/4"),
    (b"\xc0\x80\x80\x00\x90\x3c\x40" + _END, "quarter note"),
])
def test_midi_timing_is_checked_before_bars_are_built(tmp_path, body, says):
    path = tmp_path / "s.mid"
    path.write_bytes(midi_bytes(body, division=1))
    with pytest.raises(ConfigError, match=says):
        load_score(path)


def test_midi_ticks_per_beat(tmp_path):
    path = tmp_path / "s.mid"
    path.write_bytes(midi_bytes(_NOTE + _END, division=0))
    with pytest.raises(ConfigError, match="ticks per beat"):
        load_score(path)


def test_mxl_members_are_measured_before_they_are_inflated(tmp_path):
    path = tmp_path / "bomb.mxl"
    path.write_bytes(_mxl_bomb())
    with pytest.raises(ConfigError, match="zip bomb"):
        load_score(path)


@pytest.mark.parametrize("rate, channels, says", [(1, 1, "1 Hz"), (1_000_000, 1, "1,000,000 Hz"),
                                                  (16_000, 100, "100 channels")])
def test_audio_headers_with_unreal_rates_or_channels(tmp_path, rate, channels, says):
    path = tmp_path / "x.wav"
    path.write_bytes(wav_bytes(rate=rate, channels=channels, data=bytes(8800)))
    with pytest.raises(AudioError, match=says):
        probe(path)


def test_a_wav_without_frames_is_refused(tmp_path):
    path = tmp_path / "x.wav"
    path.write_bytes(wav_bytes())
    with pytest.raises(AudioError, match="no audio"):
        probe(path)


def test_nan_is_repaired_with_a_warning_and_silence_noise_are_no_piano():
    x = tone()[None].copy()
    x[0, ::50] = np.nan
    heard = inspect_segment(x)
    assert np.isfinite(heard.samples).all() and "NaN" in heard.warning and heard.no_piano is None
    assert "silence" in inspect_segment(np.zeros((1, 16_000), np.float32)).no_piano
    noise = np.random.default_rng(0).standard_normal((1, 48_000)).astype(np.float32) * 10 ** (-50 / 20)
    assert "noise" in inspect_segment(noise).no_piano
    assert inspect_segment(tone()[None]).no_piano is None
