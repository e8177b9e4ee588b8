#!/usr/bin/env python3
"""Render an HTML report in headless Chromium: save a PNG screenshot, or measure its SVG charts.

    python scripts/screenshot.py out/nps-weekly-2025-W47.html docs/report-weekly.png
    python scripts/screenshot.py out/nps-weekly-2025-W47.html --measure      # JSON on stdout

docs/report-weekly.png is the report `make demo` writes (with clinic_name = "Riverside Health"), shot at
--window-size 1200,2600; regenerate it whenever the report's layout changes.

``--measure`` loads a copy of the page with a small script appended (the report itself has none) that
writes, for every ``<svg>``, its rendered box, the boxes of its drawn lines, bands and points, and the
horizontal extent of each x-axis label (as laid out with the fonts this machine has) into the DOM, which
``--dump-dom`` then returns. It proves the charts were laid out and painted with a real size, and lets a
check see whether any two axis labels overlap.

Chromium comes from Debian (``apt-get install -y chromium``); set ``CHROMIUM=/path/to/binary`` to use
another build. Standard library only (a minimal PNG reader is included for checking pixels in tests).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "chrome", "headless_shell")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
MEASURE_ID = "npscli-measure"
MEASURE_SCRIPT = """
<script>
(function () {
  function box(el) { var r = el.getBBox(); return {w: r.width, h: r.height}; }
  var out = [];
  document.querySelectorAll("svg").forEach(function (svg) {
    var r = svg.getBoundingClientRect();
    out.push({
      id: svg.id, x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height,
      lines: Array.from(svg.querySelectorAll(".line")).map(box),
      bands: Array.from(svg.querySelectorAll(".band")).map(box),
      points: svg.querySelectorAll(".point").length,
      xlabels: Array.from(svg.querySelectorAll(".xlabel")).map(function (t) {
        var b = t.getBoundingClientRect(); return {text: t.textContent, left: b.left, right: b.right};
      })
    });
  });
  var pre = document.createElement("pre");
  pre.id = "MEASURE_ID";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
""".replace("MEASURE_ID", MEASURE_ID)


class ChromiumMissing(RuntimeError):
    pass


def find_chromium() -> str | None:
    """The Chromium binary: $CHROMIUM, else the first of the usual names on PATH."""
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _run(args: list[str], *, binary: str | None, timeout: float) -> subprocess.CompletedProcess:
    binary = binary or find_chromium()
    if not binary:
        raise ChromiumMissing("Chromium not found: apt-get install -y chromium (or set CHROMIUM=/path/to/chrome)")
    with tempfile.TemporaryDirectory(prefix="npscli-chromium-") as profile:
        command = [binary, *FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def screenshot(
    page: Path, out: Path, *, window_size: str = "1200,2400", binary: str | None = None, timeout: float = 90
) -> Path:
    """Save a PNG of ``page`` (an HTML file) as ``out``; RuntimeError if Chromium wrote nothing."""
    page, out = Path(page).resolve(), Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    done = _run([f"--screenshot={out}", f"--window-size={window_size}", page.as_uri()], binary=binary, timeout=timeout)
    if not out.is_file() or out.stat().st_size == 0:
        raise RuntimeError(f"Chromium wrote no screenshot (exit {done.returncode}): {done.stderr.strip()[-800:]}")
    return out


def dump_dom(page: Path, *, window_size: str = "1200,2400", binary: str | None = None, timeout: float = 90) -> str:
    done = _run(
        ["--dump-dom", f"--window-size={window_size}", Path(page).resolve().as_uri()], binary=binary, timeout=timeout
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"Chromium returned no DOM (exit {done.returncode}): {done.stderr.strip()[-800:]}")
    return done.stdout


def measure(page: Path, **kwargs) -> list[dict]:
    """Each ``<svg>`` of ``page`` as rendered: id, x, y, width, height, and its drawn parts' sizes."""
    source = Path(page).read_text(encoding="utf-8")
    marker = "</body>"
    probe = source.replace(marker, MEASURE_SCRIPT + marker, 1) if marker in source else source + MEASURE_SCRIPT
    with tempfile.TemporaryDirectory(prefix="npscli-measure-") as tmp:
        copy = Path(tmp) / "page.html"
        copy.write_text(probe, encoding="utf-8")
        dom = dump_dom(copy, **kwargs)
    start = dom.find(f'<pre id="{MEASURE_ID}">')
    if start < 0:
        raise RuntimeError("the measuring script did not run (no result in the DOM)")
    start = dom.index(">", start) + 1
    return json.loads(html.unescape(dom[start : dom.index("</pre>", start)]))


# ------------------------------------------------------------------ a minimal PNG reader (8-bit RGB / RGBA)


def read_png(path: Path, max_rows: int | None = None) -> tuple[int, int, int, list[bytes]]:
    """``(width, height, channels, rows)`` of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes).

    ``max_rows`` stops decoding after that many rows (pure Python is slow; a check rarely needs them all)."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, header = 8, bytearray(), None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError(f"{path}: no IHDR chunk")
    width, height, depth, colour, _c, _f, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{path}: only 8-bit non-interlaced RGB/RGBA PNGs are supported")
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height if max_rows is None else min(height, max_rows)):
        offset = y * (stride + 1)
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def count_colour(png: Path, box: tuple[int, int, int, int], rgb: tuple[int, int, int], tolerance: int = 40) -> int:
    """How many pixels inside ``box`` (x, y, width, height) are within ``tolerance`` of ``rgb``."""
    x0, y0, w, h = box
    width, height, channels, rows = read_png(png, max_rows=y0 + h)
    hits = 0
    for y in range(max(0, y0), min(len(rows), y0 + h)):
        row = rows[y]
        for x in range(max(0, x0), min(width, x0 + w)):
            r, g, b = row[x * channels : x * channels + 3]
            if abs(r - rgb[0]) <= tolerance and abs(g - rgb[1]) <= tolerance and abs(b - rgb[2]) <= tolerance:
                hits += 1
    return hits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", type=Path, help="the HTML file to render")
    parser.add_argument("png", type=Path, nargs="?", help="where to save the screenshot")
    parser.add_argument("--window-size", default="1200,2400", help="width,height in CSS pixels (1200,2400)")
    parser.add_argument("--measure", action="store_true", help="print the rendered SVG charts' sizes as JSON")
    parser.add_argument("--chromium", help="the Chromium binary (else $CHROMIUM, else found on PATH)")
    args = parser.parse_args(argv)
    try:
        if args.measure:
            print(json.dumps(measure(args.html, window_size=args.window_size, binary=args.chromium), indent=2))
        if args.png:
            screenshot(args.html, args.png, window_size=args.window_size, binary=args.chromium)
            print(args.png)
        if not args.measure and not args.png:
            parser.error("give a PNG path to write, or --measure")
    except (ChromiumMissing, RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"screenshot: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
