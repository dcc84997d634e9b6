"""What a command asks of the engines, as typed options: built once per command by the CLI (from the
shared definitions in llaqo/options.py), read by `build_engine`, train and eval alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from llaqo.common.device import Device
from llaqo.common.errors import ConfigError


@dataclass(frozen=True)
class CoachOptions:
    model: Path | None = None  # a bundle or released-layout folder; default: $LLAQO_MODEL, then ckpts/
    fast: bool = False  # greedy decoding instead of beam search
    dtype: Literal["auto", "fp16", "bf16", "fp32"] = "auto"
    mode: Literal["compat", "full"] | None = None  # default: what the checkpoint says
    max_length: int | None = None  # the length budget of an answer, input included
    exact: bool = False  # each question's numbers as it gets them alone (model.coach.invariant): slower

    def __post_init__(self) -> None:
        if self.max_length is not None and self.max_length < 1:
            raise ConfigError(f"max_length {self.max_length} is not a length", "give a positive number (default 256)")


@dataclass(frozen=True)
class ListenOptions:
    reference: Path | None = None  # a score (MIDI or MusicXML) to judge against
    transcriber: Literal["auto", "fast", "accurate"] = "auto"


@dataclass(frozen=True)
class EngineOptions:
    engine: Literal["auto", "coach", "listen"] = "auto"
    device: Device = field(default_factory=Device)
    coach: CoachOptions = field(default_factory=CoachOptions)
    listen: ListenOptions = field(default_factory=ListenOptions)
    judges: Path | None = None  # PianoJudges heads; default: <model>/judges when it holds one

    def __post_init__(self) -> None:
        if self.engine not in ("auto", "coach", "listen"):
            raise ConfigError(f"unknown engine {self.engine!r}", "use auto, coach or listen")
        if self.engine == "listen" and self.coach.dtype != "auto":
            raise ConfigError("--dtype is the coach's precision; the listening engine has none",
                              "drop --dtype, or use --engine coach")


FORMATS = ("json", "md", "html", "mid", "csv")  # what --out-dir writes per take; "all": every one that applies
NOTE_FORMATS = ("mid", "csv")  # only where the engine gives notes (the listening engine)


@dataclass(frozen=True)
class OutputOptions:
    json_out: str | None = None  # a path, or "-" for stdout
    markdown: Path | None = None
    html: Path | None = None
    explain: bool = False
    midi: Path | None = None  # the listening engine's transcription as MIDI (one take)
    notes: Path | None = None  # ... and as CSV
    out_dir: Path | None = None  # <take>.json, .md, .html (.mid, .csv) per take, like whisper's --output_dir
    formats: str | None = None  # "json,md,html,mid,csv" or "all" (the default with --out-dir)
    embed_audio: bool = False  # a compressed copy of the take in the HTML, with a player
    quiet: bool = False  # nothing but results and errors
    verbose: bool = False  # also what is done, step by step, on stderr

    def __post_init__(self) -> None:
        if self.quiet and self.verbose:
            raise ConfigError("--quiet and --verbose ask for opposite things", "give one of them")
        if self.formats is not None:
            unknown = [f for f in self.format_list(self.formats) if f not in (*FORMATS, "all")]
            if unknown:
                raise ConfigError(f"--format {self.formats}: unknown {', '.join(unknown)}",
                                  f"use a comma-separated list of {', '.join(FORMATS)}, or all")
            if self.out_dir is None:  # as whisper: the files go to the current folder
                object.__setattr__(self, "out_dir", Path("."))

    @staticmethod
    def format_list(text: str) -> list[str]:
        return [f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()]

    @property
    def dir_formats(self) -> tuple[str, ...]:
        """What --out-dir writes per take, in FORMATS order (mid/csv only when the engine gives notes)."""
        if self.out_dir is None:
            return ()
        asked = self.format_list(self.formats or "all")
        return FORMATS if "all" in asked else tuple(f for f in FORMATS if f in asked)


@dataclass(frozen=True)
class FolderOptions:
    """assess on a studio's archive (model/folder.py)."""

    recursive: bool = False  # a folder's subfolders too
    jsonl: Path | None = None  # one JSON line per take, appended; takes already in it are skipped


@dataclass(frozen=True)
class HistoryOptions:
    """Where assess and record keep each take's result (model/history)."""

    piece: str | None = None  # the piece the take is of; default: the reference score's title
    no_history: bool = False
    path: Path | None = None  # default: $LLAQO_HOME/history.db, else the user's data folder

    def __post_init__(self) -> None:
        if self.piece is not None and not self.piece.strip():
            raise ConfigError("--piece is empty", "name the piece, e.g. --piece etude")
        if self.no_history and self.piece is not None:
            raise ConfigError("--piece names the piece for the history, and --no-history skips it",
                              "drop one of them")


@dataclass(frozen=True)
class TrainFlags:
    """What the command line sets for a training run, over the stage's YAML (None keeps the YAML's value)."""

    audio_root: Path | None = None  # where the tables' audio is (their paths are remapped)
    config: Path | None = None  # a YAML over the stage's defaults
    max_steps: int | None = None
    batch_size: int | None = None
    grad_accum: int | None = None
    lr: float | None = None
    warmup: int | None = None
    save_every: int | None = None
    eval_every: int | None = None
    seed: int | None = None
    split: str | None = None
    fmt: str = "auto"  # a table layout, or auto (detected from the columns)
    resume: bool = False
    overwrite: bool = False

    def config_overrides(self) -> dict[str, object]:
        """The flags given, as the training config's dotted keys."""
        keys = {"max_steps": "max_steps", "batch_size": "batch_size", "grad_accum": "grad_accum", "lr": "optim.lr",
                "warmup": "optim.warmup_steps", "save_every": "save_every", "eval_every": "eval_every",
                "seed": "seed", "split": "split"}
        return {key: getattr(self, name) for name, key in keys.items() if getattr(self, name) is not None}
