"""The errors a benchmark run can meet; each becomes one line at the CLI."""

from __future__ import annotations

from llaqo.common.errors import LlaqoError


class DatasetError(LlaqoError):
    """A data folder in none of the known layouts, or a metadata file without the columns it needs."""


class ResultsError(LlaqoError):
    """A results CSV that cannot be scored (missing columns, unknown task) or cannot be resumed."""


class MetricModelError(LlaqoError):
    """A metric's model folder that exists but does not hold a model."""
