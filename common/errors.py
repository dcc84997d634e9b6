"""Typed errors the core raises. Each carries facts; the CLI turns each into one line and a next step."""

from __future__ import annotations

import re


class LlaqoError(Exception):
    """Base of every error a user can cause. `hint` is the next step to suggest, if any."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class AudioError(LlaqoError):
    """A file that cannot be read as audio (missing, corrupt, unsupported, empty)."""


class CheckpointError(LlaqoError):
    """A checkpoint that is missing, corrupt, of the wrong layout, or that does not fit the model."""


class ConfigError(LlaqoError):
    """A config or rubric file with unknown, missing or ill-typed fields."""


class SchemaError(ConfigError, ValueError):
    """A file that does not fit its schema. `problems` lists every bad field; `source` names the file."""

    def __init__(self, source: str, problems: list[str], hint: str | None = None):
        self.source = str(source)
        self.problems = list(problems)
        super().__init__("; ".join(f"{self.source}: {p}" for p in self.problems), hint)


class DeviceError(LlaqoError):
    """A compute device or audio device that is not available."""


class RecordingError(LlaqoError):
    """A recording that failed or captured nothing usable (silence, disk full, the input stopped)."""


_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")


def error_text(e: BaseException, limit: int = 200) -> str:
    """An exception as words for one line: its first line, without a raw "[Errno N]" prefix (FFmpeg's
    codes such as 1094995529 mean nothing to a pianist), cut to `limit` characters."""
    if isinstance(e, OSError) and e.strerror:
        text = e.strerror
    else:
        lines = str(e).strip().splitlines()
        text = lines[0] if lines else type(e).__name__
    text = _ERRNO.sub("", text).strip() or type(e).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TrainingError(LlaqoError):
    """A training run that cannot start or go on (an --out in the way, no data, a NaN loss)."""


class TrainingInterrupted(LlaqoError):
    """Ctrl-C during training: a checkpoint was saved first."""

    exit_code = 130
