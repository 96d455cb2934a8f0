"""One command for the README's Robustness figures: a mutation run, then the atheris fuzzers, totals printed.

From the root of a checkout built for fuzzing (bounds checks on in Cython)::

    MEDFAST_DEBUG_BUILD=1 pip install -e . --no-deps      # or: python setup.py build_ext --inplace
    python -m tests.fuzz.robustness --mutants 100000 --executions 1000000 --out /work/scratch/robustness

The mutation run can also go under AddressSanitizer (atheris cannot: gcc's ASan runtime takes the coverage
hooks libFuzzer needs): a tree built with ``CFLAGS=-fsanitize=address LDFLAGS=-fsanitize=address`` as well, run
with ``LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so.6)"`` (libstdc++ too:
C++ exceptions of GDCM) and ``ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1`` (a refused allocation is
a ``MemoryError``, as under the address-space cap).

``--scanner`` limits both to what reads DICOM headers: the kernels ``index_elements``,
``decode_values`` and ``decode_items`` against their NumPy twins, ``scan`` and ``read_header`` with every
``Header`` method of ``ScannedHeader`` (primed values equal to those decoded alone), ``read_dicom`` of files and folders,
``medfast dcm2niix`` and the bulk engine over folders and zip/tar archives;
the run to repeat after a change to the scanner. Failing mutants land in ``OUT/mutants``,
atheris findings in ``OUT/atheris/findings``; the exit status is 1 when anything was
found.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from . import mutation, run

SCANNER_TARGETS = ("index", "scan", "header", "read_dicom_file", "read_dicom", "convert", "convert_zip", "convert_tar",
                   "dcm2niix")
#: The fuzzers of the scanner's paths and their shares of the executions (by their speed: a kernel input
#: takes a millisecond, a series conversion a hundred).
SCANNER_FUZZERS = ("index=40", "header=20", "scan=10", "dicom=10", "series=10", "convert=5", "dcm2niix=5")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=100_000)
    parser.add_argument("--executions", type=int, default=1_000_000, help="atheris executions in all")
    parser.add_argument("--max-seconds", type=int, default=600, help="per atheris fuzzer")
    parser.add_argument("--seed", type=int, default=20261215)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scanner", action="store_true", help="only what reads DICOM headers")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    start = time.monotonic()
    todo = mutation.tasks(args.mutants, args.seed, only=SCANNER_TARGETS if args.scanner else None)
    counts, failures = mutation.run_tasks(todo, args.workers, outdir=args.out / "mutants", progress=5000)
    print(mutation.summary(counts))
    print(f"mutation run: {sum(counts.values())} mutants in {time.monotonic() - start:.0f} s, "
          f"{len(failures)} failures (in {args.out / 'mutants'})", flush=True)

    found = 0
    if args.executions:  # 0: the mutation run alone (atheris may run at the same time, in another process)
        fuzzers = ["--only", *SCANNER_FUZZERS] if args.scanner else []
        found = run.main(["--executions", str(args.executions), "--max-seconds", str(args.max_seconds),
                          "--out", str(args.out / "atheris"), *fuzzers])
    return 1 if failures or found else 0


if __name__ == "__main__":
    raise SystemExit(main())
