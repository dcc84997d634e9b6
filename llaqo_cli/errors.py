"""The one error boundary: a core error becomes one line on stderr and an exit code.

Set LLAQO_DEBUG=1 to see the traceback instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

MAX_LINE = 2000  # an error line never floods the terminal, whatever a message quotes


def fail(message: str, hint: str | None = None, code: int = 1) -> typer.Exit:
    """Print `error: message` (and the next step) to stderr; return the Exit to raise."""
    line = f"error: {message}"
    if hint:
        line += f" — {hint}"
    if len(line) > MAX_LINE:
        line = line[: MAX_LINE - 1] + "…"
    print(line.replace("\n", " "), file=sys.stderr)
    return typer.Exit(code)


@contextmanager
def error_boundary() -> Iterator[None]:
    from llaqo.common.errors import LlaqoError, error_text

    try:
        yield
    except typer.Exit:
        raise
    except LlaqoError as e:
        if os.environ.get("LLAQO_DEBUG"):
            raise
        raise fail(str(e), e.hint, e.exit_code) from None
    except KeyboardInterrupt:
        raise fail("interrupted", code=130) from None
    except MemoryError:
        if os.environ.get("LLAQO_DEBUG"):
            raise
        raise fail("out of memory", "try --fast, a smaller --device batch, or a shorter take") from None
    except OSError as e:  # a file or device the core did not expect to fail: its words, not its errno
        if os.environ.get("LLAQO_DEBUG"):
            raise
        where = f"{e.filename}: " if getattr(e, "filename", None) else ""
        raise fail(f"{where}{error_text(e)}") from None
