"""Look at an HTML report as a reader would: screenshots at desktop and phone width, and what overflows.

    python scripts/check_html.py out/etude.html --out shots/     # → shots/etude-1280.png, -390.png

Prints one line per width: name=value figures (viewport, scroll width, page height, overflowing elements,
text under 11 px). Exit 1 when anything overflows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llaqo.common.browser import find_chromium, screenshot

WIDTHS = (1280, 390)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path)
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--widths", type=int, nargs="+", default=list(WIDTHS))
    args = parser.parse_args()
    if find_chromium() is None:
        print("no chromium found (apt-get install chromium)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    bad = False
    for width in args.widths:
        png = args.out / f"{args.html.stem}-{width}.png"
        layout = screenshot(args.html, png, width)
        bad |= layout.scroll_width > layout.viewport or bool(layout.overflowing)
        print(f"width={width} viewport={layout.viewport} scroll_width={layout.scroll_width} height={layout.height} "
              f"overflowing={len(layout.overflowing)} small_text={len(layout.small_text)} png={png}")
        for item in layout.overflowing + layout.small_text:
            print(f"  {item}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
