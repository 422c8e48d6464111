"""Peak memory and time of OCR on one frame, by frame size.

    python tests/bench/ocr_memory.py [--sizes 1920x1080,3840x2160,6300x6300]

For each size, a fresh process renders a page of text lines (17 px DejaVu Sans,
the words of tests/bench/capture_cost.py; three columns where the width allows)
and reads it once with the app's OCR engine (agents.screens.ocr.RapidOcr), after
loading the models on a small image. Prints the process's peak resident memory
before and after the read (so the read's own share shows), the seconds, the
lines found and the share of the rendered words read back exactly. Run it
alone: shared cores make the seconds noisy; the memory figures are stable.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from capture_cost import FONT, WORDS  # noqa: E402  (the script's folder is on sys.path)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def render(width: int, height: int) -> tuple[object, list[str]]:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    columns = max(1, width // 1900)
    column_width = width // columns
    words: list[str] = []
    for row in range((height - 20) // 30):
        for column in range(columns):
            line = " ".join(WORDS[(row * 7 + column * 3 + k) % len(WORDS)] for k in range(9))
            draw.text(
                (20 + column * column_width, 10 + row * 30), line, fill=(20, 20, 20), font=FONT
            )
            words.extend(line.split())
    return image, words


def one(size: str) -> dict[str, object]:
    """Run in the child process: load the engine, then read one frame of ``size``."""
    from PIL import Image

    from agents.screens.ocr import RapidOcr

    width, height = (int(x) for x in size.split("x"))
    image, words = render(width, height)
    engine = RapidOcr()
    engine.read(Image.new("RGB", (200, 60), "white"))  # models loaded
    before = peak_mb()
    started = time.perf_counter()
    lines = engine.read(image)
    seconds = time.perf_counter() - started
    read = [w for line in lines for w in line.text.split()]
    remaining = list(read)
    found = 0
    for word in words:
        if word in remaining:
            remaining.remove(word)
            found += 1
    return {
        "size": size,
        "peak_before_mb": round(before),
        "peak_after_mb": round(peak_mb()),
        "seconds": round(seconds, 1),
        "lines": len(lines),
        "word_recall": round(100 * found / max(1, len(words)), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1920x1080,3840x2160,6300x6300")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    print(
        f"{'size':>10} {'peak before':>12} {'peak after':>11} {'read':>7} {'lines':>6} {'words':>6}"
    )
    for size in args.sizes.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--one", size],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        ).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['size']:>10} {r['peak_before_mb']:>9} MB {r['peak_after_mb']:>8} MB "
            f"{r['seconds']:>5} s {r['lines']:>6} {r['word_recall']:>5}%"
        )


if __name__ == "__main__":
    main()
