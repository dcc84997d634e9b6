"""The paper's benchmarks: NeuroPiano ratings and comments, CIPI difficulty, PLD techniques.

datasets (the items to ask), runner (every engine answers through `assess_file`, the one answering path),
results (the reference's CSV layouts, appended item by item), score (a results file → metrics),
metrics/ (one module per family), baselines/ (other models as engines).
"""
