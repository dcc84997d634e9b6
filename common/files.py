"""The one writer of every file llaqo makes (reports, bundle configs and manifests, caches).

Two steps, so that nothing the user made is lost:

- `check_output(path, inputs)` runs BEFORE any work: the folder exists and is writable, the path is not a
  folder, not one of the inputs (same file, by device and inode, whatever the spelling), and not an audio
  file — a report never replaces a take. A 3-hour take is not assessed for ten minutes only to fail then.
- `write_atomic(path, data)` writes a temporary file in the same folder, fsyncs it and renames it into
  place (os.replace is atomic on POSIX and Windows): a full disk, a kill -9 or a crash leaves the old file
  whole, and concurrent writers of one path each leave a complete file, never a mix.

Errors name the path, never "output:".
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from llaqo.common.errors import LlaqoError, error_text
from llaqo.common.text import shown

# What a report must never replace (a take, or any audio the user made): every suffix llaqo reads.
AUDIO_SUFFIXES = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aif", ".aiff", ".m4a",
                            ".aac", ".mp4", ".wma", ".webm", ".mka", ".caf", ".w64", ".rf64"})


class OutputError(LlaqoError):
    """An output path llaqo refuses to write (a folder, an input, a take) or cannot write (disk full)."""

    exit_code = 2


def check_output(path: str | Path, inputs: Iterable[str | Path] = (), *, allow_audio: bool = False) -> Path:
    """Refuse, before any work, a destination that cannot or must not be written → the path."""
    path = Path(path)
    name = shown(path)
    if path.suffix.lower() in AUDIO_SUFFIXES and not allow_audio:
        raise OutputError(f"{name}: will not write a report over an audio file",
                          "give the report a .json, .md or .html name")
    if path.is_dir():
        raise OutputError(f"{name}: is a folder, not a file", "give a file name inside it")
    for given in inputs:
        if _same_file(path, Path(given)):
            raise OutputError(f"{name}: is one of the input files; it would be overwritten",
                              "give the report another name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{name}: the folder {shown(parent)} does not exist", "create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{name}: the folder {shown(parent)} is not writable")
    if path.exists() and not path.is_file():
        raise OutputError(f"{name}: not a regular file (a device, a pipe?)")
    if path.exists() and not os.access(path, os.W_OK):
        raise OutputError(f"{name}: is read-only")
    return path


def check_outputs(paths: Iterable[str | Path | None], inputs: Iterable[str | Path] = ()) -> None:
    """`check_output` for each given path ("-", stdout, and None are skipped); no two may be the same."""
    inputs = list(inputs)
    seen: list[Path] = []
    for p in paths:
        if p is None or str(p) == "-":
            continue
        path = check_output(p, inputs)
        if any(_same_file(path, s) or path.resolve() == s.resolve() for s in seen):
            raise OutputError(f"{shown(path)}: given for two reports; each needs its own file")
        seen.append(path)


def write_atomic(path: str | Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write `data` to `path` whole or not at all: temp file in the same folder, fsync, os.replace."""
    path = Path(path)
    payload = data.encode(encoding) if isinstance(data, str) else data
    folder = path.parent if str(path.parent) else Path(".")
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:64]}.", suffix=".part", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        _keep_mode(path, tmp)
        os.replace(tmp, path)
        tmp = None
        fsync_folder(folder)
    except OSError as e:
        raise OutputError(f"{shown(path)}: cannot write ({_why(e)}); any previous file there is unchanged") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path


def _why(e: OSError) -> str:
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "the disk is full"
    return error_text(e)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): only the spelling can tell
        return os.path.abspath(a) == os.path.abspath(b)


def _keep_mode(path: Path, tmp: str) -> None:
    """mkstemp makes 0600; a replaced file keeps its mode, a new one gets the umask's usual 0644-ish."""
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp, mode)


def fsync_folder(folder: Path) -> None:
    """Make a rename inside `folder` durable (best effort: not every system can fsync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a folder; the rename is durable enough there
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex), read 1 MiB at a time."""
    import hashlib

    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
