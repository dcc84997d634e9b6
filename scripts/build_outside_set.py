"""Build the listening engine's outside-material set: music the rules were not tuned on.

    .venv/bin/python scripts/build_outside_set.py [--out .bench/outside] [--seconds 20] [--force]

Sources (Debian and PyPI packages only; nothing downloaded by hand):

- a human performance: the Mozart K. 265 variation 1 performance (notes, velocities, sustain pedal)
  and its note alignment to the score, shipped with parangonar 3.4.0 (Apache-2.0) as a match file;
- corpus scores shipped with music21 10.5 (BSD; the compositions are public domain, see the corpus'
  license.txt), read with partitura (repeats unfolded, ties merged, all parts), humanised: a smooth
  phrase-shaped tempo (rubato), timing jitter, phrase-arched velocities with the top voice leading,
  slightly detached note lengths, and bar-wise legato pedalling in the romantic pieces;
- piano sounds other than the project's own renders (those use TimGM6mb): FluidR3_GM
  (fluid-soundfont-gm, MIT), MuseScore_General (musescore-general-soundfont-small, MIT; its piano is
  public domain), and csound's sf_GMbank (csound-soundfont, public domain);
- every piece is rendered twice, once dry and once through a convolution reverb (a synthetic
  1.8-s RT60 room, scipy), each with a different piano sound.

Pieces are split into a tuning half and a held-out half, deterministically by piece (sha1 of the
name); the human performance is always held out (it is the one real performance the set has).
Writes `<out>/<render>.wav`, `<out>/<render>.mid` (what was played), `<out>/<piece>.score.mid`
(the score, for score-informed checks) and `<out>/manifest.json`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / ".bench" / "outside"
RATE = 44_100

SOUNDFONTS = {  # name: (path, Debian package, licence)
    "FluidR3": ("/usr/share/sounds/sf2/FluidR3_GM.sf2", "fluid-soundfont-gm", "MIT"),
    "MuseScoreGeneral": ("/usr/share/sounds/sf3/MuseScore_General.sf3", "musescore-general-soundfont-small",
                         "MIT (piano samples public domain)"),
    "csoundGM": ("/usr/share/sounds/sf2/sf_GMbank.sf2", "csound-soundfont", "public domain"),
}

# music21 corpus work, quarter-note tempo, pedalled (bar-wise legato pedal)
CORPUS = {
    "mozart_k545_i": ("mozart/k545/movement1_exposition.mxl", 128, False),
    "joplin_maple_leaf": ("joplin/maple_leaf_rag.mxl", 76, False),
    "cpebach_h186": ("cpebach/h186.mxl", 100, False),
    "clara_polonaise_1": ("schumann_clara/polonaise_op1n1.mxl", 96, True),
    "clara_polonaise_2": ("schumann_clara/polonaise_op1n2.mxl", 92, True),
    "beach_prayer": ("beach/prayer_of_a_tired_child.musicxml", 66, True),
    "chopin_mazurka_6_2": ("chopin/mazurka06-2.krn", 132, True),
    "bach_wtc1_prelude_c": ("bach/bwv846.mxl", 66, False),
    "bach_chorale_10_7": ("bach/bwv10.7.mxl", 76, False),
    "bach_chorale_26_6": ("bach/bwv26.6.mxl", 76, False),
    "bach_chorale_40_8": ("bach/bwv40.8.mxl", 76, False),
    "bach_chorale_66_6": ("bach/bwv66.6.mxl", 76, False),
}
HUMAN = "mozart_k265_var1"
LICENCES = {
    "music21": "music21 corpus (BSD-licensed package; public-domain compositions, encodings per its license.txt)",
    "parangonar": "parangonar 3.4.0 assets/mozart_k265_var1.match (Apache-2.0)",
}


@dataclass
class Render:
    name: str  # file stem
    piece: str
    split: str  # "tuning" | "held_out"
    kind: str  # "human" | "humanised score"
    soundfont: str
    reverb: bool
    source: str
    licence: str
    seconds: float
    notes: list[list[float]] = field(default_factory=list)  # [onset_s, offset_s, pitch, velocity]
    pedal: list[list[float]] = field(default_factory=list)  # [time_s, cc64 value]


def split_of(piece: str) -> str:
    """Deterministic by piece: the human performance is held out; the corpus pieces, ordered by the
    sha1 of their name, alternate tuning / held out (so the halves are as even as they can be)."""
    if piece == HUMAN:
        return "held_out"
    order = sorted(CORPUS, key=lambda p: hashlib.sha1(p.encode()).hexdigest())
    return "tuning" if order.index(piece) % 2 == 0 else "held_out"


def human_performance(seconds: float) -> tuple[np.ndarray, list[list[float]], np.ndarray]:
    """(notes [onset, offset, pitch, velocity], pedal events, score notes) of K. 265 var. 1."""
    import parangonar
    import partitura as pt

    path = Path(parangonar.__file__).parent / "assets" / "mozart_k265_var1.match"
    perf, _alignment, score = pt.load_match(str(path), create_score=True)
    na = perf.note_array()
    notes = np.stack([na["onset_sec"], na["onset_sec"] + na["duration_sec"], na["pitch"], na["velocity"]], 1)
    pedal = [[c["time"], c["value"]] for c in perf.performedparts[0].controls if c["number"] == 64]
    keep = notes[:, 0] < seconds
    return notes[keep], [p for p in pedal if p[0] < seconds + 1], _score_seconds(score, 60.0 * 2)


def _score_seconds(score, bpm: float) -> np.ndarray:
    """Score notes [onset_s, offset_s, pitch, 64] at a fixed tempo (repeats unfolded, ties merged)."""

    parts = [_unfolded(p) for p in score.parts]
    rows = []
    for part in parts:
        na = part.note_array()
        rows.append(np.stack([na["onset_quarter"], na["onset_quarter"] + na["duration_quarter"], na["pitch"]], 1))
    q = np.concatenate(rows)
    q = q[q[:, 1] > q[:, 0]]
    # a key struck by two voices at once (unisons, a part doubling a voice) sounds once: keep the longest
    q = q[np.lexsort((-q[:, 1], q[:, 2], q[:, 0]))]
    first = np.ones(len(q), bool)
    first[1:] = (np.diff(q[:, 0]) != 0) | (np.diff(q[:, 2]) != 0)
    q = q[first]
    q[:, :2] *= 60.0 / bpm
    return np.concatenate([q, np.full((len(q), 1), 64.0)], 1)


def _unfolded(part):
    """The part with its repeats played out; as written where partitura cannot unfold it (its kern
    reader's elements lack what unfolding needs)."""
    import partitura as pt

    try:
        return pt.score.unfold_part_maximal(part)
    except AttributeError:
        return part


def humanise(score_notes: np.ndarray, seconds: float, pedalled: bool, bar_s: float, seed: int):
    """Play a score excerpt like a careful pianist: phrase-shaped rubato (smooth), small onset jitter,
    arched phrase dynamics with the top voice leading, slightly detached lengths, bar-wise pedal."""
    rng = np.random.default_rng(seed)
    q = score_notes[score_notes[:, 0] < seconds * 1.1].copy()
    phrase = 4 * bar_s
    # time warp: local tempo factor 1 + 5 % sin over a phrase, integrated (smooth, returns each phrase)
    grid = np.linspace(0, q[:, 1].max() + 1, 4000)
    rate = 1.0 + 0.05 * np.sin(2 * np.pi * grid / phrase)
    warped = np.concatenate([[0.0], np.cumsum(np.diff(grid) / rate[1:])])
    on = np.interp(q[:, 0], grid, warped) + rng.normal(0, 0.008, len(q))
    off = np.interp(q[:, 1], grid, warped)
    dur = np.maximum((off - on) * 0.92, 0.06)
    on = np.maximum(on, 0.0) + 0.3
    # dynamics: phrase arch (+-12) around 64, the top note of each onset group +10, the bass +4
    vel = 64 + 12 * np.sin(np.pi * (q[:, 0] % phrase) / phrase) + rng.normal(0, 4, len(q))
    keys = np.round(q[:, 0], 3)
    for t in np.unique(keys):
        group = np.flatnonzero(keys == t)
        vel[group[np.argmax(q[group, 2])]] += 10
        if len(group) > 1:
            vel[group[np.argmin(q[group, 2])]] += 4
    notes = np.stack([on, on + dur, q[:, 2], np.clip(np.round(vel), 30, 112)], 1)
    notes = notes[notes[:, 0] < seconds]
    pedal = []
    if pedalled:  # legato pedal: down just after each downbeat, up just before the next
        bars = np.interp(np.arange(0, q[:, 1].max(), bar_s), grid, warped) + 0.3
        for a, b in zip(bars[:-1], bars[1:]):
            if a < seconds:
                pedal += [[a + 0.06, 127], [b - 0.04, 0]]
    return notes, pedal


def write_midi(notes: np.ndarray, pedal: list[list[float]], path: Path) -> None:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI()
    inst = pretty_midi.Instrument(program=0)
    inst.notes = [pretty_midi.Note(int(v), int(p), float(a), float(b)) for a, b, p, v in notes]
    inst.control_changes = [pretty_midi.ControlChange(64, int(v), float(t)) for t, v in pedal]
    pm.instruments.append(inst)
    pm.write(str(path))


def render(midi: Path, wav: Path, soundfont: str, reverb: bool, seed: int, last_offset: float) -> float:
    """fluidsynth with its own reverb and chorus off; then our room, if asked. Returns seconds."""
    import soundfile as sf

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["fluidsynth", "-ni", "-R", "0", "-C", "0", "-g", "0.7", "-r", str(RATE), "-F", str(raw),
                        soundfont, str(midi)], check=True, capture_output=True)
        audio, rate = sf.read(raw, dtype="float32", always_2d=True)
    audio = audio[: int((last_offset + 3.0) * rate)]  # a sustain loop can ring on long after the music
    if reverb:
        audio = add_reverb(audio, rate, seed)
    audio = audio / max(float(np.abs(audio).max()), 1e-6) * 0.7
    tmp_wav = wav.with_suffix(".part.wav")
    sf.write(tmp_wav, audio, rate, subtype="PCM_16")
    os.replace(tmp_wav, wav)
    return len(audio) / rate


def add_reverb(audio: np.ndarray, rate: int, seed: int, rt60: float = 1.8, wet: float = 0.45) -> np.ndarray:
    """A concert-room tail: a few early reflections plus exponentially decaying, low-passed stereo
    noise (RT60 `rt60` s), convolved with scipy. Deterministic for a seed."""
    from scipy.signal import butter, fftconvolve, sosfilt

    rng = np.random.default_rng(seed)
    n = int(rt60 * 1.2 * rate)
    t = np.arange(n) / rate
    decay = np.exp(-6.91 * t / rt60)
    sos = butter(2, 5000, fs=rate, output="sos")
    out = np.empty((audio.shape[0] + n - 1, audio.shape[1]), dtype=np.float32)
    for ch in range(audio.shape[1]):
        ir = sosfilt(sos, rng.normal(0, 1, n)) * decay
        ir[: int(0.012 * rate)] = 0.0  # pre-delay
        for delay, gain in ((0.013, 0.5), (0.021, 0.35), (0.034, 0.25)):
            ir[int((delay + 0.002 * ch) * rate)] += gain * np.sqrt(np.sum(ir**2))
        ir /= np.sqrt(np.sum(ir**2))
        wet_ch = fftconvolve(audio[:, ch], ir)
        out[:, ch] = wet * wet_ch
        out[: audio.shape[0], ch] += (1 - wet) * audio[:, ch]
    return out


def corpus_performance(work: str, bpm: float, pedalled: bool, seconds: float, seed: int):
    """(score notes in seconds, humanised performance notes, pedal events) of a music21 corpus work
    (read with partitura) at `bpm` quarter notes a minute, its first `seconds`."""
    import music21.corpus
    import partitura as pt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc = pt.load_score(str(music21.corpus.getWork(work)))
    score_notes = _score_seconds(sc, bpm)
    perf, ped = humanise(score_notes, seconds, pedalled, _bar_quarters(sc) * 60.0 / bpm, seed=seed)
    return score_notes, perf, ped


def build(out: Path, seconds: float, force: bool = False) -> list[Render]:
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.json"
    if manifest.exists() and not force:
        data = json.loads(manifest.read_text())
        if data.get("seconds") == seconds:
            return [Render(**r) for r in data["renders"]]
    fonts = list(SOUNDFONTS)
    pieces: dict[str, tuple] = {}
    notes, pedal, score = human_performance(seconds)
    pieces[HUMAN] = ("human", notes, pedal, score, LICENCES["parangonar"], "parangonar:mozart_k265_var1.match")
    for k, (name, (work, bpm, pedalled)) in enumerate(CORPUS.items()):
        score_notes, perf, ped = corpus_performance(work, bpm, pedalled, seconds, seed=k + 1)
        pieces[name] = ("humanised score", perf, ped, score_notes, LICENCES["music21"], f"music21:{work}")
    renders = []
    for k, (piece, (kind, perf, ped, score_notes, licence, source)) in enumerate(sorted(pieces.items())):
        write_midi(score_notes[score_notes[:, 0] < seconds * 1.3], [], out / f"{piece}.score.mid")
        for reverb in (False, True):
            font = fonts[(k + reverb) % len(fonts)]
            stem = f"{piece}__{font}__{'wet' if reverb else 'dry'}"
            write_midi(perf, ped, out / f"{stem}.mid")
            secs = render(out / f"{stem}.mid", out / f"{stem}.wav", SOUNDFONTS[font][0], reverb, seed=k,
                          last_offset=float(perf[:, 1].max()))
            renders.append(Render(stem, piece, split_of(piece), kind, font, reverb, source, licence, secs,
                                  perf.round(4).tolist(), [list(map(float, p)) for p in ped]))
            print(f"rendered {stem} ({secs:.1f} s, {split_of(piece)})", file=sys.stderr)
    data = {"seconds": seconds, "soundfonts": {k: {"package": v[1], "licence": v[2]} for k, v in SOUNDFONTS.items()},
            "renders": [asdict(r) for r in renders]}
    tmp = manifest.with_suffix(".part")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, manifest)
    return renders


def _bar_quarters(score) -> float:

    part = score.parts[0]
    ts = part.time_sigs
    return 4.0 * ts[0].beats / ts[0].beat_type if ts else 4.0


def missing_inputs() -> str | None:
    """What the build needs and this machine lacks, or None."""
    import shutil

    if shutil.which("fluidsynth") is None:
        return "fluidsynth is not installed (apt-get install fluidsynth)"
    for name, (path, package, _) in SOUNDFONTS.items():
        if not Path(path).exists():
            return f"the {name} soundfont is missing (apt-get install {package})"
    for module in ("partitura", "parangonar", "music21", "pretty_midi"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install {module})"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of each excerpt")
    ap.add_argument("--force", action="store_true", help="rebuild even if a manifest exists")
    args = ap.parse_args()
    missing = missing_inputs()
    if missing:
        print(missing)
        return 2
    renders = build(args.out, args.seconds, args.force)
    print(f"{len(renders)} renders in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
