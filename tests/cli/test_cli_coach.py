"""The commands as a user runs them, on the tiny checkpoint in the released layout."""

import json
import subprocess
import sys

import pytest

FAST = ("--fast", "--max-length", "40", "--device", "cpu")
COMMANDS = ["assess", "ask", "compare", "convert", "download", "history", "record"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Examples" in result.output and "llaqo " + command in result.output


def test_help_does_not_import_torch():
    code = "import sys; from llaqo.app import main; sys.argv=['llaqo','--help']\ntry: main()\nexcept SystemExit: pass\nprint('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")


@pytest.mark.parametrize("mode", ["compat", "full"])
def test_ask_answers_every_chunk_in_both_modes(run, released_dir, takes, mode):
    result = run("ask", takes["long"], "How clean is the attack?", "--model", released_dir, "--mode", mode, *FAST)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 3  # 95 s = three 40.96-s chunks
    heard = "[0:00–0:10]" if mode == "compat" else "[0:00–0:41]"
    assert lines[0].startswith(heard) and lines[2].startswith("[1:22–1:3")


def test_convert_then_ask_gives_the_same_answers(run, released_dir, takes, tmp_path):
    assert run("convert", released_dir, tmp_path / "bundle").exit_code == 0
    args = ("ask", takes["a"], "Is the legato even?", "--json", "-", *FAST)
    original = run(*args, "--model", released_dir)
    converted = run(*args, "--model", tmp_path / "bundle")
    assert original.exit_code == converted.exit_code == 0
    doc = json.loads(original.stdout)  # one document, as `assess --json -` prints
    assert doc["question"] == "Is the legato even?" and len(doc["answers"]) == 1
    assert doc["answers"] == json.loads(converted.stdout)["answers"]


@pytest.mark.parametrize("damage,message", [
    (lambda d: (d / "checkpoint_2283000.pth").write_bytes(b"not a zip"), "not a readable checkpoint"),
    (lambda d: (d / "vit.pth").unlink(), "vit.pth is missing"),
    (lambda d: (d / "bert-base-uncased" / "vocab.txt").unlink(), "bert-base-uncased"),
])
def test_bad_checkpoints_give_one_line(run, released_dir, takes, tmp_path, damage, message):
    import shutil

    folder = shutil.copytree(released_dir, tmp_path / "ckpts", symlinks=True)
    damage(folder)
    result = run("ask", takes["a"], "x", "--model", folder, *FAST)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and message in result.output


def test_bundle_with_a_changed_file_gives_one_line(run, released_dir, takes, tmp_path):
    run("convert", released_dir, tmp_path / "b")
    with open(tmp_path / "b" / "llaqo.safetensors", "r+b") as f:
        f.seek(-8, 2)
        f.write(b"\x00" * 8)
    result = run("ask", takes["a"], "x", "--model", tmp_path / "b", *FAST)
    assert result.exit_code == 1 and "does not match its SHA-256" in result.output


def test_assess_two_formats_json_on_stdout(run, released_dir, takes):
    result = run("assess", takes["a"], takes["b"], "--rubric", "quick", "--model", released_dir, "--json", "-", *FAST)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    files = [r["file"] for r in doc["reports"]]
    assert files == [str(takes["a"]), str(takes["b"])]
    for report in doc["reports"]:
        assert report["engine"] == "coach" and report["engine_reason"].startswith("neural coach")
        answers = report["segments"][0]["answers"]
        assert {a["id"] for a in answers} == {"overall.rating", "overall.verbal", "difficulty", "technique"}


def test_assess_goes_on_past_a_bad_file_and_says_so(run, released_dir, takes):
    result = run("assess", takes["bad"], takes["b"], "--rubric", "quick", "--model", released_dir, "--json", "-", *FAST)
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [r["file"] for r in doc["reports"]] == [str(takes["b"])]
    assert doc["errors"][0]["file"] == str(takes["bad"])


def test_compat_assess_asks_every_window_of_a_95_s_take(run, released_dir, takes, tmp_path):
    out = tmp_path / "r.json"
    result = run("assess", takes["long"], "--rubric", "quick", "--model", released_dir, "--json", out, *FAST)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert [(s["start_s"], round(s["end_s"])) for s in report["segments"]] == [(0.0, 40), (40.0, 80), (80.0, 95)]
    heard = [[(r["start_s"], r["end_s"]) for r in s["answers"][0]["remarks"]] for s in report["segments"]]
    assert [len(h) for h in heard] == [4, 4, 2]  # 10 windows of 10.24 s
    assert heard[2] == [(80.0, 90.24), (90.24, 95.0)]
    assert any("10.24-s window" in n for n in report["notes"])


@pytest.mark.parametrize("args,message", [
    (("--device", "cuda"), "no CUDA device is visible to torch"),
    (("--device", "tpu9"), "unknown device"),
    (("--dtype", "fp8"), "unknown dtype"),
    (("--engine", "oracle"), "unknown engine 'oracle'"),
    (("--rubric", "no-such-rubric.yaml"), "no-such-rubric.yaml"),
    (("--engine", "coach", "--model", "."), "no llaqo bundle or released checkpoint here"),
])
def test_bad_options_give_one_line(run, released_dir, takes, args, message):
    import torch

    if args[1] == "cuda" and torch.cuda.is_available():
        pytest.skip("a GPU is visible")
    model = () if "--model" in args else ("--model", released_dir)
    result = run("assess", takes["a"], *model, *args)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1, result.output
