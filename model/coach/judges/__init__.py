"""PianoJudges' prediction heads (Zhang, Liang & Dixon, ISMIR 2024) on AudioMAE patch embeddings:
expertise ranking of two takes, difficulty and technique. head (the module), embed (audio → cached
embeddings), store (a folder of trained heads), apply (the heads inside assess and compare)."""
