"""The table of ratios from a pytest-benchmark JSON file: each group's anchors against medfast.

    python -m pytest benchmarks --benchmark-only --benchmark-json=bench.json
    python benchmarks/ratios.py bench.json [--stat median]

A ratio is the anchor's time over medfast's (above 1: medfast is faster); for
the page-cache copy of ``ct-300`` it is the fraction of that floor medfast
reaches. The load average the JSON's machine info does not hold is printed
from ``extra_info["load"]`` when a benchmark recorded it.
"""
from __future__ import annotations

import argparse
import json
from collections import defaultdict


def _side(bench):
    """The parameter that names the tool of a benchmark (``tool``, ``reader``), and its value."""
    params = bench.get("params") or {}
    for key in ("tool", "reader"):
        if key in params:
            return params[key]
    return bench["name"]


def rows(benchmarks, stat="min"):
    """``(group, anchor, medfast seconds, anchor seconds, ratio, medfast's extra_info)`` per anchor of a group."""
    groups = defaultdict(dict)
    for bench in benchmarks:
        groups[bench["group"]][_side(bench)] = bench
    out = []
    for group in sorted(groups):
        tools = groups[group]
        ours = tools.get("medfast")
        if ours is None:
            continue
        for anchor, theirs in sorted(tools.items()):
            if anchor == "medfast":
                continue
            mine, other = ours["stats"][stat], theirs["stats"][stat]
            out.append((group, anchor, mine, other, other / mine, ours.get("extra_info") or {}))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("json", help="a file written by pytest --benchmark-json")
    parser.add_argument("--stat", default="min", choices=("min", "median", "mean"))
    args = parser.parse_args(argv)
    with open(args.json) as f:
        data = json.load(f)
    print(f"| group | anchor | medfast s | anchor s | ratio ({args.stat}) | extra |")
    print("|---|---|---|---|---|---|")
    for group, anchor, mine, other, ratio, extra in rows(data["benchmarks"], args.stat):
        label = "fraction of the floor" if anchor == "page-cache copy" else "x"
        shown = ", ".join(f"{k}={v}" for k, v in sorted(extra.items()))
        print(f"| {group} | {anchor} | {mine:.3f} | {other:.3f} | {ratio:.2f} {label} | {shown} |")


if __name__ == "__main__":
    main()
