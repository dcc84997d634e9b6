"""Running `llaqo record` in a child process and checking what it left on disk."""

from __future__ import annotations

import subprocess
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER_BYTES = 44  # the canonical PCM WAV header the recorder writes


def llaqo(*args: str) -> list[str]:
    """The command line that runs the real `llaqo` entry point in a child process."""
    return [sys.executable, "-m", "llaqo", *args]


def start_recorder(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen:
    """`llaqo record ARGS` with stdin not a terminal (so only Ctrl-C, --seconds or a kill stop it)."""
    return subprocess.Popen(
        llaqo("record", *args),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def header_frames(path: Path) -> int | None:
    """Frames the WAV header declares, or None while the file is missing or has no header yet."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes()
    except (FileNotFoundError, EOFError, wave.Error):
        return None


def wait_for_audio(path: Path, proc: subprocess.Popen, timeout: float = 15.0) -> None:
    """Return once the recorder has written audio to `path`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the recorder exited ({proc.returncode}) before writing audio: {err}")
        if (header_frames(path) or 0) > 0:
            return
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"no audio in {path} after {timeout} s: {proc.communicate()[1]}")


def read_valid_take(path: Path) -> tuple[np.ndarray, int]:
    """The take's mono samples and rate, after checking that its header matches the bytes on disk."""
    import soundfile as sf

    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        declared, rate = w.getnframes(), w.getframerate()
    on_disk = (path.stat().st_size - HEADER_BYTES) // 2
    # The header may lag the data by the one block being written, never run ahead of it.
    assert declared <= on_disk <= declared + rate, (declared, on_disk)
    samples, sf_rate = sf.read(str(path), dtype="float32")
    assert (len(samples), sf_rate) == (declared, rate)
    return samples, rate


@dataclass(frozen=True)
class Passage:
    path: Path  # what paplay plays into the virtual microphone
    samples: np.ndarray  # (n,) mono float32
    rate: int


@dataclass(frozen=True)
class Match:
    ncc: float  # normalised cross-correlation at the best lag, over the part both hold
    lag_s: float  # where the source starts in the recording
    overlap_s: float  # how much of the source the recording holds


def match_source(recorded: np.ndarray, rate: int, source: np.ndarray, source_rate: int) -> Match:
    """Align a recording with its source (resampled to the source's rate) and compare them."""
    from math import gcd

    from scipy.signal import correlate, resample_poly

    if rate != source_rate:
        g = gcd(rate, source_rate)
        recorded = resample_poly(recorded, source_rate // g, rate // g).astype(np.float32)
    lag = int(np.argmax(correlate(recorded, source, mode="full", method="fft"))) - (len(source) - 1)
    start, end = max(0, -lag), min(len(source), len(recorded) - lag)
    s, r = source[start:end], recorded[start + lag : end + lag]
    ncc = float(np.dot(r, s) / (np.linalg.norm(r) * np.linalg.norm(s) + 1e-12))
    return Match(ncc, lag / source_rate, (end - start) / source_rate)
