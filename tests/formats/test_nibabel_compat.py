"""medfast.load / medfast.accelerate: nibabel's own classes, values and dtypes bit for bit."""
from __future__ import annotations

import glob
import os

import nibabel as nib
import numpy as np
import pydicom
import pytest
from fmt_samples import OBLIQUE, nibabel_data

import medfast
from medfast import nibabel_compat


def _nifti_like_files():
    names = sorted(glob.glob(nibabel_data("*.nii")) + glob.glob(nibabel_data("*.nii.gz")))
    return [os.path.basename(n) for n in names]


def _assert_same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert a.tobytes(order="A") == b.tobytes(order="A") and a.flags.f_contiguous == b.flags.f_contiguous


@pytest.mark.parametrize("name", _nifti_like_files())
def test_load_equals_nibabel_bit_for_bit(name):
    path = nibabel_data(name)
    want, got = nib.load(path), medfast.load(path)
    assert type(got) is type(want)
    assert type(got.dataobj).__name__ == "FastArrayProxy" and got.dataobj.is_proxy
    assert got.shape == want.shape and got.dataobj.dtype == want.dataobj.dtype
    _assert_same(got.get_fdata(), want.get_fdata())
    _assert_same(np.asarray(got.dataobj), np.asarray(want.dataobj))
    _assert_same(got.get_fdata(dtype=np.float32), want.get_fdata(dtype=np.float32))
    slicer = (slice(1, 3),) + (Ellipsis,)
    _assert_same(np.asarray(got.dataobj[slicer]), np.asarray(want.dataobj[slicer]))


@pytest.mark.parametrize("ext", [".nii", ".nii.gz", ".img"])
@pytest.mark.parametrize(
    ("dtype", "slope", "inter"),
    [("<i2", 0.7, -3.5), (">i2", 2.0, 0.0), ("u1", 1.0, 10.0), ("<f4", 1.5, 0.25), (">f8", 1.0, 0.0), ("<i4", np.nan, np.nan)],
)
def test_scaled_files_bit_for_bit(tmp_path, ext, dtype, slope, inter):
    rng = np.random.default_rng(1)
    img = nib.Nifti1Image(rng.integers(-100, 100, (70, 65, 33)).astype(dtype), OBLIQUE)
    img.header.set_slope_inter(slope, inter)
    path = tmp_path / f"a{ext}"
    nib.save(img, path)
    want, got = nib.load(path), medfast.load(path)
    for dt in (None, np.float32, np.float64):
        _assert_same(np.asarray(got.dataobj, dtype=dt), np.asarray(want.dataobj, dtype=dt))
    _assert_same(got.get_fdata(), want.get_fdata())


@pytest.mark.parametrize(
    "name", ["phantom_varscale.PAR", "phantom_EPI_asc_CLEAR_2_1.PAR", "small.mnc", "minc2_4d.mnc", "minc2-no-att.mnc", "tiny.mnc"]
)
def test_parrec_and_minc_load_equal_nibabel(name):
    path = nibabel_data(name)
    want, got = nib.load(path), medfast.load(path)
    assert type(got) is type(want)
    for dtype in (None, np.float32):
        a, b = np.asarray(got.dataobj, dtype=dtype), np.asarray(want.dataobj, dtype=dtype)
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    fa, fb = got.get_fdata(), want.get_fdata()
    assert fa.dtype == fb.dtype and np.array_equal(fa, fb)  # the same float64 values (memory layout may differ)
    assert np.array_equal(np.array(got.dataobj, copy=True), np.array(want.dataobj, copy=True))  # NumPy 2's copy=
    assert np.array_equal(np.float32(got.dataobj), np.float32(want.dataobj))
    sliced = (0, Ellipsis)
    assert np.array_equal(got.dataobj[sliced], want.dataobj[sliced])
    if not name.startswith("tiny"):  # MINC1 stays nibabel's
        assert type(got.dataobj).__name__.startswith("Fast")


def test_accelerate_patches_nibabel_and_pydicom():
    from pydicom.data import get_testdata_file

    try:
        medfast.accelerate()
        assert nib.load is nibabel_compat.load
        img = nib.load(nibabel_data("example4d.nii.gz"))
        assert type(img.dataobj).__name__ == "FastArrayProxy"
        ds = pydicom.dcmread(get_testdata_file("MR_small_RLE.dcm"))
        arr = ds.pixel_array
        assert ds.pixel_array is arr  # pydicom's cache is kept
        ref = pydicom.dcmread(get_testdata_file("MR_small.dcm")).pixel_array
        assert arr.dtype == ref.dtype and np.array_equal(arr, ref)
    finally:
        nibabel_compat.deaccelerate()
    assert nib.load is not nibabel_compat.load
    assert type(nib.load(nibabel_data("example4d.nii.gz")).dataobj).__name__ == "ArrayProxy"


def test_accelerated_pixel_array_respects_user_options():
    from pydicom.data import get_testdata_file

    try:
        medfast.accelerate()
        ds = pydicom.dcmread(get_testdata_file("SC_rgb_small_odd_jpeg.dcm"))
        ds.pixel_array_options(as_rgb=False)
        arr = ds.pixel_array
    finally:
        nibabel_compat.deaccelerate()
    plain = pydicom.dcmread(get_testdata_file("SC_rgb_small_odd_jpeg.dcm"))
    plain.pixel_array_options(as_rgb=False)
    assert np.array_equal(arr, plain.pixel_array)


def test_truncated_file_raises_medfast_error_naming_it(tmp_path):
    img = nib.Nifti1Image(np.ones((20, 20, 20), np.int16), np.eye(4))
    img.header.set_slope_inter(2.0, 1.0)
    nib.save(img, tmp_path / "t.nii")
    data = (tmp_path / "t.nii").read_bytes()
    (tmp_path / "t.nii").write_bytes(data[:-100])
    with pytest.raises(medfast.InvalidFileError, match="t.nii"):
        medfast.load(tmp_path / "t.nii").get_fdata()
