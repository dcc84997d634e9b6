"""One module per family of metrics: ratings (PFR, MAE), text (BLEU, BERTScore, sentiment, SPICE),
classes (difficulty and technique accuracies). Each function takes plain lists, never a file."""
