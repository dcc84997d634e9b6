"""The tables `llaqo eval` prints: one row per engine, the task's metrics as columns (mean ± sd over repeats)."""

from __future__ import annotations

from rich.table import Table

COLUMNS = {
    "neuropiano": [("n", "rows"), ("pfr", "PFR"), ("mae", "MAE"), ("bu", "BLEU B-U"), ("sacrebleu", "sacreBLEU"),
                   ("bertscore_f1", "BERT-S"), ("sentiment_similarity", "SS"), ("spice", "SPICE")],
    "cipi": [("n", "rows"), ("parsed", "parsed"), ("acc0", "Acc0 (bal.)"), ("acc1", "Acc1 (bal.)"),
             ("micro_acc0", "Acc0 (micro)"), ("mae", "MAE")],
    "techniques": [("n", "rows"), ("parsed", "parsed"), ("acc0", "Acc0 (first label)"),
                   ("acc_any", "Acc0 (any label)"), ("macro_f1", "macro-F1"), ("map", "mAP"), ("auroc", "AUROC")],
}
FINE = ("bu", "sacrebleu", "bertscore_f1", "sentiment_similarity", "spice")  # small numbers: 3 decimals


def summary_tables(summary: dict) -> list[Table]:
    task = summary["task"]
    main = Table(title=f"{task}: {summary.get('items', '?')} rows")
    main.add_column("engine", overflow="fold", min_width=12)
    for _, title in COLUMNS[task]:
        main.add_column(title, justify="right")
    for name, run in summary["engines"].items():
        main.add_row(name, *[_cell(run, key) for key, _ in COLUMNS[task]])
    tables = [main]
    if task == "neuropiano":
        tables.append(_categories(summary))
    if task == "techniques":
        tables += [_confusion(name, run["runs"][0]) for name, run in summary["engines"].items()
                   if run.get("runs") and run["runs"][0].get("confusion")]
    return tables


def _cell(run: dict, key: str) -> str:
    value = run.get("mean", {}).get(key)
    if value is None:
        return "—"
    if key in ("n", "parsed"):
        return str(int(round(value)))
    sd = run.get("sd", {}).get(key)
    digits = 3 if key in FINE else 2
    return f"{value:.{digits}f}" + (f" ± {sd:.{digits}f}" if sd is not None else "")


def _categories(summary: dict) -> Table:
    table = Table(title="MAE (PFR) per question category")
    table.add_column("category")
    names = list(summary["engines"])
    for name in names:
        table.add_column(name, justify="right")
    cats = list(dict.fromkeys(c for run in summary["engines"].values() for r in run.get("runs", [])[:1]
                              for c in r.get("per_category", {})))
    for cat in cats:
        cells = []
        for name in names:
            runs = summary["engines"][name].get("runs") or [{}]
            s = runs[0].get("per_category", {}).get(cat)
            cells.append("—" if not s or s["mae"] is None else f"{s['mae']:.2f} ({s['pfr']:.2f})")
        table.add_row(cat, *cells)
    return table


def _confusion(name: str, scores: dict) -> Table:
    confusion = scores["confusion"]
    predicted = list(next(iter(confusion.values())).keys())
    table = Table(title=f"{name}: true first label (rows) × prediction (columns)")
    table.add_column("")
    for p in predicted:
        table.add_column(p, justify="right")
    for truth, row in confusion.items():
        table.add_row(truth, *[str(row[p]) for p in predicted])
    return table
