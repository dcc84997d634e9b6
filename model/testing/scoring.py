"""Transcription note F1 against the notes that were rendered (onset within 50 ms, same pitch, one-to-one)."""

from __future__ import annotations

from llaqo.model.testing.piano import Note


def note_f1(reference: list[Note], found, tolerance: float = 0.05) -> tuple[float, float, float]:
    """(F1, precision, recall); `found` holds model.listen.notes.Note (onset, pitch)."""
    free = sorted(found, key=lambda n: n.onset)
    used: set[int] = set()
    hits = 0
    for r in sorted(reference, key=lambda n: n.start):
        best, best_d = None, tolerance
        for k, f in enumerate(free):
            if f.onset > r.start + tolerance:
                break
            d = abs(f.onset - r.start)
            if k not in used and f.pitch == r.pitch and d <= best_d:
                best, best_d = k, d
        if best is not None:
            used.add(best)
            hits += 1
    precision = hits / max(len(free), 1)
    recall = hits / max(len(reference), 1)
    return 2 * precision * recall / max(precision + recall, 1e-9), precision, recall
