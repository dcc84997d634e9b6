"""Rubrics as data, answer parsing, the Report data model and its renderers. Pure Python: no torch here."""
