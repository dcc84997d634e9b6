"""One module per family of measures. Each measure reads an `Analysis` and returns a `Finding`:
the headline values its rating rule reads, a teacher's comment naming the times, and the evidence."""

from llaqo.model.listen.judge.measures.base import Finding, Reading

__all__ = ["Finding", "Reading"]
