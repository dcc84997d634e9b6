"""Typed errors the core raises. Each carries facts; the CLI turns each into one line and a next step."""

from __future__ import annotations


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


class DeviceError(LlaqoError):
    """A compute device or audio device that is not available."""


class RecordingError(LlaqoError):
    """A recording that failed or captured nothing usable (silence, disk full, the input stopped)."""
