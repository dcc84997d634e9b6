"""The metadata layouts LLaQo's tables come in, told apart by their columns.

Each layout names the columns it needs and how a row gives its audio path and its question/answer.
Detection picks the most specific layout whose columns are all present; `--format NAME` forces one.
The eleven stage-3 CSVs of the reference (Burgmuller … techniques) all carry `Q`, `A`, `split`;
stage 1/2 tables are caption or QA tables (an audio column plus a caption, or a question and answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from llaqo.common.errors import ConfigError


@dataclass(frozen=True)
class Layout:
    name: str
    columns: frozenset[str]  # all must be present
    audio: Callable[[dict], str]  # row -> audio path as the table gives it (absolute or relative)
    question: Callable[[dict], str]
    answer: Callable[[dict], str]
    about: str


def _col(name: str) -> Callable[[dict], str]:
    return lambda row: str(row.get(name, "") or "")


def _pisa_audio(row: dict) -> str:
    # the reference opens AUDIO_DIR/<int(filename)>.wav
    return f"{int(float(row['filename']))}.wav"


def _expert_novice_audio(row: dict) -> str:
    # the reference opens AUDIO_DIR/<piece name without spaces>/<piece name>-<NN>.wav
    piece = str(row["piece_name"])
    return f"{''.join(piece.split())}/{piece}-{str(row['recording_number']).zfill(2)}.wav"


def _first(*names: str) -> Callable[[dict], str]:
    def get(row: dict) -> str:
        for n in names:
            if row.get(n):
                return str(row[n])
        return ""
    return get


_Q, _A = _col("Q"), _col("A")
_QA = frozenset({"Q", "A", "split"})


def _qa(name: str, extra: set[str], about: str, audio: Callable[[dict], str] = _col("audio_path")) -> Layout:
    return Layout(name, _QA | extra, audio, _Q, _A, about)


LAYOUTS: list[Layout] = [
    _qa("audio_qa", {"audio_path"}, "audio_path,Q,A,split (Burgmuller, con_espressione)"),
    _qa("pianojudge", {"audio_path", "mark_sub_level", "webpage_url"}, "PianoJudge/audio_qa.csv"),
    _qa("techniques", {"audio_path", "technique", "Scales", "Arpeggios", "Staccato"}, "techniques/audio_qa.csv"),
    _qa("ycu_ppe", {"audio_path", "name", "s1", "s2", "s3", "rating"}, "YCU-PPE-III/audio_qa.csv"),
    _qa("cipi", {"audio_path", "Composer", "henle", "audio_id"}, "difficulty_cipi/audio_qa.csv"),
    _qa("gestures", {"audio_path", "player"}, "expressive_musical_gestures/audio_qa.csv"),
    _qa("music_shape", {"audio_path", "shape"}, "music_shape_dataset/audio_qa.csv"),
    _qa("pisa", {"filename", "youtube link", "level_player", "level_song"}, "PISA/Annotations_v2.csv", _pisa_audio),
    _qa("crocus", {"audio_file", "feedback_file"}, "crocus/evaluation_qa.csv", _col("audio_file")),
    _qa("expert_novice", {"piece_name", "recording_number"}, "expert_novice/evaluation_qa.csv", _expert_novice_audio),
    # stage 1/2 tables (CSV, JSON or JSON lines); a caption table's question is the configured caption prompt
    Layout("caption", frozenset({"audio", "caption"}), _col("audio"), lambda r: "", _col("caption"),
           "audio,caption (WavCaps/AudioCaps/Clotho style)"),
    Layout("caption_path", frozenset({"audio_path", "caption"}), _col("audio_path"), lambda r: "", _col("caption"),
           "audio_path,caption"),
    Layout("qa", frozenset({"audio", "question", "answer"}), _col("audio"), _col("question"), _col("answer"),
           "audio,question,answer"),
    Layout("qa_path", frozenset({"audio_path", "question", "answer"}), _col("audio_path"), _col("question"),
           _col("answer"), "audio_path,question,answer"),
]
BY_NAME = {layout.name: layout for layout in LAYOUTS}


def detect(columns: list[str], source: str, forced: str = "auto") -> Layout:
    """The most specific layout whose columns are all present (or the forced one, checked)."""
    cols = set(columns)
    if forced != "auto":
        if forced not in BY_NAME:
            raise ConfigError(f"--format {forced}: unknown layout", "known: " + ", ".join(BY_NAME))
        layout = BY_NAME[forced]
        if not layout.columns <= cols:
            raise ConfigError(f"{source}: layout {forced} needs the columns {', '.join(sorted(layout.columns - cols))}"
                              f" (columns found: {', '.join(columns)})")
        return layout
    fits = [layout for layout in LAYOUTS if layout.columns <= cols]
    if not fits:
        raise ConfigError(f"{source}: unknown metadata layout (columns found: {', '.join(columns)})",
                          "known layouts: " + "; ".join(f"{x.name} = {x.about}" for x in LAYOUTS))
    return max(fits, key=lambda x: len(x.columns))
