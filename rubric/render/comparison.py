"""A Comparison of two takes for the terminal (rich), as Markdown and as one self-contained HTML page.
The JSON document is `Comparison.to_dict()`."""

from __future__ import annotations

from html import escape

from llaqo.rubric.comparison import BETTER, WORSE, Comparison

MARKS = {BETTER: "▲", WORSE: "▼"}


def verdict_text(c: Comparison) -> str:
    if c.better is None:
        return "No clear difference between the takes."
    sure = f" (confidence {c.confidence:.0%})" if c.confidence is not None else ""
    return f"Take {c.better_label} is played better{sure}: {c.better}"


def render_comparison_terminal(c: Comparison, console) -> None:
    from rich.markup import escape as rich_escape
    from rich.panel import Panel
    from rich.table import Table

    title = f"{c.piece}: " if c.piece else ""
    facts = (f"A  {rich_escape(c.take_a.file)}\nB  {rich_escape(c.take_b.file)}\n\n"
             f"[bold]{rich_escape(verdict_text(c))}[/bold]\n[dim]Decided by {rich_escape(c.decided_by)}.[/dim]")
    console.print(Panel(facts, title=rich_escape(f"{title}take A → take B"), title_align="left"))
    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column("Dimension")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_column("What changed (A → B)", overflow="fold")
    for ch in c.changes:
        style = {"better": "green", "worse": "red"}.get(ch.change, "")
        mark = MARKS.get(ch.change, " ")
        table.add_row(rich_escape(ch.label), _rating(ch.rating_a), _rating(ch.rating_b),
                      f"[{style}]{mark} {rich_escape(ch.text)}[/{style}]" if style else f"  {rich_escape(ch.text)}")
    console.print(table)
    for note in c.notes:
        console.print(f"[yellow]• {rich_escape(note)}[/yellow]")


def comparison_to_markdown(c: Comparison) -> str:
    lines = [f"# {c.piece + ': ' if c.piece else ''}take A → take B", "",
             f"- **A** `{c.take_a.file}`", f"- **B** `{c.take_b.file}`", "",
             f"**{verdict_text(c)}**", "", f"Decided by {c.decided_by}.", "",
             "| Dimension | A | B | What changed (A → B) |", "|---|---:|---:|---|"]
    lines += [f"| {_md(ch.label)} | {_rating(ch.rating_a)} | {_rating(ch.rating_b)} | "
              f"{MARKS.get(ch.change, '')} {_md(ch.text)} |" for ch in c.changes]
    lines += [""] + [f"> {_md(n)}" for n in c.notes]
    return "\n".join(lines).rstrip() + "\n"


def comparison_to_html(c: Comparison) -> str:
    rows = "".join(f"<tr class='{ch.change.replace(' ', '-')}'><td>{escape(ch.label)}</td><td>{_rating(ch.rating_a)}"
                   f"</td><td>{_rating(ch.rating_b)}</td><td>{MARKS.get(ch.change, '')} {escape(ch.text)}</td></tr>"
                   for ch in c.changes)
    notes = "".join(f"<p class='note'>{escape(n)}</p>" for n in c.notes)
    title = escape(f"{c.piece + ': ' if c.piece else ''}take A → take B")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>llaqo — {title}</title><style>{CSS}</style>"
            f"</head><body><h1>{title}</h1><dl><dt>A</dt><dd>{escape(c.take_a.file)}</dd><dt>B</dt>"
            f"<dd>{escape(c.take_b.file)}</dd></dl><p class='verdict'>{escape(verdict_text(c))}</p>"
            f"<p class='muted'>Decided by {escape(c.decided_by)}.</p><table><tr><th>Dimension</th><th>A</th>"
            f"<th>B</th><th>What changed (A → B)</th></tr>{rows}</table>{notes}</body></html>\n")


def _rating(value) -> str:
    return "—" if value is None else str(value)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


CSS = ("body{font:15px/1.45 system-ui,sans-serif;color:#1d232b;margin:2rem auto;max-width:1000px;padding:0 1rem}"
       "dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem}dd{margin:0}"
       "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;"
       "border-bottom:1px solid #e4e8ee}.better td:last-child{color:#1a7f37}.worse td:last-child{color:#c0392b}"
       ".verdict{font-weight:700;font-size:1.1rem}.muted{color:#6b7684}.note{background:#fff7e0;padding:.4rem}")
