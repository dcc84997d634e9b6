"""`llaqo ask`: one free-form question, answered by the neural coach for every chunk of a take."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llaqo.assess import DeviceOpt, DtypeOpt, FastOpt, MaxLenOpt, ModelOpt, ModeOpt
from llaqo.errors import error_boundary


def ask(
    file: Annotated[Path, typer.Argument(help="An audio file.", show_default=False)],
    question: Annotated[str, typer.Argument(help="The question, as you would ask a teacher.", show_default=False)],
    model: ModelOpt = None,
    fast: FastOpt = False,
    device: DeviceOpt = "auto",
    dtype: DtypeOpt = "auto",
    mode: ModeOpt = None,
    max_length: MaxLenOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of text.")] = False,
) -> None:
    """Ask the neural coach one question about a take; it answers for every 40.96-s chunk.

    [bold]Examples[/bold]

      llaqo ask take.wav "How clean is the attack?"
      llaqo ask take.wav "Is the tempo kept constant?" --model ckpts/ --fast
    """
    import json

    from llaqo.model.assess import EngineOptions
    from llaqo.model.coach.ask import ask_file
    from llaqo.common.times import span_text

    with error_boundary():
        opts = EngineOptions("coach", model, device, dtype, fast, mode, max_length)
        for start, end, text in ask_file(file, question, opts):
            if json_out:
                print(json.dumps({"start_s": start, "end_s": end, "question": question, "answer": text}))
            else:
                print(f"[{span_text(start, end)}] {text}")
