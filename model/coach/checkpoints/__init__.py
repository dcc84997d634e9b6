"""Checkpoints: the released layout, our bundle, and the explicit key table between them."""
