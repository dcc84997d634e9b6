from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from llaqo.app import app
from tests.coach.conftest import released_dir, tone_take  # noqa: F401  (shared fixtures)


def write_m4a(path: Path, seconds: float, rate: int = 44_100) -> Path:
    """An AAC take in an MP4 container, encoded with PyAV (FFmpeg)."""
    t = np.arange(int(seconds * rate)) / rate
    x = (0.3 * np.sin(2 * np.pi * 330 * t) * np.exp(-(t % 0.5) * 4)).astype(np.float32)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate)
        stream.layout = "mono"
        for i in range(0, len(x), 1024):
            frame = av.AudioFrame.from_ndarray(x[None, i : i + 1024], format="fltp", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke


@pytest.fixture(scope="session")
def takes(tmp_path_factory):
    d = tmp_path_factory.mktemp("takes")
    bad = d / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt nonsense")
    return {"a": tone_take(d / "a.wav", 12.0), "b": write_m4a(d / "b.m4a", 6.0), "bad": bad,
            "long": tone_take(d / "long.wav", 95.0, rate=16_000, channels=1)}
