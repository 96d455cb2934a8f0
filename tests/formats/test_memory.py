"""Peak memory: reading through medfast allocates no more than the anchor on the same file (tracemalloc sees NumPy)."""
from __future__ import annotations

import tracemalloc

import nibabel as nib
import nrrd
import numpy as np
import pytest

import medfast
from medfast.formats import minc2
from medfast.volume import Volume


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("memory")
    n = 96
    x = np.linspace(0, 6, n)
    smooth = 1000 * np.sin(x)[:, None, None] * np.cos(x)[None, :, None] * np.cos(x / 2)[None, None, :]
    stored = np.asfortranarray(smooth.astype(np.int16))
    img = nib.Nifti1Image(stored, np.eye(4))
    img.header.set_slope_inter(0.7, -3.5)
    out = {}
    for ext in ("nii", "nii.gz"):
        out[ext] = str(folder / f"v.{ext}")
        nib.save(img, out[ext])
    out["mnc"] = str(folder / "v.mnc")
    minc2.write(Volume(stored, np.eye(4), slope=0.7, inter=-3.5), out["mnc"])
    out["nrrd"] = str(folder / "v.nrrd")
    nrrd.write(out["nrrd"], stored, {"encoding": "gzip"})
    return out


def _peak(func):
    tracemalloc.start()
    try:
        result = func()
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("ext", ["nii", "nii.gz", "mnc"])
def test_read_peak_at_most_nibabel(files, ext):
    path = files[ext]
    ours, got = _peak(lambda: medfast.read(path).array)
    theirs, want = _peak(lambda: nib.load(path).get_fdata())
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert ours <= theirs, (ours, theirs)


@pytest.mark.parametrize("ext", ["nii", "nii.gz"])
def test_accelerated_load_peak_at_most_nibabel(files, ext):
    path = files[ext]
    ours, got = _peak(lambda: medfast.load(path).get_fdata())
    theirs, want = _peak(lambda: nib.load(path).get_fdata())
    assert got.tobytes() == want.tobytes()
    assert ours <= theirs, (ours, theirs)


def test_nrrd_peak_at_most_pynrrd(files):
    ours, got = _peak(lambda: medfast.read(files["nrrd"]).array)
    theirs, want = _peak(lambda: nrrd.read(files["nrrd"])[0])
    assert np.array_equal(got, want)
    assert ours <= theirs, (ours, theirs)
