"""Scoring a results file (ours or the reference's): rows → every metric of its task, as one dict.

How a row's rating is read (`parser`):
- "auto" (default): the file's own rating column (`output_rating` or `rating`). In the reference's files
  that column is the reference parser's reading of the text, and its scoring used it (PFR =
  `mae.notna().mean()`); in llaqo's files it is the engine's answer for the whole take (each remark read by
  the rubric's first-number rule, then aggregated as `llaqo assess` does). A stored 0 counts as missing,
  as in the reference. A file without a rating column is read with the reference parser.
- "reference" / "strict": the text re-read with that parser (metrics/ratings.py), whatever is stored.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from llaqo.common.music import TECHNIQUE_CLASSES
from llaqo.model.evaluate.metrics import classes, ratings, text
from llaqo.rubric.parse import parse_technique

PARSER_CHOICES = ("auto", "reference", "strict")
METRIC_MODELS = {
    "bertscore": "roberta-large",
    "sentiment": "bert-base-multilingual-uncased-sentiment",
}


@dataclass(frozen=True)
class ScoreOptions:
    parser: str = "auto"
    bertscore_model: Path | None = None  # default: <metric models>/roberta-large
    sentiment_model: Path | None = None  # default: <metric models>/bert-base-multilingual-uncased-sentiment
    spice_jar: Path | None = None
    device: str = "auto"  # of the metric models: auto, cpu, cuda or cuda:N

    def model_dir(self, which: str) -> Path:
        given = self.bertscore_model if which == "bertscore" else self.sentiment_model
        if given is not None:
            return Path(given)
        root = Path(os.environ.get("LLAQO_METRIC_MODELS", "ckpts/metrics"))
        return root / METRIC_MODELS[which]


def score_frame(task: str, df, opts: ScoreOptions = ScoreOptions()) -> dict:
    if opts.parser not in PARSER_CHOICES:
        from llaqo.model.evaluate.errors import ResultsError

        raise ResultsError(f"unknown parser {opts.parser!r}", f"use {', '.join(PARSER_CHOICES)}")
    if len(df) == 0:
        return {"task": task, "parser": opts.parser, "n": 0}
    if task == "neuropiano":
        return score_neuropiano(df, opts)
    if task == "cipi":
        return score_cipi(df, opts)
    return score_techniques(df)


def read_ratings(df, opts: ScoreOptions, scale: tuple[int, int]) -> list[float | None]:
    stored = df["stored_rating"].tolist()
    if opts.parser == "auto" and df.attrs.get("rating_column"):
        return [None if (v != v or v == 0) else float(v) for v in stored]
    parser = "reference" if opts.parser == "auto" else opts.parser
    return [_float(ratings.parse_rating(t, parser, scale)) for t in df["text"]]


def score_neuropiano(df, opts: ScoreOptions) -> dict:
    got = read_ratings(df, opts, (1, 6))
    gts = [float(g) for g in df["gt"]]
    cats = [None if c != c else str(c) for c in df["question_category"]] if "question_category" in df else []
    out = {"task": "neuropiano", "parser": opts.parser, **ratings.rating_scores(got, gts).as_dict()}
    out["per_category"] = {c: s.as_dict() for c, s in ratings.per_category(got, gts, cats).items()} if cats else {}
    preds = [_cell(v) for v in df["verbal_output"]]
    refs = [_cell(v) for v in df["verbal_gt"]]
    out.update(text.bleu_jury(preds, refs))
    out.update(text.sacrebleu_default(preds, refs))
    out["skipped"] = {}
    for name, key, fn in (("bertscore", "bertscore_f1", text.bertscore_f1),
                          ("sentiment", "sentiment_similarity", text.sentiment_similarity)):
        folder = opts.model_dir(name)
        if not folder.exists():
            out[key] = None
            out["skipped"][key] = f"skipped: model not found at {folder}"
        else:
            out[key] = fn(preds, refs, folder, device=opts.device)
    why = text.spice_missing(opts.spice_jar)
    out["spice"] = None if why else text.spice(preds, refs, opts.spice_jar)
    if why:
        out["skipped"]["spice"] = why
    return out


def score_cipi(df, opts: ScoreOptions) -> dict:
    got = read_ratings(df, opts, (1, 9))
    preds = [None if v is None else math.floor(v + 0.5) for v in got]
    gts = [int(g) for g in df["gt"]]
    return {"task": "cipi", "parser": opts.parser, **classes.difficulty_scores(preds, gts).as_dict()}


def score_techniques(df) -> dict:
    preds = [parse_technique(t, TECHNIQUE_CLASSES) for t in df["text"]]
    labels = [technique_gt(g) for g in df["gt"]]
    keep = [i for i, lab in enumerate(labels) if lab]
    scores = classes.technique_scores([preds[i] for i in keep], [labels[i] for i in keep], TECHNIQUE_CLASSES)
    return {"task": "techniques", "unlabelled": len(labels) - len(keep), **scores.as_dict()}


def technique_gt(cell) -> tuple[str, ...]:
    """The labels of a gt cell ("Repeatednotes" or "Repeatednotes|Staccato"), in the rubric's spelling."""
    names = [parse_technique(n.strip(), TECHNIQUE_CLASSES) for n in str(cell).split("|")]
    return tuple(dict.fromkeys(n for n in names if n))


def _cell(value) -> str:
    from llaqo.model.evaluate.results import unwrap_text

    return unwrap_text(value)


def _float(value) -> float | None:
    return None if value is None else float(value)
