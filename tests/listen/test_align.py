"""--reference: scores from MIDI and MusicXML, and the alignment's wrong, missing and extra notes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from llaqo.common.errors import ConfigError
from llaqo.model.listen.judge.align import ScoreFollower
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.measures import timing
from llaqo.model.listen.judge.score import load_score
from llaqo.model.testing import performances as P
from llaqo.model.testing.piano import write_midi
from tests.listen.test_measures import as_heard

MUSICXML = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1"><part-list><score-part id="P1"><part-name>Piano</part-name></score-part></part-list>
<part id="P1">
 <measure number="1"><attributes><divisions>2</divisions><time><beats>3</beats><beat-type>4</beat-type></time></attributes>
  <note><pitch><step>C</step><octave>4</octave></pitch><duration>2</duration></note>
  <note><chord/><pitch><step>E</step><octave>4</octave></pitch><duration>2</duration></note>
  <note><rest/><duration>2</duration></note>
  <note><pitch><step>F</step><alter>1</alter><octave>4</octave></pitch><duration>1</duration><tie type="start"/></note>
  <note><pitch><step>F</step><alter>1</alter><octave>4</octave></pitch><duration>1</duration><tie type="stop"/></note>
 </measure>
 <measure number="2"><note><pitch><step>G</step><octave>4</octave></pitch><duration>6</duration></note></measure>
</part></score-partwise>"""


def test_musicxml_notes_with_bar_and_beat(tmp_path):
    path = tmp_path / "s.musicxml"
    path.write_text(MUSICXML)
    notes = load_score(path)
    assert [(n.pitch, n.beat, n.bar, n.beat_in_bar) for n in notes] == [
        (60, 0.0, 1, 1.0), (64, 0.0, 1, 1.0), (66, 2.0, 1, 3.0), (67, 3.0, 2, 1.0)]


def test_midi_score_and_bad_files(tmp_path):
    notes = load_score(write_midi(P.base(4.0), tmp_path / "s.mid", tempo_bpm=100))
    assert notes[0].bar == 1 and notes[-1].bar == 2
    assert {n.where for n in notes if n.beat == 2.0} == {"bar 1 beat 3"}
    assert {n.where for n in notes if n.beat == 4.5} == {"bar 2 beat 1.5"}
    with pytest.raises(ConfigError):
        load_score(tmp_path / "missing.mid")
    (tmp_path / "s.txt").write_text("x")
    with pytest.raises(ConfigError):
        load_score(tmp_path / "s.txt")


def test_alignment_names_wrong_missing_and_extra_notes(tmp_path):
    score = P.base(12.0)
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    played = list(score)
    played[20] = replace(played[20], pitch=played[20].pitch + 1)  # wrong
    missing = played.pop(30)
    played.append(replace(played[40], pitch=30, start=played[40].start + 0.15, end=played[40].start + 0.3))  # extra
    played = sorted(played, key=lambda n: n.start)
    a = Analysis(as_heard(played))
    c = follower.compare(a)
    assert [s.pitch for _, s in c.wrong] == [score[20].pitch]
    assert [s.pitch for s, _ in c.missing] == [missing.pitch]
    assert len(c.extra) == 1
    finding = follower.accuracy(a)
    assert "1 wrong, 1 missing, 1 extra" in finding.comment and "bar" in finding.comment
    assert "1 wrong" in follower.summary()


def test_late_notes_reported_against_the_score(tmp_path):
    score = P.base(12.0)
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    late = [replace(n, start=n.start + 0.12, end=n.end + 0.12) if abs(n.start - 6.0) < 0.01 else n for n in score]
    a = Analysis(as_heard(late))
    finding = follower.rhythm(a, timing.rhythm(a))
    assert "late" in finding.comment and "bar 3 beat 3 (0:06" in finding.comment
    assert finding.readings[0].measure == "score_timing"
