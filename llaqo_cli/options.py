"""The option groups every command shares, defined once.

A group is a core options dataclass (llaqo.model.options) plus the Typer `Annotated` definition of each
of its fields. `@uses(engine=ENGINE, output=OUTPUT)` adds the groups' options to a command's signature
and hands the command one built dataclass per group, so `assess`, `record`, `ask` and any new command
(train, eval, compare) take the same options with the same names, help and checks — typed: a choice is
an Enum (`--help` lists it; a bad value is refused before any work), a device is parsed at the edge.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

from llaqo.common.device import Device
from llaqo.common.errors import DeviceError
from llaqo.model.options import (
    CoachOptions,
    EngineOptions,
    FolderOptions,
    HistoryOptions,
    ListenOptions,
    OutputOptions,
)


class EngineName(str, Enum):
    auto = "auto"
    coach = "coach"
    listen = "listen"


class Dtype(str, Enum):
    auto = "auto"
    fp16 = "fp16"
    bf16 = "bf16"
    fp32 = "fp32"


class Mode(str, Enum):
    compat = "compat"
    full = "full"


class TranscriberName(str, Enum):
    auto = "auto"
    fast = "fast"
    accurate = "accurate"


def _device(text: str) -> Device:
    try:
        return Device.parse(text)
    except DeviceError as e:  # shown by Typer as "Invalid value for '--device'"
        raise typer.BadParameter(f"{e} (use {e.hint.removeprefix('use ')})") from None


RubricOpt = Annotated[str, typer.Option("--rubric", "-r", metavar="NAME|FILE",
                                        help="full, quick, or a YAML file of your own.")]
EngineOpt = Annotated[EngineName, typer.Option(help="auto: the coach if weights are found, else the listening engine.")]
DeviceOpt = Annotated[Device, typer.Option(parser=_device, metavar="auto|cpu|cuda[:N]",
                                           help="Where the models run.")]
ModelOpt = Annotated[Optional[Path], typer.Option(metavar="DIR", show_default=False,
                                                  help="A llaqo bundle or the released checkpoint folder.")]
FastOpt = Annotated[bool, typer.Option("--fast", help="Greedy decoding instead of beam search (coach).")]
ExactOpt = Annotated[bool, typer.Option(
    "--exact", help="The coach computes each question as it would alone: bit for bit the reference's "
                    "one-question-at-a-time answers on a CPU, at up to half the speed (README, Performance).")]
DtypeOpt = Annotated[Dtype, typer.Option(help="The coach's precision: auto is fp16 on CUDA, fp32 on the CPU.")]
ModeOpt = Annotated[Optional[Mode], typer.Option(
    show_default=False, help="compat: the released model's one audio token; full: all queries.")]
MaxLenOpt = Annotated[Optional[int], typer.Option(min=1, metavar="N", show_default=False,
                                                  help="Length budget of an answer, input included (default 256).")]
ReferenceOpt = Annotated[Optional[Path], typer.Option(metavar="SCORE", show_default=False,
                                                      help="The score (MusicXML, MIDI, MEI or kern) for the "
                                                           "listening engine: wrong, missing and extra notes.")]
TranscriberOpt = Annotated[TranscriberName, typer.Option(
    help="The listening engine's transcriber: auto and accurate: transkun (on the GPU when there is one); "
         "fast: basic-pitch's ONNX model, a quick preview that misses more notes and hears no pedal.")]
OUTPUT_PANEL = "Output"  # the output options, apart in --help


def output_option(*names: str, **kwargs: Any) -> Any:
    """A typer.Option shown in the Output panel of --help."""
    return typer.Option(*names, rich_help_panel=OUTPUT_PANEL, **kwargs)


JsonOpt = Annotated[Optional[str], output_option(
    "--json", metavar="FILE|-", show_default=False,
    help="Write the JSON report (every take in one document) to a file, or - for stdout.")]
MdOpt = Annotated[Optional[Path], output_option("--markdown", metavar="FILE", show_default=False,
                                          help="Write a Markdown report (every take in one file).")]
HtmlOpt = Annotated[Optional[Path], output_option("--html", metavar="FILE", show_default=False,
                                            help="Write a self-contained HTML report (every take in one page).")]
ExplainOpt = Annotated[bool, output_option("--explain", help="Show the measurement behind every rating.")]
MidiOpt = Annotated[Optional[Path], output_option(
    "--midi", metavar="FILE", show_default=False,
    help="Listening engine: write the notes it heard (and the pedal) as MIDI; one take.")]
OutDirOpt = Annotated[Optional[Path], output_option(
    "--out-dir", "-o", metavar="DIR", show_default=False,
    help="Write every take's report into DIR as <take>.json, .md, .html, and the notes heard as .mid and .csv "
         "(listening engine); see --format.")]
FormatOpt = Annotated[Optional[str], output_option(
    "--format", "-f", metavar="LIST", show_default=False,
    help="What --out-dir writes: json, md, html, mid, csv, comma-separated, or all (the default). "
         "Without --out-dir: into the current folder.")]
EmbedAudioOpt = Annotated[bool, output_option(
    "--embed-audio", help="Put a compressed copy of the take (AAC, mono) in the HTML, with a player that jumps "
                          "to the time of a remark; adds about 0.5 MB a minute.")]
QuietOpt = Annotated[bool, output_option(
    "--quiet", "-q", help="Print no report, progress or 'wrote' lines: only what was asked for on stdout, and errors.")]
VerboseOpt = Annotated[bool, output_option(
    "--verbose", "-v", help="Also say on stderr what is done, step by step (engine, each take, each file).")]
NotesOpt = Annotated[Optional[Path], output_option(
    "--notes", metavar="FILE.csv", show_default=False,
    help="Listening engine: write the notes and pedal it heard as CSV; one take.")]
RecursiveOpt = Annotated[bool, typer.Option("--recursive", "-R", help="A folder given: its subfolders' takes too.")]
JsonlOpt = Annotated[Optional[Path], typer.Option("--jsonl", metavar="FILE.jsonl", show_default=False, help=(
    "One JSON report per line, appended as each take is done; takes already in the file are skipped (a "
    "killed run resumes). Under `accelerate launch -m llaqo assess` the takes are split between processes."))]
JudgesOpt = Annotated[Optional[Path], typer.Option(metavar="DIR", show_default=False, help=(
    "PianoJudges heads (`llaqo train judge`): difficulty and technique come from them; default: the model's "
    "judges/ folder when it has one."))]
PieceOpt = Annotated[Optional[str], typer.Option("--piece", metavar="NAME", show_default=False,
                                               help="The piece this take is of, for `llaqo history` "
                                                    "(default: the --reference score's title).")]
NoHistoryOpt = Annotated[bool, typer.Option("--no-history", help="Do not store this result in the practice "
                                                                 "history ($LLAQO_HOME/history.db).")]


@dataclasses.dataclass(frozen=True)
class Group:
    """A core options dataclass, the CLI definition of each of its plain fields, and the groups that
    build its nested fields (an engine's coach and listening options)."""

    target: type
    fields: dict[str, Any]  # field name → Annotated type
    children: dict[str, Group] = dataclasses.field(default_factory=dict)
    fixed: dict[str, Any] = dataclasses.field(default_factory=dict)  # fields the command decides

    def parameters(self) -> list[tuple[type, str, Any]]:
        """(dataclass, field, Annotated type) of every option, children's included."""
        own = [(self.target, name, annotation) for name, annotation in self.fields.items()]
        return own + [p for child in self.children.values() for p in child.parameters()]

    def build(self, values: dict[str, Any]) -> Any:
        kwargs = {name: _plain(values.pop(name)) for name in self.fields}
        kwargs |= {name: child.build(values) for name, child in self.children.items()}
        return self.target(**kwargs, **self.fixed)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


COACH = Group(CoachOptions, {"model": ModelOpt, "fast": FastOpt, "dtype": DtypeOpt, "mode": ModeOpt,
                             "max_length": MaxLenOpt, "exact": ExactOpt})
LISTEN = Group(ListenOptions, {"reference": ReferenceOpt, "transcriber": TranscriberOpt})
OUTPUT = Group(OutputOptions, {"out_dir": OutDirOpt, "formats": FormatOpt, "json_out": JsonOpt, "markdown": MdOpt,
                               "html": HtmlOpt, "embed_audio": EmbedAudioOpt, "explain": ExplainOpt,
                               "midi": MidiOpt, "notes": NotesOpt, "quiet": QuietOpt, "verbose": VerboseOpt})
ENGINE = Group(EngineOptions, {"engine": EngineOpt, "device": DeviceOpt, "judges": JudgesOpt},
               {"coach": COACH, "listen": LISTEN})
FOLDER = Group(FolderOptions, {"recursive": RecursiveOpt, "jsonl": JsonlOpt})
HISTORY = Group(HistoryOptions, {"piece": PieceOpt, "no_history": NoHistoryOpt})
# compare: the listening engine's measurements; --model only for the encoder the heads (--judges) read
LISTEN_ENGINE = Group(EngineOptions, {"device": DeviceOpt, "judges": JudgesOpt},
                      {"listen": LISTEN, "coach": Group(CoachOptions, {"model": ModelOpt})}, fixed={"engine": "listen"})
COMPARE_OUTPUT = Group(OutputOptions, {"json_out": JsonOpt, "markdown": MdOpt, "html": HtmlOpt})
COACH_ENGINE = Group(EngineOptions, {"device": DeviceOpt}, {"coach": COACH}, fixed={"engine": "coach"})


def uses(**groups: Group) -> Callable[[Callable], Callable]:
    """Add each group's options to the command's signature; the command gets `name=<built dataclass>`."""

    def decorate(command: Callable) -> Callable:
        own = inspect.signature(command, eval_str=True)
        params = [p for p in own.parameters.values() if p.name not in groups]
        for group in groups.values():
            for target, name, annotation in group.parameters():
                params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                                                default=_default(target, name, annotation), annotation=annotation))

        @functools.wraps(command)
        def run(**values: Any) -> Any:
            from llaqo.errors import error_boundary

            with error_boundary():  # an option the core dataclass refuses is one line too
                for key, group in groups.items():
                    values[key] = group.build(values)
            return command(**values)

        run.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in params}
        return run

    return decorate


def _default(target: type, name: str, annotation: Any) -> Any:
    """The core dataclass's default, as the option's own type (an Enum member for a choice)."""
    f = next(f for f in dataclasses.fields(target) if f.name == name)
    value = f.default if f.default is not dataclasses.MISSING else (
        f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
    base = typing.get_args(annotation)[0]
    choices = [a for a in (typing.get_args(base) or (base,)) if isinstance(a, type) and issubclass(a, Enum)]
    return choices[0](value) if choices and value is not None else value
