"""Typed options and one schema, as a user meets them: choices refused before any work, a question's
generation settings checked against the generation config's own fields."""

from __future__ import annotations

import json
import textwrap

import pytest

from llaqo.common.generation import GenerationConfig

FAST = ("--fast", "--device", "cpu", "--engine", "coach")


def rubric_file(tmp_path, generation: str) -> str:
    path = tmp_path / "short.yaml"
    path.write_text(textwrap.dedent(f"""
        questions:
          - {{id: feedback, text: "What's your overall feedback on this performance? ", kind: verbal,
             generation: {generation}}}
    """))
    return str(path)


def words_of(result) -> list[str]:
    report = json.loads(result.output)
    return [r["text"] for s in report["segments"] for a in s["answers"] for r in a["remarks"]]


def test_max_new_tokens_in_a_rubric_caps_the_answer(run, released_dir, takes, tmp_path):
    assert "max_new_tokens" in GenerationConfig.__dataclass_fields__
    answers = {}
    for cap in ("{max_new_tokens: 1}", "{max_length: 40}"):
        result = run("assess", takes["a"], "--model", released_dir, "--rubric", rubric_file(tmp_path, cap),
                     "--json", "-", *FAST)
        assert result.exit_code == 0, result.output
        answers[cap] = words_of(result)
    capped, free = answers.values()
    # greedy decoding: the capped answer is the free one cut after its first token
    assert all(f.startswith(c) for c, f in zip(capped, free)) and capped != free


def test_an_unknown_generation_setting_is_refused_at_load_in_one_line(run, released_dir, takes, tmp_path):
    path = rubric_file(tmp_path, "{max_tokens: 5}")
    result = run("assess", takes["a"], "--model", released_dir, "--rubric", path, *FAST)
    assert result.exit_code == 1 and "Traceback" not in result.output
    line, = result.output.strip().splitlines()
    assert f"{path}: questions[0].generation.max_tokens: unknown setting (known: num_beams" in line


@pytest.mark.parametrize("args,message", [
    (("--dtype", "fp8"), "unknown dtype 'fp8': use auto, fp16, bf16 or fp32"),
    (("--mode", "junk"), "unknown mode 'junk': use compat or full"),
    (("--transcriber", "best"), "unknown transcriber 'best': use auto, fast or accurate"),
    (("--max-length", "-5"), "--max-length"),
    (("--device", "tpu9"), "unknown device 'tpu9'"),
])
def test_bad_choices_are_refused_before_any_work(run, takes, args, message):
    result = run("assess", takes["bad"], *args)  # a broken take: had any work started, it would be named
    assert result.exit_code == 2 and "Traceback" not in result.output
    line, = result.output.strip().splitlines()
    assert message in line and "broken.wav" not in line and "see `" in line


def test_the_fast_transcriber_refuses_a_gpu_device(run, takes):
    result = run("assess", takes["a"], "--engine", "listen", "--transcriber", "fast", "--device", "cuda:0")
    assert result.exit_code == 1
    line, = result.output.strip().splitlines()
    assert "runs on the CPU only" in line
