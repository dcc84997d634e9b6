"""The `llaqo` Typer app. Each command lives in its own module and imports torch only when it runs."""

from __future__ import annotations

import re
import sys
from typing import Annotated

import click
import typer
import typer.core
import typer.rich_utils

app = typer.Typer(
    name="llaqo",
    help="A piano coach that listens to a take and answers a teacher's rubric.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"llaqo {version('llaqo')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print llaqo's version and exit.")] = False,
) -> None:
    """A piano coach that listens to a take and answers a teacher's rubric."""


def _argument_type(self, ctx) -> str:
    """typer 0.29 prints an argument's Python type ("<list[Path]>") beside its metavar; the metavar says it."""
    return "" if self.metavar else _ARGUMENT_TYPE(self, ctx)


def _option_type(self, ctx) -> str | None:
    """…and "<bool>" beside every flag, which takes no value."""
    return "" if self.is_flag else _OPTION_TYPE(self, ctx)


def _usage_error(self: click.ClickException) -> None:
    """A usage error is one line and the next step, like every other llaqo error (typer draws a panel)."""
    if type(self).__name__ == "NoArgsIsHelpError":
        return
    ctx = getattr(self, "ctx", None)
    message = self.format_message()
    choice = _NOT_ONE_OF.search(message)
    param = getattr(self, "param", None)
    if choice and param is not None:  # "unknown dtype 'fp8': use auto, fp16, bf16 or fp32"
        names = [c.strip().strip("'") for c in choice.group(2).rstrip(".").split(",")]
        message = (f"unknown {param.name.replace('_', ' ')} {choice.group(1)!r}: "
                   f"use {', '.join(names[:-1])} or {names[-1]}")
    else:
        message = message.replace("Value error, ", "")
    hint = f" — see `{ctx.command_path} --help`" if ctx is not None else ""
    print(f"error: {message}{hint}".replace("\n", " "), file=sys.stderr)


_NOT_ONE_OF = re.compile(r"'([^']*)' is not one of (.*)$")
typer.rich_utils.rich_format_error = _usage_error
_ARGUMENT_TYPE = typer.core.TyperArgument.display_type_rich
_OPTION_TYPE = typer.core.TyperOption.display_type_rich
typer.core.TyperArgument.display_type_rich = _argument_type
typer.core.TyperOption.display_type_rich = _option_type


def _register() -> None:
    from llaqo import ask, assess, compare, convert, download, history, record, train
    from llaqo import eval as eval_cli

    app.command("assess")(assess.assess)
    app.command("ask")(ask.ask)
    app.command("compare")(compare.compare)
    app.command("convert")(convert.convert)
    app.command("download")(download.download)
    app.command("history")(history.history)
    app.command("record")(record.record)
    app.add_typer(eval_cli.app, name="eval")
    app.add_typer(train.app, name="train")


_register()


def main() -> None:
    app()
