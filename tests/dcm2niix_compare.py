"""Compare what ``medfast dcm2niix`` writes with what dcm2niix wrote: the scoreboard.

Used by the corpus tests, and runnable as a script that prints a table::

    python tests/dcm2niix_compare.py                      # every corpus under $MEDFAST_CORPUS
    python tests/dcm2niix_compare.py dcm_qa_polar -v      # one corpus, with each difference
    python tests/dcm2niix_compare.py --oracle DIR [DIR]   # any DICOM folders: the dcm2niix package is the oracle

The rule (the corpus README): the same file names, the same shape, voxels
after scaling and affine (sform and qform) to 1e-4 mm, bval/bvec to 1e-4, and
the acquisition keys of the JSON sidecar (keys that name the converting
software are left out).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# corpus -> (dcm2niix options before -o, inputs below the corpus folder), as in the corpus README
CORPUS_COMMANDS = {
    "dcm_qa": (["-b", "y", "-z", "n", "-f", "%p_%s"], ["In"]),
    "dcm_qa_12bit": (["-b", "y", "-z", "n", "-f", "%s"], ["In"]),
    "dcm_qa_enh": (["-b", "y", "-z", "n", "-f", "%v_%p_%s"], ["In"]),
    "dcm_qa_fmap": (["-b", "y", "-z", "n", "-f", "%m_%s_%p"], ["In"]),
    "dcm_qa_mosaic": (["-b", "y", "-z", "n", "-f", "%s_%p"], ["In"]),
    "dcm_qa_nih": (["-b", "y", "-z", "n", "-f", "%p_%s"], ["In"]),
    "dcm_qa_philips_dwi": (["-b", "y", "-z", "n", "-f", "%s_%p_%f"], ["In/enh", "In/cl"]),
    "dcm_qa_polar": (["-b", "y", "-z", "n", "-f", "%s_%d"], ["In"]),
    "dcm_qa_ts": (["-b", "y", "-z", "n", "-f", "%s"], ["In"]),
    "dcm_qa_xa30": (["-b", "y", "-z", "n", "-f", "%s_%p"], ["In"]),
    "dcm_qa_xa60": (["-i", "y", "-b", "y", "-z", "n", "-f", "%n_%s_%p"], ["In"]),
}
# keys that carry no acquisition fact (the corpus README's rule)
SOFTWARE_KEYS = frozenset({"ConversionSoftware", "ConversionSoftwareVersion", "BidsGuess"})


def same_value(a, b):
    """Sidecar values equal: numbers to 1e-4 relative, lists item by item, the rest exactly."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= max(1e-4 * abs(a), 1e-7)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return a == b


def nifti_differences(ref_path, got_path):
    """What differs between two NIfTI files (empty: they match)."""
    import nibabel as nib

    ref, got = nib.load(ref_path), nib.load(got_path)
    out = []
    if got.shape != ref.shape:
        return [f"shape {got.shape} != {ref.shape}"]
    for kind, a, b in (("sform", got.header.get_sform(), ref.header.get_sform()),
                       ("qform", got.header.get_qform(), ref.header.get_qform())):
        if not np.allclose(a, b, atol=1e-4):
            out.append(f"{kind} differs by {np.abs(a - b).max():.4g} mm")
    a, b = _voxels(got), _voxels(ref)
    if a.dtype != b.dtype:
        return out + [f"voxel type {a.dtype} != {b.dtype}"]
    if not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
        bad = np.flatnonzero((a != b).ravel())
        out.append(f"voxels: {bad.size} of {a.size} differ (first at flat index {bad[0] if bad.size else '?'})")
    return out


def _voxels(img):
    """Voxel values after scaling (float64); RGB voxels as stored (nibabel cannot scale a structured array)."""
    if img.get_data_dtype().fields:
        return np.asanyarray(img.dataobj.get_unscaled())
    return np.asanyarray(img.dataobj).astype(np.float64)


def gradient_differences(ref_path, got_path):
    ref, got = np.loadtxt(ref_path, ndmin=2), np.loadtxt(got_path, ndmin=2)
    if ref.shape != got.shape:
        return [f"shape {got.shape} != {ref.shape}"]
    if not np.allclose(ref, got, atol=1e-4):
        return [f"values differ by up to {np.abs(ref - got).max():.4g}"]
    return []


def sidecar_differences(ref_path, got_path):
    """(acquisition keys in Ref, keys matched, list of differences)."""
    want = {k: v for k, v in json.loads(Path(ref_path).read_text()).items() if k not in SOFTWARE_KEYS}
    have = {k: v for k, v in json.loads(Path(got_path).read_text()).items() if k not in SOFTWARE_KEYS}
    diffs = [f"missing {k} = {want[k]!r}" for k in sorted(set(want) - set(have))]
    diffs += [f"extra {k} = {have[k]!r}" for k in sorted(set(have) - set(want))]
    wrong = [k for k in sorted(set(want) & set(have)) if not same_value(want[k], have[k])]
    diffs += [f"{k}: {have[k]!r} != {want[k]!r}" for k in wrong]
    return len(want), len(want) - len(wrong) - len(set(want) - set(have)), diffs


@dataclass
class Score:
    """Counts of matching outputs in one comparison."""

    nifti: int = 0
    nifti_ok: int = 0
    grad: int = 0
    grad_ok: int = 0
    keys: int = 0
    keys_ok: int = 0
    names_missing: list = field(default_factory=list)
    names_extra: list = field(default_factory=list)
    problems: dict = field(default_factory=dict)  # file name -> list of differences

    def add(self, other):
        for name in ("nifti", "nifti_ok", "grad", "grad_ok", "keys", "keys_ok"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.names_missing += other.names_missing
        self.names_extra += other.names_extra
        self.problems.update(other.problems)

    @property
    def perfect(self):
        return (self.nifti_ok == self.nifti and self.grad_ok == self.grad and self.keys_ok == self.keys
                and not self.names_missing and not self.names_extra)


def compare_folders(ref_dir, got_dir):
    """Score every file dcm2niix wrote in ``ref_dir`` against the same name in ``got_dir``."""
    ref_dir, got_dir = Path(ref_dir), Path(got_dir)
    ref_names = {p.name for p in ref_dir.iterdir() if p.is_file()}
    got_names = {p.name for p in got_dir.iterdir() if p.is_file()} if got_dir.is_dir() else set()
    score = Score(names_missing=sorted(ref_names - got_names), names_extra=sorted(got_names - ref_names))
    for name in sorted(ref_names):
        ref, got = ref_dir / name, got_dir / name
        if name.endswith((".nii", ".nii.gz")):
            score.nifti += 1
            diffs = nifti_differences(ref, got) if got.exists() else ["not written"]
            score.nifti_ok += not diffs
        elif name.endswith((".bval", ".bvec")):
            score.grad += 1
            diffs = gradient_differences(ref, got) if got.exists() else ["not written"]
            score.grad_ok += not diffs
        elif name.endswith(".json"):
            if got.exists():
                total, ok, diffs = sidecar_differences(ref, got)
            else:
                total, ok, diffs = len(set(json.loads(ref.read_text())) - SOFTWARE_KEYS), 0, ["not written"]
            score.keys += total
            score.keys_ok += ok
        else:
            continue
        if diffs:
            score.problems[name] = diffs
    return score


def run_medfast(args, inputs, out):
    """``medfast dcm2niix ARGS -o OUT INPUT`` for each input, in a subprocess; the exit codes."""
    codes = []
    for src in inputs:
        cmd = [sys.executable, "-m", "medfast", "dcm2niix", *args, "-o", str(out), str(src)]
        codes.append(subprocess.run(cmd, capture_output=True, text=True).returncode)
    return codes


def score_corpus(root, name, workdir):
    """Convert one corpus with its README command and score it against its Ref/."""
    args, inputs = CORPUS_COMMANDS[name]
    out = Path(workdir) / name
    out.mkdir(parents=True, exist_ok=True)
    run_medfast(args, [Path(root) / name / i for i in inputs], out)
    return compare_folders(Path(root) / name / "Ref", out)


def score_with_oracle(folder, workdir, args=("-b", "y", "-z", "n", "-f", "%s_%p")):
    """Run the ``dcm2niix`` package and medfast on the same folder and score medfast against it."""
    exe = shutil.which("dcm2niix")
    if exe is None:
        raise SystemExit("the dcm2niix command is not on PATH (pip install dcm2niix)")
    ref, got = Path(workdir) / "ref", Path(workdir) / "got"
    for d in (ref, got):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    subprocess.run([exe, *args, "-o", str(ref), str(folder)], capture_output=True)
    run_medfast(list(args), [folder], got)
    return compare_folders(ref, got)


def _row(label, s):
    pct = lambda a, b: f"{a}/{b}" + (f" ({100 * a / b:.0f}%)" if b else "")  # noqa: E731
    names = "" if not (s.names_missing or s.names_extra) else f"  names: -{len(s.names_missing)} +{len(s.names_extra)}"
    return f"{label:<22} nifti {pct(s.nifti_ok, s.nifti):<14} bval/bvec {pct(s.grad_ok, s.grad):<12} " \
           f"sidecar keys {pct(s.keys_ok, s.keys)}{names}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="*", help="corpus names (default: all) or, with --oracle, DICOM folders")
    parser.add_argument("--oracle", action="store_true", help="score against the dcm2niix package on any folders")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each difference")
    parser.add_argument("--keep", help="write outputs here instead of a temporary folder")
    ns = parser.parse_args(argv)
    total = Score()
    work = ns.keep or tempfile.mkdtemp(prefix="medfast-compare-")
    try:
        if ns.oracle:
            items = [(Path(f).name, lambda f=f, i=i: score_with_oracle(f, Path(work) / str(i)))
                     for i, f in enumerate(ns.corpora)]
        else:
            root = os.environ.get("MEDFAST_CORPUS") or str(Path(__file__).resolve().parents[2] / "shared" / "corpus")
            names = ns.corpora or list(CORPUS_COMMANDS)
            items = [(n, lambda n=n: score_corpus(root, n, work)) for n in names]
        for label, run in items:
            s = run()
            total.add(s)
            print(_row(label, s), flush=True)
            if ns.verbose:
                for n in s.names_missing:
                    print(f"    missing file {n}")
                for n in s.names_extra:
                    print(f"    extra file {n}")
                for fname, diffs in s.problems.items():
                    for d in diffs:
                        print(f"    {fname}: {d}")
        print(_row("TOTAL", total))
    finally:
        if not ns.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0 if total.perfect else 1


if __name__ == "__main__":
    sys.exit(main())
