"""Keep the C heap from growing with a take's length while large tensor computations run.

glibc's malloc raises its mmap threshold after each big free, so the next windows' mid-sized tensors come
from the heap and fragment it, and memory it freed stays in the process: a long take's RSS grew by ~0.5 MB
per second of audio although nothing is kept. Two libc calls (no well-kept package exposes them):
- `fix_mmap_threshold()`: a fixed 1-MiB threshold, so those tensors are mapped and unmapped whole. Measured
  on a 200-s take with the accurate transcriber: peak 1.75 GB and growing → 1.29 GB flat, at +13% CPU time
  (their pages are faulted in afresh each time).
- `release_free_memory()` (`malloc_trim(0)`) after each segment hands back what is free (alone: 1.54 GB
  flat, +1%).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _libc():
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return libc if libc is not None and hasattr(libc, "malloc_trim") else None  # glibc only


def release_free_memory() -> bool:
    """→ whether memory was handed back (False where the C library has no malloc_trim)."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))


MMAP_THRESHOLD = 1 << 20  # bytes: larger blocks are mapped whole
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def fix_mmap_threshold() -> bool:
    """→ whether the threshold was set (False where the C library is not glibc)."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
