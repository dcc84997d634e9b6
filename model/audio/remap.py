"""Where a metadata table's audio really is: the LLaQo tables hold their authors' absolute paths
(/data/EECS-MachineListeningLab/...), so a path is found again by its last components under the folder
the user names (`--audio-root`). Training and evaluation read their tables through this one resolver."""

from __future__ import annotations

from pathlib import Path, PurePosixPath


class AudioResolver:
    """Finds a table's audio under `root`: the path itself, else its last k path components under `root`
    (longest first), else those under `root/<dataset>`. The k that worked last is tried first. Without a
    root, only the path as written."""

    def __init__(self, root: Path | None, dataset: str = ""):
        self.root, self.dataset = (Path(root) if root is not None else None), dataset
        self.last: tuple[int, int] | None = None

    def __call__(self, raw: str) -> Path | None:
        raw = raw.strip().replace("\\", "/")
        parts = [p for p in PurePosixPath(raw).parts if p not in ("/", "")]
        if not parts:
            return None
        if (PurePosixPath(raw).is_absolute() or self.root is None) and Path(raw).is_file():
            return Path(raw)
        if self.root is None:
            return None
        bases = (self.root, self.root / self.dataset)
        order = [(b, k) for b in range(2) for k in range(len(parts), 0, -1)]
        if self.last in order:
            order.remove(self.last)
            order.insert(0, self.last)
        for b, k in order:
            candidate = bases[b].joinpath(*parts[-k:])
            if candidate.is_file():
                self.last = (b, k)
                return candidate
        return None
