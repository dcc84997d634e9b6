"""Each metric on small cases computed by hand."""

from __future__ import annotations

import math

import pytest

from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.model.evaluate.metrics import classes, ratings, text

# ---------------------------------------------------------------- ratings


def test_reference_parser_keeps_its_quirks():
    assert ratings.parse_reference("I would rate it 4.5 out of 6") == 4.5
    assert ratings.parse_reference("On a scale of 1 to 6, I'd say 4") == 1.0  # the first number
    assert ratings.parse_reference("I give it 0") is None  # a parsed 0 counted missing
    assert ratings.parse_reference("7") == 7.0  # no range check
    assert ratings.parse_reference("quite good") is None


def test_strict_parser_skips_scale_phrases_and_off_scale_numbers():
    assert ratings.parse_strict("On a scale of 1 to 6, I'd say 4") == 4
    assert ratings.parse_strict("I would give it 5 out of 6.") == 5
    assert ratings.parse_strict("Rating: 3/6") == 3
    assert ratings.parse_strict("4.5") == 5  # rounded half up
    assert ratings.parse_strict("9") is None  # off the 1-6 scale
    assert ratings.parse_strict("0") is None
    assert ratings.parse_strict("a 1-6 scale: 2") == 2


def test_pfr_and_mae_exclude_failures():
    got = [3.0, None, 5.0, 1.0]
    gts = [4.0, 2.0, 5.0, 4.0]
    s = ratings.rating_scores(got, gts)
    assert (s.n, s.followed, s.pfr) == (4, 3, 0.75)
    assert s.mae == pytest.approx((1 + 0 + 3) / 3)
    assert s.sd == pytest.approx(math.sqrt(((1 - 4 / 3) ** 2 + (4 / 3) ** 2 + (3 - 4 / 3) ** 2) / 2))
    cats = ratings.per_category(got, gts, ["a", "b", "a", "b"])
    assert list(cats) == ["a", "b"]
    assert (cats["a"].pfr, cats["a"].mae) == (1.0, 0.5)
    assert (cats["b"].pfr, cats["b"].mae) == (0.5, 3.0)


# ---------------------------------------------------------------- text


def test_jury_normalisation():
    assert text.jury_normalize("The cat's  mat, OK?!") == "the cat s mat ok"


def test_bleu_by_hand():
    # after normalisation: "the cat sat on the mat" vs "the cat is on the mat" (6 tokens each, BP = 1)
    # p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0/3
    b = text.bleu_jury(["The cat sat on the mat."], ["the cat is on the MAT!"])
    assert b["bleu_1"] == pytest.approx(5 / 6)
    assert b["bleu_2"] == pytest.approx(math.sqrt(5 / 6 * 3 / 5))
    assert b["bleu_3"] == pytest.approx((5 / 6 * 3 / 5 * 1 / 4) ** (1 / 3))
    assert b["bleu_4"] == 0.0  # no smoothing: one zero precision zeroes the score
    assert b["bu"] == pytest.approx((5 / 6 + math.sqrt(0.5) + 0.5 + 0) / 4)


def test_bleu_is_corpus_level_with_brevity_penalty():
    # counts are summed over the corpus: 3 of 4 unigrams match (a mean of sentence scores would be 0.5)
    assert text.bleu_jury(["a b c", "d"], ["a b c", "e"])["bleu_1"] == pytest.approx(0.75)
    # 2 tokens against 6: BP = exp(1 - 6/2)
    assert text.bleu_jury(["the cat"], ["the cat is on the mat"])["bleu_1"] == pytest.approx(math.exp(-2))


def test_bleu_4_equals_sacrebleu_where_their_conventions_agree():
    """Lower-case, unpunctuated text with every precision above 0: sacrebleu's default (13a, smoothing)
    has nothing to tokenise or smooth, so both BLEU-4 must agree."""
    preds = ["the tempo is steady and the legato is even in the first phrase",
             "play the left hand more softly and keep the tempo steady"]
    refs = ["the tempo is steady but the legato is uneven in the first phrase",
            "play the left hand softly and keep the tempo"]
    ours = text.bleu_jury(preds, refs)["bleu_4"]
    theirs = text.sacrebleu_default(preds, refs)["sacrebleu"]
    assert ours > 0.2
    assert ours == pytest.approx(theirs, abs=1e-9)


def test_bertscore_f1_on_a_small_local_encoder(tiny_encoder):
    same = text.bertscore_f1(["the tempo is steady"], ["the tempo is steady"], tiny_encoder, num_layers=2)
    assert same == pytest.approx(1.0, abs=1e-5)
    other = text.bertscore_f1(["play slowly"], ["the sound is good"], tiny_encoder, num_layers=2)
    assert other < 0.999


def test_sentiment_similarity(tmp_path):
    from tests.evaluate.conftest import tiny_classifier

    five = tiny_classifier(tmp_path / "five", 5)
    assert text.sentiment_similarity(["good sound"], ["good sound"], five) == pytest.approx(1.0, abs=1e-6)
    probs = text.sentiment_probabilities(["good sound", "bad hands"], five)
    assert all(len(p) == 5 and sum(p) == pytest.approx(1.0, abs=1e-5) for p in probs)
    expected = text.cosine(*probs)
    assert text.sentiment_similarity(["good sound"], ["bad hands"], five) == pytest.approx(expected, abs=1e-6)
    assert text.cosine([1.0, 0.0], [1.0, 1.0]) == pytest.approx(1 / math.sqrt(2))
    three = tiny_classifier(tmp_path / "three", 3)
    with pytest.raises(text.MetricModelError, match="3-class"):
        text.sentiment_similarity(["good"], ["bad"], three)


def test_a_metric_folder_that_is_not_a_model(tmp_path):
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(text.MetricModelError, match="not a model folder"):
        text.bertscore_f1(["a"], ["b"], tmp_path)


def test_spice_is_skipped_without_its_jar(tmp_path):
    assert text.spice_missing(None).startswith("skipped:")
    why = text.spice_missing(tmp_path / "spice-1.0.jar")
    assert why.startswith("skipped:") and "spice-1.0.jar" in why


# ---------------------------------------------------------------- classes


def test_difficulty_balanced_accuracy_by_hand():
    gts = [1, 1, 1, 1, 5, 9]
    preds = [1, 1, 2, None, 4, 9]
    s = classes.difficulty_scores(preds, gts)
    # class 1: exact 2/4, within one 3/4; class 5: 0/1, 1/1; class 9: 1/1, 1/1
    assert s.acc0 == pytest.approx((2 / 4 + 0 + 1) / 3)
    assert s.acc1 == pytest.approx((3 / 4 + 1 + 1) / 3)
    assert s.micro_acc0 == pytest.approx(3 / 6)  # the unparsed answer is wrong
    assert s.mae == pytest.approx((0 + 0 + 1 + 1 + 0) / 5)
    assert s.parsed == 5


def test_technique_accuracy_f1_and_confusion_by_hand():
    labels = [("Scales",), ("Scales", "Staccato"), ("Octaves",), ("Staccato",)]
    preds = ["Scales", "Staccato", None, "Scales"]
    s = classes.technique_scores(preds, labels, TECHNIQUE_CLASSES)
    assert s.acc0 == 0.25  # only the first row names its first label
    assert s.acc_any == 0.5  # the second row names one of its labels
    # F1: Scales tp1 fp1 fn1 → 1/2; Staccato tp0 → 0; Octaves tp0 → 0
    assert s.per_class_f1 == {"Scales": 0.5, "Octaves": 0.0, "Staccato": 0.0}
    assert s.macro_f1 == pytest.approx(0.5 / 3)
    assert s.confusion["Octaves"]["(none)"] == 1
    assert s.confusion["Scales"] == {**{c: 0 for c in TECHNIQUE_CLASSES}, "Scales": 1, "Staccato": 1, "(none)": 0}
