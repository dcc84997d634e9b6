"""The PianoJudges head: the published shapes, logits (no double softmax), the stored folder, the
metrics, and the examples read from the layouts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from llaqo.common.errors import CheckpointError
from llaqo.model.coach.judges.head import HeadConfig, JudgeHead, pair_input, task_classes
from llaqo.model.coach.judges.store import find_judges, load_head, load_heads, save_head
from llaqo.model.evaluate.metrics.judges import auroc, average_precision, multilabel_scores, single_label_scores


def _head(task="difficulty", **kw):
    classes, multi = task_classes(task, kw.pop("n_classes", None), kw.pop("multi_label", True))
    return JudgeHead(HeadConfig(task, classes, multi, **kw))


def test_published_shapes_at_full_size():
    head = _head()
    assert head.proj.in_features == 600  # 512 × 768 → 20 × 30 after the two convolutions
    assert _head("expertise").proj.in_features == 1200  # a pair: both takes' 512 patches, 40 × 30
    assert head.out.in_features == 30 * 128 and head.out.out_features == 9
    assert head.eval()(torch.randn(2, 30, 512, 768)).shape == (2, 9)


def test_forward_gives_logits_and_the_loss_reads_them_once():
    head = _head(n_patches=64, embed_dim=64, n_segments=3).eval()
    logits = head(torch.randn(4, 3, 64, 64))
    assert not torch.allclose(logits.sum(-1), torch.ones(4))  # not probabilities
    assert torch.allclose(head.probabilities(logits).sum(-1), torch.ones(4))
    sure = torch.tensor([[12.0] + [-12.0] * 8])
    assert float(head.loss(sure, torch.tensor([0]))) < 1e-3
    # what the published double softmax gives for the same confident, right answer: a floor near 1.2
    double = torch.nn.functional.cross_entropy(torch.softmax(sure, -1), torch.tensor([0]))
    assert float(double) > 1.0


def test_multi_label_loss_is_bce_on_logits_with_the_published_pos_weight():
    head = _head("technique", n_patches=64, embed_dim=64, n_segments=2)
    logits, target = torch.randn(3, 7), torch.randint(0, 2, (3, 7))
    expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, target.float(),
                                                                    pos_weight=torch.full((7,), 1.4))
    assert torch.allclose(head.loss(logits, target), expected)
    assert head.probabilities(torch.zeros(1, 7)).tolist() == [[0.5] * 7]  # a sigmoid per label


def test_pair_input_puts_segment_k_of_both_takes_side_by_side():
    a, b = torch.ones(2, 4, 3), 2 * torch.ones(5, 4, 3)
    x = pair_input(a, b, 3)
    assert x.shape == (3, 8, 3)
    assert x[0, :4].eq(1).all() and x[0, 4:].eq(2).all() and x[2, :4].eq(0).all() and x[2, 4:].eq(2).all()


def test_head_folder_round_trip_and_refusals(tmp_path):
    head = _head(n_patches=64, embed_dim=64, n_segments=2, encoder_id="abc").eval()
    save_head(head, tmp_path)
    back = load_head(tmp_path, "difficulty")
    x = torch.randn(1, 2, 64, 64)
    assert torch.equal(back(x), head(x)) and back.cfg == head.cfg
    assert set(load_heads(tmp_path)) == {"difficulty"} and find_judges(tmp_path, None) == tmp_path
    config = tmp_path / "difficulty.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "colour": "red"}))
    with pytest.raises(CheckpointError, match="unknown keys colour"):
        load_head(tmp_path, "difficulty")
    with pytest.raises(CheckpointError, match="no trained head"):
        find_judges(tmp_path / "empty", None)
    model = tmp_path / "model"
    save_head(head, model / "judges")
    assert find_judges(None, model) == model / "judges" and find_judges(None, tmp_path / "other") is None


def test_task_variants():
    assert task_classes("expertise", 4)[0] == ["A much better", "A better", "B better", "B much better"]
    assert task_classes("difficulty", 3)[0] == ["1-3", "4-6", "7-9"]
    assert task_classes("technique", multi_label=False)[1] is False
    with pytest.raises(Exception, match="9 or 3"):
        task_classes("difficulty", 5)


def test_average_precision_and_auroc_on_hand_computed_cases():
    scores, positive = [0.9, 0.8, 0.7, 0.6], [True, False, True, False]
    assert average_precision(scores, positive) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert auroc(scores, positive) == pytest.approx(3 / 4)  # (0.9>0.8, 0.9>0.6, 0.7>0.6; 0.7<0.8)
    assert auroc([0.5, 0.5], [True, False]) == 0.5 and auroc([1.0], [True]) is None
    got = multilabel_scores([[0.9, 0.1], [0.2, 0.8]], [[1, 0], [0, 1]], ["x", "y"])
    assert got["map"] == 1.0 and got["auroc"] == 1.0
    balanced = single_label_scores([0, 0, 0, 2], [0, 0, 0, 1], ordinal=True)
    assert balanced["acc0"] == 0.5 and balanced["micro_acc0"] == 0.75 and balanced["acc1"] == 1.0


def test_expertise_pairs_from_the_pianojudge_folders(tmp_path):
    from llaqo.model.train.judge_data import read_examples

    rows = ["audio_path,split,Q,A"]
    for level in ("novice", "advanced", "virtuoso"):
        (tmp_path / level).mkdir()
        for i in range(2):
            (tmp_path / level / f"{i}.wav").write_bytes(b"x")
            rows.append(f"/data/PianoJudge/{level}/{i}.wav,train,q,a")
    (tmp_path / "audio_qa.csv").write_text("\n".join(rows) + "\n")
    two, _ = read_examples("expertise", tmp_path, tmp_path, "train", 2, False)
    four, _ = read_examples("expertise", tmp_path, tmp_path, "train", 4, False)
    assert len(two) == 3 * 2 * 2  # 3 pairs of levels × 2 recordings × both orders
    first = {(ex.audio[0].parent.name, ex.audio[1].parent.name): ex.target for ex in two}
    assert first[("novice", "advanced")] == 1 and first[("advanced", "novice")] == 0
    tags = {(ex.audio[0].parent.name, ex.audio[1].parent.name): ex.target for ex in four}
    assert tags[("virtuoso", "novice")] == 0 and tags[("advanced", "novice")] == 1
    assert tags[("novice", "advanced")] == 2 and tags[("novice", "virtuoso")] == 3


def test_the_techniques_row_scores_map_and_auroc_next_to_acc0(tmp_path):
    from llaqo.model.evaluate.datasets import Item
    from llaqo.model.evaluate.judges import judge_run

    head = _head("technique", n_patches=64, embed_dim=64, n_segments=1)
    said = {"a.wav": [0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.8], "b.wav": [0.2, 0.7, 0.1, 0.1, 0.1, 0.1, 0.3]}

    class Stub:  # the heads' probabilities per file, without an encoder
        heads, folder = {"technique": head}, tmp_path

        class embedder:
            file = staticmethod(lambda path, n: path.name)

        def probabilities(self, task, name):
            return said[name]

        def describe(self):
            return "technique (7-way multi-label)"

    items = [Item("a", Path("a.wav"), (), "Scales", ("Scales", "Staccato")), Item("b", Path("b.wav"), (), "Arpeggios",
                                                                                  ("Arpeggios",))]
    run = judge_run("techniques", items, Stub())
    scores = run["mean"]
    assert scores["acc0"] == 1.0 and scores["map"] == 1.0 and scores["auroc"] == 1.0
    assert judge_run("cipi", items, Stub()) is None  # no difficulty head in the folder: no row
