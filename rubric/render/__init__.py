"""Renderers of a Report: the terminal (rich), JSON for machines, Markdown and HTML for a teacher.

Each takes the Report an engine filled and never changes it; all of them read the same whole-take
summary (rubric.summary), so the terminal, the page and the JSON always agree.
"""

from llaqo.rubric.render.html import report_to_html, reports_to_html
from llaqo.rubric.render.json_report import (
    load_report_schema,
    report_to_json,
    reports_to_dict,
    reports_to_json,
    write_json,
)
from llaqo.rubric.render.markdown import report_to_markdown, reports_to_markdown
from llaqo.rubric.render.terminal import print_terminal, render_terminal, render_terminal_many

__all__ = [
    "load_report_schema",
    "print_terminal",
    "render_terminal",
    "render_terminal_many",
    "report_to_html",
    "report_to_json",
    "report_to_markdown",
    "reports_to_dict",
    "reports_to_html",
    "reports_to_json",
    "reports_to_markdown",
    "write_json",
]
