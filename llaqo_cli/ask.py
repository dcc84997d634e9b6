"""`llaqo ask`: one free-form question, answered by the neural coach for every chunk of a take."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llaqo.errors import error_boundary
from llaqo.model.options import EngineOptions
from llaqo.options import COACH_ENGINE, uses


@uses(engine=COACH_ENGINE)
def ask(
    file: Annotated[Path, typer.Argument(metavar="FILE", show_default=False, help="An audio file.")],
    question: Annotated[str, typer.Argument(metavar="QUESTION", show_default=False,
                                            help="The question, as you would ask a teacher.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON lines instead of text.")] = False,
    *,
    engine: EngineOptions,
) -> None:
    """Ask the neural coach one question about a take; it answers for every 40.96-s chunk.

    [bold]Examples[/bold]

      llaqo ask take.wav "How clean is the attack?"
      llaqo ask take.wav "Is the tempo kept constant?" --model ckpts/ --fast
    """
    import json

    from llaqo.common.times import span_text
    from llaqo.model.assess import build_engine
    from llaqo.model.audio.io import probe
    from llaqo.model.coach.ask import ask_file

    with error_boundary():
        probe(file)  # a bad file fails before the model is loaded
        for start, end, text in ask_file(file, question, build_engine(engine)):
            if json_out:
                print(json.dumps({"start_s": start, "end_s": end, "question": question, "answer": text}))
            else:
                print(f"[{span_text(start, end)}] {text}")
