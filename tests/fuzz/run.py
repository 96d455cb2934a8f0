"""Run every atheris fuzzer in turn and add up executions and findings.

Usage (from the root of a checkout, ideally a debug build: bounds checks on in Cython)::

    MEDFAST_DEBUG_BUILD=1 python setup.py build_ext --inplace
    python -m tests.fuzz.run --executions 1000000 --out /tmp/medfast-fuzz

Each fuzzer gets an equal share of ``--executions`` (``--only name=weight``
gives weighted shares: a fast kernel fuzzer can take more than a slow series
one) and at most ``--max-seconds``, starts from the seed files in ``OUT/corpus/<name>`` (which
grows as libFuzzer finds new coverage, so a second run goes further), and keeps
going past a finding: the first input of each kind is saved in
``OUT/findings``. A crash (signal) stops that fuzzer; libFuzzer saves its input
as ``OUT/crash-*``. The exit code is 1 when anything was found.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FUZZERS = ("rle", "bits", "index", "scan", "header", "pixels", "dicom", "series", "nifti", "analyze", "nrrd", "minc1",
           "minc2", "parrec", "convert", "dcm2niix")


def run_one(name, runs, seconds, out):
    """Run one fuzzer; return (executions, finding lines, crashed)."""
    env = {**os.environ, "MEDFAST_FUZZ_FINDINGS": str(out / "findings")}
    cmd = [sys.executable, str(HERE / f"fuzz_{name}.py"), f"-atheris_runs={runs}", f"-max_total_time={seconds}",
           "-timeout=10", "-rss_limit_mb=4096", f"-artifact_prefix={out}/{name}-", str(out / "corpus" / name)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace")
    log = proc.stderr
    (out / f"{name}.log").write_text(log)
    done = re.findall(r"^Done (\d+) ", log, re.M)
    if done:
        executions = int(done[-1])
    else:  # stopped early (a crash): the last status line has the count
        status = re.findall(r"^#(\d+)\s", log, re.M)
        executions = int(status[-1]) if status else 0
    findings = re.findall(r"^FINDING .*$", log, re.M)
    crashed = proc.returncode != 0 and not done
    return executions, findings, crashed


def _shares(only, executions, parser):
    """{fuzzer: executions} from ``name`` or ``name=weight`` entries."""
    weights = {}
    for entry in only:
        name, _, weight = entry.partition("=")
        if name not in FUZZERS:
            parser.error(f"--only: {name!r} is not one of {', '.join(FUZZERS)}")
        weights[name] = float(weight or 1)
    total = sum(weights.values())
    return {name: int(executions * weight / total) for name, weight in weights.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=1_000_000, help="in total, shared equally")
    parser.add_argument("--max-seconds", type=int, default=600, help="per fuzzer")
    parser.add_argument("--out", type=Path, default=Path("/tmp/medfast-fuzz"))
    parser.add_argument("--only", nargs="*", default=FUZZERS, metavar="NAME[=WEIGHT]", help=f"of {', '.join(FUZZERS)}")
    args = parser.parse_args(argv)
    shares = _shares(args.only, args.executions, parser)
    args.out.mkdir(parents=True, exist_ok=True)
    total, found = 0, False
    for name, runs in shares.items():
        start = time.monotonic()
        executions, findings, crashed = run_one(name, runs, args.max_seconds, args.out)
        total += executions
        found |= bool(findings) or crashed
        print(f"{name}: {executions} executions in {time.monotonic() - start:.0f} s"
              + (", CRASHED (see the log)" if crashed else ""), flush=True)
        for line in findings:
            print("  " + line, flush=True)
    print(f"total: {total} executions; findings in {args.out / 'findings'}" if found else f"total: {total} executions; no findings")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
