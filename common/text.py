"""Text from outside (file names, values from a file) as a terminal line may show it: control characters
escaped — an ANSI escape in a file name never reaches the terminal raw — and the length bounded."""

from __future__ import annotations

import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(value: Any, limit: int = 300) -> str:
    """`value` as one safe, bounded line: control characters as \\xNN, cut to `limit` characters."""
    text = str(value)
    if len(text) > 4 * limit:
        text = text[: 4 * limit]  # never escape megabytes only to cut them
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
