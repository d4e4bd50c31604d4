#!/usr/bin/env python3
"""Side-by-side table of `tailwatch evaluate --dataset DIR` JSON outputs (one column group per run).

usage: side_by_side.py LABEL=evaluation-industrial.json [LABEL=...]   (prints markdown)
"""
import json
import sys


def load(arg):
    label, path = arg.split("=", 1)
    with open(path) as f:
        return label, json.load(f)


def cell(v):
    return "-" if v is None else f"{v:.4f}"


def main(args):
    runs = [load(a) for a in args]
    keys = []
    for _, d in runs:
        for c in d["classes"]:
            k = (c["class"], c["method"])
            if c["class"] not in [x for x, _ in keys]:
                keys.append(k)
    header = "| class |" + "".join(f" {l}: image AUROC | pixel AUROC | AUPRO |" for l, _ in runs)
    print(header)
    print("|---|" + "---:|---:|---:|" * len(runs))
    for name, _ in keys:
        row = f"| {name} |"
        for _, d in runs:
            c = next((c for c in d["classes"] if c["class"] == name), None)
            if c is None or "error" in c:
                row += " failed | | |" if c else " | | |"
                continue
            o = c["overall"]
            row += f" {cell(o['imageAuroc'])} | {cell(o['pixelAuroc'])} | {cell(o['aupro'])} |"
        print(row)
    row = "| **mean ± 95% CI** |"
    for _, d in runs:
        m = next(iter(d["means"].values()))
        for k in ("imageAuroc", "pixelAuroc", "aupro"):
            e, lo, hi = m[k]["estimate"], m[k]["low"], m[k]["high"]
            row += f" **{e:.4f}** ± {(hi - lo) / 2:.4f} |"
    print(row)
    print()
    print("| run | wall time (s) | mean false-alarm rate at the fitted threshold (asked 1%) | mean recall there |")
    print("|---|---:|---:|---:|")
    for l, d in runs:
        m = next(iter(d["means"].values()))
        fa, rc = m["falseAlarmRate"], m["recall"]
        print(f"| {l} | {d['wallSeconds']:.0f} | {100*fa['estimate']:.1f}% ± {50*(fa['high']-fa['low']):.1f} |"
              f" {100*rc['estimate']:.1f}% ± {50*(rc['high']-rc['low']):.1f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
