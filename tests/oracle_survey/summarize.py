"""Sort the differences that ``run.py`` recorded into kinds, most folders first: the start of a diagnosis.

Reads ``OUT/results.json`` and each ``OUT/<source>/<folder>/log.txt`` and prints

1. every folder that is not a perfect match: both exit codes, NIfTI counts,
   file names missing/extra, and medfast's first message on stderr;
2. medfast's messages (the reason it stopped), with the folders they stopped;
3. each kind of difference (a sidecar key missing/extra/different, a NIfTI
   difference, a file not written), with the number of folders and files.

Usage::

    python tests/oracle_survey/summarize.py /work/scratch/NAME/survey-out
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path


def _commands(log):
    """(dcm2niix's exit, medfast's exit, medfast's first message) from a log.txt."""
    parts = log.split("\n$ ")
    exits = [re.search(r"^exit (\d+)", p, re.M) for p in parts]
    exits = [int(m.group(1)) if m else None for m in exits] + [None, None]
    lines = parts[1].splitlines()[2:] if len(parts) > 1 else []
    noise = ("Chris", "Conversion required", "Found", "Convert ", "  warn", "warnings.warn")
    # medfast names on stderr why it stopped or left a file out: that line first
    said = [ln for ln in lines if ln.startswith("medfast dcm2niix:")]
    message = next(iter(said), None) or next(
        (ln for ln in lines if ln.strip() and not ln.startswith(noise) and "Warning:" not in ln), "")
    message = re.sub(r"^medfast dcm2niix: (left out )?\S+: (\S+: )?", "", message)
    return exits[0], exits[1], re.sub(r"/\S+/", "", message)[:90]


def kind_of(name, difference):
    """The kind of one recorded difference, with numbers and file names taken out."""
    if difference == "not written":
        return f"not written ({name.rsplit('.', 1)[-1]})"
    m = re.match(r"(missing|extra) (\w+) = ", difference)
    if m:
        return f"sidecar {m.group(1)} {m.group(2)}"
    m = re.match(r"(\w+): .* != ", difference)
    if m and name.endswith(".json"):
        return f"sidecar value {m.group(1)}"
    return re.sub(r"[\d.]+", "N", difference)[:70]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    ns = parser.parse_args(argv)
    results = json.loads((ns.out / "results.json").read_text())
    stops, kinds = defaultdict(list), defaultdict(lambda: [set(), 0])
    print("# folders that differ: dcm2niix exit/NIfTI, medfast exit, NIfTI matched, names -missing +extra, message")
    for folder, s in sorted(results.items()):
        ref_exit, got_exit, message = _commands((ns.out / folder / "log.txt").read_text())
        if message and (got_exit not in (0, None) or s["names_missing"]):
            stops[message].append(folder)
        for name, diffs in s["problems"].items():
            for d in diffs:
                k = kinds[kind_of(name, d)]
                k[0].add(folder)
                k[1] += 1
        perfect = (s["nifti_ok"] == s["nifti"] and s["grad_ok"] == s["grad"] and s["keys_ok"] == s["keys"]
                   and not s["names_missing"] and not s["names_extra"])
        if not perfect:
            print(f"{folder[:58]:<58} ref {ref_exit}/{s['nifti']} got {got_exit} ok {s['nifti_ok']} "
                  f"-{len(s['names_missing'])}+{len(s['names_extra'])} | {message}")
    print("\n# medfast stopped, or left files out, with: folders, message")
    for message, folders in sorted(stops.items(), key=lambda kv: -len(kv[1])):
        print(f"{len(folders):>4}  {message}   e.g. {folders[0]}")
    print("\n# kinds of difference: folders, files, kind")
    for kind, (folders, n) in sorted(kinds.items(), key=lambda kv: (-len(kv[1][0]), kv[0])):
        print(f"{len(folders):>4} {n:>5}  {kind}   e.g. {sorted(folders)[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
