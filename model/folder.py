"""A studio's archive: every take in a folder, one JSON line per take, resumable, split between processes.

    takes = expand_takes([Path("archive")], recursive=True)       # the audio files, sorted
    log = JsonlLog(Path("out.jsonl"))                               # what an earlier run already wrote
    for path in share(log.pending(takes)):                          # this process's part
        log.write(report_dict)                                      # one line, whole, as soon as it is done

`--jsonl` is appended to, never rewritten: a take whose report is already in it is skipped, so a killed
run goes on where it stopped (a line cut short by the kill is dropped first: it is the one take done
again). A take that fails writes an `{"file", "error"}` line and is tried again on the next run. Under
`accelerate launch -m llaqo assess …` the pending takes are split between the processes with
accelerate's `split_between_processes`; every process appends to the same file, one locked write per
line, so the lines never mix.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from llaqo.common.errors import ConfigError
from llaqo.common.files import AUDIO_SUFFIXES
from llaqo.common.text import shown


def expand_takes(paths: list[Path], recursive: bool = False) -> list[Path]:
    """Files as given (a file given twice is assessed twice); a folder becomes its audio files (its
    subfolders' too with `recursive`), sorted."""
    out: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted(p for p in (path.rglob("*") if recursive else path.iterdir())
                       if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file() and not p.name.startswith("."))
        if not found:
            more = "" if recursive else " (add --recursive for its subfolders)"
            raise ConfigError(f"{shown(path)}: no audio files in this folder{more}")
        out += found
    return out


def take_key(path: Path | str) -> str:
    return str(Path(path).resolve())


class JsonlLog:
    """The --jsonl file: which takes it holds, and a locked, whole-line append."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.done: set[str] = set()
        if self.path.exists():
            self._repair()
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    doc = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(doc, dict) and "error" not in doc and doc.get("file"):
                    self.done.add(take_key(doc["file"]))

    def pending(self, takes: list[Path]) -> list[Path]:
        return [t for t in takes if take_key(t) not in self.done]

    def write(self, doc: dict) -> None:
        line = (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            with _locked(fd):
                os.write(fd, line)
                os.fsync(fd)
        finally:
            os.close(fd)
        if "error" not in doc:
            self.done.add(take_key(doc["file"]))

    def _repair(self) -> None:
        """Drop a last line a kill cut short (everything up to the last newline is whole lines)."""
        with self.path.open("rb+") as f:
            with _locked(f.fileno()):
                data = f.seek(0, os.SEEK_END)
                if not data:
                    return
                f.seek(-1, os.SEEK_END)
                if f.read(1) == b"\n":
                    return
                f.seek(0)
                body = f.read()
                f.seek(body.rfind(b"\n") + 1)
                f.truncate()


class _locked:
    """An exclusive lock on an open file for one write (POSIX flock; elsewhere one process writes)."""

    def __init__(self, fd: int):
        self.fd = fd

    def __enter__(self):
        try:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except ImportError:
            pass

    def __exit__(self, *exc):
        try:
            import fcntl

            fcntl.flock(self.fd, fcntl.LOCK_UN)
        except ImportError:
            pass


def launched_processes() -> int:
    """How many processes `accelerate launch` (or torchrun) started for this run (1 when none)."""
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def share(takes: list[Path]) -> list[Path]:
    """This process's part of `takes` (all of them in a single process)."""
    if launched_processes() <= 1:
        return takes
    import torch
    from accelerate import PartialState

    state = PartialState(cpu=not torch.cuda.is_available())  # without CUDA: a gloo group of CPU processes
    state.wait_for_everyone()  # every process has read the --jsonl file before any writes to it
    with state.split_between_processes(takes) as mine:
        return list(mine)
