"""Tuning material for score-informed mode (`assess --reference`), kept apart from the outside benchmark.

    .venv/bin/python bench/score_tuning.py [--material tuning,dev] [--seeds 12,13] [--transcriber accurate]
                                           [--cases cases.json]

The outside benchmark (bench/listen_outside.py) scores `--reference` on one error draw (seed 11) per piece;
tuning claims' rules on its six tuning pieces alone overfits them. This adds:

- **more error draws** on the benchmark's tuning half: `inject_score_errors` with other seeds (the
  clean takes are the benchmark's own);
- **a development set**: piano-playable music21 corpus pieces that are NOT in the benchmark's CORPUS
  (so its split is unchanged), humanised and rendered exactly as scripts/build_outside_set.py does (same
  humaniser, the same three soundfonts, dry), under .bench/score-dev/.

The held-out half is never read here. Prints, per material, precision / recall of the reported wrong,
missing and extra notes and the mean errors reported on a correct take; through the transcriber and from
the true notes. `--cases` writes every false positive and false negative with what the transcription
and the audio (KeyRises) showed near it, for classifying them by cause.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "scripts"))

import build_outside_set as outside  # noqa: E402
import listen_outside as L  # noqa: E402
import numpy as np  # noqa: E402
import outside_checks as C  # noqa: E402

DEV_OUT = ROOT / ".bench" / "score-dev"
# music21 corpus work, quarter-note tempo, pedalled: keyboard music and piano reductions of chorales,
# quartets and songs (the benchmark plays chorales the same way); none is in build_outside_set.CORPUS
DEV_CORPUS = {
    "clara_polonaise_3": ("schumann_clara/polonaise_op1n3.mxl", 96, True),
    "clara_polonaise_4": ("schumann_clara/polonaise_op1n4.mxl", 96, True),
    "schubert_lindenbaum": ("schubert/Lindenbaum.xml", 84, True),
    "schumann_dichterliebe_2": ("schumann_robert/dichterliebe_no2.xml", 72, True),
    "haydn_op1_1_i": ("haydn/opus1no1/movement1.mxl", 120, False),
    "mozart_k155_i": ("mozart/k155/movement1.mxl", 120, False),
    "beethoven_op18_1_i": ("beethoven/opus18no1/movement1.mxl", 132, False),
    "bach_chorale_253": ("bach/bwv253.mxl", 76, False),
    "bach_chorale_269": ("bach/bwv269.mxl", 76, False),
}
EXCERPT_S = L.FLAW_SECONDS


def dev_pieces(out: Path = DEV_OUT) -> list[dict]:
    """The development pieces: performance notes, pedal, sound and the score file (built once)."""
    manifest = out / "manifest.json"
    if manifest.exists():
        return json.loads(manifest.read_text())
    out.mkdir(parents=True, exist_ok=True)
    fonts = list(outside.SOUNDFONTS)
    pieces = []
    for k, (name, (work, bpm, pedalled)) in enumerate(DEV_CORPUS.items()):
        score_notes, perf, ped = outside.corpus_performance(work, bpm, pedalled, 20.0, seed=100 + k)
        outside.write_midi(score_notes[score_notes[:, 0] < 20.0 * 1.3], [], out / f"{name}.score.mid")
        pieces.append({"piece": name, "notes": perf.round(4).tolist(), "pedal": [list(map(float, p)) for p in ped],
                       "soundfont": fonts[k % len(fonts)]})
    manifest.write_text(json.dumps(pieces))
    return pieces


def tuning_pieces() -> list[dict]:
    renders = outside.build(outside.DEFAULT_OUT, 20.0)
    return [{"piece": r.piece, "notes": r.notes, "pedal": r.pedal, "soundfont": r.soundfont}
            for r in renders if not r.reverb and r.split == "tuning"]


def takes(piece: dict, folder: Path, seeds: list[int], engine):
    """Yield (seed or None for the clean take, truth, the notes played, true-notes take, heard take or None)."""
    notes = np.asarray(piece["notes"])
    notes, pedal = notes[notes[:, 0] < EXCERPT_S], [p for p in piece["pedal"] if p[0] < EXCERPT_S + 1]
    font = piece["soundfont"]
    heard = (lambda stem, ns: L._heard_with_keys(engine, folder, stem, ns, pedal, font)) if engine else None
    yield None, [], notes, (C.as_transcription(notes, pedal), None), heard and heard(f"{piece['piece']}__clean", notes)
    for seed in seeds:
        wrong, truth = C.inject_score_errors(notes, np.random.default_rng(seed))
        # seed 11's stem is the benchmark's own, so its render and transcription are shared
        stem = f"{piece['piece']}__{L.SCORE_ERRORS_STEM}" + ("" if seed == 11 else f"_s{seed}")
        yield seed, truth, wrong, (C.as_transcription(wrong, pedal), None), heard and heard(stem, wrong)


def unclaimed(follower, take) -> list[tuple[str, float, int]]:
    """The alignment's leftovers before claims.py weighed them (for classifying a case)."""
    return C.reported_errors(follower, *take, weigh=False)


def near(tr, keys, t: float, p: int, reported, leftovers) -> dict:
    """What the transcription, the alignment and the audio show around (t, p): for classifying a case."""
    ns = [(round(n.onset, 3), n.pitch, round(n.velocity)) for n in tr.notes if abs(n.onset - t) < 0.25]
    close = [(k, round(tt, 3), pp) for k, tt, pp in reported if abs(tt - t) < 0.3]
    out = {"notes_near": ns, "reported_near": close,
           "leftovers_near": [(k, round(tt, 3), pp) for k, tt, pp in leftovers if abs(tt - t) < 0.3]}
    if keys is not None:
        out["rise_db"] = round(keys.rise(p, t, 0.05), 1)
    if tr.onsets is not None:
        score = tr.onsets.best(p, t - 0.12, t + 0.12)
        out["onset_score"] = None if score is None else round(score, 2)
    return out


HEARD_S = 0.06  # a transcribed onset this close to a played one is that note heard


def cause(label: str, kind: str, t: float, p: int, played: np.ndarray, tr, leftovers, reported) -> str:
    """A first classification of a false positive / negative from what was really played (`played`:
    [onset, offset, pitch, velocity]) and what the transcription holds; refined by hand from the cases."""
    heard = np.array([[n.onset, n.pitch] for n in tr.notes]).reshape(-1, 2)

    def was_played(key, dt=HEARD_S):
        return bool(np.any((played[:, 2] == key) & (np.abs(played[:, 0] - t) < dt)))

    def was_heard(key, dt=HEARD_S):
        return bool(np.any((heard[:, 1] == key) & (np.abs(heard[:, 0] - t) < dt)))

    first = float(played[:, 0].min())
    octave = was_played(p + 12) or was_played(p - 12)
    if label == "FP" and kind == "missing":
        if not was_played(p, 0.3):
            return "alignment: due time or key slipped"
        if t - first < 0.15:
            return "transcription missed: first onset"
        if np.any((played[:, 2] == p) & (played[:, 0] < t - 0.02) & (played[:, 0] > t - 0.6)):
            return "transcription missed: repeated key merged"
        return "transcription missed: octave" if octave else "transcription missed: in chord/other"
    if label == "FP" and kind in ("extra", "wrong"):
        if was_played(p):
            return "alignment: played note left unmatched"
        if was_played(p + 12) or was_played(p - 12) or was_played(p - 19) or was_played(p - 24):
            return "transcription ghost: octave/partial"
        if any(was_played(p + d) for d in (-2, -1, 1, 2)):
            return "transcription ghost: neighbour key"
        return "transcription ghost: other"
    # false negatives
    if kind == "missing":
        if was_heard(p, 0.15):
            return "transcription ghost where the note is missing"
        left = any(k == "missing" and x == p and abs(tt - t) < 0.3 for k, tt, x in leftovers)
        return "withdrawn by the audio check" if left else "alignment: not a leftover"
    if not was_heard(p):
        return "transcription missed the played note" + (" (octave)" if octave else "")
    left = any(k == kind and x == p and abs(tt - t) < 0.15 for k, tt, x in leftovers)
    if left:
        return "withdrawn by the claims"
    other = [k for k, tt, x in reported + leftovers if x == p and abs(tt - t) < 0.15]
    return f"reported as {other[0]}" if other else "alignment: matched to the score"


def run(material: dict[str, tuple[list[dict], Path]], seeds: list[int], transcriber: str | None, cases_path):
    from llaqo.model.listen.engine import ListenEngine
    from llaqo.model.listen.judge.follower import ScoreFollower

    engine = ListenEngine(transcriber=transcriber) if transcriber else None
    for _, folder in material.values():
        (folder / "flaws").mkdir(parents=True, exist_ok=True)
    tally: dict[tuple[str, str], list[int]] = {}
    cases = []
    for name, (pieces, folder) in material.items():
        L.REUSE["dir"] = folder / "transcriptions"
        for piece in pieces:
            follower = ScoreFollower.from_file(folder / f"{piece['piece']}.score.mid")
            for seed, truth, played, true_take, heard_take in takes(piece, folder, seeds, engine):
                for source, take in (("true notes", true_take), (transcriber, heard_take)):
                    if take is None:
                        continue
                    t = tally.setdefault((name, source), [0, 0, 0, 0, 0])
                    reported = C.reported_errors(follower, *take)
                    if seed is None:
                        t[3] += len(reported)
                        t[4] += 1
                    else:
                        rep, tru, hit = C.error_hits(reported, truth)
                        t[0], t[1], t[2] = t[0] + rep, t[1] + tru, t[2] + hit
                    fps, fns = C.unmatched_errors(reported, truth)
                    leftovers = unclaimed(follower, take) if fps or fns else []
                    for label, items in (("FP", fps), ("FN", fns)):
                        for kind, tt, p in items:
                            cases.append({"material": name, "piece": piece["piece"], "seed": seed, "source": source,
                                          "case": label, "kind": kind, "time": round(tt, 3), "pitch": p,
                                          "cause": cause(label, kind, tt, p, played, take[0], leftovers, reported),
                                          "played_near": [(round(float(a), 3), int(q)) for a, _, q, _ in played
                                                          if abs(a - tt) < 0.12],
                                          **near(take[0], take[1], tt, p, reported, leftovers)})
    print("| material | judged from | precision | recall | errors on a correct take (mean) |")
    print("|---|---|---|---|---|")
    for (name, source), (rep, tru, hit, clean, n) in tally.items():
        print(f"| {name} | {source} | {hit / max(rep, 1):.3f} ({hit}/{rep}) | {hit / max(tru, 1):.3f} ({hit}/{tru}) | "
              f"{clean / max(n, 1):.2f} ({clean}/{n}) |")
    counts: dict[tuple[str, str, str], int] = {}
    for c in cases:
        if c["source"] != "true notes":
            key = (c["case"], c["kind"] if c["seed"] is not None else c["kind"] + " (clean take)", c["cause"])
            counts[key] = counts.get(key, 0) + 1
    print("\n| case | kind | cause | count |\n|---|---|---|---|")
    for (label, kind, why), n in sorted(counts.items(), key=lambda x: -x[1]):
        print(f"| {label} | {kind} | {why} | {n} |")
    if cases_path:
        Path(cases_path).write_text(json.dumps(cases, indent=1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--material", default="tuning,dev", help="tuning (the benchmark's tuning half), dev")
    ap.add_argument("--seeds", default="11,12,13", help="error draws (inject_score_errors seeds)")
    ap.add_argument("--transcriber", default="accurate", help="fast, accurate, or none (true notes only)")
    ap.add_argument("--cases", type=Path, help="write every false positive / negative here (JSON)")
    args = ap.parse_args()
    chosen = args.material.split(",")
    material = {}
    if "tuning" in chosen:
        material["tuning"] = (tuning_pieces(), outside.DEFAULT_OUT)
    if "dev" in chosen:
        material["dev"] = (dev_pieces(), DEV_OUT)
    run(material, [int(s) for s in args.seeds.split(",")], None if args.transcriber == "none" else args.transcriber,
        args.cases)
    return 0


if __name__ == "__main__":
    sys.exit(main())
