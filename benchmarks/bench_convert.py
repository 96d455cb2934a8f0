"""DICOM to NIfTI: ``medfast dcm2niix`` against ``dcm2niix``, each a fresh process, on a 300-slice CT.

The series (512 x 512 x 300, 12 bits stored in 16, shuffled file names) is
written once with ``medfast.synth``. Each round runs the command in a new
process into an emptied output folder, so start-up is part of the time, as it
is for a user. Group ``convert-nii`` is ``-z n`` (target: medfast at least 1.5x
faster), group ``convert-niigz`` is ``-z y`` (target: 4x at no more than 1.02x
the output size; ``extra_info`` holds the sizes). Both tools must write the
same file names and the same voxels. With ``--benchmark-disable`` the series
is 64 x 64 x 20 and each command runs once.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from medfast.synth import write_ct_series
from anchors import dcm2niix_binary, full_size

COMMANDS = {
    "medfast": [sys.executable, "-m", "medfast", "dcm2niix"],
    "dcm2niix": [dcm2niix_binary()],
}


@pytest.fixture(scope="session")
def ct_folder(small, tmp_path_factory):
    shape = (64, 64, 20) if small else (512, 512, 300)
    folder = tmp_path_factory.mktemp("bench_convert_ct")
    write_ct_series(folder, shape=shape, shuffle_names=True)
    return str(folder)


# As users run it: Python with its bytecode cached (a test machine may forbid writing .pyc files
# next to the sources; the cache then goes to a folder of its own).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_ENV.setdefault("PYTHONPYCACHEPREFIX", os.path.join(os.path.expanduser("~"), ".cache", "medfast-bench-pyc"))


def _run(tool, gz, src, out):
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    cmd = COMMANDS[tool] + ["-z", gz, "-b", "y", "-f", "%p_%s", "-o", out, src]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV)


def _images(out):
    return sorted(f for f in os.listdir(out) if f.endswith((".nii", ".nii.gz")))


def _check_same_as_dcm2niix(tool, gz, ct_folder, out, tmp_path):
    """Same names and voxels as dcm2niix on this series: a fast wrong answer is no answer."""
    import nibabel as nib

    ref = str(tmp_path / "ref")
    _run("dcm2niix", gz, ct_folder, ref)
    assert _images(out) == _images(ref)
    for name in _images(ref):
        a, b = nib.load(os.path.join(ref, name)), nib.load(os.path.join(out, name))
        np.testing.assert_array_equal(np.asanyarray(b.dataobj), np.asanyarray(a.dataobj))
        np.testing.assert_allclose(b.affine, a.affine, atol=1e-4)


def _size(out):
    return sum(os.path.getsize(os.path.join(out, f)) for f in _images(out))


@pytest.mark.parametrize("tool", sorted(COMMANDS))
def test_convert_nii(benchmark, ct_folder, tool, tmp_path):
    benchmark.group = "convert-nii"
    out = str(tmp_path / "out")
    benchmark.pedantic(_run, args=(tool, "n", ct_folder, out), rounds=3, iterations=1)
    if tool == "medfast":
        _check_same_as_dcm2niix(tool, "n", ct_folder, out, tmp_path)


@pytest.mark.parametrize("tool", sorted(COMMANDS))
def test_convert_niigz(benchmark, ct_folder, tool, tmp_path, small):
    benchmark.group = "convert-niigz"
    out = str(tmp_path / "out")
    benchmark.pedantic(_run, args=(tool, "y", ct_folder, out), rounds=3, iterations=1)
    benchmark.extra_info["output_bytes"] = _size(out)
    if tool == "medfast":
        _check_same_as_dcm2niix(tool, "y", ct_folder, out, tmp_path)
        ref_size = _size(str(tmp_path / "ref"))
        benchmark.extra_info["size_vs_dcm2niix"] = _size(out) / ref_size
        if not small:  # a 64 x 64 x 20 file says nothing of ratio
            assert _size(out) <= 1.02 * ref_size


# ---- the shared corpus: real scanner data, as users convert it --------------------------------

CORPUS = os.environ.get("MEDFAST_CORPUS", "")
CORPORA = sorted(p for p in os.listdir(CORPUS) if os.path.isdir(os.path.join(CORPUS, p, "In"))) if os.path.isdir(CORPUS) else []


def pytest_generate_tests(metafunc):
    """Every corpus with ``--benchmark-only``; the smallest alone in a plain run (it runs once)."""
    if "corpus_name" in metafunc.fixturenames:
        small = not full_size(metafunc.config)
        metafunc.parametrize("corpus_name", [c for c in CORPORA if c == "dcm_qa_enh"] if small else CORPORA)


@pytest.mark.parametrize("gz", ["y", "n"])
@pytest.mark.parametrize("tool", sorted(COMMANDS))
def test_convert_corpus(benchmark, corpus_name, gz, tool, tmp_path, small):
    """``-z y`` and ``-z n`` on each corpus, one process a run (goal: medfast 2x and 1.5x dcm2niix)."""
    benchmark.group = f"corpus-{corpus_name}-z{gz}"
    src, out = os.path.join(CORPUS, corpus_name, "In"), str(tmp_path / "out")
    benchmark.pedantic(_run, args=(tool, gz, src, out), rounds=1 if small else 3, iterations=1)
    written = [os.path.join(d, f) for d, _, fs in os.walk(out) for f in fs if f.endswith((".nii", ".nii.gz"))]
    benchmark.extra_info["output_bytes"] = sum(map(os.path.getsize, written))
    assert written
