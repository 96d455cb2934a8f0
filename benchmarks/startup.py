"""How soon ``medfast dcm2niix`` reads its first file: milliseconds from process spawn, beside the whole run.

    python benchmarks/startup.py DICOM_FOLDER [--runs 9]

Each run is a fresh ``python`` process with an audit hook that notes the
time of the first ``open`` of a file inside the folder (issue 11's goal:
within 100 ms); the whole run's time and the ``dcm2niix`` package's on the
same folder are printed beside it. Output goes to a temporary folder. Bytecode
is cached (``PYTHONPYCACHEPREFIX``), as for a user's second run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

_CHILD = """
import os, sys, time
folder = {folder!r}
first = []
def hook(event, args):
    if not first and event == "open" and isinstance(args[0], str) and args[0].startswith(folder) \\
            and os.path.isfile(args[0]):
        first.append(time.time())
        print("FIRST", first[0], file=sys.stderr, flush=True)
sys.addaudithook(hook)
sys.argv = ["medfast", "dcm2niix", "-z", "n", "-o", {out!r}, folder]
from medfast.cli import main
sys.exit(main())
"""


def _env():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("PYTHONPYCACHEPREFIX", os.path.join(os.path.expanduser("~"), ".cache", "medfast-bench-pyc"))
    return env


def _timed(cmd):
    start = time.time()
    done = subprocess.run(cmd, capture_output=True, text=True, env=_env())
    end = time.time()
    if done.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {done.stderr.strip()[-500:]}")
    stamps = [float(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("FIRST ")]
    return (stamps[0] - start if stamps else None), end - start


def _summary(label, values):
    return f"{label}: min {min(values) * 1000:.0f} ms, median {statistics.median(values) * 1000:.0f} ms"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from anchors import dcm2niix_binary

    folder = os.path.abspath(args.folder)
    firsts, ours, theirs = [], [], []
    with tempfile.TemporaryDirectory() as out:
        child = _CHILD.format(folder=folder, out=out)
        for _ in range(args.runs):  # interleaved, so that both see the same load
            first, total = _timed([sys.executable, "-c", child])
            firsts.append(first)
            ours.append(total)
            theirs.append(_timed([dcm2niix_binary(), "-z", "n", "-o", out, folder])[1])
    print(_summary("medfast first file read", firsts))
    print(_summary("medfast whole run", ours))
    print(_summary("dcm2niix whole run", theirs))
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
