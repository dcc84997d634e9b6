"""--reference: scores read (repeats, ties, grace notes, staves), the take aligned note by note, and only
the errors the evidence holds claimed."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from llaqo.common.errors import ConfigError
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.follower import ScoreFollower
from llaqo.model.listen.judge.measures import timing
from llaqo.model.listen.judge.score import load_score
from llaqo.model.listen.notes import Note as Heard
from llaqo.model.listen.notes import Transcription
from llaqo.model.testing import performances as P
from llaqo.model.testing.piano import Note, write_midi
from tests.listen.test_measures import as_heard

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="3.1"><part-list><score-part id="P1"><part-name>Piano</part-name></score-part></part-list>
<part id="P1">"""
MUSICXML = HEAD + """
 <measure number="1"><attributes><divisions>2</divisions><time><beats>3</beats><beat-type>4</beat-type></time></attributes>
  <note><pitch><step>C</step><octave>4</octave></pitch><duration>2</duration></note>
  <note><chord/><pitch><step>E</step><octave>4</octave></pitch><duration>2</duration></note>
  <note><rest/><duration>2</duration></note>
  <note><pitch><step>F</step><alter>1</alter><octave>4</octave></pitch><duration>1</duration><tie type="start"/></note>
  <note><pitch><step>F</step><alter>1</alter><octave>4</octave></pitch><duration>1</duration><tie type="stop"/></note>
 </measure>
 <measure number="2"><note><pitch><step>G</step><octave>4</octave></pitch><duration>6</duration></note></measure>
</part></score-partwise>"""


def _bar(number: int, steps: str, extra: str = "") -> str:
    """A 4/4 bar of quarter notes on `steps` (octave 4), upper staff, and a whole note C3 below."""
    notes = "".join(f"<note><pitch><step>{s}</step><octave>4</octave></pitch><duration>1</duration>"
                    f"<staff>1</staff></note>" for s in steps)
    return (f'<measure number="{number}">{extra}{notes}<backup><duration>4</duration></backup>'
            '<note><pitch><step>C</step><octave>3</octave></pitch><duration>4</duration><staff>2</staff></note>'
            '</measure>')


ATTRS = "<attributes><divisions>1</divisions><staves>2</staves><time><beats>4</beats><beat-type>4</beat-type></time></attributes>"
REPEATED = (HEAD + _bar(1, "CDEF", ATTRS)
            + _bar(2, "GABG").replace("</measure>", '<barline location="right"><repeat direction="backward"/>'
                                                    "</barline></measure>")
            + _bar(3, "EDCD") + "</part></score-partwise>")
GRACE = (HEAD + '<measure number="1"><attributes><divisions>1</divisions></attributes>'
         '<note><grace/><pitch><step>D</step><octave>5</octave></pitch></note>'
         '<note><pitch><step>C</step><octave>5</octave></pitch><duration>4</duration></note></measure>'
         "</part></score-partwise>")


def _write(tmp_path, text, name="s.musicxml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_musicxml_notes_with_bar_and_beat_and_ties_merged(tmp_path):
    score = load_score(_write(tmp_path, MUSICXML))
    assert [(n.pitch, n.beat, n.bar, n.beat_in_bar) for n in score.as_written] == [
        (60, 0.0, 1, 1.0), (64, 0.0, 1, 1.0), (66, 2.0, 1, 3.0), (67, 3.0, 2, 1.0)]


def test_repeats_are_played_out_with_their_printed_bar_numbers_and_staves_give_the_hand(tmp_path):
    score = load_score(_write(tmp_path, REPEATED))
    assert [n.bar for n in score.as_written if n.hand == "left"] == [1, 2, 3]
    assert [n.bar for n in score.with_repeats if n.hand == "left"] == [1, 2, 1, 2, 3]
    assert {n.hand for n in score.with_repeats if n.pitch > 60} == {"right"}
    assert [name for name, _ in score.readings] == ["with repeats", "as written"]


def test_grace_notes_are_kept_and_marked(tmp_path):
    notes = load_score(_write(tmp_path, GRACE)).as_written
    assert [(n.pitch, n.grace) for n in notes] == [(72, False), (74, True)]


def test_midi_score_and_bad_files(tmp_path):
    notes = load_score(write_midi(P.base(4.0), tmp_path / "s.mid", tempo_bpm=100)).as_written
    assert notes[0].bar == 1 and notes[-1].bar == 2
    assert {n.where for n in notes if n.beat == 2.0} == {"bar 1 beat 3"}
    assert {n.where for n in notes if n.beat == 4.5} == {"bar 2 beat 1.5"}
    unison = [Note(64, 0.0, 0.6, 70), Note(64, 0.0, 0.6, 70), Note(60, 0.0, 0.6, 70), Note(64, 0.6, 1.2, 70)]
    read = load_score(write_midi(unison, tmp_path / "u.mid", tempo_bpm=100)).as_written
    assert [(n.pitch, n.beat) for n in read] == [(60, 0.0), (64, 0.0), (64, 1.0)]  # two voices, one key: one strike
    with pytest.raises(ConfigError):
        load_score(tmp_path / "missing.mid")
    (tmp_path / "s.txt").write_text("x")
    with pytest.raises(ConfigError, match="not a score format"):
        load_score(tmp_path / "s.txt")
    with pytest.raises(ConfigError, match="cannot read the score"):
        load_score(_write(tmp_path, "<score-partwise><part", "broken.musicxml"))


def _played(score_path, beats_per_s: float = 2.0, skip_bars=(), bars_order=None):
    """The score's notes played at a steady tempo, bar by bar in `bars_order` (default: as read)."""
    notes = load_score(score_path).as_written
    order = bars_order or sorted({n.bar for n in notes})
    out, t0 = [], 0.0
    for bar in order:
        in_bar = [n for n in notes if n.bar == bar]
        start = min(n.beat for n in in_bar)
        for n in in_bar:
            t = t0 + (n.beat - start) / beats_per_s
            out.append(Note(n.pitch, t, t + 0.4, 70))
        t0 += 4 / beats_per_s
    return sorted(out, key=lambda n: (n.start, n.pitch))


def test_a_take_that_plays_the_repeat_and_one_that_skips_it_are_both_correct(tmp_path):
    path = _write(tmp_path, REPEATED)
    follower = ScoreFollower.from_file(path)
    for order in ([1, 2, 1, 2, 3], [1, 2, 3]):
        c = follower.comparison(Analysis(as_heard(_played(path, bars_order=order))))
        assert (c.wrong, c.extra, c.missing) == ([], [], []), order
        assert len(c.matched) == 5 * len(order)


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
    kinds = [(e["type"], e["pitch_expected"], e["pitch_played"]) for e in follower.errors]
    assert sorted(kinds, key=str) == sorted([("wrong", score[20].pitch, score[20].pitch + 1),
                                             ("missing", missing.pitch, None), ("extra", None, 30)], key=str)
    assert all(e["bar"] is not None for e in follower.errors)
    assert [e["time_s"] for e in follower.errors] == sorted(e["time_s"] for e in follower.errors)


def test_one_wrong_note_in_a_chord_is_one_wrong_note_not_a_chord_missed(tmp_path):
    chords = [Note(p + 12 * (i % 2), i * 0.6, i * 0.6 + 0.5, 70) for i in range(12) for p in (48, 55, 64, 67)]
    follower = ScoreFollower.from_file(write_midi(chords, tmp_path / "s.mid"))
    played = [replace(n, pitch=n.pitch + 1) if i == 4 * 5 + 2 else n for i, n in enumerate(chords)]
    c = follower.comparison(Analysis(as_heard(played)))
    assert [(s.pitch, s.bar) for _, s in c.wrong] == [(64 + 12, 2)]
    assert (c.extra, c.missing) == ([], [])


def test_a_note_added_to_one_chord_is_not_a_wrong_note_for_a_key_missing_from_the_next(tmp_path):
    # chords 0.15 s apart: the added key lies within WRONG_S of the next chord's missing key, a semitone off
    chords = [Note(p, i * 0.15, i * 0.15 + 0.14, 70) for i in range(24) for p in ((60, 67) if i % 2 else (55, 64))]
    follower = ScoreFollower.from_file(write_midi(chords, tmp_path / "s.mid", tempo_bpm=200))
    dropped = next(n for n in chords if n.pitch == 67 and abs(n.start - 1.65) < 1e-6)
    added = Note(66, 1.5, 1.64, 70)  # struck with the chord at 1.5 s, not the one at 1.65 s
    played = sorted([n for n in chords if n is not dropped] + [added], key=lambda n: (n.start, n.pitch))
    a = Analysis(as_heard(played))
    c = follower.comparison(a)
    assert c.wrong == []
    assert [int(a.notes.pitch[k]) for k in c.extra] == [66] and [s.pitch for s, _ in c.missing] == [67]


def test_late_notes_reported_against_the_score(tmp_path):
    score = P.base(12.0)
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    late = [replace(n, start=n.start + 0.12, end=n.end + 0.12) if abs(n.start - 6.0) < 0.01 else n for n in score]
    a = Analysis(as_heard(late))
    finding = follower.rhythm(a, timing.rhythm(a))
    assert "late" in finding.comment and "bar 3 beat 3 (0:06" in finding.comment
    assert finding.readings[0].measure == "score_timing"


def _transcribed(notes: list[Note], extra: list[Heard]) -> Transcription:
    heard = [Heard(n.pitch, n.start, n.end, n.velocity) for n in notes] + extra
    heard.sort(key=lambda n: (n.onset, n.pitch))
    return Transcription(heard, 0.0, max(n.offset for n in heard), [], True)


def test_a_transcribers_ghosts_and_overtones_are_not_claimed_as_extra_notes(tmp_path):
    score = P.base(12.0)
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    struck = score[24]
    ghost = Heard(50, 3.33, 3.5, 8)  # far softer than anything played
    overtone = Heard(struck.pitch + 12, struck.start + 0.01, struck.end, struck.velocity)
    real = Heard(41, 7.7, 7.9, 70)
    a = Analysis(_transcribed(score, [ghost, overtone, real]))
    c = follower.comparison(a)
    assert [int(p) for p in a.notes.pitch[c.extra]] == [41]
    assert c.unsure == 2 and (c.wrong, c.missing) == ([], [])


def test_notes_outside_the_played_stretch_are_not_claimed_missing(tmp_path):
    score = P.base(12.0)
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    middle = [n for n in score if 3.0 <= n.start < 9.0]  # the take starts and stops mid-score
    c = follower.comparison(Analysis(as_heard(middle)))
    assert (c.wrong, c.extra, c.missing) == ([], [], [])
    assert len(c.matched) == len(middle)


def test_the_audio_is_asked_about_a_struck_key(tmp_path):
    from llaqo.model.listen.judge.keys import KeyRises
    from llaqo.model.testing.piano import can_render, render

    if not can_render():
        pytest.skip("fluidsynth and a soundfont are needed to render test audio")
    import soundfile as sf

    wav = render([Note(60, 0.5, 1.5, 90), Note(67, 1.0, 1.5, 90)], tmp_path / "t.wav")
    samples, rate = sf.read(wav, dtype="float32", always_2d=True)
    keys = KeyRises.from_audio(samples.T, rate)
    assert keys.rise(60, 0.5, 0.03) > 20 and keys.rise(67, 1.0, 0.03) > 20
    assert keys.rise(60, 1.2, 0.03) < 8  # still sounding, not struck again
    assert keys.rise(64, 0.5, 0.03) < keys.rise(60, 0.5, 0.03) - 10  # a key nobody struck
    assert KeyRises(np.zeros((88, 10)), 0.0).rise(200, 0.05) == 0.0


def _flat_keys(rises: dict[tuple[int, float], float] | None = None, seconds: float = 20.0):
    """KeyRises of audio where nothing changes, but for a step of dB at each (key, time) given."""
    from llaqo.model.listen.judge.keys import HOP_S, LOWEST, KeyRises

    db = np.full((88, int(seconds / HOP_S)), -40.0)
    for (key, t), step in (rises or {}).items():
        db[key - LOWEST, int(round(t / HOP_S)):] += step
    return KeyRises(db, 0.0)


def _played_keys(notes, rises: dict[tuple[int, float], float] | None = None):
    """_flat_keys where every played note's key steps up 20 dB at its onset (the audio of the take)."""
    steps = {(n.pitch, n.start): 20.0 for n in notes}
    return _flat_keys({**steps, **(rises or {})})


def test_a_note_held_over_its_repeat_is_claimed_missing_unless_the_audio_shows_it_struck_again(tmp_path):
    score = P.base(12.0)
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    k = next(i for i in range(30, len(score)) if any(n.pitch == score[i].pitch and 0.2 < score[i].start - n.start
                                                    < 0.8 for n in score[:i]))
    before = max((n for n in score[:k] if n.pitch == score[k].pitch), key=lambda n: n.start)
    played = [replace(n, end=score[k].end) if n is before else n for n in score if n is not score[k]]
    a = Analysis(as_heard(played))  # the note before sounds on through the repeat the player left out
    assert [s.pitch for s, _ in follower.comparison(a, _played_keys(played)).missing] == [score[k].pitch]
    struck = _played_keys(played, {(score[k].pitch, score[k].start): 20.0})  # struck again, transcriber merged
    c = follower.comparison(a, struck)
    assert c.missing == [] and c.unsure == 1
    assert follower.comparison(a).missing == []  # no audio: the transcription's merged note is not contradicted


def test_the_audio_is_read_up_to_the_keys_next_strike_only(tmp_path):
    from llaqo.model.listen.judge.keys import REACH_S

    keys = _flat_keys({(60, 5.0): 30.0})
    assert keys.rise(60, 4.9, 0.12) >= 29  # the search window reaches the strike at 5.0 s
    assert keys.rise_between(60, 4.78, 5.0 - REACH_S) < 1  # up to where the strike at 5.0 s is not yet read
    score = P.base(12.0)
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    k = next(i for i in range(30, len(score)) if any(n.pitch == score[i].pitch and 0.12 < n.start - score[i].start
                                                    < 0.3 for n in score[i + 1:]))
    nxt = next(n for n in score[k + 1:] if n.pitch == score[k].pitch)
    played = [n for n in score if n is not score[k]]
    c = follower.comparison(Analysis(as_heard(played)), _played_keys(played, {(nxt.pitch, nxt.start): 20.0}))
    assert [s.pitch for s, _ in c.missing] == [score[k].pitch]


def test_a_transcribers_ghosts_after_the_take_do_not_stretch_the_played_part():
    from llaqo.model.listen.judge import claims
    from llaqo.model.listen.judge.align import Comparison
    from llaqo.model.listen.judge.score import ScoreNote

    played = [Note(60 + i % 5, i * 0.5, i * 0.5 + 0.4, 70) for i in range(12)]  # the take ends at 5.5 s
    a = Analysis(_transcribed(played, [Heard(p, 7.5, 9.0, 70) for p in (40, 47)]))  # the reverb's tail
    s = [ScoreNote(int(n.pitch), i, 1 + i // 4, 1 + i % 4) for i, n in enumerate(played)]
    after = ScoreNote(64, 12.0, 4, 1)  # the score goes on: due at 6.0 s, after the last played note
    c = Comparison(matched=list(enumerate(s)), extra=[12, 13], missing=[(after, 6.0)])
    claims.keep_supported(c, a, _flat_keys())
    assert c.missing == [] and c.unsure == 3  # not missing: the take stopped; the ghosts not struck


def test_a_soft_ghost_after_the_take_is_no_wrong_note_and_does_not_stretch_the_played_part():
    from llaqo.model.listen.judge import claims
    from llaqo.model.listen.judge.align import Comparison
    from llaqo.model.listen.judge.score import ScoreNote

    played = [Note(60 + i % 5, i * 0.5, i * 0.5 + 0.4, 70) for i in range(12)]  # the take ends at 5.5 s
    a = Analysis(_transcribed(played, [Heard(62, 7.5, 8.0, 20), Heard(67, 8.5, 9.0, 20)]))  # soft ghosts
    s = [ScoreNote(int(n.pitch), i, 1 + i // 4, 1 + i % 4) for i, n in enumerate(played)]
    later = [ScoreNote(64, 15.0, 4, 4), ScoreNote(67, 17.0, 5, 2), ScoreNote(65, 16.0, 5, 1)]

    def compare(keys):
        c = Comparison(matched=list(enumerate(s)) + [(13, later[1])], wrong=[(12, later[0])],
                       missing=[(later[2], 8.0)])
        claims.keep_supported(c, a, keys)
        return c

    c = compare(_flat_keys())  # the ghost matched to the score at 8.5 s does not make 8.0 s part of the take
    assert (c.wrong, c.missing) == ([], []) and c.unsure == 3
    c = compare(_flat_keys({(62, 7.5): 40.0, (67, 8.5): 40.0}))  # soft, but the audio shows both struck
    assert [k for k, _ in c.wrong] == [12] and [s.pitch for s, _ in c.missing] == [65]


def test_a_key_missing_from_the_takes_first_chord_is_claimed_only_without_the_audio(tmp_path):
    score = P.base(12.0)
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    opening = [n for n in score if n.start == score[0].start]
    assert len(opening) >= 2
    later = next(n for n in score[10:] if sum(m.start == n.start for m in score) >= 2)
    for dropped in (opening[-1], later):
        played = [n for n in score if n is not dropped]
        a = Analysis(as_heard(played))
        heard = [s.pitch for s, _ in follower.comparison(a, _played_keys(played)).missing]
        assert heard == ([] if dropped is opening[-1] else [dropped.pitch])  # at the start the audio is blind
        assert [s.pitch for s, _ in follower.comparison(a).missing] == [dropped.pitch]


def test_a_note_played_late_but_in_order_is_late_not_missing_and_extra(tmp_path):
    score = [Note(p, float(i), i + 0.8, 70) for i in range(16)
             for p in (36 + (2 * i) % 7, 52 + (3 * i) % 5, 67 + i % 4)]
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=60))  # a chord a second
    late = [replace(n, start=n.start + 0.42, end=n.end + 0.1) if i == 17 else n for i, n in enumerate(score)]
    c = follower.comparison(Analysis(as_heard(late)))  # its chord's other notes, on time, place the beat
    assert (c.wrong, c.extra, c.missing) == ([], [], []) and len(c.matched) == 48
    swapped = [replace(n, start=n.start + 1.1, end=n.end + 1.1) if i == 17 else n for i, n in enumerate(score)]
    c = follower.comparison(Analysis(as_heard(swapped)))  # past the next chord: out of order, not paired
    assert [s.pitch for s, _ in c.missing] == [score[17].pitch] and len(c.extra) == 1


def test_an_extra_note_heard_after_the_take_is_not_claimed():
    from llaqo.model.listen.judge import claims
    from llaqo.model.listen.judge.align import Comparison
    from llaqo.model.listen.judge.score import ScoreNote

    played = [Note(60 + i % 5, i * 0.5, i * 0.5 + 0.4, 70) for i in range(12)]  # the take ends at 5.5 s
    a = Analysis(_transcribed(played, [Heard(66, 3.25, 3.4, 70), Heard(54, 7.0, 7.5, 90)]))
    s = [ScoreNote(int(n.pitch), i, 1 + i // 4, 1 + i % 4) for i, n in enumerate(played)]
    matched = [(k if k < 7 else k + 1, s[k]) for k in range(12)]  # the extra 66 at 3.25 s is note 7
    c = Comparison(matched=matched, extra=[7, 13])
    claims.keep_supported(c, a, _played_keys(played, {(66, 3.25): 20.0, (54, 7.0): 20.0}))
    assert c.extra == [7] and c.unsure == 1  # struck in the take: claimed; struck in the decay after: not


def test_an_extra_strike_of_a_sounding_key_needs_only_a_small_rise():
    from llaqo.model.listen.judge import claims
    from llaqo.model.listen.judge.align import Comparison
    from llaqo.model.listen.judge.score import ScoreNote

    played = [Note(60 + i % 5, i * 0.5, i * 0.5 + 0.4, 70) for i in range(12)]
    a = Analysis(_transcribed(played, [Heard(72, 2.25, 2.4, 70), Heard(74, 3.25, 3.4, 70)]))  # notes 5 and 8
    s = [ScoreNote(int(n.pitch), i, 1 + i // 4, 1 + i % 4) for i, n in enumerate(played)]
    others = [k for k in range(14) if k not in (5, 8)]
    c = Comparison(matched=list(zip(others, s)), extra=[5, 8])
    claims.keep_supported(c, a, _played_keys(played, {(72, 2.25): claims.EXTRA_NOTE_RISE_DB + 1, (74, 3.25): 3.0}))
    assert c.extra == [5] and c.unsure == 1  # a restrike rises a few dB; 3 dB is no strike


def test_the_middle_key_of_a_tripled_octave_is_not_claimed_missing_from_the_audio():
    from llaqo.model.listen.judge import claims
    from llaqo.model.listen.judge.align import Comparison
    from llaqo.model.listen.judge.score import ScoreNote

    played = [Note(60 + i % 5, i * 0.5, i * 0.5 + 0.4, 70) for i in range(12)]
    played += [Note(47, 2.0, 2.4, 70), Note(71, 2.0, 2.4, 70), Note(52, 3.0, 3.4, 70)]  # B2 and B4 at 2 s
    a = Analysis(_transcribed(played, []))
    order = sorted(range(len(played)), key=lambda i: (played[i].start, played[i].pitch))
    s = [ScoreNote(int(played[i].pitch), k, 1 + k // 4, 1 + k % 4) for k, i in enumerate(order)]
    middle, other = ScoreNote(59, 8.0, 3, 1), ScoreNote(64, 12.0, 4, 1)  # B3 due with them; E4 due at 3 s

    def claimed(keys):
        c = Comparison(matched=list(enumerate(s)), missing=[(middle, 2.0), (other, 3.0)])
        claims.keep_supported(c, a, keys)
        return [x.pitch for x, _ in c.missing]

    assert claimed(_played_keys(played)) == [64]  # only the key the audio could show absent
    assert claimed(None) == [59, 64]


def test_assess_with_a_reference_writes_the_score_errors_list(tmp_path):
    from typer.testing import CliRunner

    from llaqo.app import app
    from llaqo.model.testing.piano import can_render, render

    if not can_render():
        pytest.skip("fluidsynth and a soundfont are needed to render test audio")
    score = P.base(8.0)
    reference = write_midi(score, tmp_path / "s.mid", tempo_bpm=100)
    played = list(score)
    played[12] = replace(played[12], pitch=played[12].pitch + 2)
    take = render(played, tmp_path / "take.wav")
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["assess", str(take), "--engine", "listen", "--reference", str(reference),
                                      "--json", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    wrong = [e for e in report["score_errors"] if e["type"] == "wrong"]
    assert [(e["pitch_expected"], e["pitch_played"]) for e in wrong] == [(score[12].pitch, score[12].pitch + 2)]
    assert abs(wrong[0]["time_s"] - score[12].start) < 0.1
    assert (wrong[0]["bar"], wrong[0]["beat"]) == (1, 3.5)  # 1.5 s at 100 quarter notes a minute
    assert any(a["dimension"] == "accuracy" for a in report["summary"]["answers"])
    heard = report["segments"][0]["heard"]
    assert [b for _, b in heard["bars"]][:3] == [1, 2, 3] and heard["score_tempo"]


def test_the_alignment_gives_the_bar_lines_and_the_scores_pace_as_played(tmp_path):
    score = P.base(12.0)  # 100 quarter notes a minute, 4/4: a bar every 2.4 s
    follower = ScoreFollower.from_file(write_midi(score, tmp_path / "s.mid", tempo_bpm=100))
    slower = [replace(n, start=n.start * 1.25, end=n.end * 1.25) for n in score]  # played at 80
    c = follower.comparison(Analysis(as_heard(slower)))
    lines = c.bar_lines()
    assert [bar for _, bar in lines] == list(range(1, len(lines) + 1)) and len(lines) >= 4
    assert np.allclose(np.diff([t for t, _ in lines]), 3.0, atol=0.05)
    pace = [bpm for _, bpm in c.score_tempo()]
    assert pace and np.allclose(pace, 80, atol=1.5)


def _onset_scores(played: list[Note], scores: dict[tuple[int, float], float], seconds: float = 8.0):
    """OnsetEvidence at 23-ms frames: -10 everywhere, +5 at each played onset, and the (key, time) given."""
    from llaqo.model.listen.notes import OnsetEvidence

    times = np.arange(0.0, seconds, 1024 / 44100)
    ev = np.full((88, len(times)), -10.0)
    for (key, t), value in {**{(n.pitch, n.start): 5.0 for n in played}, **scores}.items():
        ev[key - 21, np.abs(times - t).argmin()] = value
    return OnsetEvidence(ev, times)


def test_the_transcribers_own_onset_evidence_decides_a_missing_note():
    from llaqo.model.listen.judge import claims
    from llaqo.model.listen.judge.align import Comparison
    from llaqo.model.listen.judge.score import ScoreNote

    played = [Note(60 + i % 5, i * 0.5, i * 0.5 + 0.4, 70) for i in range(12)]
    s = [ScoreNote(int(n.pitch), i, 1 + i // 4, 1 + i % 4) for i, n in enumerate(played)]
    dropped, absent, beside = ScoreNote(72, 4.0, 2, 1), ScoreNote(76, 6.0, 2, 3), ScoreNote(61, 8.0, 3, 1)
    # the audio shows 76 rising with nothing near to explain it, and 72 and 61 not rising at all
    keys = _played_keys(played, {(76, 3.0): claims.MISSED_RISE_DB + 5})

    def claimed(onsets):
        tr = _transcribed(played, [Heard(61, 4.06, 4.3, 70)])  # 61 struck 60 ms after it was due
        tr.onsets = onsets
        c = Comparison(matched=list(enumerate(s)), missing=[(dropped, 2.0), (absent, 3.0), (beside, 4.0)])
        claims.keep_supported(c, Analysis(tr), keys)
        return [x.pitch for x, _ in c.missing], c.unsure

    # the decoder dropped 72 (its onset scored +3); 76 scored far below zero: not struck, whatever rose
    evidence = _onset_scores(played, {(72, 2.0): 3.0, (61, 4.06): 6.0})
    assert claimed(evidence) == ([76, 61], 1)  # 61's only evidence is the strike the transcription holds
    assert claimed(None) == ([72, 61], 1)  # the band's rise alone: the other way round for 72 and 76


def test_a_repeated_chord_does_not_let_the_path_slip_a_group():
    from llaqo.model.listen.judge.align import align, locate, onset_groups
    from llaqo.model.listen.judge.score import ScoreNote

    groups = [(48, 60, 64, 67), (58, 65, 68), (58, 65, 68), (51, 60, 63, 67), (55, 62, 65, 71), (48, 60, 64, 67)]
    beats = [0.0, 1.0, 1.5, 2.0, 3.0, 4.0]
    for wrong_at in (1, 2):  # one wrong note (63 for 65) in either of the repeated chords
        score = [ScoreNote(p, b, 1, 1 + int(b)) for b, g in zip(beats, groups) for p in g]
        played = [(63 if k == wrong_at and p == 65 else p, 0.5 * b + 0.004 * i)
                  for k, (b, g) in enumerate(zip(beats, groups)) for i, p in enumerate(g)]
        pitch, onset = np.array([p for p, _ in played]), np.array([t for _, t in played])
        group_of = np.concatenate([[k] * len(g) for k, g in enumerate(groups)])
        path, _, _ = locate(score, *onset_groups(group_of, pitch))
        assert path == [(k, k) for k in range(len(groups))]  # a free skip took (1, 2) or (2, 1) steps here
        c = align(score, pitch, onset, [np.flatnonzero(group_of == k) for k in range(len(groups))])
        assert [(int(pitch[k]), s.beat) for k, s in c.wrong] == [(63, beats[wrong_at])] and not c.missing


def test_with_the_transcribers_evidence_an_extra_note_needs_no_rise_of_its_band():
    from llaqo.model.listen.judge import claims
    from llaqo.model.listen.judge.align import Comparison
    from llaqo.model.listen.judge.score import ScoreNote

    played = [Note(60 + i % 5, i * 0.5, i * 0.5 + 0.4, 70) for i in range(12)]
    tr = _transcribed(played, [Heard(72, 2.25, 2.4, 70), Heard(74, 3.25, 3.4, 70)])  # notes 5 and 8
    s = [ScoreNote(int(n.pitch), i, 1 + i // 4, 1 + i % 4) for i, n in enumerate(played)]
    others = [k for k in range(14) if k not in (5, 8)]
    keys = _played_keys(played)  # neither extra key's band rises (held down by the pedal, say)

    def claimed(onsets):
        tr.onsets = onsets
        c = Comparison(matched=list(zip(others, s)), extra=[5, 8])
        claims.keep_supported(c, Analysis(tr), keys)
        return c.extra

    assert claimed(None) == []  # the band alone: no strike heard
    assert claimed(_onset_scores(played, {(72, 2.25): 4.0, (74, 3.25): -1.0})) == [5]  # 74: the decoder's own doubt
