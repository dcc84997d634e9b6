"""The benchmark items: NeuroPiano parquet rows, CIPI and PLD metadata, missing audio, wrong layouts."""

from __future__ import annotations

import csv

import pytest

from llaqo.model.audio.remap import AudioResolver
from llaqo.model.evaluate.datasets import VERBAL_GENERATION, load_items


def resolve_audio(raw: str, root):
    return AudioResolver(root)(raw)
from llaqo.model.evaluate.errors import DatasetError
from llaqo.rubric.schema import load_rubric
from tests.fixtures.neuropiano import QUESTIONS


def test_neuropiano_eval_rows(neuropiano_dir, tmp_path):
    s = load_items("neuropiano", neuropiano_dir, cache=tmp_path / "audio")
    # 2 recordings x 2 raters x 5 questions of split eval; the row without audio is counted, not kept
    assert len(s.items) == 20 and s.missing_audio == 1 and s.missing_examples == ["lost.wav"]
    full = load_rubric("full")
    legato = next(i for i in s.items if i.question_id == 3)
    rating, verbal = legato.questions
    assert rating.text == full.question("legato.rating").text and rating.generation == {}
    assert verbal.text == QUESTIONS[3] and verbal.generation == VERBAL_GENERATION
    assert legato.category == "coordination"
    overall = [i for i in s.items if i.question_id in (1, 2)]
    assert {i.questions[0].id for i in overall} == {"overall.rating"}
    assert {i.questions[1].id for i in overall} == {"overall.verbal", "overall.work_on"}
    assert sorted({i.audio.name for i in s.items}) == ["take_a.wav", "take_b.wav"]
    assert all(i.audio.read_bytes()[:4] == b"RIFF" for i in s.items)
    assert {i.gt for i in s.items} <= set(range(7))


def test_neuropiano_wrong_layout_says_what_was_expected(tmp_path):
    (tmp_path / "audio_qa.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="no NeuroPiano parquet files") as e:
        load_items("neuropiano", tmp_path)
    assert "data/*.parquet" in e.value.hint


def test_neuropiano_offline_download_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DatasetError, match="downloading anusfoil/NeuroPiano-data failed") as e:
        load_items("neuropiano", tmp_path / "empty")
    assert "\n" not in str(e.value)


def _csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_cipi_keeps_the_difficulty_rows_and_finds_audio_under_the_root(tmp_path):
    root = tmp_path / "audio"
    (root / "difficulty_cipi").mkdir(parents=True)
    (root / "difficulty_cipi" / "x1.wav").write_bytes(b"RIFF")
    header = ["", "Composer", "henle", "audio_path", "split", "Q", "A"]
    rows = [
        [0, "CHOPIN", 9, "/data/scratch/acw630/difficulty_cipi/x1.wav", "val", "Who wrote it?", "CHOPIN"],
        [0, "CHOPIN", 9, "/data/scratch/acw630/difficulty_cipi/x1.wav", "val", "How hard, 1 to 9?", "9"],
        [1, "BACH", 4, "/data/scratch/acw630/difficulty_cipi/x2.wav", "val", "How hard, 1 to 9?", "4"],
        [2, "BACH", 5, "/data/scratch/acw630/difficulty_cipi/x1.wav", "train", "How hard, 1 to 9?", "5"],
    ]
    _csv(tmp_path / "meta" / "difficulty_cipi" / "audio_qa.csv", header, rows)
    s = load_items("cipi", tmp_path / "meta", audio_root=root)
    assert [(i.gt, i.questions[0].text, i.questions[0].kind) for i in s.items] == [(9, "How hard, 1 to 9?", "difficulty")]
    assert s.items[0].audio == root / "difficulty_cipi" / "x1.wav"
    assert s.missing_audio == 1
    with pytest.raises(DatasetError, match="no column henle"):
        _csv(tmp_path / "bad" / "audio_qa.csv", ["audio_path", "split", "Q", "A"], [])
        load_items("cipi", tmp_path / "bad")
    with pytest.raises(DatasetError, match="no cipi metadata") as e:
        load_items("cipi", tmp_path / "nowhere")
    assert "audio_qa.csv" in e.value.hint


def test_techniques_labels_first_label_first(tmp_path):
    (tmp_path / "t1.wav").write_bytes(b"RIFF")
    header = ["id", "technique", "Scales", "Repeatednotes", "Staccato", "split", "audio_path", "Q", "A"]
    rows = [["t1", "Repeatednotes|Staccato", 0, 1, 1, "val", "/x/techniques/t1.wav", "Main technique?", "Repeatednotes"]]
    _csv(tmp_path / "audio_qa.csv", header, rows)
    s = load_items("techniques", tmp_path, audio_root=tmp_path)
    assert s.items[0].labels == ("Repeatednotes", "Staccato") and s.items[0].gt == "Repeatednotes"


def test_resolve_audio(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.wav").write_bytes(b"")
    assert resolve_audio("/elsewhere/a/b/c.wav", tmp_path) == tmp_path / "a" / "b" / "c.wav"
    assert resolve_audio("/elsewhere/zzz/c.wav", tmp_path / "a" / "b") == tmp_path / "a" / "b" / "c.wav"
    assert resolve_audio("/elsewhere/zzz/d.wav", tmp_path) is None
