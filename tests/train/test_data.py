"""Every metadata layout parses; paths are remapped; missing audio is counted, never fatal; splits hold."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from llaqo.common.errors import ConfigError
from llaqo.model.train import layouts
from llaqo.model.train.batch import Order
from llaqo.model.train.data import Source, load_data
from tests.train.conftest import METADATAS

SHARED = Path("/work/shared/data/metadatas")
EXPECTED = {"Burgmuller": "audio_qa", "con_espressione": "audio_qa", "PISA": "pisa", "PianoJudge": "pianojudge",
            "YCU-PPE-III": "ycu_ppe", "crocus": "crocus", "difficulty_cipi": "cipi", "expert_novice": "expert_novice",
            "expressive_musical_gestures": "gestures", "music_shape_dataset": "music_shape",
            "techniques": "techniques"}


def tables(folder: Path) -> list[Path]:
    return sorted(folder.glob("*/*.csv"))


def test_fixture_columns_are_the_authors_columns():
    if not SHARED.is_dir():
        pytest.skip("the authors' metadata heads are not on this machine")
    for table in tables(SHARED):
        ours = METADATAS / table.parent.name / table.name
        assert next(csv.reader(open(table))) == next(csv.reader(open(ours))), table


@pytest.mark.parametrize("dataset", sorted(EXPECTED))
def test_every_layout_parses_and_counts_missing_audio(dataset, metadata_audio):
    table = next((METADATAS / dataset).glob("*.csv"))
    data = load_data([table], metadata_audio, "train")
    (report,) = data.reports
    assert report.layout == EXPECTED[dataset]
    assert (report.rows, report.kept, report.missing_audio) == (3, 2, 1), report.line()
    assert "missing audio" in report.line()
    for ex in data.sources[0].examples:
        assert Path(ex.audio).is_file() and Path(ex.audio).is_relative_to(metadata_audio)
        assert ex.question and ex.answer


def test_the_authors_heads_are_detected_too():
    if not SHARED.is_dir():
        pytest.skip("the authors' metadata heads are not on this machine")
    for table in tables(SHARED):
        header = next(csv.reader(open(table)))
        assert layouts.detect(header, str(table)).name == EXPECTED[table.parent.name]


def test_split_is_honoured(metadata_audio):
    table = METADATAS / "Burgmuller" / "audio_qa.csv"
    (test_report,) = load_data([table], metadata_audio, "test").reports
    assert (test_report.rows, test_report.kept) == (1, 1)


def test_unknown_layout_names_columns_and_layouts(tmp_path):
    table = tmp_path / "odd.csv"
    table.write_text("wav,text\nx.wav,hello\n")
    with pytest.raises(ConfigError) as e:
        load_data([table], tmp_path, "train")
    assert "columns found: wav, text" in str(e.value) and "audio_qa" in e.value.hint


def test_forced_format_checks_columns(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("audio_path,Q,A,split\nx.wav,q,a,train\n")
    with pytest.raises(ConfigError, match="needs the columns"):
        load_data([table], tmp_path, "train", fmt="pisa")


def test_mixture_yaml_weights_and_caption_json(tmp_path, metadata_audio):
    captions = tmp_path / "caps.json"
    captions.write_text(json.dumps({"data": [{"audio": "Burgmuller/b-00-annot.wav", "caption": "a piano"}]}))
    mix = tmp_path / "mix.yaml"
    mix.write_text(f"datasets:\n  - {{path: {METADATAS / 'crocus' / 'evaluation_qa.csv'}, weight: 3}}\n"
                   f"  - {{path: caps.json, weight: 1, audio_root: {metadata_audio}}}\n")
    data = load_data([mix], metadata_audio, "train", caption_prompt="Describe it.")
    assert [s.weight for s in data.sources] == [3, 1]
    assert data.sources[1].examples[0].question == "Describe it."
    order = Order(data.sources, seed=1)
    draws = [order.at(p) for p in range(300)]
    assert 0.6 < sum(d < 2 for d in draws) / 300 < 0.9  # ~3/4 from the weight-3 source
    assert draws == [Order(data.sources, seed=1).at(p) for p in range(300)]


def test_neuropiano_parquet_folder(tmp_path):
    import numpy as np
    import pandas as pd
    import soundfile as sf

    buf = io.BytesIO()
    sf.write(buf, np.zeros(16000, dtype=np.float32), 16000, format="WAV")
    rows = [{"fname": "a.wav", "q_eng": "How clean is the attack?", "a_eng": "Clean.", "score": 4, "question_id": 6,
             "split": "train", "audio_path": {"bytes": buf.getvalue(), "path": "a.wav"}},
            {"fname": "b.wav", "q_eng": "What would you say overall?", "a_eng": "Good.", "score": 5, "question_id": 1,
             "split": "train", "audio_path": {"bytes": None, "path": "b.wav"}},
            {"fname": "a.wav", "q_eng": "Is the tempo kept constant?", "a_eng": "Yes.", "score": 3, "question_id": 9,
             "split": "eval", "audio_path": {"bytes": buf.getvalue(), "path": "a.wav"}}]
    (tmp_path / "np" / "data").mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(tmp_path / "np" / "data" / "train-0.parquet")
    data = load_data([tmp_path / "np"], None, "train")
    (report,) = data.reports
    assert (report.rows, report.missing_audio) == (2, 1)  # b.wav has no bytes and no file
    qa = [(e.question, e.answer) for e in data.sources[0].examples]
    assert qa[0] == ("How would you rate the cleanliness of the attack? on a scale of 1 to 6, 1 is the worst and "
                     "6 is the best, use the full scale as much as possible. ", "4")
    assert qa[1] == ("How clean is the attack?", "Clean.")


def test_order_resumes_from_any_position():
    sources = [Source("a", [None] * 5), Source("b", [None] * 3)]
    order = Order(sources, seed=7)
    full = [i for _, b in zip(range(6), order.batches(0, 2, 0, 1)) for i in b]
    tail = [i for _, b in zip(range(3), Order(sources, seed=7).batches(6, 2, 0, 1)) for i in b]
    assert full[6:] == tail
    assert sorted(full[:8]) == list(range(8))  # one epoch = every row once
