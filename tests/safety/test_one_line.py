"""Every known failure is one line: the boundary's own failures (out of memory while reporting) and
what a terminal would otherwise receive raw (ANSI escapes in a file name)."""

from __future__ import annotations

import pytest
import typer

from llaqo.common.errors import AudioError, LlaqoError
from llaqo.common.text import shown
from llaqo.errors import error_boundary


class Huge(LlaqoError):
    def __str__(self) -> str:
        raise MemoryError


def test_a_memory_error_while_printing_an_error_is_still_one_line(capsys):
    with pytest.raises(typer.Exit) as e:
        with error_boundary():
            raise Huge("a message too large to build")
    assert e.value.exit_code == 1
    err = capsys.readouterr().err
    assert err == "error: out of memory while reporting an error\n"


def test_ansi_escapes_in_a_message_are_shown_escaped(capsys):
    with pytest.raises(typer.Exit):
        with error_boundary():
            raise AudioError("\x1b[2J\x1b[31mred.wav: no such file")
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2J" in err and err.count("\n") == 1


def test_shown_is_bounded_and_escapes_control_characters():
    assert shown("a\x07b\nc") == "a\\x07b\\x0ac"
    assert len(shown("x" * 10_000_000, 300)) == 300
