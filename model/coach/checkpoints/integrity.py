"""A bundle proves itself: only listed files, only inside the bundle, each one matching its hash.

Hashing 14 GB takes about a minute, so a file whose hash was checked is remembered in `.verified.json`
under its content identity: size, mtime, ctime (in ns), inode and device. A flipped byte with its mtime
restored (`touch -d`) still changes the ctime, which no user can set back, so it is hashed again. The cost:
any metadata change (chmod, a copy, a restore from backup) also means one full re-hash on the next load.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath

from llaqo.common.errors import CheckpointError
from llaqo.common.files import write_atomic
from llaqo.common.text import shown

VERIFIED = ".verified.json"
HINT = "convert or download the model again"


def safe_member(folder: Path, rel: str) -> Path:
    """The file `rel` names inside `folder`; refused when absolute, with `..`, or resolving outside it."""
    pure = PurePosixPath(rel)
    if not rel or pure.is_absolute() or "\\" in rel or ".." in pure.parts or Path(rel).drive:
        raise CheckpointError(f"{shown(folder)}: the manifest names {shown(rel, 80)!r}, a path outside the bundle",
                              HINT)
    path = folder / pure
    root = folder.resolve()
    if root not in path.resolve().parents:
        raise CheckpointError(f"{shown(path)}: leads outside the bundle (a symlink to "
                              f"{shown(path.resolve(), 80)})", HINT)
    return path


def verify_files(folder: Path, files: dict, ignore: set[str]) -> None:
    """Every listed file present, inside, and matching; no file present that is not listed."""
    folder = Path(folder)
    listed = {str(PurePosixPath(rel)) for rel in files}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        if rel in ignore:
            continue
        if rel not in listed:
            raise CheckpointError(f"{shown(path)}: in the bundle but not in its manifest (added or replaced?)", HINT)
    stamps = _read_stamps(folder)
    for rel, expected in files.items():
        path = safe_member(folder, rel)
        if not path.is_file():
            raise CheckpointError(f"{shown(path)}: listed in the manifest but missing", HINT)
        stamp = identity(path)
        if stamps.get(rel) == stamp and stamp[0] == expected["bytes"]:
            continue
        if stamp[0] != expected["bytes"] or sha256(path) != expected["sha256"]:
            raise CheckpointError(f"{shown(path)}: does not match its SHA-256 in the manifest (corrupt or changed)",
                                  HINT)
        stamps[rel] = stamp
    try:
        write_atomic(folder / VERIFIED, json.dumps(stamps))
    except Exception:  # noqa: BLE001  a read-only bundle is simply verified again next time
        pass


def identity(path: Path) -> list[int]:
    """What the verified cache keys on: size, mtime, ctime (ns), inode, device."""
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def _read_stamps(folder: Path) -> dict:
    try:
        data = json.loads((folder / VERIFIED).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
