"""`llaqo ask`: one free-form question, answered by the neural coach for every chunk of a take."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from llaqo.errors import error_boundary
from llaqo.model.options import EngineOptions
from llaqo.options import COACH_ENGINE, output_option, uses

AskJsonOpt = Annotated[Optional[str], output_option(
    "--json", metavar="FILE|-", show_default=False,
    help="Write the answers as one JSON document to a file, or - for stdout (as `assess --json`).")]


@uses(engine=COACH_ENGINE)
def ask(
    file: Annotated[Path, typer.Argument(metavar="FILE", show_default=False, help="An audio file.")],
    question: Annotated[str, typer.Argument(metavar="QUESTION", show_default=False,
                                            help="The question, as you would ask a teacher.")],
    json_out: AskJsonOpt = None,
    *,
    engine: EngineOptions,
) -> None:
    """Ask the neural coach one question about a take; it answers for every 40.96-s chunk.

    With --json: {"file", "question", "answers": [{"start_s", "end_s", "answer"}]}.

    [bold]Examples[/bold]

      llaqo ask take.wav "How clean is the attack?"
      llaqo ask take.wav "Is the tempo kept constant?" --model ckpts/ --fast
      llaqo ask take.wav "Is the pedalling clean?" --json answers.json
    """
    import json

    from llaqo.common.files import check_outputs
    from llaqo.common.text import shown
    from llaqo.common.times import span_text
    from llaqo.model.assess import build_engine
    from llaqo.model.audio.io import probe
    from llaqo.model.coach.ask import ask_file
    from llaqo.rubric.render import write_json

    with error_boundary():
        check_outputs([json_out], [file])  # before the model is loaded: a bad path fails now
        probe(file)  # a bad file fails before the model is loaded
        answers = []
        for start, end, text in ask_file(file, question, build_engine(engine)):
            answers.append({"start_s": start, "end_s": end, "answer": text})
            if json_out != "-":
                print(f"[{span_text(start, end)}] {text}")
        if json_out is not None:
            doc = {"file": str(file), "question": question, "answers": answers}
            write_json(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", json_out)
            if json_out != "-":
                print(f"wrote {shown(json_out)} (JSON answers, {len(answers)} chunk(s))", file=sys.stderr)
