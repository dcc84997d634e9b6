"""Best non-overlapping intervals per track under a semi-CRF interval score (transkun's decoding rule).

A track's path is a chain of intervals [b, e] (frames, b ≤ e); consecutive intervals may share a frame
(the next begins where the last ended); frames between them are "no event" (score 0). An interval of
one frame (b = e) is kept on top of the chain whenever its own score is positive. This is the rule of
transkun's `viterbiBackward` with a zero noise score, written for numpy: the backward pass is vectorised
over tracks and candidate ends, and the backtrack walks all tracks together frame by frame.
"""

from __future__ import annotations

import numpy as np


def decode_intervals(score: np.ndarray) -> list[list[tuple[int, int]]]:
    """score (P, T_begin, T_end) → per track, the chosen (begin, end) frames in order."""
    tracks, steps, _ = score.shape
    frames = np.arange(steps)
    diag = score[:, frames, frames]  # (P, T): one-frame interval scores
    single = np.maximum(diag, 0.0)
    best = np.zeros((tracks, steps), dtype=score.dtype)  # best[:, j]: the best from frame j on
    choice = np.full((tracks, steps), -1, dtype=np.int64)  # -1: skip frame j, else the interval's end
    rows = np.arange(tracks)
    best[:, -1] = single[:, -1]
    for j in range(steps - 2, -1, -1):
        cand = best[:, j + 1 :] + score[:, j, j + 1 :]  # (P, T-j-1): an interval [j, i], then from i on
        k = cand.argmax(axis=1)
        top = cand[rows, k]
        take = top > best[:, j + 1]  # ties go to "skip", as in the reference
        best[:, j] = np.where(take, top, best[:, j + 1]) + single[:, j]
        choice[:, j] = np.where(take, j + 1 + k, -1)
    return _backtrack(choice.T, diag.T > 0)


def _backtrack(choice: np.ndarray, keep_single: np.ndarray) -> list[list[tuple[int, int]]]:
    steps, tracks = choice.shape
    paths: list[list[tuple[int, int]]] = [[] for _ in range(tracks)]
    at = np.zeros(tracks, dtype=np.int64)  # every track's walk starts at frame 0
    for j in range(steps - 1):
        here = np.nonzero(at == j)[0]
        if here.size == 0:
            continue
        for p in here[keep_single[j, here]]:
            paths[p].append((j, j))
        ends = choice[j, here]
        for p, e in zip(here[ends >= 0], ends[ends >= 0]):
            paths[p].append((j, int(e)))
        at[here] = np.where(ends >= 0, ends, j + 1)
    for p in np.nonzero(keep_single[steps - 1])[0]:
        paths[p].append((steps - 1, steps - 1))
    return paths
