"""`llaqo download` with the hub call patched: no test needs a network."""

import shutil
from pathlib import Path

import huggingface_hub
import pytest

from llaqo.model.coach.convert import BERT_REPO, RELEASED_REPO


@pytest.fixture
def fake_hub(monkeypatch, released_dir):
    calls = []

    def snapshot_download(repo_id, local_dir, allow_patterns=None, **kwargs):
        calls.append((repo_id, allow_patterns))
        local = Path(local_dir)
        if repo_id == RELEASED_REPO:  # the hub repo keeps its files under ckpts/
            for item in released_dir.iterdir():
                if item.name != "bert-base-uncased":
                    dst = local / "ckpts" / item.name
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    (shutil.copytree if item.is_dir() else shutil.copy2)(item, dst)
        elif repo_id == BERT_REPO:
            shutil.copytree(released_dir / "bert-base-uncased", local, dirs_exist_ok=True)
        return str(local)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    return calls


def test_download_fetches_then_converts(run, fake_hub, tmp_path, takes):
    result = run("download", "--to", tmp_path / "ckpts")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ckpts" / "bundle" / "manifest.json").is_file()
    assert [c[0] for c in fake_hub] == [RELEASED_REPO, BERT_REPO]
    assert all("env" not in p for p in fake_hub[0][1])  # never the multi-GB conda env the repo also holds
    answer = run("ask", takes["a"], "Is the tempo kept constant?", "--model", tmp_path / "ckpts",
                 "--fast", "--max-length", "40")
    assert answer.exit_code == 0 and answer.output.startswith("[0:00–0:10]")


def test_download_failure_is_one_line(run, monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
    result = run("download", "--to", tmp_path)
    assert result.exit_code == 1 and "download failed: Network is unreachable" in result.output
    assert "run the same command again to resume" in result.output and "Traceback" not in result.output
