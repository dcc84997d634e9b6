import json
import zipfile

import pytest
import torch

from llaqo.common.errors import CheckpointError
from llaqo.model.coach.build import choose_placement, load_coach, trainable_state
from llaqo.model.coach.checkpoints import released
from llaqo.model.coach.checkpoints.keymap import ours_to_released, released_to_ours, rename
from llaqo.model.coach.convert import convert_released
from tests.fixtures.tiny_ckpt import tiny_config

CPU = choose_placement("cpu")


def _ckpt(folder):
    return folder / "checkpoint_2283000.pth"


def test_sizes_are_inferred_from_shapes(released_dir):
    weights = released.load_released_weights(released.find_released(released_dir))
    assert released.infer_config(weights, "x") == tiny_config()


def test_key_table_round_trip(coach):
    ours = trainable_state(coach)
    original = ours_to_released(ours)
    assert set(released_to_ours(original, "x")) == set(ours)
    assert "audio_encoder.model.blocks.1.attn.qkv.weight" in original
    assert "Qformer.bert.encoder.layer.0.crossattention.self.key.weight" in original
    assert "Qformer.bert.encoder.layer.1.crossattention.self.key.weight" not in original  # every 2nd layer


def test_accidental_buffers_are_dropped_by_name_and_unknown_keys_raise():
    assert rename("Qformer.bert.embeddings.position_ids") is None
    assert rename("llm_model.model.layers.31.self_attn.rotary_emb.inv_freq") is None
    assert rename("audio_encoder.model.head.weight") is None
    with pytest.raises(KeyError):
        rename("llm_model.model.layers.0.mlp.up_proj.weight")
    with pytest.raises(CheckpointError, match="keys this model does not know: Qformer.cls.weight"):
        released_to_ours({"Qformer.cls.weight": torch.zeros(1)}, "ckpt.pth")


def _rewrite(folder, change):
    obj = torch.load(_ckpt(folder), weights_only=True)
    change(obj["model"])
    torch.save(obj, _ckpt(folder))


def test_missing_key_is_named_with_its_file(released_copy):
    _rewrite(released_copy, lambda m: m.pop("llm_proj.bias"))
    with pytest.raises(CheckpointError) as e:
        load_coach(released_copy, CPU)
    assert "missing llm_proj.bias" in str(e.value) and "checkpoint_2283000.pth" in str(e.value)


def test_unexpected_key_is_named(released_copy):
    _rewrite(released_copy, lambda m: m.update({"audio_encoder.model.blocks.7.norm1.weight": torch.ones(64)}))
    with pytest.raises(CheckpointError, match="unexpected encoder.vit.blocks.7.norm1.weight"):
        load_coach(released_copy, CPU)


def test_shape_mismatch_is_named(released_copy):
    _rewrite(released_copy, lambda m: m.update({"audio_indicator_token": torch.zeros(1, 1, 32)}))
    with pytest.raises(CheckpointError, match=r"audio_indicator_token has shape \(1, 1, 32\), the model expects \(1, 1, 64\)"):
        load_coach(released_copy, CPU)


def test_truncated_checkpoint_is_one_clear_error(released_copy):
    data = _ckpt(released_copy).read_bytes()
    _ckpt(released_copy).write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_coach(released_copy, CPU)


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickled_code_is_refused(released_copy, capsys):
    torch.save({"model": {}, "extra": Payload()}, _ckpt(released_copy))
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_coach(released_copy, CPU)
    assert "must never run" not in capsys.readouterr().out


def test_missing_parts_are_named(released_copy):
    (released_copy / "vit.pth").unlink()
    with pytest.raises(CheckpointError, match="vit.pth is missing"):
        released.find_released(released_copy)


def test_bundle_round_trip_and_hashes(released_dir, tmp_path, coach):
    out = convert_released(released_dir, tmp_path / "bundle")
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"config.yaml", "llaqo.safetensors", "llm/tokenizer.model", "question-tokenizer/vocab.txt"} <= set(manifest["files"])
    rebuilt = load_coach(out, CPU)
    for k, v in trainable_state(coach).items():
        assert torch.equal(v, trainable_state(rebuilt)[k]), k
    assert rebuilt.cfg == coach.cfg


def test_bundle_hash_mismatch_is_refused(released_dir, tmp_path):
    out = convert_released(released_dir, tmp_path / "bundle")
    load_coach(out, CPU)  # verified once, stamps written
    cfg = out / "config.yaml"
    cfg.write_text(cfg.read_text().replace("compat", "full "))
    with pytest.raises(CheckpointError, match="config.yaml: does not match its SHA-256"):
        load_coach(out, CPU)


def test_convert_refuses_a_non_empty_destination(released_dir, tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x").write_text("keep me")
    with pytest.raises(CheckpointError, match="not empty"):
        convert_released(released_dir, tmp_path / "b")
    assert (tmp_path / "b" / "x").read_text() == "keep me"


def test_checkpoint_is_a_real_zip_pickle(released_dir):
    assert zipfile.is_zipfile(_ckpt(released_dir))  # the format torch.save writes, as the release
