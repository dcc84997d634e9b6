"""A bundle proves itself before anything is built from it; `convert` takes only the source's own files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
import torch

from llaqo.common.errors import CheckpointError, SchemaError
from llaqo.model.coach import build
from llaqo.model.coach.build import choose_placement, load_coach
from llaqo.model.coach.checkpoints import released
from llaqo.model.coach.checkpoints.bundle import read_bundle, verify_bundle
from llaqo.model.coach.convert import convert_released
from llaqo.model.coach.llm import load_llm
from tests.coach.conftest import released_dir  # noqa: F401  (the tiny released checkpoint)

CPU = choose_placement("cpu")


@pytest.fixture(scope="module")
def bundle_dir(released_dir, tmp_path_factory):  # noqa: F811
    return convert_released(released_dir, tmp_path_factory.mktemp("bundle") / "b")


@pytest.fixture
def bundle(bundle_dir, tmp_path) -> Path:
    """A private copy (real files: hard links would share the damage with the module's bundle)."""
    return Path(shutil.copytree(bundle_dir, tmp_path / "b"))


def _relist(bundle: Path, rel: str, data: bytes | None = None) -> None:
    """Write `data` to `rel` (if given) and list its true hash, as someone editing the bundle would."""
    path = bundle / rel
    if data is not None:
        path.write_bytes(data)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"][rel] = {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "bytes": path.stat().st_size}
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def test_a_flipped_byte_with_its_mtime_restored_is_caught(bundle):
    verify_bundle(bundle)  # verified once: the cache now vouches for every file
    weights = bundle / "llaqo.safetensors"
    st = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))  # size and mtime as before
    with pytest.raises(CheckpointError, match="llaqo.safetensors: does not match its SHA-256"):
        verify_bundle(bundle)


@pytest.mark.parametrize("rel", ["../outside.txt", "/etc/hostname", "llm/../../outside.txt"])
def test_manifest_paths_outside_the_bundle_are_refused(bundle, rel):
    outside = bundle.parent / "outside.txt"
    outside.write_text("secret")
    manifest = json.loads((bundle / "manifest.json").read_text())
    target = outside if not rel.startswith("/") else Path(rel)
    manifest["files"][rel] = {"sha256": hashlib.sha256(target.read_bytes()).hexdigest(),
                              "bytes": target.stat().st_size}  # a correct hash: only the path is wrong
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="outside the bundle"):
        verify_bundle(bundle)


def test_a_listed_file_that_is_a_symlink_out_of_the_bundle_is_refused(bundle):
    outside = bundle.parent / "vocab.txt"
    shutil.copy(bundle / "question-tokenizer" / "vocab.txt", outside)
    (bundle / "question-tokenizer" / "vocab.txt").unlink()
    (bundle / "question-tokenizer" / "vocab.txt").symlink_to(outside)  # same content, same hash
    with pytest.raises(CheckpointError, match="leads outside the bundle"):
        verify_bundle(bundle)


def test_an_unlisted_file_next_to_the_weights_is_refused(bundle):
    (bundle / "llm" / "model-00002-of-00002.safetensors").write_bytes(b"\0" * 16)
    with pytest.raises(CheckpointError, match="not in its manifest"):
        verify_bundle(bundle)


@pytest.mark.parametrize("manifest", [[], {"format": "llaqo-bundle", "version": 1, "files": {"x": "abc"}},
                                      {"format": "llaqo-bundle", "version": 1, "files": []}])
def test_a_malformed_manifest_is_one_error(bundle, manifest):
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(CheckpointError, match="manifest.json"):
        verify_bundle(bundle)


def test_an_edited_config_is_refused_before_anything_is_allocated(bundle, monkeypatch):
    text = (bundle / "config.yaml").read_text()
    _relist(bundle, "config.yaml", text.replace("llm_hidden: 64", "llm_hidden: 40960").encode())
    assert "40960" in (bundle / "config.yaml").read_text()

    def no_llm(*args, **kwargs):
        raise AssertionError("the LLM was loaded before the weights were checked against the config")

    monkeypatch.setattr(build, "load_llm", no_llm)
    with pytest.raises(CheckpointError, match=r"audio_indicator_token has shape \(1, 1, 64\), the model expects \(1, 1, 40960\)"):
        load_coach(bundle, CPU)


def test_patch_zero_in_a_config_is_one_line(bundle):
    text = (bundle / "config.yaml").read_text()
    _relist(bundle, "config.yaml", text.replace("patch: 16", "patch: 0").encode())
    with pytest.raises(SchemaError, match="encoder.patch: expected an integer from 1 to 128, got 0"):
        read_bundle(bundle)


def test_a_weight_of_the_wrong_kind_is_refused(bundle):
    from safetensors.torch import load_file, save_file

    weights = load_file(str(bundle / "llaqo.safetensors"))
    key = "llm_proj.weight"
    weights[key] = weights[key].to(torch.int32)
    save_file(weights, str(bundle / "llaqo.safetensors"))
    _relist(bundle, "llaqo.safetensors")
    with pytest.raises(CheckpointError, match="llm_proj.weight is torch.int32"):
        load_coach(bundle, CPU)


def test_convert_refuses_a_source_whose_files_resolve_outside_it(released_dir, tmp_path):  # noqa: F811
    src = Path(shutil.copytree(released_dir, tmp_path / "src", symlinks=True))
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0")
    (src / "bert-base-uncased" / "notes.txt").symlink_to(secret)
    with pytest.raises(CheckpointError, match="outside") as e:
        convert_released(src, tmp_path / "bundle")
    assert "\n" not in str(e.value)
    assert not (tmp_path / "bundle").exists()


def test_an_unsafe_pickle_is_refused_in_one_whole_sentence(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "checkpoint_1.pth"
    torch.save({"model": Evil()}, path)
    with pytest.raises(CheckpointError) as e:
        released.load_pickle(path)
    message = str(e.value)
    assert "refused: the pickle asks to run code (posix.system)" in message and message.endswith("safetensors one")


def test_an_empty_pth_is_one_line(tmp_path):
    path = tmp_path / "vit.pth"
    path.write_bytes(b"")
    with pytest.raises(CheckpointError, match="empty"):
        released.load_pickle(path)


def test_an_unpickling_error_from_the_llm_bin_is_one_line(released_dir, tmp_path):  # noqa: F811
    llm = Path(shutil.copytree(released.find_llm_dir(released_dir), tmp_path / "llm"))
    for f in llm.glob("*.safetensors*"):
        f.unlink()

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    torch.save({"x": Evil()}, llm / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="cannot load the LLM") as e:
        load_llm(llm, 100, torch.float32)
    assert "\n" not in str(e.value) and len(str(e.value)) < 400
