"""End to end: every engine answers through assess_file; rows land in the reference's layouts; resume."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from llaqo.common.device import Device
from llaqo.model.evaluate.datasets import load_items
from llaqo.model.evaluate.results import COLUMNS
from llaqo.model.evaluate.runner import EvalOptions, answer_items, answer_text, ask_recording, run_eval
from llaqo.model.options import CoachOptions, EngineOptions, ListenOptions
from llaqo.model.testing.piano import can_render, render
from tests.evaluate.conftest import SHORT


@pytest.fixture(scope="module")
def coach_run(neuropiano_dir, released_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("coach_run")
    opts = EvalOptions("neuropiano", neuropiano_dir, out, engines=("coach",), device=Device("cpu"),
                       coach=CoachOptions(model=released_dir, max_length=SHORT), limit=10)
    return out, run_eval(opts)


def test_coach_run_writes_the_layout_and_scores_it(coach_run, neuropiano_dir):
    out, summary = coach_run
    df = pd.read_csv(out / "neuropiano_coach.csv", keep_default_na=False)
    assert tuple(df.columns) == COLUMNS["neuropiano"]
    items = load_items("neuropiano", neuropiano_dir, cache=out / "audio").items[:10]
    assert df["gt"].tolist() == [i.gt for i in items]
    assert df["question"].tolist() == [i.questions[0].text for i in items]
    assert df["question_id"].tolist() == [i.question_id for i in items]
    assert all(df["verbal_output"].str.len() > 0)  # the random model says something to every verbal question
    run = summary["engines"]["coach"]["runs"][0]
    rated = [r for r in df["output_rating"] if r != ""]
    assert run["n"] == 10 and run["pfr"] == len(rated) / 10
    assert summary["missing_audio"] == 1
    assert json.loads((out / "summary.json").read_text())["engines"]["coach"]["files"] == [
        str(out / "neuropiano_coach.csv")]


def test_coach_rows_are_what_assess_answers(coach_run, neuropiano_dir, released_dir):
    """Same path: asking the recording's questions through assess_file gives the row's very texts."""
    from llaqo.model.assess import build_engine

    out, _ = coach_run
    engine = build_engine(EngineOptions("coach", Device("cpu"), CoachOptions(model=released_dir, max_length=SHORT)))
    items = [i for i in load_items("neuropiano", neuropiano_dir, cache=out / "audio").items[:10]
             if i.audio.name == "take_a.wav"]
    answers = ask_recording(engine, items[0].audio, [q for i in items for q in i.questions])
    df = pd.read_csv(out / "neuropiano_coach.csv", keep_default_na=False)
    for row, item in zip(df.itertuples(), items):
        rating = answers[(item.questions[0].id, item.questions[0].text)]
        verbal = answers[(item.questions[1].id, item.questions[1].text)]
        assert row.output == answer_text(rating) and row.verbal_output == verbal.text
        assert all(r.text in row.output for r in rating.remarks)
        assert str(row.output_rating) == ("" if rating.value is None else str(rating.value))


def test_a_multi_window_answer_leads_with_the_take_value():
    from llaqo.rubric.report import Answer, Remark

    a = Answer("t", "q", "technique", "technique", [Remark(0, 40, "Mainly arpeggios.", "Arpeggios"),
                                                  Remark(40, 80, "Mainly scales.", "Scales"),
                                                  Remark(80, 90, "Mainly scales.", "Scales")], value="Scales")
    assert answer_text(a) == "Scales — Mainly arpeggios. / Mainly scales. / Mainly scales."
    a.remarks = a.remarks[:1]
    assert answer_text(a) == "Mainly arpeggios."


class Interrupting:
    """Wraps an engine; raises KeyboardInterrupt (a kill) when the n-th recording is asked."""

    def __init__(self, engine, stop_at: int | None):
        self.inner, self.stop_at, self.asked = engine, stop_at, 0
        self.name, self.reason, self.join_tail_s = engine.name, engine.reason, engine.join_tail_s

    def describe(self):
        return self.inner.describe()

    def heard_part(self):
        return self.inner.heard_part()

    def score_errors(self):
        return self.inner.score_errors()

    def heard_note(self):
        return self.inner.heard_note()

    def answer_segment(self, segment, rubric):
        if segment.index == 0:
            self.asked += 1
            if self.asked == self.stop_at:
                raise KeyboardInterrupt
        return self.inner.answer_segment(segment, rubric)


def test_resume_after_a_kill_asks_only_what_is_left(neuropiano_dir, tmp_path):
    from llaqo.model.listen.engine import ListenEngine

    items = load_items("neuropiano", neuropiano_dir, cache=tmp_path / "audio").items
    engine = ListenEngine(device="cpu", transcriber="fast")
    engine.reason = "test"
    killed = Interrupting(engine, stop_at=2)
    path = tmp_path / "neuropiano_listen.csv"
    with pytest.raises(KeyboardInterrupt):
        answer_items(killed, "neuropiano", items, path, resume=False)
    first = pd.read_csv(path)
    assert len(first) == 10 and set(first["audio_path"]) == {"take_a.wav"}  # the first recording, whole
    again = Interrupting(engine, stop_at=None)
    answer_items(again, "neuropiano", items, path, resume=True)
    assert again.asked == 1  # only the recording not yet done
    fresh = tmp_path / "fresh.csv"
    answer_items(engine, "neuropiano", items, fresh, resume=False)
    assert path.read_text() == fresh.read_text()


@pytest.mark.skipif(not can_render(), reason="fluidsynth or a GM soundfont is missing")
def test_listening_engine_on_rendered_clips(tmp_path):
    """PLD and CIPI rows on three short renders: the rows hold the engine's own answers, scored."""
    from llaqo.model.testing.performances import technique_passage

    names = {"Scales": "Scales", "Repeated notes": "Repeatednotes", "Octaves": "Octave"}
    root = tmp_path / "audio"
    root.mkdir()
    tech_rows, cipi_rows = [], []
    for i, (name, label) in enumerate(names.items()):
        render(technique_passage(name, 5.0), root / f"clip{i}.wav")
        tech_rows.append([f"/cluster/techniques/clip{i}.wav", "val", "What is the primary piano technique?", label,
                          label])
        cipi_rows.append([f"/cluster/cipi/clip{i}.wav", "val", "How difficult, 1 to 9?", str(i + 2), i + 2])
    for task, rows, header in (("techniques", tech_rows, ["audio_path", "split", "Q", "A", "technique"]),
                               ("cipi", cipi_rows, ["audio_path", "split", "Q", "A", "henle"])):
        (tmp_path / task).mkdir()
        with open(tmp_path / task / "audio_qa.csv", "w", newline="") as f:
            csv.writer(f).writerows([header, *rows])
        out = tmp_path / f"out_{task}"
        summary = run_eval(EvalOptions(task, tmp_path / task, out, audio_root=root, engines=("listen",),
                                       device=Device("cpu"), listen=ListenOptions(transcriber="fast")))
        df = pd.read_csv(out / f"{task}_listen.csv")
        assert tuple(df.columns) == COLUMNS[task] and len(df) == 3
        run = summary["engines"]["listen"]["runs"][0]
        if task == "techniques":
            from llaqo.rubric.parse import parse_technique

            preds = [parse_technique(t) for t in df["response"]]
            assert run["acc0"] == sum(p == n for p, n in zip(preds, names)) / 3
            assert run["acc0"] >= 2 / 3  # the engine recognises these clear passages
        else:
            assert df["rating"].between(1, 9).all()
            assert run["micro_acc0"] == (df["rating"] == df["gt"]).mean()
            assert run["mae"] == pytest.approx((df["rating"] - df["gt"]).abs().mean())


def test_qwen2_audio_baseline_path(neuropiano_dir, tmp_path):
    """A tiny random Qwen2-Audio saved with save_pretrained answers through the same runner."""
    from llaqo.model.evaluate.baselines.qwen2_audio import Qwen2AudioEngine, windows_16k
    from tests.fixtures.tiny_qwen2_audio import write_tiny_qwen2_audio

    folder = write_tiny_qwen2_audio(tmp_path / "qwen2-audio")
    engine = Qwen2AudioEngine.load(folder, "cpu", max_new_tokens=4)
    items = load_items("neuropiano", neuropiano_dir, cache=tmp_path / "audio").items[:3]
    path = tmp_path / "neuropiano_qwen2-audio.csv"
    answer_items(engine, "neuropiano", items, path, resume=False)
    df = pd.read_csv(path, keep_default_na=False)
    assert len(df) == 3 and all(df["verbal_output"].str.len() > 0)
    from llaqo.model.audio.chunks import iter_segments

    seg = next(iter_segments(items[0].audio))
    (start, wave), = windows_16k(seg)
    assert start == 0.0 and len(wave) == pytest.approx(3.0 * 16_000, abs=2)
    assert df["verbal_output"][0] == engine.generate(wave, [items[0].questions[1].text])[0]


def test_windows_fit_the_baseline_limit():
    import numpy as np

    from llaqo.model.audio.chunks import AudioSegment
    from llaqo.model.evaluate.baselines.qwen2_audio import windows_16k

    seg = AudioSegment(1, 40.0, np.zeros((2, 40 * 8000), np.float32), 8000)
    wins = windows_16k(seg)
    assert [round(s, 2) for s, _ in wins] == [40.0, 60.48]
    assert [len(w) for _, w in wins] == [int(20.48 * 16000), 40 * 16000 - int(20.48 * 16000)]
    short_tail = AudioSegment(0, 0.0, np.zeros((1, int(20.7 * 16000)), np.float32), 16000)
    assert len(windows_16k(short_tail)) == 1  # a 0.22-s tail stays with its window (20.7 s < 30 s)


KILLED_RUN = """
import sys, time
from pathlib import Path
from llaqo.model.evaluate.datasets import load_items
from llaqo.model.evaluate.runner import answer_items
from llaqo.model.listen.engine import ListenEngine

class StallsOnTheSecondRecording(ListenEngine):
    asked = 0
    def answer_segment(self, segment, rubric):
        if segment.index == 0:
            type(self).asked += 1
            if self.asked == 2:
                time.sleep(120)  # the run is killed here
        return super().answer_segment(segment, rubric)

engine = StallsOnTheSecondRecording(device="cpu", transcriber="fast")
engine.reason = "test"
items = load_items("neuropiano", Path(sys.argv[1]), cache=Path(sys.argv[2]) / "audio").items
answer_items(engine, "neuropiano", items, Path(sys.argv[2]) / "neuropiano_listen.csv", resume=False)
"""


def test_resume_after_sigkill(neuropiano_dir, tmp_path):
    """A real kill (SIGKILL, no clean-up) while the second recording is being answered: the first
    recording's rows are on disk, and --resume completes the file exactly as an uninterrupted run writes it."""
    import subprocess
    import sys
    import time

    from llaqo.model.listen.engine import ListenEngine

    path = tmp_path / "neuropiano_listen.csv"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(neuropiano_dir), str(tmp_path)])
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not (path.exists() and path.read_text().count("\n") >= 11):
            time.sleep(0.2)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -9
    assert path.read_text().count("\n") == 11  # header + the 10 rows of the first recording
    engine = ListenEngine(device="cpu", transcriber="fast")
    engine.reason = "test"
    items = load_items("neuropiano", neuropiano_dir, cache=tmp_path / "audio").items
    answer_items(engine, "neuropiano", items, path, resume=True)
    answer_items(engine, "neuropiano", items, tmp_path / "fresh.csv", resume=False)
    assert path.read_text() == (tmp_path / "fresh.csv").read_text()
