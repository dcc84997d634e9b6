"""Names every layer shares: pitch names and the piano techniques of the PLD dataset."""

from __future__ import annotations

PITCH_CLASSES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
# The PLD technique classes as a pianist writes them; the dataset's own spellings (Repeatednotes,
# Doublenotes, Octave) are matched by llaqo.rubric.parse.parse_technique.
TECHNIQUE_CLASSES = ("Scales", "Arpeggios", "Ornaments", "Repeated notes", "Double notes", "Octaves", "Staccato")


def pitch_name(midi: int) -> str:
    """60 → "C4" (scientific pitch notation, middle C = C4)."""
    return f"{PITCH_CLASSES[midi % 12]}{midi // 12 - 1}"
