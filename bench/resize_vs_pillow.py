#!/usr/bin/env python3
"""ResizeBicubic (bench/resize_bench.cc) vs Pillow's Image.resize(BICUBIC), 1920x1080 RGB.

Both single-threaded, best of ROUNDS, on the same target sizes; prints a markdown table.
    /opt/refenv/bin/python bench/resize_vs_pillow.py build/bench/bench_resize [ROUNDS]
"""

import json
import subprocess
import sys
import time

import numpy as np
import PIL
from PIL import Image

SIZES = [(1316, 728), (1932, 1092), (1904, 1036), (224, 224)]


def pillow_ms(img, size, rounds):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        img.resize(size, Image.BICUBIC)
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def main():
    binary, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 10
    ours = json.loads(subprocess.check_output([binary, str(rounds)] + [f"{w}x{h}" for w, h in SIZES]))
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (1080, 1920, 3), dtype=np.uint8))
    print(f"| 1920x1080 -> | ours ms | Pillow {PIL.__version__} ms | ours / Pillow |")
    print("|---|---|---|---|")
    for w, h in SIZES:
        mine, theirs = ours[f"1920x1080->{w}x{h}"], pillow_ms(img, (w, h), rounds)
        print(f"| {w}x{h} | {mine:.2f} | {theirs:.2f} | {mine / theirs:.2f} |")


if __name__ == "__main__":
    main()
