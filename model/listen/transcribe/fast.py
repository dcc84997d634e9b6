"""The fast transcriber: basic-pitch's ONNX model (Spotify, ICASSP 2022, Apache-2.0) run with onnxruntime.

basic-pitch's wheel ships `saved_models/icassp_2022/nmp.onnx` (230 KB). Its package pulls TensorFlow
and probes for it on import, so it is installed with `pip install --no-deps basic-pitch==0.4.0` and
never imported here: the model file is found through the import system's metadata only. No torch either:
this whole path is numpy + soxr + onnxruntime, so a cold `llaqo assess` starts in well under a second.

The model reads 2-s windows of mono 22 050-Hz audio (43 844 samples) and gives, on a 256-sample frame
grid (86.13 frames/s), onset and note posteriors for the 88 keys (and a pitch contour, unused).
Windows overlap: the first WINDOW_TRIM frames of each output and the last WINDOW_FRAMES − WINDOW_TRIM −
KEPT_FRAMES are dropped (basic-pitch trims 15 per side), and the hop is a whole number of frames, so
the kept frames of successive windows tile one uniform grid — frame g is at g × 256 / 22 050 s.

Velocities, and which onsets are real attacks and where keys are let go, are read from each key's level
in the audio (levels.py). No pedal: the model hears sound, not keys, so a note ends where the damper's
fast fall shows its key let go, else where its sound fades — under the pedal, that is where the pedal's
release (or the string's decay) ends it. `Transcription.has_pedal` is False.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Callable

import numpy as np

from llaqo.common.device import Device
from llaqo.common.errors import ConfigError
from llaqo.model.listen.notes import SIGNAL_RATE, Note, Transcription
from llaqo.model.listen.transcribe.levels import (
    attack_confirmed,
    attack_velocity,
    key_levels,
    partial_levels,
    release_frame,
)
from llaqo.model.listen.transcribe.note_creation import posteriors_to_notes

MODEL_RATE = 22_050  # Hz
HOP = 256  # samples per frame
WINDOW_SAMPLES = 2 * MODEL_RATE - HOP  # 43 844, the model's input length
WINDOW_FRAMES = 172  # output frames per window (frame j at sample j × HOP of the window)
WINDOW_TRIM = 15  # frames dropped at a window's start (and about as many at its end)
KEPT_FRAMES = 141  # frames kept per window; hop = KEPT_FRAMES × HOP samples
WINDOW_HOP = KEPT_FRAMES * HOP  # 36 096 samples
FRAME_S = HOP / MODEL_RATE
MODEL_FILE = ("saved_models", "icassp_2022", "nmp.onnx")
INPUT = "serving_default_input_2:0"
OUTPUTS = ("StatefulPartitionedCall:2", "StatefulPartitionedCall:1")  # onset, note ("frame") posteriors
BATCH = 8  # windows per onnxruntime call
NAME = "basic-pitch 0.4.0 (ONNX)"


def find_model_file() -> Path | None:
    """Where basic-pitch's nmp.onnx is installed, without importing basic_pitch; None if absent."""
    try:
        spec = importlib.util.find_spec("basic_pitch")
    except (ImportError, ValueError):
        return None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder).joinpath(*MODEL_FILE)
        if path.is_file():
            return path
    return None


def fast_backend_missing() -> str | None:
    """Why the fast backend cannot run here, or None when it can."""
    if find_model_file() is None:
        return "basic-pitch's model file is not installed (pip install --no-deps basic-pitch==0.4.0)"
    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime is not installed (pip install onnxruntime)"
    return None


class FastTranscriber:
    """basic-pitch's model on CPU; `transcribe(samples, rate, start_s)` → Transcription (no pedal)."""

    name = NAME
    kind = "fast"
    hears_pedal = False
    device = Device("cpu")

    def __init__(self, threads: int = 2):
        why = fast_backend_missing()
        if why:
            raise ConfigError(f"the fast transcriber cannot run: {why}", "install it, or use the accurate transcriber")
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # the converted graph's shape-inference warnings are noise
        self.session = ort.InferenceSession(str(find_model_file()), opts, providers=["CPUExecutionProvider"])

    def describe(self) -> str:
        return self.name

    def transcribe(self, samples: np.ndarray, rate: int, start_s: float = 0.0,
                   progress: Callable[[float], None] | None = None) -> Transcription:
        """samples (channels, n) float32 at `rate` → notes with times in take seconds; no pedal;
        `progress(share)` after the model's pass (most of the time) and at the end."""
        audio = to_model_audio(samples, rate)
        onsets, frames = self.posteriorgrams(audio)
        if progress:
            progress(0.8)
        partials = partial_levels(audio, MODEL_RATE, HOP, len(frames))  # (t, 88, partials) dBFS
        levels = key_levels(partials)  # (t, 88)
        events = posteriors_to_notes(onsets, frames, onset_ok=attack_confirmed(partials))
        velocity = attack_velocity(levels, np.array([e.pitch for e in events], dtype=int),
                                   np.array([e.start for e in events], dtype=int))
        notes = [Note(e.pitch, start_s + e.start * FRAME_S,
                      start_s + release_frame(levels, e.pitch, e.start, e.end) * FRAME_S, int(v))
                 for e, v in zip(events, velocity)]
        duration = len(audio) / MODEL_RATE
        signal = _resample(audio, MODEL_RATE, SIGNAL_RATE)
        if progress:
            progress(1.0)
        return Transcription(notes, start_s, start_s + duration, [], False, signal, SIGNAL_RATE)

    def posteriorgrams(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """audio (n,) mono at MODEL_RATE → onset and note posteriors (t, 88), t = ceil(n / HOP) frames
        on the uniform grid (frame g at g × HOP samples)."""
        n_frames = max(1, -(-len(audio) // HOP))
        windows = _windows(audio)  # (w, WINDOW_SAMPLES)
        outs = [self.session.run(list(OUTPUTS), {INPUT: windows[i : i + BATCH, :, None]})
                for i in range(0, len(windows), BATCH)]
        onsets, frames = (np.concatenate([o[k] for o in outs]) for k in range(2))  # (w, WINDOW_FRAMES, 88)
        keep = slice(WINDOW_TRIM, WINDOW_TRIM + KEPT_FRAMES)
        return (onsets[:, keep].reshape(-1, 88)[:n_frames], frames[:, keep].reshape(-1, 88)[:n_frames])


def _windows(audio: np.ndarray) -> np.ndarray:
    """(w, WINDOW_SAMPLES) float32: window i starts WINDOW_TRIM frames before frame i × KEPT_FRAMES."""
    n_windows = max(1, -(-len(audio) // WINDOW_HOP))
    lead = WINDOW_TRIM * HOP
    total = (n_windows - 1) * WINDOW_HOP + WINDOW_SAMPLES
    padded = np.zeros(total, dtype=np.float32)
    padded[lead : lead + len(audio)] = audio[: total - lead]
    starts = np.arange(n_windows) * WINDOW_HOP
    return np.stack([padded[s : s + WINDOW_SAMPLES] for s in starts])


def to_model_audio(samples: np.ndarray, rate: int) -> np.ndarray:
    """(channels, n) or (n,) at `rate` → (n',) float32 mono at MODEL_RATE (soxr, high quality, the
    resampler librosa uses for basic-pitch by default)."""
    mono = np.asarray(samples, dtype=np.float32)
    if mono.ndim == 2:
        mono = mono.mean(axis=0)
    return _resample(mono, rate, MODEL_RATE)


def _resample(x: np.ndarray, rate: int, to: int) -> np.ndarray:
    if rate == to:
        return np.ascontiguousarray(x, dtype=np.float32)
    import soxr  # installed with transkun; imports in ~5 ms where scipy.signal takes ~0.8 s

    return soxr.resample(x, rate, to, quality="HQ").astype(np.float32, copy=False)
