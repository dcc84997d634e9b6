"""`llaqo record`: record a take from a microphone, save it, then assess it like `llaqo assess` does."""

from __future__ import annotations

import math
import os
import select
import signal
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Iterator, Optional

import typer

from llaqo.assess import run_assessment
from llaqo.errors import error_boundary, fail
from llaqo.model.options import EngineOptions, HistoryOptions, OutputOptions
from llaqo.options import ENGINE, HISTORY, OUTPUT, RubricOpt, uses

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live

    from llaqo.model.audio.mic import InputDevice, Level, Take

METER_FLOOR_DB = -60.0  # the left end of the level bar
METER_WIDTH = 30
SILENT_WARNING_S = 3.0  # the meter suggests a muted microphone after this long under the silence level
REFRESH_ENTER_S = 0.1  # how often the Enter watcher checks whether the recording is over
METER_FALL = 0.85  # per refresh: the bar falls back smoothly instead of flickering between blocks


@uses(engine=ENGINE, output=OUTPUT, history=HISTORY)
def record(
    rubric: RubricOpt = "full",
    seconds: Annotated[
        Optional[float],
        typer.Option(
            "--seconds", "-s", min=0.1, metavar="S", help="Stop after this many seconds (default: Enter or Ctrl-C)."
        ),
    ] = None,
    input_: Annotated[
        Optional[str],
        typer.Option(
            "--input",
            "-i",
            metavar="NAME|INDEX",
            help="Input device: its index or (part of) its name; see --list-inputs.",
        ),
    ] = None,
    out: Annotated[
        Optional[Path],
        typer.Option(
            "--out",
            metavar="FILE.wav",
            help="Where to save the take (.wav; never overwritten). Default: ./takes/take-DATE-TIME.wav.",
        ),
    ] = None,
    no_assess: Annotated[
        bool, typer.Option("--no-assess", help="Only record and save; print the take's path.")
    ] = False,
    list_inputs: Annotated[bool, typer.Option("--list-inputs", help="List the input devices and exit.")] = False,
    *,
    engine: EngineOptions,
    output: OutputOptions,
    history: HistoryOptions,
) -> None:
    """Record a take from a microphone, save it, then assess it with a rubric.

    A live meter shows the input level, the elapsed time and a warning when the take clips.
    Recording stops after --seconds, on Enter, or on Ctrl-C, and keeps the take either way.
    The take streams to disk as it is recorded: even a crash keeps all but its last moment.

    [bold]Examples[/bold]

      llaqo record --list-inputs
      llaqo record --seconds 60 --rubric quick
      llaqo record --input "USB" --out etude.wav
      llaqo record --input 2 --no-assess
    """
    if no_assess and (output.json_out or output.markdown or output.html or output.out_dir):
        raise fail("--json, --markdown, --html and --out-dir need the assessment", hint="drop --no-assess")
    if out is not None and out.suffix.lower() != ".wav":
        raise fail(f"--out {out}: takes are saved as WAV", hint="give a name ending in .wav")
    with error_boundary():
        if list_inputs:
            _print_inputs()
            return
        take = _record(input_, out, seconds)
        if no_assess:
            print(take.path)
            return
        code = run_assessment([take.path], rubric, engine=engine, output=output, history=history)
    raise typer.Exit(code)


def _record(spec: str | None, out: Path | None, seconds: float | None) -> Take:
    """The one core call, with Ctrl-C and Enter wired to its stop event and the meter drawn on stderr."""
    from rich.console import Console

    from llaqo.model.audio.mic import record_take

    console = Console(stderr=True, soft_wrap=True)
    stop, finished = threading.Event(), threading.Event()
    meter = _Meter(console, enter_stops=sys.stdin.isatty())
    enter = threading.Thread(target=_stop_on_enter, args=(stop, finished), name="llaqo-enter", daemon=True)
    if meter.enter_stops:
        enter.start()
    try:
        with _stop_on_sigint(stop):
            take = record_take(spec, out, seconds, stop, meter)
    finally:
        finished.set()
        meter.close()
        if enter.is_alive():
            enter.join(timeout=1.0)
    _print_summary(console, take)
    return take


def _stop_on_enter(stop: threading.Event, finished: threading.Event) -> None:
    """Set `stop` when a line is typed. Polls the raw descriptor so that no thread is left blocked in
    a read of sys.stdin (holding its lock) once the recording is over."""
    fd = sys.stdin.fileno()
    while not finished.is_set():
        try:
            ready, _, _ = select.select([fd], [], [], REFRESH_ENTER_S)
            data = os.read(fd, 1024) if ready else None
        except (OSError, ValueError):
            return
        if data == b"":  # end of input, not Enter
            return
        if data:
            stop.set()
            return


@contextmanager
def _stop_on_sigint(stop: threading.Event) -> Iterator[None]:
    """The first Ctrl-C ends the recording and keeps the take; a second one interrupts as usual."""

    def handler(signum, frame):
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class _Meter:
    """The progress object `record_take` reports to: a live line on a terminal, a plain line otherwise."""

    def __init__(self, console: Console, enter_stops: bool):
        self.console = console
        self.enter_stops = enter_stops
        self.seconds: float | None = None
        self.live: Live | None = None
        self.shown_peak = 0.0

    def on_start(self, device: InputDevice, path: Path, seconds: float | None) -> None:
        from rich.live import Live

        self.seconds = seconds
        stops = "Enter or Ctrl-C" if self.enter_stops else "Ctrl-C"
        self.console.print(
            f"recording from input {device.label} at {device.rate} Hz into {path} ({stops} to stop)", highlight=False
        )
        if self.console.is_terminal:
            self.live = Live(console=self.console, refresh_per_second=20, transient=False)
            self.live.start()

    def on_level(self, level: Level) -> None:
        self.shown_peak = max(level.peak, self.shown_peak * METER_FALL)
        if self.live is not None:
            self.live.update(self._render(level))

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()

    def _render(self, level: Level):
        from rich.text import Text

        from llaqo.common.times import clock

        db = 20 * math.log10(max(self.shown_peak, 1e-9))
        filled = round(METER_WIDTH * min(1.0, max(0.0, (db - METER_FLOOR_DB) / -METER_FLOOR_DB)))
        colour = "red" if db > -3 else "yellow" if db > -12 else "green"
        line = Text()
        line.append("● ", style="red")
        line.append(clock(level.elapsed_s, 1) + (f" / {clock(self.seconds, 1)}" if self.seconds else ""))
        line.append("  ▕")
        line.append("█" * filled, style=colour)
        line.append("·" * (METER_WIDTH - filled), style="dim")
        line.append("▏ ")
        line.append(f"{db:6.1f} dB" if db > METER_FLOOR_DB else "   -∞ dB")
        if level.clipping:
            line.append("  CLIPPING — lower the gain", style="bold red")
        elif level.silent_s >= SILENT_WARNING_S:
            line.append("  no signal — muted microphone?", style="yellow")
        return line


def _print_summary(console: Console, take: Take) -> None:
    peak_db = 20 * math.log10(max(take.peak, 1e-9))
    console.print(
        f"saved {take.path} — {take.seconds:.1f} s, {take.rate} Hz mono, peak {peak_db:.1f} dBFS", highlight=False
    )
    if take.clipped_blocks:
        console.print(
            f"warning: the take clipped {take.clipped_blocks} times — lower the input gain for the next one",
            style="yellow",
            highlight=False,
        )
    if take.overflows:
        console.print(
            f"warning: {take.overflows} input overflows (a few samples were lost)", style="yellow", highlight=False
        )


def _print_inputs() -> None:
    from llaqo.model.audio.mic import list_inputs, pick_input

    inputs = list_inputs()
    pick_input(None, inputs)  # no inputs at all is the same one-line error as for recording
    width = max(len(d.name) for d in inputs)
    for d in inputs:
        mark = "*" if d.is_default else " "
        print(f"{mark} {d.index:>3}  {d.name:<{width}}  {d.channels:>3} ch  {d.rate:>6} Hz  {d.hostapi}")
    print("(* the default input; pick another with --input NAME or --input INDEX)", file=sys.stderr)
