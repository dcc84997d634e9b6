"""`assess -o DIR -f FORMATS`: one file per take and format (as whisper's --output_dir / --output_format),
each "wrote" line saying what it holds; --quiet, --verbose; stdout stays pure JSON with --json -."""

from __future__ import annotations

import json

import jsonschema
import pytest

from llaqo.model.testing import performances as P
from llaqo.model.testing.piano import can_render, render
from llaqo.rubric.render import load_report_schema

FAST = ("--fast", "--max-length", "40", "--device", "cpu")


def wrote_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("wrote ")]


def test_out_dir_writes_every_format_for_every_take(run, released_dir, takes, tmp_path):
    out = tmp_path / "reports" / "today"  # created, parents and all
    result = run("assess", takes["a"], takes["b"], "--rubric", "quick", "--model", released_dir, *FAST,
                 "-o", out, "-f", "all")
    assert result.exit_code == 0, result.output
    # the coach gives no notes: no .mid / .csv, and no complaint, as none was asked by name
    assert sorted(p.name for p in out.iterdir()) == ["a.html", "a.json", "a.md", "b.html", "b.json", "b.md"]
    for name in ("a.json", "b.json"):
        jsonschema.validate(json.loads((out / name).read_text()), load_report_schema())
    assert json.loads((out / "b.json").read_text())["file"].endswith("b.m4a")  # one take per file
    lines = wrote_lines(result)
    assert len(lines) == 6
    assert any(line.startswith(f"wrote {out / 'a.html'} (HTML report, 1 take, ") for line in lines)
    assert any(line.startswith(f"wrote {out / 'b.md'} (Markdown report, 1 take, ") for line in lines)
    assert "| Dimension | Rating | Comment | Where |" in (out / "a.md").read_text()
    assert "Dimension" in result.stdout  # the terminal report is still printed


def test_format_picks_what_is_written_and_a_bad_one_is_one_line(run, released_dir, takes, tmp_path):
    result = run("assess", takes["a"], "--rubric", "quick", "--model", released_dir, *FAST,
                 "--out-dir", tmp_path, "--format", "json,html")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "a.json"]
    bad = run("assess", takes["a"], "-o", tmp_path / "x", "-f", "json,pdf")
    assert bad.exit_code != 0 and len(bad.output.strip().splitlines()) == 1
    assert "pdf" in bad.output and "Traceback" not in bad.output and not (tmp_path / "x").exists()


def test_format_without_out_dir_writes_into_the_current_folder(run, released_dir, takes, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("assess", takes["a"], "--rubric", "quick", "--model", released_dir, *FAST, "-f", "md")
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["a.md"] and "wrote a.md (Markdown report, 1 take, " in result.stderr


def test_quiet_prints_nothing_and_json_on_stdout_stays_pure(run, released_dir, takes, tmp_path):
    quiet = run("assess", takes["a"], "--rubric", "quick", "--model", released_dir, *FAST, "-q", "-o", tmp_path)
    assert quiet.exit_code == 0, quiet.output
    assert quiet.stdout == "" and quiet.stderr == "" and (tmp_path / "a.html").exists()
    both = run("assess", takes["a"], "--rubric", "quick", "--model", released_dir, *FAST, "--json", "-",
               "-o", tmp_path / "more")
    assert both.exit_code == 0, both.output
    assert json.loads(both.stdout)["file"].endswith("a.wav")  # nothing but the JSON document
    assert len(wrote_lines(both)) == 3


def test_verbose_says_what_is_done_and_contradicts_quiet(run, released_dir, takes, tmp_path):
    result = run("assess", takes["a"], "--rubric", "quick", "--model", released_dir, *FAST, "-v",
                 "--html", tmp_path / "r.html")
    assert result.exit_code == 0, result.output
    assert "engine: coach" in result.stderr and "assessing" in result.stderr
    assert f"wrote {tmp_path / 'r.html'} (HTML report, 1 take, " in result.stderr
    both = run("assess", takes["a"], "-q", "-v")
    assert both.exit_code != 0 and len(both.output.strip().splitlines()) == 1 and "--quiet" in both.output


def test_the_same_name_twice_gets_its_own_file(run, released_dir, takes, tmp_path):
    result = run("assess", takes["a"], takes["a"], "--rubric", "quick", "--model", released_dir, *FAST,
                 "-o", tmp_path, "-f", "json")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-2.json", "a.json"]


@pytest.fixture(scope="module")
def passage(tmp_path_factory):
    if not can_render():
        pytest.skip("fluidsynth and a GM soundfont are needed to render test audio")
    return render(P.base(6.0), tmp_path_factory.mktemp("outputs") / "etude.wav")


def test_the_listening_engine_adds_its_notes_and_the_take_can_be_embedded(run, passage, tmp_path):
    result = run("assess", passage, "--engine", "listen", "--transcriber", "fast", "--rubric", "quick",
                 "-o", tmp_path, "-f", "all", "--embed-audio")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"etude.{s}" for s in ("csv", "html", "json", "md", "mid")]
    page = (tmp_path / "etude.html").read_text()
    assert '<audio controls preload="metadata" src="data:audio/mp4;base64,' in page
    assert 'aria-label="piano roll"' in page and '<polyline class="c-tempo"' in page
    assert any("notes and" in line and "(the " in line and ", as MIDI, " in line for line in wrote_lines(result))


def test_the_embedded_copy_is_a_small_mono_aac_of_the_whole_take(takes):
    import io

    import av

    from llaqo.model.audio.compress import EMBED_RATE, compressed_copy

    mime, data = compressed_copy(takes["a"])  # 12 s
    assert mime == "audio/mp4" and len(data) < 12 * 48_000 / 8 * 1.3  # ~48 kbit/s
    with av.open(io.BytesIO(data)) as f:
        stream = f.streams.audio[0]
        assert stream.codec_context.name == "aac" and stream.rate == EMBED_RATE and stream.channels == 1
        samples = sum(frame.samples for frame in f.decode(stream))
    assert samples / EMBED_RATE == pytest.approx(12.0, abs=0.1)
