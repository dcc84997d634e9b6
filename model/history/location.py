"""Where the practice history lives: `$LLAQO_HOME/history.db`, else the user's data folder
(platformdirs: ~/.local/share/llaqo on Linux, ~/Library/Application Support/llaqo on macOS,
%LOCALAPPDATA%\\llaqo on Windows)."""

from __future__ import annotations

import os
from pathlib import Path

HISTORY_FILE = "history.db"


def llaqo_home() -> Path:
    """The folder llaqo keeps its own data in (created on first write, not here)."""
    given = os.environ.get("LLAQO_HOME")
    if given:
        return Path(given).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("llaqo", appauthor=False))


def history_path() -> Path:
    return llaqo_home() / HISTORY_FILE
