"""`llaqo compare`: two takes of one passage — which is played better, how sure, and what changed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from llaqo.errors import error_boundary
from llaqo.model.options import EngineOptions, OutputOptions
from llaqo.options import COMPARE_OUTPUT, LISTEN_ENGINE, RubricOpt, uses

EXAMPLES = """
[bold]Examples[/bold]

  llaqo compare monday.wav friday.wav                      # which take is better, dimension by dimension
  llaqo compare a.wav b.wav --piece etude --reference etude.mid
  llaqo compare a.wav b.wav --json - | jq .better
  llaqo compare a.wav b.wav --markdown change.md --html change.html
"""


@uses(engine=LISTEN_ENGINE, output=COMPARE_OUTPUT)
def compare(
    take_a: Annotated[Path, typer.Argument(metavar="A", show_default=False, help="The first take (audio).")],
    take_b: Annotated[Path, typer.Argument(metavar="B", show_default=False, help="The second take (audio).")],
    piece: Annotated[Optional[str], typer.Option("--piece", metavar="NAME", show_default=False,
                                                 help="The piece both takes are of (a title for the report).")] = None,
    rubric: RubricOpt = "full",
    *,
    engine: EngineOptions,
    output: OutputOptions,
) -> None:
    """Compare two takes of one passage: which is played better, and what changed in each dimension.

    Both takes are measured by the listening engine (against --reference when given).
    """
    with error_boundary():
        run_comparison(take_a, take_b, piece, rubric, engine=engine, output=output)


compare.__doc__ = (compare.__doc__ or "") + "\n" + EXAMPLES


def run_comparison(a: Path, b: Path, piece: str | None, rubric: str, *, engine: EngineOptions,
                   output: OutputOptions) -> None:
    from rich.console import Console

    from llaqo.common.errors import ConfigError
    from llaqo.common.files import check_outputs, write_atomic
    from llaqo.common.text import shown
    from llaqo.model.assess import build_engine
    from llaqo.model.compare import compare_takes
    from llaqo.rubric.render.comparison import (
        comparison_to_html,
        comparison_to_markdown,
        render_comparison_terminal,
    )
    from llaqo.rubric.render.json_report import write_json
    from llaqo.rubric.schema import load_rubric

    if Path(a).resolve() == Path(b).resolve():
        raise ConfigError(f"{shown(a)} is given twice", "compare two different takes")
    inputs = [a, b, *(p for p in (engine.listen.reference, rubric) if p and Path(p).exists())]
    check_outputs([output.json_out, output.markdown, output.html], inputs)
    comparison = compare_takes(a, b, load_rubric(rubric), build_engine(engine), piece=piece)
    if output.json_out is not None:
        import json

        write_json(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False) + "\n", output.json_out)
    if output.json_out != "-":
        render_comparison_terminal(comparison, Console())
    for path, render in ((output.markdown, comparison_to_markdown), (output.html, comparison_to_html)):
        if path:
            write_atomic(path, render(comparison))
            print(f"wrote {shown(path)}", file=sys.stderr)
