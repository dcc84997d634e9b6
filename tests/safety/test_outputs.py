"""Reports are written by one writer: checked before any work, whole or not at all, never over a take."""

from __future__ import annotations

import json
import resource
import shutil
import signal
import subprocess
import threading
import time

import pytest
import soundfile as sf

from llaqo.common.files import OutputError, check_output, write_atomic
from tests.safety.conftest import assert_one_line, run_llaqo
from tests.safety.hostile import LISTEN, tone


@pytest.fixture
def take(tmp_path):
    path = tmp_path / "t.flac"
    sf.write(path, tone(), 16_000)
    return path


def test_json_onto_the_take_is_refused_and_the_take_unchanged(take, tmp_path):
    before = take.read_bytes()
    line = assert_one_line(run_llaqo(["assess", str(take), *LISTEN, "--json", str(take)], tmp_path))
    assert str(take) in line and "audio file" in line
    assert take.read_bytes() == before


def test_json_onto_another_audio_file_is_refused(take, tmp_path):
    other = tmp_path / "a.wav"
    sf.write(other, tone(0.5), 16_000)
    before = other.read_bytes()
    assert_one_line(run_llaqo(["assess", str(take), *LISTEN, "--json", str(other)], tmp_path))
    assert other.read_bytes() == before


def test_a_bad_output_path_fails_before_any_work(take, tmp_path):
    run = run_llaqo(["assess", str(take), *LISTEN, "--html", str(tmp_path / "no" / "r.html")], tmp_path)
    line = assert_one_line(run)
    assert str(tmp_path / "no" / "r.html") in line and "output:" not in line
    assert run.stdout == ""  # no report was rendered: the take was never assessed


def _full_disk():
    """A file-size limit stands in for a full disk where a small tmpfs cannot be mounted (not root)."""
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write then fails with EFBIG instead of a kill


def _small_tmpfs(folder):
    folder.mkdir()
    if shutil.which("mount") is None or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs",
                                                        str(folder)], capture_output=True).returncode:
        return False
    return True


@pytest.mark.parametrize("how", ["tmpfs", "file-size limit"])
def test_a_full_disk_leaves_the_previous_report_valid(how, take, tmp_path):
    folder = tmp_path / "out"
    mounted = how == "tmpfs" and _small_tmpfs(folder)
    if how == "tmpfs" and not mounted:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    folder.mkdir(exist_ok=True)
    try:
        report = folder / "r.json"
        report.write_text('{"previous": true}\n')
        if mounted:  # fill the rest of the disk
            filler = folder / "filler"
            with open(filler, "wb") as f:
                try:
                    f.write(b"x" * (64 << 10))
                except OSError:
                    pass
        # --no-history: the practice history would be the first file refused on this full disk
        run = run_llaqo(["assess", str(take), *LISTEN, "--no-history", "--json", str(report)], tmp_path,
                        preexec=None if mounted else _full_disk)
        line = assert_one_line(run)
        assert str(report) in line and "disk is full" in line
        assert json.loads(report.read_text()) == {"previous": True}
        assert not [p for p in folder.iterdir() if p.name.endswith(".part")]  # no temp file left behind
    finally:
        if mounted:
            subprocess.run(["umount", str(folder)], check=True)


def test_concurrent_writers_never_mix(tmp_path):
    path = tmp_path / "r.json"
    payloads = [json.dumps({"writer": i, "pad": str(i) * (2 << 20)}) for i in range(4)]
    seen, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            if path.exists():
                seen.append(path.read_text())
            time.sleep(0.001)

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=lambda p=p: [write_atomic(path, p) for _ in range(3)]) for p in payloads]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    reader.join()
    assert path.read_text() in payloads
    assert seen and all(s in payloads for s in seen)  # a reader only ever saw whole documents


def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "r.md"
    path.write_text("old")

    def no_space(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", no_space)
    with pytest.raises(OutputError, match="disk is full") as e:
        write_atomic(path, "new " * 1000)
    assert str(path) in str(e.value)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["r.md"]


def test_a_replaced_report_keeps_its_mode(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("{}")
    path.chmod(0o640)
    write_atomic(path, "[]")
    assert path.stat().st_mode & 0o777 == 0o640 and path.read_text() == "[]"


@pytest.mark.parametrize("name, problem", [("take.WAV", "audio file"), (".", "folder"), ("no/r.json", "does not exist")])
def test_check_output_refusals(tmp_path, name, problem):
    with pytest.raises(OutputError, match=problem):
        check_output(tmp_path / name)


def test_check_output_knows_an_input_under_another_name(tmp_path):
    data = tmp_path / "notes.txt"
    data.write_text("mine")
    (tmp_path / "link.txt").symlink_to(data)
    with pytest.raises(OutputError, match="input"):
        check_output(tmp_path / "link.txt", [data])
    assert check_output(tmp_path / "new.json", [data]) == tmp_path / "new.json"
