"""The `llaqo` Typer app. Each command lives in its own module and imports torch only when it runs."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="llaqo",
    help="A piano coach that listens to a take and answers a teacher's rubric.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _register() -> None:
    from llaqo import ask, assess, convert, download, record, train

    app.command("assess")(assess.assess)
    app.command("ask")(ask.ask)
    app.command("convert")(convert.convert)
    app.command("download")(download.download)
    app.command("record")(record.record)
    app.add_typer(train.app, name="train")


_register()


def main() -> None:
    app()
