"""`llaqo history`: the practice history of every assessed take — a table per piece of each dimension's
rating over the sessions, the weakest dimension's trend, and plots / CSV / HTML of it all."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from llaqo.errors import error_boundary

EXAMPLES = """
[bold]Examples[/bold]

  llaqo history                                  # every piece, every session
  llaqo history --piece etude --plot etude.png   # one piece's progress as a picture
  llaqo history --since 2026-11-01 --csv practice.csv --html practice.html
"""

SHOWN_SESSIONS = 10  # columns in the terminal table (the newest); the files hold them all


def history(
    piece: Annotated[Optional[str], typer.Option("--piece", metavar="NAME", show_default=False,
                                                 help="Only this piece (as given to assess --piece).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", metavar="DATE", show_default=False,
                                                 help="Only sessions from this day (YYYY-MM-DD) or moment on.")] = None,
    csv_out: Annotated[Optional[Path], typer.Option("--csv", metavar="FILE", show_default=False,
                                                    help="Write one row per session as CSV.")] = None,
    html_out: Annotated[Optional[Path], typer.Option("--html", metavar="FILE", show_default=False,
                                                     help="Write a self-contained HTML page with the plots.")] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", metavar="FILE.png", show_default=False,
                                                 help="Draw each dimension and the key measurements across "
                                                      "sessions as a PNG.")] = None,
) -> None:
    """Show how each piece's ratings and key measurements changed across practice sessions."""
    with error_boundary():
        show_history(piece, since, csv_out, html_out, plot)


history.__doc__ = (history.__doc__ or "") + "\n" + EXAMPLES


def show_history(piece: str | None, since: str | None, csv_out: Path | None, html_out: Path | None,
                 plot: Path | None) -> None:
    from rich.console import Console

    from llaqo.common.errors import ConfigError
    from llaqo.common.files import check_outputs
    from llaqo.common.text import shown
    from llaqo.model.history.location import history_path
    from llaqo.model.history.progress import load_progress

    if plot is not None and plot.suffix.lower() != ".png":
        raise ConfigError(f"--plot {shown(plot)}: the plot is a PNG picture", "give a name ending in .png")
    check_outputs([csv_out, html_out, plot], [history_path()])
    progress = load_progress(piece, _moment(since))
    if not progress:
        which = f" for {piece!r}" if piece else ""
        print(f"no sessions stored{which} in {shown(history_path())} yet: `llaqo assess take.wav --piece NAME` "
              "adds one", file=sys.stderr)
        raise typer.Exit(1 if piece or since else 0)
    console = Console()
    for p in progress:
        console.print(_table(p))
        console.print(f"  {p.callout()}\n")
    _write_files(progress, csv_out, html_out, plot)


def _write_files(progress, csv_out, html_out, plot) -> None:
    from llaqo.common.text import shown
    from llaqo.model.history import export, plots

    png = plots.plot_png(progress) if plot or html_out else None
    for path, write in ((csv_out, lambda p: export.write_csv(progress, p)),
                        (plot, lambda p: plots.write_atomic(p, png)),
                        (html_out, lambda p: export.write_html(progress, png, p))):
        if path is not None:
            write(path)
            print(f"wrote {shown(path)}", file=sys.stderr)


def _moment(text: str | None):
    from datetime import datetime

    from llaqo.common.errors import ConfigError

    if text is None:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"--since {text!r} is not a date", "use YYYY-MM-DD, e.g. --since 2026-11-01") from None


def _table(p):
    from rich.markup import escape
    from rich.table import Table

    from llaqo.model.history.progress import KEY_MEASURES

    sessions = p.sessions[-SHOWN_SESSIONS:]
    first = len(p.sessions) - len(sessions)
    more = f", the last {len(sessions)} shown" if first else ""
    table = Table(title=f"{escape(p.piece)}: {len(p.sessions)} session{'s' if len(p.sessions) != 1 else ''}{more}",
                  title_justify="left")
    table.add_column("", overflow="fold")
    for i, s in enumerate(sessions, start=first + 1):
        table.add_column(f"{i}\n{s.created_at.astimezone():%m-%d %H:%M}", justify="right")
    for dim, label in p.dimensions:
        table.add_row(escape(label), *[_cell(v) for v in p.ratings(dim)[first:]])
    for measure, name, unit in KEY_MEASURES:
        values = p.measurements(measure)[first:]
        if any(v is not None for v in values):
            table.add_row(f"[dim]{escape(name)} ({unit})[/dim]", *[_cell(v) for v in values])
    return table


def _cell(value) -> str:
    return "—" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
