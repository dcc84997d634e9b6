"""Training-loss parity: llaqo's `LLaQo.forward` (the loss `llaqo train` optimises, fed through the training
data path: ExampleDataset → chunk_features of the whole file → collate) against losses the reference
implementation computed on the same checkpoint and inputs, fp32 on the CPU, dropout off.

    python bench/train_loss_parity.py FOLDER

FOLDER holds ckpts/ (a released-layout checkpoint), cases.json ({"samples": {name: {audio, question, answer}},
"batches": {name: [sample names]}}, audio paths relative to FOLDER) and ref_losses.json
({"single"|"batches": {name: {"loss_fp32": x}}}).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from llaqo.model.coach.build import choose_placement, load_coach
from llaqo.model.train.batch import ExampleDataset, collate
from llaqo.model.train.data import Example


def main(folder: Path) -> float:
    cases = json.loads((folder / "cases.json").read_text())
    ref = json.loads((folder / "ref_losses.json").read_text())
    model = load_coach(folder / "ckpts", choose_placement("cpu", "fp32")).eval()
    names = list(cases["samples"])
    samples = cases["samples"]
    dataset = ExampleDataset([Example("parity", str(folder / samples[n]["audio"]), samples[n]["question"],
                                      samples[n]["answer"]) for n in names], {})
    jobs = [("single", n, [n]) for n in names] + [("batches", b, list(m)) for b, m in cases["batches"].items()]
    worst = 0.0
    print(f"{'case':22s} {'llaqo':>14s} {'reference':>14s} {'rel. diff':>10s}")
    with torch.no_grad():
        for kind, name, members in jobs:
            batch = collate([dataset[names.index(m)] for m in members])
            ours = float(model(batch.chunks, batch.questions, batch.answers))
            theirs = ref[kind][name]["loss_fp32"]
            rel = abs(ours - theirs) / abs(theirs)
            worst = max(worst, rel)
            print(f"{name:22s} {ours:14.9f} {theirs:14.9f} {rel:10.2e}")
    print(f"worst relative difference {worst:.2e}")
    return worst


if __name__ == "__main__":
    sys.exit(0 if main(Path(sys.argv[1])) <= 1e-5 else 1)
