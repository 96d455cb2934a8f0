"""Real programs that call dcm2niix, run over ``medfast dcm2niix`` and over the dcm2niix package.

heudiconv (through nipype's ``Dcm2niix`` interface, which always passes
``-m 0`` and reads the output names from the ``Convert`` lines) and dcm2bids
run ``dcm2niix`` as a subprocess, found on PATH. Each test runs the client
twice: once with a folder holding a ``dcm2niix`` script that runs
``medfast dcm2niix`` first on PATH, once with the package's dcm2niix; then
every output file is compared (same names in every folder, NIfTI voxels and
affine, bval/bvec, JSON acquisition keys: ``tests/dcm2niix_compare.py``),
and the sidecars say which converter ran.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from dcm2niix_compare import compare_folders
from support import corpus_root, dcm2niix_executable, missing

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

# three Siemens EPI series of two files each (phase encoding AP, PA, RL): one study, a few seconds a run
SERIES = ("mr_0003", "mr_0004", "mr_0005")


def _tool(name):
    path = shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)
    if path is None:
        missing(f"{name} is not installed (pip install -e '.[test]')")
    return path


@pytest.fixture(scope="module")
def dicom(tmp_path_factory):
    """A study folder of the corpus's three Siemens EPI series (links to the files)."""
    source = corpus_root() / "dcm_qa_nih" / "In" / "20180918Si"
    root = tmp_path_factory.mktemp("study")
    for series in SERIES:
        (root / series).mkdir()
        for f in sorted((source / series).iterdir()):
            if f.suffix == ".txt":
                continue
            (root / series / f.name).symlink_to(f)
    return root


@pytest.fixture(scope="module")
def converters(tmp_path_factory):
    """converter name -> a PATH whose first folder holds its ``dcm2niix``."""
    bins = {}
    for name in ("medfast", "dcm2niix"):
        folder = tmp_path_factory.mktemp(f"bin-{name}")
        script = folder / "dcm2niix"
        if name == "medfast":
            # -I: the client's working folder (which may hold a folder named medfast) stays off sys.path
            script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -m medfast dcm2niix "$@"\n')
            script.chmod(0o755)
        else:
            script.symlink_to(dcm2niix_executable())
        bins[name] = f"{folder}{os.pathsep}{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"
    return bins


def _run(cmd, path, home, cwd):
    env = dict(os.environ, PATH=path, HOME=str(home))  # HOME: dcm2niix's defaults file stays out of the way
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{cmd[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


def _both(tmp_path, converters, command):
    """Run ``command(out)`` with each converter first on PATH; (medfast's output folder, dcm2niix's, logs)."""
    outs, logs = {}, {}
    for name, path in converters.items():
        out = tmp_path / f"out-{name}"
        home = tmp_path / f"home-{name}"
        home.mkdir()
        logs[name] = _run(command(out), path, home, tmp_path)
        outs[name] = out
    return outs["medfast"], outs["dcm2niix"], logs


def _assert_same_outputs(got, ref):
    """Every folder holds the same file names; every NIfTI, bval/bvec and sidecar matches."""
    def tree(root):
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "log" not in p.parts)

    assert tree(got) == tree(ref)
    folders = {p.parent for p in ref.rglob("*") if p.is_file() and p.name.endswith((".nii", ".nii.gz", ".json"))}
    assert folders, "the client wrote no image"
    images = 0
    for folder in folders:
        score = compare_folders(folder, got / folder.relative_to(ref))
        assert score.problems == {}, folder
        assert score.perfect, folder
        images += score.nifti
    assert images > 0


def _converted_by(root, name):
    sidecars = [p for p in root.rglob("*.json") if "ConversionSoftware" in p.read_text()]
    assert sidecars
    return {json.loads(p.read_text())["ConversionSoftware"] for p in sidecars} == {name}


def test_heudiconv_convertall(dicom, converters, tmp_path):
    """heudiconv's convertall heuristic, BIDS sidecars on: the same files as with dcm2niix."""
    heudiconv = _tool("heudiconv")
    got, ref, logs = _both(tmp_path, converters, lambda out: [
        heudiconv, "--files", str(dicom), "-s", "01", "-f", "convertall", "-c", "dcm2niix", "--bids",
        "-o", str(out)])
    assert "(medfast " in logs["medfast"] and "(medfast " not in logs["dcm2niix"]  # heudiconv logs the banner
    assert _converted_by(got, "medfast") and _converted_by(ref, "dcm2niix")
    assert len(list(got.rglob("run*.nii.gz"))) == len(SERIES)
    _assert_same_outputs(got, ref)


def test_dcm2bids_helper(dicom, converters, tmp_path):
    """dcm2bids_helper (dcm2niix -b y -ba y -z y -f '%3s_%f_%p_%t'): the same helper files."""
    helper = _tool("dcm2bids_helper")
    got, ref, logs = _both(tmp_path, converters, lambda out: [helper, "-d", str(dicom), "-o", str(out)])
    assert _converted_by(got, "medfast") and _converted_by(ref, "dcm2niix")
    assert len(list((got / "tmp_dcm2bids" / "helper").glob("*.nii.gz"))) == len(SERIES)
    _assert_same_outputs(got, ref)


def test_dcm2bids_one_series(dicom, converters, tmp_path):
    """dcm2bids with a one-series configuration: the series lands at its BIDS name, the rest stays aside."""
    dcm2bids = _tool("dcm2bids")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"descriptions": [{
        "datatype": "fmap", "suffix": "epi", "custom_entities": "dir-AP",
        "criteria": {"SeriesDescription": "EPI PE=AP"}}]}))
    got, ref, logs = _both(tmp_path, converters, lambda out: [
        dcm2bids, "-d", str(dicom), "-p", "01", "-c", str(config), "-o", str(out)])
    assert "dcm2niix version: v1.0.20260724" in logs["medfast"]  # dcm2bids read --version's last word
    assert (got / "sub-01" / "fmap" / "sub-01_dir-AP_epi.nii.gz").exists()
    assert _converted_by(got, "medfast") and _converted_by(ref, "dcm2niix")
    _assert_same_outputs(got, ref)
