"""Progress plots (matplotlib, drawn off-screen): per piece one row — every dimension's rating across
sessions, then one small panel per key measurement (tempo steadiness, grid deviation, hand asynchrony,
wrong-note share). The weakest dimension's line is drawn thick and its trend is the row's title."""

from __future__ import annotations

import io
from pathlib import Path

from llaqo.common.files import write_atomic
from llaqo.model.history.progress import KEY_MEASURES, PieceProgress

OFFSET = 0.15  # how far apart equal ratings are drawn
MAX_PIECES = 8  # rows in one picture; more is unreadable (ask for --piece)


def plot_png(progress: list[PieceProgress]) -> bytes:
    """The picture as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed, and never a window
    import matplotlib.pyplot as plt

    rows = progress[:MAX_PIECES]
    fig = plt.figure(figsize=(17, 4.2 * len(rows)), layout="constrained")
    grid = fig.add_gridspec(len(rows), 1 + len(KEY_MEASURES), width_ratios=[3] + [1] * len(KEY_MEASURES))
    for row, piece in enumerate(rows):
        _ratings(fig.add_subplot(grid[row, 0]), piece)
        for col, (measure, name, unit) in enumerate(KEY_MEASURES, start=1):
            _measure(fig.add_subplot(grid[row, col]), piece, measure, name, unit)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def write_plot(progress: list[PieceProgress], path: Path) -> Path:
    return write_atomic(path, plot_png(progress))


def _sessions_axis(ax, piece: PieceProgress) -> list[int]:
    x = list(range(1, len(piece.sessions) + 1))
    ax.set_xticks(x, [f"{i}\n{s.created_at.astimezone():%m-%d}" for i, s in zip(x, piece.sessions)], fontsize=7)
    ax.set_xlim(0.7, len(x) + 0.3)
    ax.set_xlabel("session", fontsize=8)
    ax.grid(alpha=0.3)
    return x


def _ratings(ax, piece: PieceProgress) -> None:
    x = _sessions_axis(ax, piece)
    weakest = piece.weakest()
    colours = matplotlib_colours(len(piece.dimensions))
    n = max(len(piece.dimensions) - 1, 1)
    for k, (dimension, label) in enumerate(piece.dimensions):
        values = piece.ratings(dimension)
        strong = weakest is not None and dimension == weakest[0]
        lift = 0.0 if strong else (k / n - 0.5) * 2 * OFFSET  # equal ratings would hide each other's lines
        ax.plot(x, [v + lift if v is not None else float("nan") for v in values], marker="o",
                color="black" if strong else colours[k],
                linewidth=3.2 if strong else 1.2, alpha=1.0 if strong else 0.75, label=label, zorder=3 if strong else 2)
    ax.set_ylim(0.5, 6.5)
    ax.set_yticks(range(1, 7))
    ax.set_ylabel(f"rating (1–6; lines apart by up to ±{OFFSET})", fontsize=8)
    ax.set_title(f"{piece.piece}: {piece.callout()}", fontsize=10, loc="left")
    if piece.dimensions:
        ax.legend(fontsize=7, ncols=2, loc="lower right", framealpha=0.8)


def matplotlib_colours(n: int) -> list:
    import matplotlib

    cmap = matplotlib.colormaps["tab20" if n > 10 else "tab10"]
    return [cmap(k % cmap.N) for k in range(n)]


def _measure(ax, piece: PieceProgress, measure: str, name: str, unit: str) -> None:
    x = _sessions_axis(ax, piece)
    values = piece.measurements(measure)
    ax.set_title(f"{name} ({unit}, lower is better)", fontsize=8)
    if all(v is None for v in values):
        ax.text(0.5, 0.5, "not measured\n(wrong notes need --reference)" if measure == "wrong_note_share"
                else "not measured", ha="center", va="center", transform=ax.transAxes, fontsize=8, color="gray")
        ax.set_yticks([])
        return
    ax.plot(x, [v if v is not None else float("nan") for v in values], marker="o", color="tab:red")
    ax.set_ylim(bottom=0)
