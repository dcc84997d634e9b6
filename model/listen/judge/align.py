"""Note-level alignment of a take's notes to a score: which score note each played note is, and the
wrong, missing and extra notes left over.

1. **Where in the score** (`locate`): both sides become onset groups (the score's notes sharing a beat;
   the take's chords), compared by pitch class and key set; a subsequence DTW (steps (1,1), (1,2),
   (2,1); stepping over a score group costs SKIP_SCORE_COST) finds the stretch of the score the take plays.
2. **When each beat was played** (`TimeMap`): the path's groups whose keys agree (cost < ANCHOR_COST) are
   anchors (score beat, take time); the longest chain increasing in both is kept, so one mismatched
   chord cannot bend the map; between anchors the map is linear.
3. **Which note is which** (`match_notes`): per key, score notes and played notes are paired by
   scipy's linear_sum_assignment on |predicted − played onset|, within a window. Done three times with
   shrinking windows (1.0, 0.5, 0.3 s), the map refitted from the pairs each time.
4. **Wrong notes**: a played note and a score note left over within WRONG_S and two semitones are one
   wrong note, unless another score onset is due SAME_ONSET_S nearer the played note; the rest are extra (played) and
   missing (in the score).

The subsequence DTW is written here: the libraries llaqo uses offer full-sequence DTW only
(parangonar's matchers assume the take covers the whole score; their note matchers measured worse
on partial takes with errors: P 0.75 / R 0.72 against 0.98 / 0.98 here on the outside set's true notes).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from llaqo.model.listen.judge.score import ScoreNote

# a score group the path steps over costs this on top of the next step: with a free skip, a repeated
# chord pattern let the path skip ahead a group at no cost and anchor chords one group late (tuning
# half and development set, seeds 11-14: precision 0.944 → 0.955 and 0.940 → 0.969; 0.25-0.4 alike)
SKIP_SCORE_COST = 0.25
ANCHOR_COST = 0.2  # a path step this cheap (keys nearly the same) anchors the time map
WINDOWS_S = (1.0, 0.5, 0.3)  # the matching rounds' windows around each predicted onset
WRONG_S = 0.2  # a leftover played note and score note this close in time (and ≤ 2 semitones) are one wrong note
WRONG_SEMITONES = 2
SAME_ONSET_S = 0.08  # ... and no other score onset more than this much nearer the played note
LATE_S = 0.5  # a leftover played note and score note of one key this close, in order: one note, late or early


@dataclass
class Comparison:
    """One stretch of a take against the score; indices into the take's notes, times in take seconds."""

    matched: list[tuple[int, ScoreNote]] = field(default_factory=list)  # (played note, score note)
    wrong: list[tuple[int, ScoreNote]] = field(default_factory=list)  # played instead of the score note
    extra: list[int] = field(default_factory=list)
    missing: list[tuple[ScoreNote, float]] = field(default_factory=list)  # with the time it was due
    deviations: list[tuple[int, ScoreNote, float]] = field(default_factory=list)  # (note, score note, s)
    cost: float = 0.0  # the located stretch's mean DTW cost: which reading of the score fits
    unsure: int = 0  # disagreements the evidence did not hold (claims.py): not reported as errors
    time_map: TimeMap | None = None  # score beat → take time over the aligned stretch
    bar_starts: list[tuple[float, int]] = field(default_factory=list)  # (beat, printed bar number) per bar played
    stretch: list[ScoreNote] = field(default_factory=list)  # the score's notes over the aligned stretch

    def bar_lines(self) -> list[list[float]]:
        """[[take time s, bar number], ...]: when each bar of the aligned stretch began."""
        if self.time_map is None or not self.bar_starts:
            return []
        times = self.time_map(np.array([b for b, _ in self.bar_starts]))
        return [[round(float(t), 3), bar] for t, (_, bar) in zip(times, self.bar_starts)]

    def score_tempo(self, step_beats: float = 1.0) -> list[list[float]]:
        """[[take time s, quarter notes a minute], ...]: the tempo the alignment implies, one point a beat,
        each over ±2 beats (the score's own pace as played)."""
        m = self.time_map
        if m is None or len(m.beats) < 2:
            return []
        beats = np.arange(m.beats[0], m.beats[-1] + 1e-9, step_beats)
        ahead, behind = m(beats + 2.0), m(beats - 2.0)
        ok = ahead > behind
        bpm = 60.0 * 4.0 / np.where(ok, ahead - behind, np.inf)
        return [[round(float(t), 3), round(float(b), 1)] for t, b, good in zip(m(beats), bpm, ok) if good]

    @property
    def bars(self) -> tuple[int, int]:
        """The first and last bar of the aligned stretch ((0, 0) when nothing was aligned)."""
        return (self.bar_starts[0][1], self.bar_starts[-1][1]) if self.bar_starts else (0, 0)

    @property
    def n_score(self) -> int:
        return len(self.matched) + len(self.wrong) + len(self.missing)


def onset_groups(keys: np.ndarray, pitches: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Indices per onset group (runs of equal, sorted keys), unit chroma (g, 12) and key sets (g, 128)."""
    _, starts = np.unique(keys, return_index=True)
    bounds = list(starts) + [len(keys)]
    groups = [np.arange(bounds[i], bounds[i + 1]) for i in range(len(starts))]
    chroma, keyset = np.zeros((len(groups), 12)), np.zeros((len(groups), 128))
    for g, idx in enumerate(groups):
        chroma[g, pitches[idx] % 12] = 1.0
        keyset[g, pitches[idx]] = 1.0
    return groups, chroma / np.linalg.norm(chroma, axis=1, keepdims=True), keyset


def group_cost(a_chroma, a_keys, b_chroma, b_keys) -> np.ndarray:
    """Half chroma distance (1 − cosine), half key-set distance (1 − Jaccard)."""
    both = a_keys @ b_keys.T
    union = a_keys.sum(1, keepdims=True) + b_keys.sum(1) - both
    return 0.5 * (1 - a_chroma @ b_chroma.T) + 0.5 * (1 - both / np.maximum(union, 1))


def subsequence_dtw(cost: np.ndarray) -> list[tuple[int, int]]:
    """Cheapest monotone path through cost (m, n) from any column of row 0 to any column of row m-1."""
    m, n = cost.shape
    inf = np.inf
    acc = np.full((m, n), inf)
    move = np.zeros((m, n), dtype=np.int8)  # 0: (1,1)  1: (1,2)  2: (2,1)
    acc[0] = cost[0]
    for i in range(1, m):
        diag = np.concatenate([[inf], acc[i - 1, :-1]])
        skip_score = np.concatenate([[inf, inf], acc[i - 1, :-2]])
        skip_perf = np.concatenate([[inf], acc[i - 2, :-1]]) if i >= 2 else np.full(n, inf)
        options = np.stack([diag, skip_score + cost[i] + SKIP_SCORE_COST, skip_perf + cost[i - 1] * 0.5])
        move[i] = np.argmin(options, axis=0)
        acc[i] = cost[i] + options[move[i], np.arange(n)]
    i, j = m - 1, int(np.argmin(acc[-1]))
    path = [(i, j)]
    while i > 0:
        step = move[i, j]
        i, j = (i - 1, j - 1) if step == 0 else (i - 1, j - 2) if step == 1 else (i - 2, j - 1)
        if i < 0 or j < 0:
            break
        path.append((i, j))
    return path[::-1]


def _increasing_chain(values: list[float]) -> list[int]:
    """Indices of a longest strictly increasing subsequence (patience sorting, O(n log n))."""
    tails: list[float] = []
    tail_index: list[int] = []
    previous = [-1] * len(values)
    for i, v in enumerate(values):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_index.append(i)
        else:
            tails[k], tail_index[k] = v, i
        previous[i] = tail_index[k - 1] if k > 0 else -1
    chain, i = [], tail_index[-1] if tail_index else -1
    while i >= 0:
        chain.append(i)
        i = previous[i]
    return chain[::-1]


@dataclass
class TimeMap:
    """Score beat → take time: linear between anchors, extended at the ends by the outer slopes."""

    beats: np.ndarray
    times: np.ndarray

    @classmethod
    def fit(cls, beats: np.ndarray, times: np.ndarray) -> TimeMap:
        """From (beat, time) pairs: the median time per beat, then the longest chain increasing in both."""
        ub = np.unique(beats)
        ut = np.array([np.median(times[beats == b]) for b in ub])
        keep = _increasing_chain(list(ut))
        return cls(ub[keep], ut[keep])

    def __call__(self, beats: np.ndarray) -> np.ndarray:
        b, t = self.beats, self.times
        if len(b) == 1:
            return t[0] + (beats - b[0]) * 0.5  # one anchor: assume 120 quarter notes a minute
        out = np.interp(beats, b, t)
        low, high = (t[1] - t[0]) / (b[1] - b[0]), (t[-1] - t[-2]) / (b[-1] - b[-2])
        out = np.where(beats < b[0], t[0] + (beats - b[0]) * low, out)
        return np.where(beats > b[-1], t[-1] + (beats - b[-1]) * high, out)


def match_notes(s_pitch, s_due, p_pitch, p_onset, window: float) -> list[tuple[int, int]]:
    """(score index, played index) pairs: per key, the assignment with the least total |due − onset|,
    no pair further apart than `window`."""
    pairs = []
    for key in np.intersect1d(s_pitch, p_pitch):
        si, pi = np.flatnonzero(s_pitch == key), np.flatnonzero(p_pitch == key)
        gap = np.abs(s_due[si][:, None] - p_onset[pi][None, :])
        cost = np.where(gap <= window, gap, 1e6)
        rows, cols = linear_sum_assignment(cost)
        pairs += [(int(si[r]), int(pi[c])) for r, c in zip(rows, cols) if cost[r, c] < 1e6]
    return pairs


def locate(notes: list[ScoreNote], p_groups, p_chroma, p_keys) -> tuple[list[tuple[int, int]], np.ndarray, list]:
    """(DTW path of (take group, score group), the step costs, the score's groups)."""
    beats = np.array([n.beat for n in notes])
    pitches = np.array([n.pitch for n in notes])
    s_groups, s_chroma, s_keys = onset_groups(beats, pitches)
    cost = group_cost(p_chroma, p_keys, s_chroma, s_keys)
    path = subsequence_dtw(cost)
    return path, np.array([cost[i, j] for i, j in path]), s_groups


def align(notes: list[ScoreNote], pitch: np.ndarray, onset: np.ndarray, chords: list[np.ndarray]) -> Comparison:
    """Align the take's notes (pitch, onset: (n,), sorted by onset; chords: index groups) to the score."""
    group_of = np.zeros(len(pitch), dtype=int)
    for g, idx in enumerate(chords):
        group_of[idx] = g
    p_groups, p_chroma, p_keys = onset_groups(group_of, pitch)
    path, step_cost, s_groups = locate(notes, p_groups, p_chroma, p_keys)
    lo, hi = int(s_groups[path[0][1]][0]), int(s_groups[path[-1][1]][-1])
    stretch = notes[lo:hi + 1]
    s_pitch = np.array([n.pitch for n in stretch])
    s_beat = np.array([n.beat for n in stretch])
    anchored = [(gi, gj) for (gi, gj), c in zip(path, step_cost) if c < ANCHOR_COST] or path
    time_map = TimeMap.fit(np.array([notes[s_groups[gj][0]].beat for _, gj in anchored]),
                           np.array([onset[p_groups[gi]].min() for gi, _ in anchored]))
    pairs: list[tuple[int, int]] = []
    for window in WINDOWS_S:
        pairs = match_notes(s_pitch, time_map(s_beat), pitch, onset, window)
        if len(pairs) >= 2:
            time_map = TimeMap.fit(s_beat[[s for s, _ in pairs]], onset[[p for _, p in pairs]])
    due = time_map(s_beat)
    pairs += _late_pairs(s_pitch, s_beat, due, pitch, onset, pairs)
    out = Comparison(matched=[(p, stretch[s]) for s, p in sorted(pairs, key=lambda x: x[1])],
                     cost=float(step_cost.mean()), time_map=time_map,
                     bar_starts=_bar_starts(stretch), stretch=stretch)
    played = {p for _, p in pairs}
    scored = {s for s, _ in pairs}
    extra = [k for k in range(len(pitch)) if k not in played]
    missing = [s for s in range(len(stretch)) if s not in scored and not stretch[s].grace]
    _pair_wrong(out, extra, missing, stretch, due, pitch, onset)
    return out


def _late_pairs(s_pitch, s_beat, due, pitch, onset, pairs) -> list[tuple[int, int]]:
    """(score index, played index) pairs among the leftovers: the same key, within LATE_S of its due
    time, and in order (the played note lies between the played times of the score notes matched just
    before and just after it). The last round's window is narrow so that a neighbour's note is not
    taken; a key the map expected 0.3-0.5 s elsewhere (a chord placed late, or a bent stretch of the map
    after an extra chord) is that note played late or early, not one missing note and one extra."""
    if not pairs:
        return []
    beats = s_beat[[si for si, _ in pairs]]
    times = onset[[pi for _, pi in pairs]]
    order = np.argsort(beats, kind="stable")
    beats, times = beats[order], times[order]
    s_left = np.setdiff1d(np.arange(len(s_pitch)), [si for si, _ in pairs])
    p_left = np.setdiff1d(np.arange(len(pitch)), [pi for _, pi in pairs])
    found = []
    for si, pi in match_notes(s_pitch[s_left], due[s_left], pitch[p_left], onset[p_left], LATE_S):
        s_i, p_i = int(s_left[si]), int(p_left[pi])
        before = times[beats < s_beat[s_i]]
        after = times[beats > s_beat[s_i]]
        if (not len(before) or before.max() <= onset[p_i]) and (not len(after) or onset[p_i] <= after.min()):
            found.append((s_i, p_i))
    return found


def _bar_starts(stretch: list[ScoreNote]) -> list[tuple[float, int]]:
    """(beat, bar) where each bar of the stretch begins: its first downbeat note (else its first note);
    a repeated bar is listed each time it is played."""
    out: list[tuple[float, int]] = []
    run: list[ScoreNote] = []
    for note in stretch + [None]:
        if run and (note is None or note.bar != run[0].bar):
            downbeats = [n.beat for n in run if n.beat_in_bar == 1]
            out.append((min(downbeats or [n.beat for n in run]), run[0].bar))
            run = []
        if note is not None:
            run.append(note)
    return out


def _pair_wrong(out: Comparison, extra, missing, stretch, due, pitch, onset) -> None:
    """Nearest first, each note once: a leftover played note beside a leftover score note is wrong —
    when the score note's onset is the one the played note is nearest to (a note added to one chord is
    not a wrong note for a key missing from the next)."""
    onsets = np.unique(due)
    nearest = {k: float(np.abs(onsets - onset[k]).min()) for k in extra}
    pairs = sorted((abs(float(onset[k]) - due[s]), k, s) for k in extra for s in missing
                   if abs(float(onset[k]) - due[s]) <= min(WRONG_S, nearest[k] + SAME_ONSET_S)
                   and 0 < abs(int(pitch[k]) - stretch[s].pitch) <= WRONG_SEMITONES)
    used_k, used_s = set(), set()
    for _, k, s in pairs:
        if k not in used_k and s not in used_s:
            used_k.add(k)
            used_s.add(s)
            out.wrong.append((k, stretch[s]))
    out.wrong.sort(key=lambda x: x[0])
    out.extra = [k for k in extra if k not in used_k]
    out.missing = [(stretch[s], float(due[s])) for s in missing if s not in used_s]
