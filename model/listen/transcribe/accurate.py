"""Audio → notes, velocities and pedal, with the transcriber shipped in the transkun wheel (the accurate
backend; the only listening module that imports torch at load — the engine imports it only on this path).

A segment is cut into as few overlapping windows as fit the model's 16-s training length (transkun's
own driver slides 16-s windows by 8 s and pads 8 s at each end, which transcribes every second about
three times); each window is decoded on its own and the windows are stitched at the middle of their
overlaps. A note is kept by the window in whose share its onset lies; a note still sounding at the end
of its window takes its end from the next window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from llaqo.common.device import Device
from llaqo.common.memory import fix_mmap_threshold, release_free_memory
from llaqo.model.listen.notes import SIGNAL_RATE, SOFT, SUSTAIN, Note, OnsetEvidence, Pedal, Transcription
from llaqo.model.listen.transcribe.viterbi import decode_intervals

MODEL_RATE = 44_100  # Hz, what transkun 2.0 was trained on
WINDOW_S = 16.0  # its training segment length
MIN_OVERLAP_S = 2.0
TRACKS_PER_PASS = 15  # interval scores made and decoded together (of 90 tracks: 88 keys, 2 pedals)
PEDAL_TRACKS = {-64: SUSTAIN, -67: SOFT}  # transkun's negative "pitches" for CC64 and CC67


@dataclass
class _Event:
    """One decoded interval of one track, in take seconds."""

    pitch: int
    start: float
    end: float
    velocity: int
    has_onset: bool
    has_offset: bool


def plan_windows(duration_s: float, window_s: float = WINDOW_S, overlap_s: float = MIN_OVERLAP_S) -> list[float]:
    """Start times of the fewest `window_s` windows covering `duration_s`, spread evenly so that
    neighbours overlap by at least `overlap_s` (a 40-s segment: windows at 0, 12 and 24 s)."""
    if duration_s <= window_s:
        return [0.0]
    n = math.ceil((duration_s - overlap_s) / (window_s - overlap_s))
    hop = (duration_s - window_s) / (n - 1)
    return [i * hop for i in range(n)]


class AccurateTranscriber:
    """transkun 2.0 with lean inference (the Transcriber protocol); its weights load on first use."""

    name = "transkun 2.0.1"
    kind = "accurate"
    hears_pedal = True

    def __init__(self, device: Device | str = "auto", quantize: bool = True, threads: int | None = None,
                 overlap_s: float = MIN_OVERLAP_S):
        self.overlap_s = overlap_s
        if threads:
            torch.set_num_threads(threads)
        self.device = Device.parse(device).resolve()
        self.quantized = quantize and not self.device.is_cuda
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from llaqo.model.listen.transcribe.transkun_lean import load_transkun

            fix_mmap_threshold()  # before the windows' tensors: memory stays flat (common/memory.py)

            self._model = load_transkun(self.device.torch(), self.quantized)
        return self._model

    def describe(self) -> str:
        return f"{self.name}{' (int8)' if self.quantized else ''}"

    @torch.inference_mode()
    def transcribe(self, samples: np.ndarray, rate: int, start_s: float = 0.0,
                   progress: Callable[[float], None] | None = None) -> Transcription:
        """samples (channels, n) float32 at `rate` → notes and pedal with times in take seconds;
        `progress(share)` after each window."""
        audio = _to_model_rate(torch.from_numpy(np.ascontiguousarray(samples, dtype=np.float32)), rate)
        duration = audio.shape[-1] / MODEL_RATE
        starts = plan_windows(duration, WINDOW_S, self.overlap_s)
        per_window = []
        for i, s in enumerate(starts):
            per_window.append(self._window(audio, s, start_s))
            if progress:
                progress((i + 1) / len(starts))
        cuts = [start_s + (starts[i + 1] + starts[i] + WINDOW_S) / 2 for i in range(len(starts) - 1)]
        events = _stitch([events for events, _ in per_window], cuts, start_s)
        onsets = _stitch_evidence([evidence for _, evidence in per_window], cuts, start_s + duration)
        notes = [Note(e.pitch, e.start, e.end, e.velocity) for e in events if e.pitch > 0]
        pedals = [Pedal(e.start, e.end, PEDAL_TRACKS[e.pitch]) for e in events if e.pitch in PEDAL_TRACKS]
        signal = _mono_signal(audio)
        del audio, per_window
        release_free_memory()  # the windows' freed tensors, or a long take's memory grows (common/memory.py)
        return Transcription(notes, start_s, start_s + duration, pedals, True, signal, SIGNAL_RATE, onsets)

    def _window(self, audio: torch.Tensor, offset_s: float, start_s: float) -> tuple[list[_Event], OnsetEvidence]:
        """Decode one window of exactly WINDOW_S (zero-padded): transkun 2.0 transcribes reliably only
        at its training length — at 15.65 s or 18 s it misses more than half the notes (measured)."""
        from transkun.Util import makeFrame

        from llaqo.model.listen.transcribe.transkun_lean import window_context

        model = self.model
        a = round(offset_s * MODEL_RATE)
        size = round(WINDOW_S * MODEL_RATE)
        piece = audio[:, a : a + size].to(self.device.torch())
        piece = torch.nn.functional.pad(piece, (0, size - piece.shape[-1]))
        frames = makeFrame(piece, model.hopSize, model.windowSize).unsqueeze(0)  # (1, c, frames, win)
        ctx = window_context(model, frames)
        return _decode(model, ctx, frames.shape[-2] - 1, start_s + offset_s)


def _decode(model, ctx: torch.Tensor, last_frame: int, t0: float) -> tuple[list[_Event], OnsetEvidence]:
    """Viterbi per track, then velocity and sub-frame on/offsets for every decoded interval; and each
    key's onset evidence (notes.OnsetEvidence).

    ctx (1, P, T, d) for the P = 90 tracks of one window; their interval scores (p, T_begin, T_end) are
    made and decoded TRACKS_PER_PASS at a time (all 90 at once: 171 MB, a window's peak).
    """
    tracks = model.targetMIDIPitch
    frame_s = model.hopSize / model.fs
    paths, best_start = [], []
    for lo in range(0, ctx.shape[1], TRACKS_PER_PASS):
        score = model.scorer(ctx[:, lo : lo + TRACKS_PER_PASS]).float().cpu().numpy()
        paths += decode_intervals(score)
        best_start.append(_best_start(score))
        del score
    keys = [i for i, p in enumerate(tracks) if p > 0]
    order = np.argsort([tracks[i] for i in keys])
    scores = np.concatenate(best_start)[np.array(keys)[order]]
    evidence = OnsetEvidence(scores, t0 + np.arange(scores.shape[1]) * frame_s)
    track_idx = [p for p, path in enumerate(paths) for _ in path]
    if not track_idx:
        return [], evidence
    bounds = torch.tensor([iv for path in paths for iv in path], dtype=torch.long, device=ctx.device)
    sym = torch.tensor(track_idx, dtype=torch.long, device=ctx.device)
    feats = ctx[0]  # (P, T, d)
    a, b = feats[sym, bounds[:, 0]], feats[sym, bounds[:, 1]]
    attr = torch.cat([a, b, a * b], dim=-1)
    velocity = model.velocityPredictor(attr).argmax(-1).tolist()
    refine, presence = model.refinedOFPredictor(attr).chunk(2, dim=-1)
    mean = torch.distributions.ContinuousBernoulli(logits=refine).mean
    shift = ((mean - 0.5) / 0.99).clamp(-0.5, 0.5).tolist()
    present = (presence > 0).tolist()
    events = []
    for i, (p, (lo, hi)) in enumerate(zip(track_idx, bounds.tolist())):
        start = t0 + max(0.0, (lo + shift[i][0]) * frame_s)
        end = max(start + 1e-3, t0 + (hi + shift[i][1]) * frame_s)
        events.append(_Event(tracks[p], start, end, int(velocity[i]), lo > 0 or present[i][0],
                             hi < last_frame or present[i][1]))
    return events, evidence


def _best_start(score: np.ndarray) -> np.ndarray:
    """score (p, T_begin, T_end) → (p, T): the best score of an interval beginning at each frame (over
    ends at or after it). Overwrites the unused lower triangle."""
    steps = score.shape[-1]
    below = np.tril_indices(steps, -1)
    score[:, below[0], below[1]] = -np.inf
    return score.max(axis=-1)


def _stitch_evidence(per_window: list[OnsetEvidence], cuts: list[float], end_s: float) -> OnsetEvidence:
    """Each window's frames between its two cuts (as `_stitch` keeps each window's onsets)."""
    bounds = [-math.inf] + cuts + [end_s]
    parts = []
    for w, ev in enumerate(per_window):
        keep = (ev.times >= bounds[w]) & (ev.times < bounds[w + 1])
        parts.append(OnsetEvidence(ev.scores[:, keep], ev.times[keep]))
    return OnsetEvidence.join(parts)


def _stitch(per_window: list[list[_Event]], cuts: list[float], start_s: float) -> list[_Event]:
    """One event list from overlapping windows: each window owns the onsets between its two cuts."""
    kept: list[_Event] = []
    for w, events in enumerate(per_window):
        lo = cuts[w - 1] if w > 0 else -math.inf
        hi = cuts[w] if w < len(cuts) else math.inf
        for e in events:
            # a pedal already down when the take's segment begins is real; a note is the last one's
            starts_here = e.has_onset or (w == 0 and e.pitch in PEDAL_TRACKS)
            if starts_here and lo <= e.start < hi:
                if not e.has_offset and w + 1 < len(per_window):
                    e.end = _continued_end(e, per_window[w + 1 :])
                kept.append(e)
    return _without_overlaps(kept)


def _continued_end(e: _Event, later: list[list[_Event]]) -> float:
    """Follow a note that runs past its window's end into the next windows."""
    end = e.end
    for events in later:
        match = next((n for n in events if n.pitch == e.pitch and n.start < end and n.end > e.start
                      and (not n.has_onset or abs(n.start - e.start) < 0.1)), None)
        if match is None:
            return end
        end = max(end, match.end)
        if match.has_offset:
            return end
    return end


def _without_overlaps(events: list[_Event]) -> list[_Event]:
    """A key cannot sound twice at once: cut each note at the next onset of the same key."""
    events.sort(key=lambda e: (e.start, e.pitch))
    last: dict[int, _Event] = {}
    out = []
    for e in events:
        prev = last.get(e.pitch)
        if prev is not None and prev.end > e.start:
            prev.end = e.start
        last[e.pitch] = e
        out.append(e)
    return [e for e in out if e.end - e.start > 1e-4]


def _to_model_rate(audio: torch.Tensor, rate: int) -> torch.Tensor:
    if rate == MODEL_RATE:
        return audio
    import torchaudio.functional as AF

    return AF.resample(audio, rate, MODEL_RATE)


def _mono_signal(audio: torch.Tensor) -> np.ndarray:
    import torchaudio.functional as AF

    return AF.resample(audio.mean(0), MODEL_RATE, SIGNAL_RATE).numpy()
