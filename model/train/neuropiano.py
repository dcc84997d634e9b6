"""NeuroPiano-data (Hugging Face, parquet) as the reference's `playdata` training set builds it.

Each row (one recording, one rater, one question) gives two samples: the question's rating prompt →
`str(score)`, and the verbal question `q_eng` → `a_eng`. For the overall questions (ids 1–2) the rating
prompt is the overall one, and the verbal question is one of `q_eng` and five generic prompts, chosen by
a seeded draw per row (the reference draws with Python's global `random`, unseeded).
"""

from __future__ import annotations

import random

_SCALE = " on a scale of 1 to 6, 1 is the worst and 6 is the best, use the full scale as much as possible. "
OVERALL_RATING = "How would you rate the overall performance? on a scale of 1 to 6, 1 is the worst and 6 is the best?"
OVERALL_VERBAL = [
    "What's your overall feedback on this performance? ",
    "What's your comment on this performce? ",  # sic: the reference's text, the released model saw it
    "What's good or bad about this performance? ",
    "What does the student need to work on? ",
    "How would you describe the the performance as a teacher?",
]
# the verbal question -> what its rating prompt asks about
RATED = {
    "Is the legato even?": "if the legato is even",
    "Are the note values uniform?": "the uniformity of the note values",
    "How solid is the sound?": "the solidity of the sound",
    "How clean is the attack?": "the cleanliness of the attack",
    "Are the left and right hands balanced?": "the balance between the left and right hands",
    "Are the timings aligned on the left and right hands?": "the alignment of timings between the left and right hands",
    "Is it played with the correct rhythm?": "the correctness of the rhythm",
    "Is the tempo kept constant?": "the consistency of the tempo",
    "Are the lines connected?": "the connectivity of the lines",
    "Is it played with a sense of tonality?": "the sense of tonality",
    "Is the dynamics change natural?": "the naturalness of the dynamics change",
}
COLUMNS = {"fname", "q_eng", "a_eng", "score"}


def rating_prompt(q_eng: str, question_id: int) -> str | None:
    if question_id in (1, 2):
        return OVERALL_RATING
    about = RATED.get(q_eng.strip())
    return f"How would you rate {about}?{_SCALE}" if about else None


def samples(row: dict, row_index: int, seed: int) -> list[tuple[str, str]]:
    """→ [(question, answer)] for one table row (none for a row without a score or text)."""
    qid = int(row.get("question_id", row.get("question_source_id", 0)) or 0)
    q, a = str(row.get("q_eng") or ""), str(row.get("a_eng") or "")
    out = []
    prompt = rating_prompt(q, qid)
    score = row.get("score")
    if prompt and score is not None and str(score) not in ("", "nan"):
        out.append((prompt, str(int(float(score)))))
    if qid in (1, 2):
        q = random.Random(f"{seed}:{row_index}").choice([q, *OVERALL_VERBAL])
    if q.strip() and a.strip():
        out.append((q, a))
    return out
