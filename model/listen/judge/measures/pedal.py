"""Pedalling, where the transcriber hears the sustain pedal: how much it is used and whether it blurs.
Where it cannot (the fast transcriber), pedalling is not rated and the pedal-aware measures say so.

A press blurs when the harmony under it changes: the notes sounding under one press span more than
BLUR_CLASSES pitch classes (a chord and its passing notes stay within about six).
"""

from __future__ import annotations

from llaqo.common.times import spans_phrase
from llaqo.model.listen.judge.analysis import Analysis
from llaqo.model.listen.judge.measures.base import Finding, Reading, too_few
from llaqo.rubric.report import Evidence

BLUR_CLASSES = 7
NO_PEDAL_INFORMATION = ("no pedal information: each note lasts as long as it is heard to sound (where its "
                        "key is let go, or where a held or pedalled sound fades)")


def pedalling(a: Analysis) -> Finding:
    if not a.tr.has_pedal:
        return too_few("pedal", "Pedalling is not rated: this transcription carries no pedal information (the "
                                "fast transcriber hears notes only; the accurate one hears the pedal).")
    presses = a.tr.sustain_spans()
    if not presses:
        return Finding("pedal", "No sustain pedal is used in this part.",
                       evidence=[Evidence("pedal_use", 0.0, "%", "no sustain pedal heard")])
    n = a.notes
    down = sum(b - a_ for a_, b in presses)
    use = float(100 * down / max(a.tr.duration_s, 1e-6))
    blurred = []
    for s, e in presses:
        under = (n.onset >= s) & (n.onset < e)
        if len(set(n.pitch[under] % 12)) > BLUR_CLASSES:
            blurred.append((s, e))
    share = float(100 * len(blurred) / len(presses))
    evidence = [
        Evidence("pedal_use", round(use, 1), "%", f"sustain pedal down {use:.0f}% of the time ({len(presses)} presses)",
                 presses),
        Evidence("blurred_presses", round(share, 1), "%", f"{len(blurred)} presses hold a change of harmony", blurred),
    ]
    if blurred:
        comment = f"The pedal blurs the harmony at {spans_phrase(blurred)}: change it with the harmony."
    else:
        comment = f"Clean pedalling: {len(presses)} presses, each within one harmony."
    return Finding("pedal", comment, [Reading("blurred_presses", share)], evidence)


def no_pedal_evidence(a: Analysis) -> list[Evidence]:
    """The evidence a pedal-aware measure adds when the transcription cannot tell the pedal (none otherwise)."""
    if a.tr.has_pedal:
        return []
    return [Evidence("pedal_information", None, "", NO_PEDAL_INFORMATION)]
