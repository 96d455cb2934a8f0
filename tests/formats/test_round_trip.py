"""Every writable format x every dtype x 3-D/4-D: read(write(v)) is v, and nibabel, pynrrd, SimpleITK agree.

Identity means the same shape, axis order, voxels, affine and time step. What
a format cannot hold is widened exactly and said so here: MINC2 keeps integers
up to 32 bits and writes 64-bit integers as float64; NRRD and MINC2 write
real-world values (NRRD has no scaling fields); NIfTI-1 keeps the affine in
float32; a 3-D NRRD has no place for a time step.
"""
from __future__ import annotations

import nibabel as nib
import nrrd
import numpy as np
import pytest
from fmt_samples import OBLIQUE, nrrd_affine

import medfast
from medfast.volume import Volume
from support import require_module

FORMATS = (".nii", ".nii.gz", ".hdr", ".nrrd", ".nhdr", ".nrrd.gz", ".mnc")
DTYPES = ("u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8")
#: An oblique affine without shear (a rotation times zooms): what every reader, ITK's included, represents exactly.
c, s = np.cos(0.3), np.sin(0.3)
ROTATED = np.array([[c * 0.9, -s * 1.1, 0.0, -90.5], [s * 0.9, c * 1.1, 0.0, 20.25], [0.0, 0.0, 1.5, -50.0],
                    [0.0, 0.0, 0.0, 1.0]])
LPS = np.diag([-1.0, -1.0, 1.0])


def _volume(dtype, ndim, affine=OBLIQUE):
    shape = (7, 6, 5, 3)[:ndim]
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    rng = np.random.default_rng(ndim)
    if info is None:
        data = (rng.normal(0, 1000, shape)).astype(dtype)
    else:  # the dtype's whole range, ends included
        data = rng.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)
        data.flat[:2] = info.min, info.max
    return Volume(data, affine, time_step=2.5, time_unit="s")


def _expected_dtype(fmt, dtype):
    if fmt == ".mnc" and np.dtype(dtype).itemsize == 8 and np.dtype(dtype).kind in "iu":
        return np.dtype(np.float64)
    return np.dtype(dtype)


def _writable(vol, fmt):
    """``vol``, or for MINC2 its 64-bit integers divided into float64's exact range (MINC2 has no 64-bit type)."""
    if fmt != ".mnc" or np.array_equal(vol.array.astype(np.float64).astype(vol.array.dtype), vol.array):
        return vol
    return Volume(vol.stored // 4096, vol.affine, time_step=vol.time_step)


@pytest.mark.parametrize("ndim", [3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_read_of_write_is_identity(tmp_path, fmt, dtype, ndim):
    vol = _volume(dtype, ndim)
    path = tmp_path / f"v{fmt}"
    if _writable(vol, fmt) is not vol:
        with pytest.raises(medfast.UnsupportedError, match="2\\*\\*53"):
            medfast.write(vol, path)
        vol = _writable(vol, fmt)
    medfast.write(vol, path)
    back = medfast.read(path)
    assert back.shape == vol.shape
    assert back.array.dtype == _expected_dtype(fmt, dtype)
    assert np.array_equal(back.array, vol.array)
    tol = {"rtol": 1e-6, "atol": 1e-4} if fmt.startswith((".nii", ".hdr")) else {"rtol": 1e-12, "atol": 1e-9}
    np.testing.assert_allclose(back.affine, vol.affine, **tol)
    if ndim == 4 or not fmt.startswith((".nrrd", ".nhdr")):
        assert back.time_step == vol.time_step


def test_scaled_integers_round_trip_as_values(tmp_path):
    vol = Volume(np.arange(-60, 60, dtype=np.int16).reshape(4, 5, 6), OBLIQUE, slope=0.5, inter=-20.0)
    for fmt in FORMATS:
        medfast.write(vol, tmp_path / f"s{fmt}")
        back = medfast.read(tmp_path / f"s{fmt}")
        np.testing.assert_allclose(back.array, vol.array, rtol=1e-12)
        if fmt.startswith((".nii", ".hdr", ".mnc")):  # stored integers kept, the scaling in the header
            assert back.stored.dtype == np.int16 and (back.slope, back.inter) == (0.5, -20.0)


def _world_check(got_affine, want_affine, fmt):
    tol = {"rtol": 1e-6, "atol": 1e-4} if fmt.startswith((".nii", ".hdr")) else {"rtol": 1e-9, "atol": 1e-9}
    np.testing.assert_allclose(got_affine, want_affine, **tol)


@pytest.mark.parametrize("ndim", [3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", [".nii", ".nii.gz", ".hdr", ".mnc"])
def test_nibabel_reads_the_same_voxels_in_world_space(tmp_path, fmt, dtype, ndim):
    vol = _writable(_volume(dtype, ndim), fmt)
    medfast.write(vol, tmp_path / f"v{fmt}")
    img = nib.load(tmp_path / f"v{fmt}")
    data = np.asanyarray(img.dataobj)
    if fmt == ".mnc" and ndim == 4:
        data = np.moveaxis(data, 0, -1)  # nibabel leaves MINC's time first
    assert np.array_equal(data, vol.array)
    _world_check(img.affine, vol.affine, fmt)
    if fmt != ".mnc" and ndim == 4:
        assert img.header.get_zooms()[3] == vol.time_step


@pytest.mark.parametrize("ndim", [3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", [".nrrd", ".nhdr", ".nrrd.gz"])
def test_pynrrd_reads_the_same_voxels_in_world_space(tmp_path, fmt, dtype, ndim):
    vol = _volume(dtype, ndim)
    medfast.write(vol, tmp_path / f"v{fmt}")
    data, header = nrrd.read(str(tmp_path / f"v{fmt}"))
    assert data.dtype == vol.array.dtype and np.array_equal(data, vol.array)
    _world_check(nrrd_affine(header), vol.affine, fmt)
    if ndim == 4:
        assert header["spacings"][3] == vol.time_step


@pytest.mark.parametrize("ndim", [3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", FORMATS)
def test_simpleitk_reads_the_same_voxels_in_world_space(tmp_path, fmt, dtype, ndim):
    sitk = require_module("SimpleITK")
    vol = _writable(_volume(dtype, ndim, ROTATED), fmt)
    medfast.write(vol, tmp_path / f"v{fmt}")
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(tmp_path / f"v{fmt}"))
    if fmt == ".nrrd.gz":
        reader.SetImageIO("NrrdImageIO")  # ITK picks its reader by the extension
    img = reader.Execute()
    got = sitk.GetArrayFromImage(img)
    # ITK indexes k, j, i; NIfTI's fourth axis is a fourth dimension, NRRD's list axis and MINC's time components
    nifti = fmt.startswith((".nii", ".hdr"))
    want = vol.array.T if ndim == 3 or nifti else vol.array.transpose(2, 1, 0, 3)
    if fmt == ".mnc" and np.dtype(dtype).kind in "iu":
        # ITK reads MINC integers (scaled by image-min/max) as float32; 64-bit ones are float64 in the file
        want = want.astype(np.float32 if np.dtype(dtype).itemsize < 8 else np.float64)
    assert got.dtype == want.dtype and np.array_equal(got, want)
    spatial = 3
    direction = np.array(img.GetDirection()).reshape(img.GetDimension(), -1)[:spatial, :spatial]
    rzs = direction * np.array(img.GetSpacing())[:spatial]
    origin = np.array(img.GetOrigin())[:spatial]
    # ITK's world is LPS; for MINC it reports MINC's own (RAS) frame, as it does for minc-tools files
    flip = np.eye(3) if fmt == ".mnc" else LPS
    _world_check(flip @ rzs, vol.affine[:3, :3], fmt)
    _world_check(flip @ origin, vol.affine[:3, 3], fmt)


@pytest.mark.parametrize("ndim", [3, 4])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fmt", [".nrrd", ".nhdr", ".nrrd.gz"])
def test_teem_reads_the_same_voxels(tmp_path, fmt, dtype, ndim):
    import subprocess

    from fmt_samples import unu

    vol = _volume(dtype, ndim)
    medfast.write(vol, tmp_path / f"v{fmt}")
    out = tmp_path / "unu.nrrd"
    subprocess.run([unu(), "save", "-f", "nrrd", "-e", "raw", "-en", "little", "-i", str(tmp_path / f"v{fmt}"),
                    "-o", str(out)], check=True, capture_output=True)
    data, header = nrrd.read(str(out))
    assert data.dtype == vol.array.dtype and np.array_equal(data, vol.array)
    _world_check(nrrd_affine(header), vol.affine, fmt)
    if ndim == 4:
        assert header["spacings"][3] == vol.time_step  # teem keeps the time axis' spacing
