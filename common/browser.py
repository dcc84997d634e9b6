"""A page as headless Chromium lays it out: a screenshot and what overflows, at a given width.

Used by the HTML report's test and scripts/check_html.py to look at the page as a reader would, on a
desktop and on a phone. Chromium is a system package (scripts/setup.sh --test); `find_chromium()` is
None where it is absent.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from html import escape, unescape
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
         "--no-first-run", "--disable-extensions")
MIN_WINDOW_W = 500  # headless Chromium will not make its window narrower: a phone's page is laid out in a frame
# The page is laid out in a frame `width` px wide (as a phone's browser lays out a page with
# <meta name=viewport content="width=device-width">); this runs after it loads and reports the page's own
# width, its height, every element reaching past the frame's right edge (what a reader would have to
# scroll sideways to see) and any text drawn under 11 px.
WRAPPER = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>body {{ margin: 0; }}
iframe {{ border: 0; display: block; width: {width}px; height: {height}px; }}</style></head><body>
<iframe id="page" srcdoc="{srcdoc}"></iframe>
<script>document.getElementById("page").addEventListener("load", function () {{
  var doc = this.contentDocument, w = doc.documentElement.clientWidth, over = [], small = [];
  doc.querySelectorAll("body *").forEach(function (e) {{
    var r = e.getBoundingClientRect();
    if (r.width && r.right > w + 0.5 && !e.closest(".track")) over.push(e.tagName.toLowerCase() + "." + e.className);
    var text = [].some.call(e.childNodes, function (n) {{ return n.nodeType === 3 && n.textContent.trim(); }});
    var size = parseFloat(doc.defaultView.getComputedStyle(e).fontSize);
    if (text && r.width && size < 11) small.push(e.tagName.toLowerCase() + "." + e.className + " " + size + "px");
  }});
  var clicked = {{}}, target = {click} ? doc.querySelector({click}) : null;
  if (target) {{
    target.click();
    var hl = doc.querySelector(".hl"), picked = doc.querySelector(".picked"), audio = doc.querySelector("audio");
    clicked = {{highlighted: doc.querySelectorAll(".hl").length, tracks: doc.querySelectorAll(".track").length,
               left: hl ? hl.style.left : "", text: picked ? picked.textContent : "",
               audio_s: audio ? audio.currentTime : null}};
  }}
  var out = document.createElement("pre"); out.id = "llaqo-measure";
  out.textContent = JSON.stringify({{viewport: w, scroll_width: doc.documentElement.scrollWidth,
    height: doc.documentElement.scrollHeight, overflowing: over.slice(0, 20), small_text: small.slice(0, 20),
    clicked: clicked}});
  document.body.appendChild(out);
}});</script></body></html>"""


@dataclass
class Layout:
    viewport: int  # px
    scroll_width: int  # px: more than viewport = the page scrolls sideways
    height: int
    overflowing: list[str]  # elements reaching past the right edge
    small_text: list[str]  # text drawn under 11 px
    clicked: dict  # after clicking `click`: {highlighted, tracks, left, text, audio_s} ({} without a click)


def find_chromium() -> str | None:
    return next((path for name in NAMES if (path := shutil.which(name))), None)


def _run(chromium: str, width: int, height: int, page: Path, *extra: str) -> str:
    cmd = [chromium, *FLAGS, f"--window-size={max(width, MIN_WINDOW_W)},{height}", *extra, page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return done.stdout


def _wrapped(html: str, width: int, height: int, click: str | None = None) -> str:
    return WRAPPER.format(width=width, height=height, srcdoc=escape(html, quote=True),
                          click=json.dumps(click) if click else "null")


def measure(html: str, width: int, chromium: str | None = None, click: str | None = None) -> Layout:
    """Lay the page out `width` px wide and report what overflows; with `click` (a CSS selector), click
    that element first and report what it highlighted."""
    chromium = chromium or find_chromium()
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "frame.html"
        page.write_text(_wrapped(html, width, 900, click), encoding="utf-8")
        dom = _run(chromium, width, 900, page, "--virtual-time-budget=5000", "--dump-dom")
    found = re.search(r'<pre id="llaqo-measure">(.*?)</pre>', dom, re.S)
    if not found:
        raise RuntimeError("the page did not report its layout")
    return Layout(**json.loads(unescape(found.group(1))))


def screenshot(html_file: Path, png: Path, width: int) -> Layout:
    """A picture of the whole page laid out `width` px wide."""
    from PIL import Image

    chromium = find_chromium()
    html = Path(html_file).read_text(encoding="utf-8")
    layout = measure(html, width, chromium)
    with tempfile.TemporaryDirectory() as tmp:
        page, shot = Path(tmp) / "frame.html", Path(tmp) / "shot.png"
        page.write_text(_wrapped(html, width, layout.height), encoding="utf-8")
        _run(chromium, width, layout.height, page, "--virtual-time-budget=5000", f"--screenshot={shot}")
        with Image.open(shot) as image:
            image.crop((0, 0, width, layout.height)).save(png)
    return layout
