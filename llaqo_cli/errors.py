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
    say(message, hint)
    return typer.Exit(code)


def say(message: str, hint: str | None = None) -> None:
    """One `error:` line on stderr: bounded, control characters (ANSI escapes in a file name) escaped.
    Out of memory even for that, a fixed line is printed: the user still gets one line, no traceback."""
    try:
        from llaqo.common.text import shown

        line = f"error: {message}" + (f" — {hint}" if hint else "")
        print(shown(line.replace("\n", " "), MAX_LINE), file=sys.stderr)
    except MemoryError:
        sys.stderr.write("error: out of memory\n")


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
        raise _safely(lambda err=e: fail(str(err), err.hint, err.exit_code)) from None
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
        raise _safely(lambda err=e: fail(f"{where}{error_text(err)}")) from None


def _safely(make_exit) -> typer.Exit:
    """The Exit `make_exit` prints and returns — or, when even building the message runs out of memory
    (a huge value in it), one fixed line: the boundary itself never ends in a traceback."""
    try:
        return make_exit()
    except MemoryError:
        sys.stderr.write("error: out of memory while reporting an error\n")
        return typer.Exit(1)
