"""Storing what `assess` and `record` found: the history is opened BEFORE any work (a damaged file fails
in one line at once, not after an hour of listening), each report is added as it is rendered."""

from __future__ import annotations

from pathlib import Path

from llaqo.model.history.location import history_path
from llaqo.model.history.store import HistoryStore
from llaqo.model.history.takes import report_to_session, score_title
from llaqo.model.options import HistoryOptions
from llaqo.rubric.report import Report


class HistoryWriter:
    def __init__(self, store: HistoryStore | None, piece: str | None):
        self.store, self.piece = store, piece

    @classmethod
    def open(cls, opts: HistoryOptions, reference: Path | None = None) -> HistoryWriter:
        """The history these options ask for (none with --no-history); the piece is --piece, else the
        reference score's title."""
        if opts.no_history:
            return cls(None, None)
        piece = opts.piece or (score_title(Path(reference)) if reference else None)
        return cls(HistoryStore.open(opts.path or history_path()), piece)

    def add(self, report: Report) -> int | None:
        return self.store.add(report_to_session(report, self.piece)) if self.store else None

    def close(self) -> None:
        if self.store:
            self.store.close()
