"""Two takes of one passage: which is played better, how sure, and what changed dimension by dimension.

Both takes go through the one assessment path (`assess_file`) with the same listening engine — against
the same `--reference` score when one is given, so both are aligned to it. Per dimension the change from
take A to take B is read from the rating first; where the ratings agree, from the measurement behind
the rating, when it moved by more than `MOVED` (a share of the larger value) and more than the unit's
`NOISE`. The better take is the one more dimensions got better in (overall's rating breaks a tie); the
confidence is the share of the changed dimensions that favour it. When PianoJudges' expertise head is
present (`--judges`), it decides instead and its probability is the confidence.
"""

from __future__ import annotations

from pathlib import Path

from llaqo.model.assess import assess_file
from llaqo.model.engine import Engine
from llaqo.model.history.takes import take_measurements, take_ratings
from llaqo.rubric.comparison import BETTER, NOT_MEASURED, UNCHANGED, WORSE, Change, Comparison
from llaqo.rubric.report import Report
from llaqo.rubric.schema import Rubric

MOVED = 0.2  # a measurement moved when it changed by this share of the larger of its two values …
NOISE = {"ms": 4.0, "%": 1.0, "velocity": 3.0, "dB": 1.0, "notes": 0.5, "steps": 0.5}  # … and by more than this
# measurements where a LARGER value is the better playing; every other measurement is better smaller
HIGHER_IS_BETTER = {"melody_over_accompaniment", "key_clarity", "median_velocity", "dynamic_range", "signal_range",
                    "pedal_use"}
NO_DIRECTION = {"difficulty", "technique", "tempo_span", "rubato", "articulation_spread", "pedal_information"}
OVERALL = "overall"


def compare_takes(a: Path, b: Path, rubric: Rubric, engine: Engine, piece: str | None = None) -> Comparison:
    """Assess both takes with `engine`, then compare them (A → B); the expertise head decides when the
    engine carries one."""
    report_a = assess_file(Path(a), rubric, engine)
    report_b = assess_file(Path(b), rubric, engine)
    judges = getattr(engine, "judges", None)
    p_b = judges.expertise(Path(a), Path(b)) if judges is not None else None
    return compare_reports(report_a, report_b, piece, p_b, judges.folder if judges is not None else None)


def compare_reports(a: Report, b: Report, piece: str | None = None, p_b_better: float | None = None,
                    head_folder=None) -> Comparison:
    """The comparison of two assessed takes, from their ratings and measurements — or, given the
    expertise head's probability that B is played better, from that."""
    changes = dimension_changes(a, b)
    if p_b_better is not None:
        better = b.file if p_b_better >= 0.5 else a.file
        confidence = round(max(p_b_better, 1 - p_b_better), 3)
        how = f"the PianoJudges expertise head in {head_folder} (P(B better) = {p_b_better:.2f})"
    else:
        better, confidence, how = _verdict(a, b, changes)
    notes = []
    if abs(a.duration_s - b.duration_s) > 0.25 * max(a.duration_s, b.duration_s):
        notes.append(f"The takes differ in length ({a.duration_s:.0f} s and {b.duration_s:.0f} s): compare the "
                     "same passage for a fair verdict.")
    return Comparison(a, b, better, confidence, how, changes, piece=piece, notes=notes)


def dimension_changes(a: Report, b: Report) -> list[Change]:
    """One Change per rated dimension of take A (in the rubric's order), A → B."""
    ratings_a, ratings_b = _ratings(a), _ratings(b)
    measures_a, measures_b = _primary_measures(a), _primary_measures(b)
    changes = []
    for dimension, (label, ra) in ratings_a.items():
        rb = ratings_b.get(dimension, (label, None))[1]
        ma, mb = measures_a.get(dimension), measures_b.get(dimension)
        measure = ma if ma and mb and ma.measure == mb.measure else None
        change = Change(dimension, label, ra, rb, _change(ra, rb, measure and (ma, mb)))
        if measure:
            change.measure, change.value_a, change.value_b, change.unit = ma.measure, ma.value, mb.value, ma.unit
        changes.append(change)
    return changes


def _ratings(report: Report) -> dict[str, tuple[str, int | None]]:
    out = {}
    for r in take_ratings(report):
        if r.kind == "rating" and r.dimension not in out:
            out[r.dimension] = (r.label, r.value if isinstance(r.value, int) else None)
    return out


def _primary_measures(report: Report) -> dict:
    """Each dimension's first measurement (the one its rating reads first), over the whole take."""
    out = {}
    for m in take_measurements(report):
        out.setdefault(m.dimension, m)
    return out


def _change(ra: int | None, rb: int | None, measured) -> str:
    if ra is not None and rb is not None and ra != rb:
        return BETTER if rb > ra else WORSE
    if measured:
        ma, mb = measured
        moved = measurement_change(ma.measure, ma.value, mb.value, ma.unit)
        if moved is not None:
            return moved
    if ra is None and rb is None and not measured:
        return NOT_MEASURED
    return UNCHANGED


def measurement_change(measure: str, va: float, vb: float, unit: str) -> str | None:
    """better / worse when the measurement moved beyond noise, in the direction of better playing;
    unchanged when it did not move; None when the measurement has no better direction."""
    if measure in NO_DIRECTION:
        return None
    delta = vb - va
    if abs(delta) < max(MOVED * max(abs(va), abs(vb)), NOISE.get(unit, 0.0)) or delta == 0:
        return UNCHANGED
    return BETTER if (delta > 0) == (measure in HIGHER_IS_BETTER) else WORSE


def _verdict(a: Report, b: Report, changes: list[Change]) -> tuple[str | None, float | None, str]:
    counted = [c for c in changes if c.dimension != OVERALL]
    wins = sum(c.change == BETTER for c in counted)  # for B
    losses = sum(c.change == WORSE for c in counted)
    how = (f"the listening engine's measurements: {wins} dimension{'s' if wins != 1 else ''} better in B, "
           f"{losses} worse, {len(counted) - wins - losses} unchanged")
    if wins == losses:
        overall = next((c for c in changes if c.dimension == OVERALL), None)
        if overall and overall.change in (BETTER, WORSE):
            return (b.file if overall.change == BETTER else a.file), 0.5, how + "; the overall rating decides"
        return None, None, how + ": no difference heard"
    better = b.file if wins > losses else a.file
    # Laplace's rule of succession: 5 of 5 dimensions is fairly sure (0.86), not certain; 1 of 1 is 0.67
    return better, round((max(wins, losses) + 1) / (wins + losses + 2), 3), how
