"""Where `assess` and `record` put their results, and the lines that say so.

- the single-file options: `--json FILE|-`, `--markdown FILE`, `--html FILE` hold every take in one
  document; `--midi` / `--notes` one take's notes;
- `-o/--out-dir DIR` with `-f/--format`: one file per take and format, `DIR/<take>.json`, `.md`, `.html`,
  and `.mid` / `.csv` where the engine gives notes (as whisper's `--output_dir` / `--output_format`).

Every file is written whole or not at all; each "wrote" line says what the file holds.
"""

from __future__ import annotations

import sys
from pathlib import Path

from llaqo.model.options import NOTE_FORMATS, OutputOptions

SUFFIX = {"json": ".json", "md": ".md", "html": ".html", "mid": ".mid", "csv": ".csv"}
WHAT = {"json": "JSON report", "md": "Markdown report", "html": "HTML report"}


def take_stems(files: list[Path]) -> list[str]:
    """A file name per take: its own stem, with -2, -3 … where two takes share one (a/take.wav, b/take.wav)."""
    stems, seen = [], {}
    for path in files:
        stem = Path(path).stem or "take"
        seen[stem] = seen.get(stem, 0) + 1
        stems.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return stems


def planned_paths(files: list[Path], output: OutputOptions) -> list[Path]:
    """Every path --out-dir would write for these takes (checked before any work)."""
    if output.out_dir is None:
        return []
    return [output.out_dir / f"{stem}{SUFFIX[f]}" for stem in take_stems(files) for f in output.dir_formats]


def prepare_out_dir(output: OutputOptions) -> None:
    """Create --out-dir (and its parents) before any work, as whisper does; a file there is refused."""
    from llaqo.common.files import OutputError
    from llaqo.common.text import shown

    folder = output.out_dir
    if folder is None:
        return
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--out-dir {shown(folder)}: is a file, not a folder", "give a folder name")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"--out-dir {shown(folder)}: cannot create it ({e.strerror})") from None


def say_wrote(path: Path | str, what: str, output: OutputOptions) -> None:
    """"wrote out/etude.html (HTML report, 1 take, 212 kB)" on stderr, unless --quiet."""
    from llaqo.common.text import shown

    if output.quiet:
        return
    size = Path(path).stat().st_size
    print(f"wrote {shown(path)} ({what}, {_size(size)})", file=sys.stderr)


def _size(n: int) -> str:
    return f"{n} B" if n < 1000 else f"{n / 1000:.0f} kB" if n < 1_000_000 else f"{n / 1e6:.1f} MB"


def takes(n: int) -> str:
    return f"{n} take{'s' if n != 1 else ''}"


def note_parts(report) -> list[dict]:
    """The notes the listening engine heard, segment by segment ([] for the coach)."""
    return [s.heard for s in report.segments if s.heard is not None] if report.engine == "listen" else []


def notes_what(parts: list[dict], kind: str) -> str:
    n_notes = sum(len(p["notes"]) for p in parts)
    n_pedals = sum(len(p["pedals"]) for p in parts)
    presses = "pedal press" if n_pedals == 1 else "pedal presses"
    return f"the {n_notes} notes and {n_pedals} {presses} heard, as {kind}"


def write_out_dir(reports, files: list[Path], output: OutputOptions, audio_for) -> None:
    """--out-dir: each take's report in every asked format (its notes as .mid / .csv where there are some)."""
    from llaqo.common.files import write_atomic
    from llaqo.model.listen.heard import write_midi, write_notes_csv
    from llaqo.rubric.render import report_to_html, report_to_json, report_to_markdown

    unused = list(zip((str(f) for f in files), take_stems(files)))  # in order: a file given twice has two stems
    for report in reports:
        stem = unused.pop(next(i for i, (file, _) in enumerate(unused) if file == report.file))[1]
        parts = note_parts(report)
        for fmt in output.dir_formats:
            path = output.out_dir / f"{stem}{SUFFIX[fmt]}"
            if fmt in NOTE_FORMATS:
                if not parts:
                    if output.formats and fmt in OutputOptions.format_list(output.formats) and not output.quiet:
                        print(f"{report.file}: no .{fmt} written: the {report.engine} engine gives no notes "
                              "(the listening engine does: --engine listen)", file=sys.stderr)
                    continue
                (write_midi if fmt == "mid" else write_notes_csv)(parts, path)
                say_wrote(path, notes_what(parts, "MIDI" if fmt == "mid" else "CSV"), output)
                continue
            text = {"json": lambda: report_to_json(report),
                    "md": lambda: report_to_markdown(report, output.explain),
                    "html": lambda: report_to_html(report, audio_for(report))}[fmt]()
            write_atomic(path, text)
            say_wrote(path, f"{WHAT[fmt]}, 1 take", output)
