"""Results files in the reference's CSV layouts, written row by row and read back in any of its variants.

Layouts (`engine/evaluate_musicqa.py` of the reference):
    neuropiano  audio_path,question,output,output_rating,gt,verbal_output,verbal_gt,question_id,question_category,mae
    cipi        audio_path,question,response,rating,gt,mae
    techniques  audio_path,question,response,gt
Read also: the baselines' `response,rating` in place of `output,output_rating`, files without `rating`/`mae`,
and older files whose text cells are stringified Python lists ("['6']").

Writing: every row is one complete line, flushed and fsynced before the next item is asked, so a kill
loses at most the item in flight; resuming drops an incomplete last line and appends after it.
"""

from __future__ import annotations

import ast
import csv
import io
import os
from pathlib import Path
from typing import Any

from llaqo.model.evaluate.errors import ResultsError

COLUMNS = {
    "neuropiano": ("audio_path", "question", "output", "output_rating", "gt", "verbal_output", "verbal_gt",
                   "question_id", "question_category", "mae"),
    "cipi": ("audio_path", "question", "response", "rating", "gt", "mae"),
    "techniques": ("audio_path", "question", "response", "gt"),
}
TEXT_COLUMNS = ("output", "response")
RATING_COLUMNS = ("output_rating", "rating")


class ResultsWriter:
    """Appends rows to `path`; `done` holds the rows already there (after a resume)."""

    def __init__(self, path: Path, task: str, resume: bool = False):
        self.path = Path(path)
        self.columns = COLUMNS[task]
        self.done: list[dict[str, str]] = []
        if self.path.exists() and not resume:
            raise ResultsError(f"{self.path} already exists",
                               "add --resume to continue it, or choose another --out folder")
        if self.path.exists():
            self.done = self._recover()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._rewrite([])
        self._file = open(self.path, "a", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file, lineterminator="\n")

    def _recover(self) -> list[dict[str, str]]:
        text = self.path.read_text(encoding="utf-8")
        records = list(csv.reader(io.StringIO(text)))
        if not records or tuple(records[0]) != self.columns:
            raise ResultsError(f"{self.path}: cannot resume, its header is not {','.join(self.columns)}",
                               "choose another --out folder")
        rows = records[1:]
        if rows and not text.endswith("\n"):
            rows = rows[:-1]  # the row being written when the run was killed
        rows = [r for r in rows if len(r) == len(self.columns)]
        self._rewrite(rows)
        return [dict(zip(self.columns, r)) for r in rows]

    def _rewrite(self, rows: list[list[str]]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(self.columns)
            writer.writerows(rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def write(self, row: dict[str, Any]) -> None:
        self._csv.writerow(["" if row.get(c) is None else row[c] for c in self.columns])
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def unwrap_text(value: Any) -> str:
    """A cell as text: NaN → "nan" (as the reference's lists of cells gave it to jury), a stringified
    one-element list ("['6']", older LLaQo files) → its element; a longer list → its first element."""
    if value is None or (isinstance(value, float) and value != value):
        return "nan"
    text = str(value)
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]") and len(stripped) >= 4 and stripped[1] in "'\"":
        try:
            parsed = ast.literal_eval(stripped)
        except (ValueError, SyntaxError):
            return text
        if isinstance(parsed, list) and parsed and all(isinstance(p, str) for p in parsed):
            return parsed[0]
    return text


def read_results(path: Path, task: str | None = None):
    """→ (task, DataFrame) with `text` and `stored_rating` columns added; the task is guessed from the
    columns when not given (a file with verbal_output is NeuroPiano; integer gt is CIPI; else techniques)."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"{path}: no such results file")
    try:
        df = pd.read_csv(path)
    except Exception as e:
        raise ResultsError(f"{path}: cannot be read as CSV ({str(e).splitlines()[0][:120]})") from None
    task = task or _guess_task(df)
    text_col = next((c for c in TEXT_COLUMNS if c in df.columns), None)
    needed = {"neuropiano": ["gt", "verbal_output", "verbal_gt"], "cipi": ["gt"], "techniques": ["gt"]}[task]
    absent = [c for c in needed if c not in df.columns]
    if text_col is None:
        absent.insert(0, "output (or response)")
    if absent:
        raise ResultsError(f"{path}: a {task} results file needs the column(s) {', '.join(absent)}",
                           f"the layout is {','.join(COLUMNS[task])}")
    df = df.copy()
    df["text"] = [unwrap_text(v) for v in df[text_col]]
    rating_col = next((c for c in RATING_COLUMNS if c in df.columns), None)
    df["stored_rating"] = (pd.to_numeric(df[rating_col].map(unwrap_text), errors="coerce")
                           if rating_col else float("nan"))
    df.attrs["rating_column"] = rating_col
    return task, df


def _guess_task(df) -> str:
    import pandas as pd

    if "verbal_output" in df.columns or "output_rating" in df.columns:
        return "neuropiano"
    if "gt" not in df.columns:
        raise ResultsError("cannot tell the task of this file: it has no gt column",
                           f"the layouts are: {'; '.join(','.join(c) for c in COLUMNS.values())}")
    gts = pd.to_numeric(df["gt"], errors="coerce")
    return "cipi" if len(df) and gts.notna().all() else "techniques"
