"""Progress per piece, from the stored sessions: each dimension's rating and the key measurements across
sessions, and the trend of the weakest dimension ("Rhythm improved from 3 to 5 over 6 sessions")."""

from __future__ import annotations

from dataclasses import dataclass

from llaqo.model.history.store import Session

NO_PIECE = "(no piece named)"
# (measure, what a pianist calls it, unit): lower is better for each
KEY_MEASURES = (
    ("tempo_cv", "Tempo steadiness (beat CV)", "%"),
    ("grid_deviation", "Grid deviation", "ms"),
    ("hand_asynchrony", "Hand asynchrony", "ms"),
    ("wrong_note_share", "Wrong-note share", "%"),
)
LEAVE_OUT = ("overall",)  # the weakest dimension is one a pianist can practise


@dataclass
class PieceProgress:
    piece: str
    sessions: list[Session]
    dimensions: list[tuple[str, str]]  # (dimension, label) of every rating question, first seen first

    def ratings(self, dimension: str) -> list[int | None]:
        return [_int(s.rating(dimension)) for s in self.sessions]

    def measurements(self, measure: str) -> list[float | None]:
        return [s.measurement(measure) for s in self.sessions]

    def weakest(self) -> tuple[str, str] | None:
        """The dimension with the lowest mean rating over the sessions (ties: the lower latest rating)."""
        scored = []
        for dim, label in self.dimensions:
            values = [v for v in self.ratings(dim) if v is not None]
            if values and dim not in LEAVE_OUT:
                scored.append((sum(values) / len(values), values[-1], len(scored), dim, label))
        return min(scored)[3:] if scored else None

    def callout(self) -> str:
        """The weakest dimension's trend, in one sentence."""
        weakest = self.weakest()
        if weakest is None:
            return "No ratings stored for this piece yet."
        dim, label = weakest
        values = [v for v in self.ratings(dim) if v is not None]
        n = len(values)
        over = f"over {n} session{'s' if n != 1 else ''}"
        first, last = values[0], values[-1]
        if n == 1:
            return f"Weakest: {label.lower()} at {last} (one session so far)."
        if last > first:
            return f"Weakest: {label.lower()} improved from {first} to {last} {over}."
        if last < first:
            return f"Weakest: {label.lower()} fell from {first} to {last} {over}."
        return f"Weakest: {label.lower()} stayed at {last} {over}."


def progress_by_piece(sessions: list[Session]) -> list[PieceProgress]:
    """The sessions grouped by piece (pieces in the order first practised), each oldest first."""
    groups: dict[str, list[Session]] = {}
    for s in sessions:
        groups.setdefault(s.piece or NO_PIECE, []).append(s)
    return [PieceProgress(piece, group, _dimensions(group)) for piece, group in groups.items()]


def _dimensions(sessions: list[Session]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for s in sessions:
        for r in s.ratings:
            if r.kind == "rating":
                seen.setdefault(r.dimension, r.label)
    return list(seen.items())


def _int(value) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def load_progress(piece: str | None = None, since=None, path=None) -> list[PieceProgress]:
    """The stored progress (none if no history was ever written: reading never creates the file)."""
    from pathlib import Path

    from llaqo.model.history.location import history_path
    from llaqo.model.history.store import HistoryStore

    path = Path(path) if path is not None else history_path()
    if not path.exists():
        return []
    with HistoryStore.open(path) as store:
        return progress_by_piece(store.sessions(piece, since))
