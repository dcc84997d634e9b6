"""The listening engine on outside material: renders the rules were not tuned on (other piano sounds, a
room's reverb, a human performance, humanised corpus scores; built by scripts/build_outside_set.py).

    .venv/bin/python bench/listen_outside.py [--transcribers fast,accurate] [--out table.md]

Prints, per transcriber and per half (tuning / held out), dry and with reverb: note F1 (onset ±50 ms,
pitch; mir_eval.transcription, offsets ignored) and the transcription's speed (× real time); then, per
half, the calibration on good playing (overall ≥ 5 and no dimension below 4), the response to flaws
injected into the performances (the matching rating must fall), and the ratings that contradict their
remark — each judged from the true notes (the measures alone) and through the transcriber. Every figure
is measured in this run; the last line holds the headline figures as `name=value`.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import build_outside_set as outside  # noqa: E402
import numpy as np  # noqa: E402
import outside_checks as C  # noqa: E402

from llaqo.model.audio.chunks import iter_segments  # noqa: E402
from llaqo.model.listen.engine import ListenEngine  # noqa: E402
from llaqo.model.listen.notes import Note, OnsetEvidence, Pedal, Transcription  # noqa: E402

HALVES = ("tuning", "held_out")


@dataclass
class Heard:
    render: outside.Render
    transcription: Transcription
    audio_s: float
    took_s: float


REUSE: dict[str, Path] = {}  # {"dir": folder} when --reuse-transcriptions is given (development only)


def transcribe_render(engine: ListenEngine, wav: Path) -> tuple[Transcription, float, float]:
    """The whole take transcribed (segments joined), its length and the seconds taken. With
    --reuse-transcriptions a transcription saved by an earlier run is read back (seconds taken: 0)."""
    cached = REUSE["dir"] / f"{engine.choice.kind}__{wav.stem}.json" if REUSE else None
    if cached is not None and cached.exists() and cached.stat().st_mtime > wav.stat().st_mtime:
        d = json.loads(cached.read_text())
        evidence = cached.with_suffix(".onsets.npz")
        onsets = None
        if evidence.exists():
            with np.load(evidence) as z:
                onsets = OnsetEvidence(z["scores"], z["times"])
        tr = Transcription([Note(*n) for n in d["notes"]], 0.0, d["end"], [Pedal(*p) for p in d["pedals"]],
                           d["has_pedal"], onsets=onsets)
        return tr, d["audio"], 0.0
    tr, audio, took = _transcribe(engine, wav)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        if tr.onsets is not None:
            np.savez(cached.with_suffix(".onsets.npz"), scores=tr.onsets.scores, times=tr.onsets.times)
        cached.write_text(json.dumps({"notes": [[n.pitch, n.onset, n.offset, n.velocity] for n in tr.notes],
                                      "pedals": [[p.onset, p.offset, p.kind] for p in tr.pedals],
                                      "end": tr.end_s, "has_pedal": tr.has_pedal, "audio": audio}))
    return tr, audio, took


def _transcribe(engine: ListenEngine, wav: Path) -> tuple[Transcription, float, float]:
    notes, pedals, onsets, audio, took, start, end = [], [], [], 0.0, 0.0, 0.0, 0.0
    has_pedal = True
    for seg in iter_segments(wav):
        started = time.perf_counter()
        tr = engine.transcribe(seg)
        took += time.perf_counter() - started
        audio += seg.duration_s
        notes += tr.notes
        pedals += tr.pedals
        onsets += [tr.onsets] if tr.onsets is not None else []
        has_pedal = tr.has_pedal
        end = tr.end_s
    joined = OnsetEvidence.join(onsets) if onsets else None
    return Transcription(notes, start, end, pedals, has_pedal, onsets=joined), audio, took


def note_f1(reference: list[list[float]], found: list[Note]) -> tuple[float, float, float]:
    """(F1, precision, recall): onsets within ±50 ms and the same pitch, one-to-one (mir_eval)."""
    import mir_eval

    ref = np.asarray(reference, dtype=float).reshape(-1, 4)
    est = np.asarray([[n.onset, max(n.offset, n.onset + 0.01), n.pitch] for n in found], dtype=float).reshape(-1, 3)
    if len(ref) == 0 or len(est) == 0:
        return 0.0, 0.0, 0.0
    p, r, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
        ref[:, :2], mir_eval.util.midi_to_hz(ref[:, 2]), est[:, :2], mir_eval.util.midi_to_hz(est[:, 2]),
        onset_tolerance=0.05, offset_ratio=None)
    return float(f), float(p), float(r)


def hear_all(renders: list[outside.Render], folder: Path, transcriber: str) -> list[Heard]:
    engine = ListenEngine(transcriber=transcriber)
    heard = []
    for r in renders:
        tr, secs, took = transcribe_render(engine, folder / f"{r.name}.wav")
        heard.append(Heard(r, tr, secs, took))
        print(f"  {transcriber}: {r.name} F1 {note_f1(r.notes, tr.notes)[0]:.3f} ({took:.1f} s)", file=sys.stderr)
    return heard


def f1_table(by_transcriber: dict[str, list[Heard]]) -> tuple[list[str], dict[str, float]]:
    lines = ["| transcriber | half | dry: mean F1 (min) | reverb: mean F1 (min) | all: mean F1 | renders | speed |",
             "|---|---|---|---|---|---|---|"]
    figures: dict[str, float] = {}
    for name, heard in by_transcriber.items():
        fresh = [h for h in heard if h.took_s > 0]  # transcribed in this run (not read back)
        speed = sum(h.took_s for h in fresh) / sum(h.audio_s for h in fresh) if fresh else float("nan")
        figures[f"speed_{name}"] = speed
        for half in HALVES:
            cells, alls = [], []
            for wet in (False, True):
                f1s = [note_f1(h.render.notes, h.transcription.notes)[0] for h in heard
                       if h.render.split == half and h.render.reverb == wet]
                alls += f1s
                cells.append(f"{np.mean(f1s):.3f} ({np.min(f1s):.3f})" if f1s else "—")
                figures[f"f1_{name}_{half}_{'wet' if wet else 'dry'}"] = float(np.mean(f1s)) if f1s else float("nan")
            figures[f"f1_{name}_{half}"] = float(np.mean(alls))
            lines.append(f"| {name} | {half.replace('_', ' ')} | {cells[0]} | {cells[1]} | {np.mean(alls):.3f} | "
                         f"{len(alls)} | {speed:.3f}× |")
    return lines, figures


def per_render_table(by_transcriber: dict[str, list[Heard]]) -> list[str]:
    names = list(by_transcriber)
    lines = ["| render | half | kind | " + " | ".join(f"{n} F1 (P / R)" for n in names) + " |",
             "|---|---|---|" + "---|" * len(names)]
    for k, h0 in enumerate(next(iter(by_transcriber.values()))):
        cells = []
        for n in names:
            h = by_transcriber[n][k]
            f, p, r = note_f1(h.render.notes, h.transcription.notes)
            cells.append(f"{f:.3f} ({p:.2f} / {r:.2f})")
        lines.append(f"| {h0.render.name} | {h0.render.split.replace('_', ' ')} | {h0.render.kind} | "
                     + " | ".join(cells) + " |")
    return lines


FLAW_SECONDS = 15.0  # flawed excerpts: one transkun window each


def calibration(by_transcriber: dict[str, list[Heard]], renders) -> tuple[list[str], dict[str, float], list]:
    """Good playing, judged from the true notes and through each transcriber: share rated overall ≥ 5,
    and share with overall ≥ 5 and no dimension below 4; the judgements, for the contradiction count."""
    lines = ["| judged from | half | overall ≥ 5 | and no dimension < 4 | renders | weakest dimensions where it fails "
             "|",
             "|---|---|---|---|---|---|"]
    figures, judged = {}, []
    sources = {"true notes": [(r, C.judge(C.as_transcription(np.asarray(r.notes), r.pedal))) for r in renders]}
    for name, heard in by_transcriber.items():
        sources[name] = [(h.render, C.judge(h.transcription)) for h in heard]
    for source, items in sources.items():
        judged += [j for _, j in items]
        for half in HALVES:
            js = [j for r, j in items if r.split == half]
            five = np.mean([j.overall is not None and j.overall >= 5 for j in js])
            good = np.mean([C.good_playing(j) for j in js])
            weak: dict[str, int] = {}
            for j in js:
                for d, v in j.ratings.items():
                    if v < 4 or (not C.good_playing(j) and v == min(j.ratings.values())):
                        weak[d] = weak.get(d, 0) + 1
            worst = ", ".join(f"{d} {n}" for d, n in sorted(weak.items(), key=lambda x: -x[1])[:4])
            key = source.replace(" ", "_")
            figures[f"good_{key}_{half}"] = float(good)
            figures[f"overall5_{key}_{half}"] = float(five)
            lines.append(f"| {source} | {half.replace('_', ' ')} | {five:.0%} | {good:.0%} | {len(js)} | {worst} |")
    return lines, figures, judged


def flaw_response(renders, folder: Path, transcriber: str | None) -> tuple[list[str], dict[str, float], list]:
    """Each flaw injected into each piece's performance (its dry render's sound, the first 15 s): does the
    matching rating fall? From the true notes and through the transcriber, for both halves (the tuning
    half's transcribed cases are what the rules are tuned on; renders cached under <set>/flaws/)."""
    rng_seed = 7
    dry = [r for r in renders if not r.reverb]
    rows: dict[tuple[str, str], list[bool | None]] = {}
    judged = []
    engine = ListenEngine(transcriber=transcriber) if transcriber else None
    (folder / "flaws").mkdir(exist_ok=True)
    for r in dry:
        notes = np.asarray(r.notes)
        notes, pedal = notes[notes[:, 0] < FLAW_SECONDS], [p for p in r.pedal if p[0] < FLAW_SECONDS + 1]
        clean_notes = C.judge(C.as_transcription(notes, pedal))
        clean_heard = None
        if engine is not None:
            clean_heard = C.judge(_heard(engine, folder, f"{r.piece}__clean", notes, pedal, r.soundfont))
            judged.append(clean_heard)
        for flaw, (make, dimension) in C.FLAWS.items():
            f_notes, f_pedal = make(notes, pedal, np.random.default_rng(rng_seed))
            on_notes = C.judge(C.as_transcription(f_notes, f_pedal))
            judged.append(on_notes)
            rows.setdefault(("true notes", r.split), []).append(C.flaw_response(clean_notes, on_notes, dimension))
            if clean_heard is not None:
                stem = f"{r.piece}__{flaw.replace(' ', '_')}"
                flawed = C.judge(_heard(engine, folder, stem, f_notes, f_pedal, r.soundfont))
                judged.append(flawed)
                ok = C.flaw_response(clean_heard, flawed, dimension)
                rows.setdefault((transcriber, r.split), []).append(ok)
                rows.setdefault((f"{transcriber}: {flaw}", r.split), []).append(ok)
    lines = ["| judged from | half | matching rating fell | cases (no rating) |", "|---|---|---|---|"]
    figures = {}
    for (source, half), oks in rows.items():
        rated = [o for o in oks if o is not None]
        share = float(np.mean(rated)) if rated else float("nan")
        if ":" not in source:
            figures[f"flaws_{source.replace(' ', '_')}_{half}"] = share
        lines.append(f"| {source} | {half.replace('_', ' ')} | {sum(rated)}/{len(rated)} ({share:.0%}) | "
                     f"{len(oks)} ({len(oks) - len(rated)}) |")
    return lines, figures, judged


SCORE_ERRORS_STEM = "score_errors2"  # renamed when inject_score_errors changes, so no stale render is reused


def score_errors(renders, folder: Path, transcriber: str | None, seeds: tuple[int, ...] = (11,)
                 ) -> tuple[list[str], dict[str, float]]:
    """5 wrong + 5 missing + 5 extra notes injected into each piece's first 15 s, against its score
    (<piece>.score.mid): precision and recall of what `--reference` reports, and how many errors it
    reports on the correct take; from the true notes (both halves) and through the transcriber (both halves).
    `seeds`: the error draws per piece (the benchmark's own is 11; bench/score_tuning.py names the
    others' renders alike)."""
    from llaqo.model.listen.judge.follower import ScoreFollower

    engine = ListenEngine(transcriber=transcriber) if transcriber else None
    tally: dict[tuple[str, str], list[int]] = {}
    for r in [r for r in renders if not r.reverb]:
        follower = ScoreFollower.from_file(folder / f"{r.piece}.score.mid")
        notes = np.asarray(r.notes)
        notes, pedal = notes[notes[:, 0] < FLAW_SECONDS], [p for p in r.pedal if p[0] < FLAW_SECONDS + 1]
        for source, take in [("true notes", lambda stem, ns: (C.as_transcription(ns, pedal), None))] + (
                [(transcriber, lambda stem, ns: _heard_with_keys(engine, folder, stem, ns, pedal, r.soundfont))]
                if engine is not None else []):
            t = tally.setdefault((source, r.split), [0, 0, 0, 0, 0])  # reported, true, hits, clean errors, takes
            t[3] += len(C.reported_errors(follower, *take(f"{r.piece}__clean", notes)))
            t[4] += 1
            for seed in seeds:
                wrong, truth = C.inject_score_errors(notes, np.random.default_rng(seed))
                stem = f"{r.piece}__{SCORE_ERRORS_STEM}" + ("" if seed == 11 else f"_s{seed}")
                rep, tru, hit = C.error_hits(C.reported_errors(follower, *take(stem, wrong)), truth)
                t[0] += rep
                t[1] += tru
                t[2] += hit
    lines = ["| judged from | half | precision | recall | errors reported on a correct take (mean) | takes |",
             "|---|---|---|---|---|---|"]
    figures = {}
    for (source, half), (rep, tru, hit, clean_errors, n) in tally.items():
        p, rc = hit / max(rep, 1), hit / max(tru, 1)
        key = f"{source.replace(' ', '_')}_{half}"
        figures[f"score_precision_{key}"], figures[f"score_recall_{key}"] = p, rc
        figures[f"score_clean_errors_{key}"] = clean_errors / n
        lines.append(f"| {source} | {half.replace('_', ' ')} | {p:.2f} ({hit}/{rep}) | {rc:.2f} ({hit}/{tru}) | "
                     f"{clean_errors / n:.1f} | {n} |")
    return lines, figures


def character(by_transcriber: dict[str, list[Heard]], folder: Path) -> tuple[list[str], dict[str, float]]:
    """Technique and difficulty per piece, from the true notes and through each transcriber, without
    and with the piece's score (`--reference`): whether one class is claimed for most pieces (the
    old "double notes everywhere"), and whether a level stays put where the piece does not change —
    dry against wet render, heard against the true notes. No Henle levels here: of these pieces only
    the C-major prelude has a documented one (2; docs/listening-engine.md, "Difficulty")."""
    from llaqo.model.listen.judge.follower import ScoreFollower
    from llaqo.model.listen.judge.score import load_score
    from llaqo.model.listen.judge.segment import SegmentJudge

    first = next(iter(by_transcriber.values()))
    scores = {p: load_score(folder / f"{p}.score.mid") for p in {h.render.piece for h in first}}
    sources = {"true notes": [(h.render, C.as_transcription(np.asarray(h.render.notes), h.render.pedal))
                              for h in first]}
    sources.update({name: [(h.render, h.transcription) for h in heard] for name, heard in by_transcriber.items()})
    level: dict[tuple[str, str, bool, bool], int | None] = {}  # (source, piece, wet, with score) → level
    techniques: dict[str, list[str]] = {}
    for source, items in sources.items():
        for r, tr in items:
            judge = SegmentJudge(tr)
            best, found = judge.technique()
            if not r.reverb:
                dominant = not found.comment.startswith("None clearly dominant")
                techniques.setdefault(source, []).append(best if dominant else "none clearly dominant")
            level[source, r.piece, r.reverb, False] = judge.difficulty()[0]
            level[source, r.piece, r.reverb, True] = SegmentJudge(tr, ScoreFollower(scores[r.piece])).difficulty()[0]
    pieces = sorted({r.piece for r, _ in sources["true notes"]})
    lines = ["| piece | " + " | ".join(f"{s}: level (with score)" for s in sources) + " |",
             "|---|" + "---|" * len(sources)]
    for piece in pieces:
        lines.append(f"| {piece} | " + " | ".join(
            f"{level[s, piece, False, False]} ({level[s, piece, False, True]})" for s in sources) + " |")
    figures: dict[str, float] = {}
    lines += ["", "| judged from | most common technique (dry renders) | level same dry and wet: heard / with score "
              "| level same as from the true notes: heard / with score |", "|---|---|---|---|"]
    for source in sources:
        names = techniques[source]
        common = Counter(names).most_common(1)[0][0]  # ties: the first piece's (set order is not fixed)
        n = len(pieces)
        same_room = [sum(level[source, p, False, w] == level[source, p, True, w] for p in pieces)
                     for w in (False, True)]
        same_true = [sum(level[source, p, wet, w] == level["true notes", p, wet, w]
                         for p in pieces for wet in (False, True)) for w in (False, True)]
        key = source.replace(" ", "_")
        figures[f"technique_most_common_share_{key}"] = names.count(common) / len(names)
        figures[f"difficulty_same_dry_wet_{key}"] = same_room[0] / n
        figures[f"difficulty_same_dry_wet_score_{key}"] = same_room[1] / n
        lines.append(f"| {source} | {common}: {names.count(common)}/{len(names)} | {same_room[0]}/{n} / "
                     f"{same_room[1]}/{n} | {same_true[0]}/{2 * n} / {same_true[1]}/{2 * n} |")
    return lines, figures


def _heard_with_keys(engine: ListenEngine, folder: Path, stem: str, notes, pedal, font: str):
    """(transcription, the audio's KeyRises): what the score follower gets from `assess`."""
    import soundfile as sf

    from llaqo.model.listen.judge.keys import KeyRises

    tr = _heard(engine, folder, stem, notes, pedal, font)
    samples, rate = sf.read(folder / "flaws" / f"{stem}__{font}.wav", dtype="float32", always_2d=True)
    return tr, KeyRises.from_audio(samples.T, rate)


def _heard(engine: ListenEngine, folder: Path, stem: str, notes, pedal, font: str) -> Transcription:
    wav = folder / "flaws" / f"{stem}__{font}.wav"
    if not wav.exists():
        outside.write_midi(notes, pedal, wav.with_suffix(".mid"))
        outside.render(wav.with_suffix(".mid"), wav, outside.SOUNDFONTS[font][0], False, 0,
                       last_offset=float(notes[:, 1].max()))
    return transcribe_render(engine, wav)[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", type=Path, default=outside.DEFAULT_OUT, help="where the set is (built if missing)")
    ap.add_argument("--transcribers", default="fast,accurate", help="comma-separated: fast, accurate, auto")
    ap.add_argument("--judge-with", default="auto", help="the transcriber the flaw check runs through "
                    "(auto: the engine's default; none: true notes only)")
    ap.add_argument("--out", type=Path, help="also write the tables (Markdown) here")
    ap.add_argument("--score-seeds", default="11", help="error draws for the score-informed check (comma-separated; "
                    "the benchmark's figure is seed 11's)")
    ap.add_argument("--reuse-transcriptions", action="store_true",
                    help="development: read back transcriptions an earlier run saved (speed is then not measured)")
    args = ap.parse_args()
    if args.reuse_transcriptions:
        REUSE["dir"] = args.set / "transcriptions"
    missing = outside.missing_inputs()
    if missing:
        print(missing)
        return 2
    renders = outside.build(args.set, 20.0)
    by_transcriber = {t: hear_all(renders, args.set, t) for t in args.transcribers.split(",")}
    lines, figures = f1_table(by_transcriber)
    lines += [""] + per_render_table(by_transcriber)
    cal_lines, cal_figures, judged = calibration(by_transcriber, renders)
    figures.update(cal_figures)
    lines += ["", "Good playing (every render is a careful performance):", ""] + cal_lines
    judge_with = None if args.judge_with == "none" else args.judge_with
    flaw_lines, flaw_figures, flaw_judged = flaw_response(renders, args.set, judge_with)
    figures.update(flaw_figures)
    lines += ["", f"Flaws injected into each performance (first {FLAW_SECONDS:.0f} s):", ""] + flaw_lines
    seeds = tuple(int(x) for x in args.score_seeds.split(","))
    score_lines, score_figures = score_errors(renders, args.set, judge_with, seeds)
    figures.update(score_figures)
    lines += ["", "Score-informed mode (`--reference`): 5 wrong, 5 missing and 5 extra notes injected into each "
              f"piece's first {FLAW_SECONDS:.0f} s (error draws: seeds {args.score_seeds}):", ""] + score_lines
    character_lines, character_figures = character(by_transcriber, args.set)
    figures.update(character_figures)
    lines += ["", "Technique and difficulty per piece (20 s; the level without the score, and with it in brackets):",
              ""] + character_lines
    found = [c for j in judged + flaw_judged for c in C.contradictions(j)]
    figures["contradictions"] = float(len(found))
    lines += ["", f"Ratings of 5–6 whose remark names a fault (not worded minor): {len(found)} of "
              f"{sum(len(j.ratings) for j in judged + flaw_judged)} ratings"
              + (": " + "; ".join(found[:5]) if found else ".")]
    pieces = {h: sorted({r.piece for r in renders if r.split == h}) for h in HALVES}
    lines += ["", (f"Set: {len(renders)} renders of {sum(map(len, pieces.values()))} pieces "
                   f"(tuning: {', '.join(pieces['tuning'])}; held out: {', '.join(pieces['held_out'])}); "
                   f"sounds {', '.join(outside.SOUNDFONTS)}; half the renders with reverb."),
              f"Machine: {platform.processor() or platform.machine()}, {_cores()} cores."]
    text = "\n".join(lines)
    if REUSE:
        text += ("\nTranscriptions were read back where an earlier run saved them (--reuse-transcriptions): "
                 "the speed is over those transcribed in this run only (nan: none).")
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    print(" ".join(f"{k}={v:.3f}" for k, v in figures.items()))
    return 0


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())
