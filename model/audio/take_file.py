"""The file a recording streams into: a 16-bit mono WAV that is valid at every instant.

libsndfile writes a WAV header once and fixes its sizes only on close, so a killed recorder leaves a
header that claims no audio. The standard library's `wave` writer instead patches the RIFF and data
sizes after every `writeframes`; the data goes to disk first and the header second, so a kill between
the two leaves a header that is merely a block short, never one that claims bytes that are not there.
Each block is flushed to the kernel (a killed process loses nothing the kernel holds) and fsynced at
most once a second (what a power cut can take).

Takes are never overwritten: files are created with O_EXCL, and default names get -2, -3... suffixes.
"""

from __future__ import annotations

import errno
import os
import time
import wave
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np

from llaqo.common.errors import RecordingError

TAKES_FOLDER = Path("takes")
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM, 96 dB of range, what every player and DAW reads
FSYNC_EVERY_S = 1.0


class DiskFullError(RecordingError):
    """The disk filled up while recording; what was written before is kept and valid."""


def default_take_path(folder: Path = TAKES_FOLDER, now: datetime | None = None) -> Path:
    """`folder/take-YYYYmmdd-HHMMSS.wav`, or the first free `...-2.wav`, `...-3.wav`."""
    stem = f"take-{(now or datetime.now()):%Y%m%d-%H%M%S}"
    return _first_free(folder, stem)


def _first_free(folder: Path, stem: str, start: int = 1) -> Path:
    n = start
    while True:
        path = folder / (f"{stem}.wav" if n == 1 else f"{stem}-{n}.wav")
        if not path.exists():
            return path
        n += 1


class TakeWriter:
    """Mono float blocks in, a 16-bit WAV out whose header always matches the data written so far."""

    def __init__(self, file: BinaryIO, rate: int, path: Path):
        self.path = path
        self.rate = rate
        self.frames = 0
        self._file = file
        self._last_sync = time.monotonic()
        self._wav = wave.open(file, "wb")  # noqa: SIM115 — closed in close()
        self._wav.setnchannels(1)
        self._wav.setsampwidth(SAMPLE_WIDTH)
        self._wav.setframerate(rate)
        self._wav.writeframes(b"")  # a valid empty WAV from the first instant
        file.flush()

    @classmethod
    def create(cls, out: Path | None, rate: int) -> TakeWriter:
        """Create `out` (which must not exist), or a fresh default take name under ./takes."""
        if out is not None and out.exists():
            raise RecordingError(f"{out} already exists", hint="choose another --out; takes are never overwritten")
        path = out or default_take_path()
        while True:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                file = open(path, "xb")  # noqa: SIM115 — owned by the writer
            except FileExistsError:  # another recorder took this name in the meantime
                if out is not None:
                    raise RecordingError(f"{out} already exists", hint="choose another --out") from None
                path = _first_free(path.parent, path.stem, start=2)
                continue
            except OSError as e:
                raise _os_error(e, f"cannot create {path}") from e
            return cls(file, rate, path)

    @property
    def seconds(self) -> float:
        return self.frames / self.rate

    def write(self, mono: np.ndarray) -> None:
        """Append float samples in [-1, 1] (n,); raises DiskFullError with the take so far kept."""
        pcm = np.clip(mono * 32768.0, -32768, 32767).astype("<i2")
        try:
            self._wav.writeframes(pcm.tobytes())  # data, then the patched header
            self._file.flush()
            if time.monotonic() - self._last_sync >= FSYNC_EVERY_S:
                os.fsync(self._file.fileno())
                self._last_sync = time.monotonic()
        except OSError as e:
            raise _os_error(e, f"recording stopped after {self.seconds:.1f} s; {self.path} keeps them") from e
        self.frames += len(pcm)

    def close(self) -> None:
        """Finish the file; never raises for a disk that is full (the header is already right)."""
        for finish in (self._wav.close, self._sync, self._file.close):
            try:
                finish()
            except (OSError, ValueError):
                pass

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())


def _os_error(e: OSError, what: str) -> RecordingError:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(
            f"the disk is full: {what}", hint="free some space, or record onto another disk with --out"
        )
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return RecordingError(f"permission denied: {what}", hint="record into a folder you can write, with --out")
    return RecordingError(f"{what}: {e.strerror or e}")
