"""Fixtures for the benchmarks: a synthetic NeuroPiano folder, a tiny released-layout coach, small metric
models saved with save_pretrained, CSV metadata in the CIPI and PLD layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.neuropiano import write_neuropiano

SHORT = 40  # the coach's length budget in tests: random tiny models, quick answers


@pytest.fixture(scope="session")
def neuropiano_dir(tmp_path_factory) -> Path:
    return write_neuropiano(tmp_path_factory.mktemp("neuropiano") / "NeuroPiano-data")


@pytest.fixture(scope="session")
def released_dir(tmp_path_factory) -> Path:
    from tests.fixtures.tiny_ckpt import write_released

    return write_released(tmp_path_factory.mktemp("released") / "ckpts", seed=0)


WORDS = ["the", "tempo", "is", "steady", "legato", "even", "play", "slowly", "good", "bad", "sound", "hands"]


def _bert_vocab(folder: Path) -> None:
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n")


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory) -> Path:
    """A 2-layer random RoBERTa with a byte-level BPE tokenizer: roberta-large's classes, in miniature, so
    that bert-score takes its RoBERTa path (prefix space) as it does for the real model."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizer

    folder = tmp_path_factory.mktemp("bertscore") / "tiny-roberta"
    folder.mkdir()
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([" ".join(WORDS)] * 10, vocab_size=300,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(folder))
    tok = RobertaTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=512)
    tok.save_pretrained(folder)
    torch.manual_seed(0)
    RobertaModel(RobertaConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                               intermediate_size=64, max_position_embeddings=600)).save_pretrained(folder)
    return folder


def tiny_classifier(folder: Path, labels: int) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder.mkdir(parents=True)
    _bert_vocab(folder)
    BertTokenizer(str(folder / "vocab.txt"), model_max_length=512).save_pretrained(folder)
    torch.manual_seed(1)
    BertForSequenceClassification(BertConfig(vocab_size=len(WORDS) + 5, hidden_size=32, num_hidden_layers=1,
                                             num_attention_heads=2, intermediate_size=64, num_labels=labels,
                                             initializer_range=0.5)).save_pretrained(folder)
    return folder
