#!/usr/bin/env python3
"""Reads `tailwatch replay-adaptation --outcomes-out FILE.csv` and prints, per seed and reservoir:
the majority's and the rare variant's score medians per quarter (the majority's spread too), the skewness of
normal scores per quarter with and without its highest one and three scores, the mean weight of the defects
that did not alert (offered to the reservoir like normal frames), the majority's upper quantiles in robust
sigmas of the raw and of the log scores (how much heavier than a Gaussian its tail is either way), and the mean
weight of offered (non-alerting) normal frames by how far above the majority's median they score, in the
majority's robust sigmas (1.4826 MAD, over frames 1,000-2,000). Python 3 standard library only."""
import csv
import math
import statistics
import sys
from collections import defaultdict


def robust(xs):
    med = statistics.median(xs)
    return med, 1.4826 * statistics.median(abs(x - med) for x in xs)


def skewness(xs):
    m = statistics.fmean(xs)
    m2 = statistics.fmean((x - m) ** 2 for x in xs)
    m3 = statistics.fmean((x - m) ** 3 for x in xs)
    return m3 / m2 ** 1.5 if m2 > 0 else 0.0


def main(path):
    runs = defaultdict(list)
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            runs[(int(r["seed"]), r["reservoir"])].append(r)
    for (seed, reservoir), rows in sorted(runs.items()):
        n = len(rows)
        q = n // 4
        print(f"seed {seed} {reservoir}")
        for name, part in (("first", rows[:q]), ("last", rows[n - q:])):
            maj = [float(r["score"]) for r in part if r["group"] == "normal"]
            rare = [float(r["score"]) for r in part if r["group"] == "rare"]
            med, sigma = robust(maj)
            fa = sum(r["alerted"] == "true" for r in part if r["group"] == "rare")
            print(f"  {name} quarter: majority median {med:.4f} sigma {sigma:.4f}; rare median "
                  f"{statistics.median(rare):.4f} ({(statistics.median(rare) - med) / sigma:.1f} sigma above); "
                  f"rare false alarms {fa}/{len(rare)}")
            normal = sorted(float(r["score"]) for r in part if r["group"] != "defect")
            print(f"    skewness of normal scores {skewness(normal):.2f}; without the highest score "
                  f"{skewness(normal[:-1]):.2f}, without the three highest {skewness(normal[:-3]):.2f}")
        ref = rows[1000:2000] if n >= 2000 else rows
        med, sigma = robust([float(r["score"]) for r in ref if r["group"] == "normal"])
        bins = defaultdict(list)
        for r in ref:
            if r["group"] != "defect" and r["alerted"] == "false":
                z = (float(r["score"]) - med) / sigma
                bins[(min(int(z // 1), 8), r["group"])].append(float(r["weight"]))
        offered = [float(r["weight"]) for r in rows if r["group"] == "defect" and r["alerted"] == "false"]
        if offered:
            print(f"  defects offered (not alerting), whole run: {len(offered)}, mean w {statistics.mean(offered):.2f}; "
                  f"normal frames offered: mean w {statistics.mean(float(r['weight']) for r in rows if r['group'] == 'normal' and r['alerted'] == 'false'):.2f}")
        thr = statistics.median(float(r["threshold"]) for r in ref)
        print(f"  threshold (median over frames 1,000-2,000) {thr:.4f}: {(thr - med) / sigma:.1f} robust sigmas above "
              f"the majority's median")
        maj = sorted(float(r["score"]) for r in ref if r["group"] == "normal")
        for name, xs in (("raw", maj), ("log", [math.log(max(x, 1e-12)) for x in maj])):
            m, sd = robust(xs)
            qs = [(xs[min(len(xs) - 1, int(p * len(xs)))] - m) / sd for p in (0.9, 0.99)]
            print(f"  majority's 0.9 / 0.99 quantiles in robust sigmas, {name} scores (frames 1,000-2,000): "
                  f"{qs[0]:.2f} / {qs[1]:.2f} (a Gaussian: 1.28 / 2.33)")
        print("  mean weight offered by sigmas above the majority's median (frames 1,000-2,000):")
        for (z, group), ws in sorted(bins.items()):
            print(f"    [{z}, {z + 1}){'+' if z == 8 else ''} {group}: {len(ws)} frames, mean w {statistics.mean(ws):.2f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: outcomes.py OUTCOMES.csv (from replay-adaptation --outcomes-out)")
    main(sys.argv[1])
