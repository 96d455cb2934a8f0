"""Shrink a finding to a small regression file: delete chunks of it while it fails the same way.

Input: a folder the mutation run saved (the files and ``why.txt``) or a
fuzzer's ``.bin`` with ``--target``; output: ``tests/regressions/<name>/``
with the smallest input found (in at most ``--seconds``) that still breaks the
promise with the same kind (exception class and innermost medfast line).
Runs in-process under the same memory cap as the workers::

    python -m tests.fuzz.minimize /tmp/medfast-mutation-x/00068-read_dicom-finding scan-huge-length
    python -m tests.fuzz.minimize crash.bin rle-huge-frame --target rle
"""
from __future__ import annotations

import argparse
import re
import tempfile
import time
import warnings
from pathlib import Path

from . import targets
from .mutation import _warm_up

REGRESSIONS = Path(__file__).resolve().parents[1] / "regressions"


def _kind(target, files, main, folder):
    try:
        if files is None:
            targets.run_blob(target, main)
        else:
            targets.run_files(target, folder, files, main)
    except targets.Finding as finding:
        return str(finding).split("]")[0].strip("[")
    return None


def shrink(data, still_fails, seconds):
    """Delete ever smaller chunks of ``data`` while ``still_fails(candidate)`` holds."""
    deadline = time.monotonic() + seconds
    chunk = max(len(data) // 2, 1)
    while chunk >= 1 and time.monotonic() < deadline:
        pos, changed = 0, False
        while pos < len(data) and time.monotonic() < deadline:
            candidate = data[:pos] + data[pos + chunk:]
            if still_fails(candidate):
                data, changed = candidate, True
            else:
                pos += chunk
        if not changed:
            chunk //= 2
    return data


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("finding", type=Path)
    parser.add_argument("name", help="the regression's folder name: <target>-<what>")
    parser.add_argument("--target", help="for a .bin from a fuzzer")
    parser.add_argument("--main", help="for a .bin of a file target: the file name to give it")
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    _warm_up()
    targets.limit_memory()
    folder = tempfile.mkdtemp(prefix="medfast-minimize-")
    if args.finding.is_dir():
        why = (args.finding / "why.txt").read_text()
        target, main = re.search(r"target=(\S+) main=(\S+)", why).groups()
        files = {p.name: p.read_bytes() for p in args.finding.iterdir() if p.name != "why.txt"}
        if main == "None":  # a kernel blob
            main, files = files.pop(f"{target}.bin"), None
    else:
        target = args.target
        files = None if args.main is None else {args.main: args.finding.read_bytes()}
        main = args.finding.read_bytes() if args.main is None else args.main
    if target not in targets.FILE_TARGETS and target not in targets.BLOB_TARGETS:
        raise SystemExit(f"unknown target {target!r}")
    kind = _kind(target, files, main, folder)
    if kind is None:
        raise SystemExit("the input does not fail (any more)")
    if files is None:
        small = shrink(main, lambda d: _kind(target, None, d, folder) == kind, args.seconds)
        out = {f"{target}.bin": small}
    else:
        small = shrink(files[main], lambda d: _kind(target, {**files, main: d}, main, folder) == kind, args.seconds)
        out = {**files, main: small}
    dest = REGRESSIONS / args.name
    dest.mkdir(parents=True, exist_ok=True)
    for name, data in out.items():
        (dest / name).write_bytes(data)
    print(f"{kind}: {sum(map(len, out.values()))} bytes in {dest}")


if __name__ == "__main__":
    main()
