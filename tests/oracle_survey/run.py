"""Run the oracle scoreboard on every folder that ``gather.py`` arranged, one source at a time.

For each source ``S`` under DATA it runs::

    python tests/dcm2niix_compare.py --oracle -v --keep OUT/S DATA/S/*

(the dcm2niix package and ``medfast dcm2niix`` with the same options, scored by
the same rules as the corpus scoreboard), keeps both outputs in ``OUT/S/<i>/ref``
and ``OUT/S/<i>/got``, writes the printed table and differences to
``OUT/S.log``, and prints each source's TOTAL line and the sum over sources.

Usage::

    python tests/oracle_survey/run.py /work/scratch/NAME/survey-data /work/scratch/NAME/survey-out [source ...]
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

COMPARE = Path(__file__).resolve().parents[1] / "dcm2niix_compare.py"
TOTAL = re.compile(r"^TOTAL\s+nifti (\d+)/(\d+).*?bval/bvec (\d+)/(\d+).*?sidecar keys (\d+)/(\d+)(?:.*names: -(\d+) \+(\d+))?")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("sources", nargs="*", help="default: every source folder under DATA")
    ns = parser.parse_args(argv)
    sources = ns.sources or sorted(p.name for p in ns.data.iterdir() if p.is_dir())
    sums = [0] * 8
    for source in sources:
        folders = sorted(str(p) for p in (ns.data / source).iterdir() if p.is_dir())
        keep = ns.out / source
        shutil.rmtree(keep, ignore_errors=True)
        keep.mkdir(parents=True)
        run = subprocess.run([sys.executable, str(COMPARE), "--oracle", "-v", "--keep", str(keep), *folders],
                             capture_output=True, text=True)
        log = ns.out / f"{source}.log"
        log.write_text("\n".join(f"[{i}] {f}" for i, f in enumerate(folders)) + "\n\n" + run.stdout + run.stderr)
        total = next((m for m in map(TOTAL.match, run.stdout.splitlines()) if m), None)
        if total is None:
            print(f"{source:<12} no TOTAL line: see {log}")
            continue
        counts = [int(x or 0) for x in total.groups()]
        sums = [a + b for a, b in zip(sums, counts)]
        print(f"{source:<12} {len(folders):>4} folders  " + _line(counts), flush=True)
    print(f"{'ALL':<12} {'':>4}          " + _line(sums))
    return 0


def _line(c):
    pct = lambda a, b: f"{a}/{b}" + (f" ({100 * a / b:.0f}%)" if b else "")  # noqa: E731
    return (f"nifti {pct(c[0], c[1]):<14} bval/bvec {pct(c[2], c[3]):<12} sidecar keys {pct(c[4], c[5]):<16}"
            f" files missing {c[6]} extra {c[7]}")


if __name__ == "__main__":
    sys.exit(main())
