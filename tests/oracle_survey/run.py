"""Run the oracle scoreboard on every folder that ``gather.py`` arranged, one source at a time.

Each folder is converted as ``tests/dcm2niix_compare.py --oracle`` converts it
(the ``dcm2niix`` package and ``medfast dcm2niix`` with the same options,
``-b y -z n -f %s_%p``) and scored by that script's ``compare_folders``, so the
figures are the corpus scoreboard's. Unlike ``--oracle`` it also keeps what
both commands printed and their exit codes, and a NIfTI the scorer cannot load
counts as a mismatch instead of stopping the run. Writes, per source ``S``:

- ``OUT/S/<folder>/ref`` and ``OUT/S/<folder>/got``: dcm2niix's and medfast's files;
- ``OUT/S/<folder>/log.txt``: both commands, exit codes, stdout and stderr;
- ``OUT/S.log``: the scoreboard row of each folder and each difference (``-v``);
- ``OUT/results.json``: every folder's counts and differences, for the report.

Usage::

    python tests/oracle_survey/run.py /work/scratch/NAME/survey-data /work/scratch/NAME/survey-out [source ...]
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import dcm2niix_compare as compare  # noqa: E402

ARGS = ("-b", "y", "-z", "n", "-f", "%s_%p")


def _tolerant(differences):
    """A scorer that reports a file it cannot load as a difference (an RGB NIfTI with scaling, ...)."""
    def run(ref, got):
        try:
            return differences(ref, got)
        except Exception as exc:  # noqa: BLE001 - any failure to load is a mismatch to diagnose
            return [f"scorer failed: {type(exc).__name__}: {str(exc)[:120]}"]
    return run


compare.nifti_differences = _tolerant(compare.nifti_differences)
compare.gradient_differences = _tolerant(compare.gradient_differences)


def convert_and_score(folder, work):
    """Both converters on ``folder`` into ``work/ref`` and ``work/got``; (Score, log text)."""
    exe = shutil.which("dcm2niix")
    if exe is None:
        raise SystemExit("the dcm2niix command is not on PATH (pip install dcm2niix)")
    ref, got = work / "ref", work / "got"
    for d in (ref, got):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    log = []
    for cmd in ([exe, *ARGS, "-o", str(ref), str(folder)],
                [sys.executable, "-m", "medfast", "dcm2niix", *ARGS, "-o", str(got), str(folder)]):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=300)
            log.append(f"$ {' '.join(cmd)}\nexit {p.returncode}\n{p.stdout}{p.stderr}")
        except subprocess.TimeoutExpired:
            log.append(f"$ {' '.join(cmd)}\nTIMEOUT after 300 s")
    return compare.compare_folders(ref, got), "\n".join(log)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("sources", nargs="*", help="default: every source folder under DATA")
    ns = parser.parse_args(argv)
    sources = ns.sources or sorted(p.name for p in ns.data.iterdir() if p.is_dir())
    results_path = ns.out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    grand = compare.Score()
    for source in sources:
        total, lines = compare.Score(), []
        shutil.rmtree(ns.out / source, ignore_errors=True)
        for folder in sorted(p for p in (ns.data / source).iterdir() if p.is_dir()):
            work = ns.out / source / folder.name
            score, log = convert_and_score(folder, work)
            (work / "log.txt").write_text(log)
            total.add(score)
            lines.append(compare._row(folder.name, score))
            lines += [f"    missing file {n}" for n in score.names_missing]
            lines += [f"    extra file {n}" for n in score.names_extra]
            lines += [f"    {f}: {d}" for f, ds in score.problems.items() for d in ds]
            results[f"{source}/{folder.name}"] = {
                k: getattr(score, k) for k in ("nifti", "nifti_ok", "grad", "grad_ok", "keys", "keys_ok",
                                               "names_missing", "names_extra", "problems")}
        lines.append(compare._row("TOTAL", total))
        (ns.out / f"{source}.log").write_text("\n".join(lines) + "\n")
        grand.add(total)
        print(compare._row(source, total), flush=True)
    print(compare._row("ALL", grand))
    results_path.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
