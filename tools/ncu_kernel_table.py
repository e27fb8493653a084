#!/usr/bin/env python3
"""Sums an ncu CSV (`ncu --csv --metrics gpu__time_duration.sum --print-units base ...`)
by kernel: launches, total microseconds and share, largest first. ncu serializes kernels,
so the total reads longer than the same work chained in a CUDA graph; the shares are
what to look at.
Usage: ncu_kernel_table.py NCU_CSV [TOP]"""
import csv
import re
import sys
from collections import defaultdict


def short_name(name):
    name = re.sub(r"sgl::cuda::|\(anonymous namespace\)::|^void ", "", name)
    return re.sub(r"\(.*", "", name)[:70]  # without the argument list


def main():
    path, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 12
    total_ns, launches = defaultdict(float), defaultdict(int)
    with open(path, newline="") as f:
        rows = [line for line in f if line.startswith('"')]  # ncu's own log lines are not CSV
    for row in csv.DictReader(rows):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        name = short_name(row["Kernel Name"])
        total_ns[name] += float(row["Metric Value"].replace(",", ""))
        launches[name] += 1
    whole = sum(total_ns.values())
    if whole == 0:
        print("no kernels in", path)
        return 1
    print(f"{'kernel':70} {'launches':>8} {'us':>10} {'share':>6}")
    for name, ns in sorted(total_ns.items(), key=lambda kv: -kv[1])[:top]:
        print(f"{name:70} {launches[name]:8d} {ns / 1e3:10.1f} {ns / whole:6.1%}")
    print(f"{'all kernels (serialized)':70} {sum(launches.values()):8d} {whole / 1e3:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
