"""Text metrics of a verbal answer against the teacher's comment.

- BLEU-1..4 and their mean B-U, as the reference computed them with jury 2.3: tensorflow-nmt corpus BLEU
  of order n, no smoothing; each text lower-cased, ASCII punctuation replaced by spaces, split on
  whitespace (jury's `normalize_text`). sacrebleu computes exactly that corpus BLEU when it is given the
  normalised text with `tokenize="none"` and `smooth_method="none"` (same clipped counts, same brevity
  penalty exp(1 - r/c), 0 when any precision is 0), so no BLEU is written by hand here.
- sacreBLEU: sacrebleu's own default corpus BLEU (13a tokens, case kept, exp smoothing) on the raw text,
  the number other papers report.
- BERTScore F1 (bert-score): roberta-large, layer 17, no idf, no baseline rescaling — what jury's
  `bertscore` gives with lang="en" — mean F1 over rows. The model comes from a local folder.
- Sentiment similarity (SS): cosine of the 5-class probability vectors ("1 star" … "5 stars") of
  nlptown/bert-base-multilingual-uncased-sentiment on the model's and the teacher's text, mean over rows.
- SPICE: the SPICE 1.0 jar (Java), only where both are present.
Each model-based metric is skipped, with the reason, when its model is absent.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import string
import subprocess
import tempfile
from pathlib import Path

from llaqo.model.evaluate.errors import MetricModelError

_PUNCT = re.compile(f"[{re.escape(string.punctuation)}]")
BERTSCORE_LAYER = 17
SENTIMENT_CLASSES = 5


def jury_normalize(text: str) -> str:
    """jury 2.3's normalize_text: punctuation → space, whitespace collapsed, lower-cased."""
    return " ".join(_PUNCT.sub(" ", text).split()).lower()


def bleu_jury(predictions: list[str], references: list[str]) -> dict[str, float]:
    """→ {"bleu_1": …, "bleu_4": …, "bu": mean of the four}, each in [0, 1]."""
    from sacrebleu.metrics import BLEU

    preds = [jury_normalize(p) for p in predictions]
    refs = [[jury_normalize(r) for r in references]]
    out = {}
    for n in range(1, 5):
        metric = BLEU(max_ngram_order=n, smooth_method="none", tokenize="none", effective_order=False)
        out[f"bleu_{n}"] = metric.corpus_score(preds, refs).score / 100
    out["bu"] = sum(out[f"bleu_{n}"] for n in range(1, 5)) / 4
    return out


def sacrebleu_default(predictions: list[str], references: list[str]) -> dict[str, float | str]:
    from sacrebleu.metrics import BLEU

    metric = BLEU()
    score = metric.corpus_score(predictions, [references])
    return {"sacrebleu": score.score / 100, "sacrebleu_signature": str(metric.get_signature())}


def check_model_folder(folder: Path, what: str) -> None:
    """A folder that exists must hold a transformers model (config.json and weights)."""
    has_config = (folder / "config.json").is_file()
    has_weights = any(folder.glob("*.safetensors")) or any(folder.glob("*.bin"))
    if not folder.is_dir() or not has_config or not has_weights:
        raise MetricModelError(f"{folder}: not a model folder for {what} (needs config.json and the weights)",
                               "point to a folder saved with save_pretrained, e.g. from `hf download`")


def bertscore_f1(predictions: list[str], references: list[str], model_dir: Path, device: str = "cpu",
                 num_layers: int = BERTSCORE_LAYER, batch_size: int = 32) -> float:
    """Mean BERTScore F1; `model_dir` is a local roberta-large (or, in tests, any small encoder)."""
    check_model_folder(model_dir, "BERTScore")
    from bert_score import BERTScorer

    device = torch_device(device)
    scorer = BERTScorer(model_type=str(model_dir), num_layers=num_layers, idf=False, lang="en",
                        rescale_with_baseline=False, device=device, batch_size=batch_size)
    _, _, f1 = scorer.score([p.strip() or "." for p in predictions], [r.strip() or "." for r in references])
    return float(f1.mean())


def sentiment_similarity(predictions: list[str], references: list[str], model_dir: Path, device: str = "cpu",
                         batch_size: int = 16) -> float:
    """Mean over rows of cos(p(prediction), p(reference)), p = the model's 5-class softmax."""
    check_model_folder(model_dir, "sentiment similarity")
    probs_pred = sentiment_probabilities(predictions, model_dir, device, batch_size)
    probs_ref = sentiment_probabilities(references, model_dir, device, batch_size)
    sims = [cosine(a, b) for a, b in zip(probs_pred, probs_ref)]
    return sum(sims) / len(sims) if sims else float("nan")


def sentiment_probabilities(texts: list[str], model_dir: Path, device: str = "cpu",
                            batch_size: int = 16) -> list[list[float]]:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    device = torch_device(device)
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModelForSequenceClassification.from_pretrained(str(model_dir)).to(device).eval()
    if model.config.num_labels != SENTIMENT_CLASSES:
        raise MetricModelError(f"{model_dir}: a {model.config.num_labels}-class model, not the 5-class sentiment "
                               "model", "use nlptown/bert-base-multilingual-uncased-sentiment")
    out = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            batch = tok(texts[start:start + batch_size], padding=True, truncation=True, max_length=512,
                        return_tensors="pt").to(device)
            out += model(**batch).logits.float().softmax(-1).tolist()
    return out


def torch_device(device: str) -> str:
    """"auto" → cuda when torch sees a GPU, else cpu; anything else as given."""
    from llaqo.common.device import Device

    return str(Device.parse(device).resolve())


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def spice_missing(jar: Path | None) -> str | None:
    """Why SPICE cannot run here (None when it can)."""
    if shutil.which("java") is None:
        return "skipped: java not found"
    if jar is None or not jar.is_file():
        return f"skipped: SPICE jar not found at {jar}" if jar else "skipped: no SPICE jar (--spice-jar)"
    return None


def spice(predictions: list[str], references: list[str], jar: Path, timeout_s: int = 3600) -> float:
    """Mean SPICE F over rows, by the SPICE 1.0 jar's own command line (it needs its lib/ folder with
    Stanford CoreNLP 3.6.0 beside it, as pycocoevalcap installs it)."""
    with tempfile.TemporaryDirectory() as tmp:
        inp, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        rows = [{"image_id": i, "test": p, "refs": [r]} for i, (p, r) in enumerate(zip(predictions, references))]
        inp.write_text(json.dumps(rows), encoding="utf-8")
        cmd = ["java", "-jar", "-Xmx8G", str(jar), str(inp), "-out", str(out), "-subset", "-silent"]
        done = subprocess.run(cmd, cwd=str(jar.parent), capture_output=True, text=True, timeout=timeout_s)
        if done.returncode != 0 or not out.is_file():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            raise MetricModelError(f"SPICE failed ({tail[0][:160]})", "check the jar and its lib/ folder")
        scores = [row["scores"]["All"]["f"] for row in json.loads(out.read_text(encoding="utf-8"))]
    scores = [s for s in scores if s == s]  # SPICE writes NaN for an empty scene graph
    return sum(scores) / len(scores) if scores else float("nan")
