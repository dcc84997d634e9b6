"""`llaqo record` against a virtual microphone fed a rendered piano passage (see conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.record.helpers import (
    header_frames,
    llaqo,
    match_source,
    read_valid_take,
    start_recorder,
    wait_for_audio,
)

REPO = Path(__file__).resolve().parents[2]
MIN_NCC = 0.9


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


def test_take_matches_the_source_and_stops_at_seconds(virtual_mic, passage, tmp_path):
    out = tmp_path / "take.wav"
    proc = start_recorder(virtual_mic.env, tmp_path, "--no-assess", "--seconds", "5", "--out", str(out))
    wait_for_audio(out, proc)
    player = virtual_mic.play(passage.path)
    stdout, stderr = proc.communicate(timeout=20)
    player.wait(timeout=10)
    assert proc.returncode == 0, stderr
    assert stdout.strip() == str(out)
    samples, rate = read_valid_take(out)
    assert len(samples) == 5 * rate
    match = match_source(samples, rate, passage.samples, passage.rate)
    print(f"ncc {match.ncc:.4f} over {match.overlap_s:.2f} s")
    assert match.overlap_s >= 0.9 * len(passage.samples) / passage.rate
    assert match.ncc >= MIN_NCC


def test_ctrl_c_stops_cleanly_and_keeps_the_take(virtual_mic, passage, tmp_path):
    out = tmp_path / "take.wav"
    proc = start_recorder(virtual_mic.env, tmp_path, "--no-assess", "--out", str(out))
    wait_for_audio(out, proc)
    player = virtual_mic.play(passage.path)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=10)
    player.terminate()
    player.wait()
    assert proc.returncode == 0, stderr
    assert f"saved {out}" in stderr and not error_lines(stderr)
    samples, rate = read_valid_take(out)
    assert header_frames(out) == (out.stat().st_size - 44) // 2  # closed cleanly: the header is exact
    assert len(samples) >= 1.5 * rate
    assert match_source(samples, rate, passage.samples, passage.rate).ncc >= MIN_NCC


def test_kill_9_leaves_a_valid_file_with_all_but_the_last_second(virtual_mic, passage, tmp_path):
    out = tmp_path / "take.wav"
    proc = start_recorder(virtual_mic.env, tmp_path, "--no-assess", "--out", str(out))
    wait_for_audio(out, proc)
    played_at = time.monotonic()
    player = virtual_mic.play(passage.path)
    time.sleep(2.5)  # the passage is still playing when the recorder dies
    killed_at = time.monotonic()
    proc.kill()
    proc.wait()
    player.terminate()
    player.wait()
    samples, rate = read_valid_take(out)
    # Where the take ends in the passage, against how much of it had played: the gap is what the kill
    # cost plus paplay's own start-up latency, so bounding it bounds the loss from above.
    match = match_source(samples, rate, passage.samples, passage.rate)
    lost_s = (killed_at - played_at) - (len(samples) / rate - match.lag_s)
    print(f"killed {killed_at - played_at:.2f} s into the passage; the take ends {lost_s:.2f} s before that")
    assert lost_s <= 1.0
    assert match.ncc >= MIN_NCC


def test_silence_says_muted_microphone_and_keeps_a_default_named_take(virtual_mic, tmp_path):
    proc = start_recorder(virtual_mic.env, tmp_path, "--no-assess", "--seconds", "1.5")
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 1
    (line,) = error_lines(stderr)
    assert "muted microphone?" in line
    (take,) = (tmp_path / "takes").glob("take-*.wav")
    assert take.name[len("take-") :].replace("-", "").removesuffix(".wav").isdigit()
    assert str(take.relative_to(tmp_path)) in line
    read_valid_take(take)


def test_an_existing_out_is_never_overwritten(virtual_mic, tmp_path):
    out = tmp_path / "mine.wav"
    out.write_bytes(b"a take I want to keep")
    proc = start_recorder(virtual_mic.env, tmp_path, "--no-assess", "--seconds", "1", "--out", str(out))
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 1
    assert stderr.count("\n") == 1 and "already exists" in stderr
    assert out.read_bytes() == b"a take I want to keep"


def test_list_inputs_marks_the_default(virtual_mic, tmp_path):
    run = subprocess.run(llaqo("record", "--list-inputs"), cwd=tmp_path, env=virtual_mic.env, capture_output=True, text=True, timeout=20)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert sum(line.startswith("*") for line in lines) == 1
    assert any(" pulse " in line for line in lines) and any(" default " in line for line in lines)


def test_an_unknown_input_is_one_line_with_the_inputs(virtual_mic, tmp_path):
    run = subprocess.run(llaqo("record", "--input", "no-such-mic"), cwd=tmp_path, env=virtual_mic.env, capture_output=True, text=True, timeout=20)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1
    assert "no-such-mic" in run.stderr and "'pulse'" in run.stderr and "'default'" in run.stderr


def test_no_input_device_is_one_line(tmp_path):
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/no-server", "PYTHONPATH": str(REPO)}
    run = subprocess.run(llaqo("record", "--seconds", "1"), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=20)
    if run.returncode == 0 or "no input device found" not in run.stderr:
        pytest.skip("this machine has a real input device, so 'no input device' cannot be staged")
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("error: no input device found")
    assert not list(tmp_path.glob("takes/*"))


def test_disk_full_keeps_what_was_written(virtual_mic, passage, tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root) to fill a disk")
    try:
        out = small / "take.wav"
        proc = start_recorder(virtual_mic.env, tmp_path, "--no-assess", "--seconds", "4", "--out", str(out))
        player = virtual_mic.play(passage.path)
        _, stderr = proc.communicate(timeout=20)
        player.terminate()
        player.wait()
        assert proc.returncode == 1
        (line,) = error_lines(stderr)
        assert "disk is full" in line and str(out) in line
        samples, rate = read_valid_take(out)
        assert 0.2 * rate < len(samples) < rate  # 64 KiB hold about 0.7 s of 44.1 kHz 16-bit mono
    finally:
        subprocess.run(["umount", str(small)], check=True)


def record_then_assess(mic, passage, cwd: Path, *args: str) -> tuple[str, Path]:
    """`llaqo record --seconds 3 ARGS` while the passage plays → (stdout, the take it saved)."""
    proc = start_recorder(mic.env, cwd, "--seconds", "3", "--rubric", "quick", *args)
    player = mic.play(passage.path)
    stdout, stderr = proc.communicate(timeout=600)
    player.wait(timeout=10)
    assert proc.returncode == 0, stderr
    (take,) = (cwd / "takes").glob("take-*.wav")
    assert f"saved {take.relative_to(cwd)}" in stderr
    return stdout, take


def test_record_then_assess_prints_a_report(virtual_mic, passage, tmp_path):
    stdout, take = record_then_assess(virtual_mic, passage, tmp_path, "--engine", "listen")
    assert take.name in stdout
    assert "Overall" in stdout and "Difficulty" in stdout and "Technique" in stdout
    assert "listening engine" in stdout  # the report says which engine answered


@pytest.fixture(scope="session")
def tiny_coach(tmp_path_factory) -> Path:
    from tests.fixtures.tiny_ckpt import write_released

    return write_released(tmp_path_factory.mktemp("coach") / "ckpts", seed=0)


@pytest.mark.slow  # the tiny coach answers at full length on CPU: 25-60 s on two cores
def test_record_then_assess_with_the_coach_writes_the_json_report(virtual_mic, passage, tiny_coach, tmp_path):
    args = ("--engine", "coach", "--model", str(tiny_coach), "--fast", "--device", "cpu", "--json", "-")
    stdout, take = record_then_assess(virtual_mic, passage, tmp_path, *args)
    report = json.loads(stdout)
    assert (report["file"], report["rubric"], report["duration_s"]) == (str(take.relative_to(tmp_path)), "quick", 3.0)
    assert report["segments"][0]["answers"]
