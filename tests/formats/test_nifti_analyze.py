"""NIfTI and Analyze through medfast.read/write: same values and affine as nibabel, both directions."""
from __future__ import annotations

import gzip

import nibabel as nib
import numpy as np
import pytest
from fmt_samples import OBLIQUE, sample  # noqa: F401 - sample is a fixture

import medfast
from medfast.formats import nifti
from medfast.volume import Volume


@pytest.mark.parametrize("ext", [".nii", ".nii.gz", ".img", ".hdr.gz"])
def test_written_nifti_read_by_nibabel(tmp_path, sample, ext):
    path = tmp_path / f"a{ext}"
    medfast.write(sample, path)
    img = nib.load(path)
    assert isinstance(img, nib.Nifti1Pair if ext in (".img", ".hdr.gz") else nib.Nifti1Image)
    assert img.get_data_dtype() == sample.stored.dtype  # stored integers kept, scaling in scl_*
    assert (float(img.dataobj.slope), float(img.dataobj.inter)) == (sample.slope, sample.inter)
    np.testing.assert_allclose(img.get_fdata(), sample.array, rtol=1e-7)
    assert np.allclose(img.affine, sample.affine)
    back = medfast.read(path)
    np.testing.assert_allclose(back.array, sample.array, rtol=1e-7)
    assert np.allclose(back.affine, sample.affine)


@pytest.mark.parametrize("dtype", ["<i2", ">i2", "u1", ">f4", "<f8", ">i4", "<c8"])
@pytest.mark.parametrize("ext", [".nii", ".nii.gz", ".img"])
def test_nibabel_written_read_by_medfast(tmp_path, dtype, ext):
    rng = np.random.default_rng(5)
    data = (rng.normal(0, 50, (6, 7, 8)) * (1 + 1j if dtype == "<c8" else 1)).astype(dtype)
    img = nib.Nifti1Image(data, OBLIQUE)
    nib.save(img, tmp_path / f"a{ext}")
    vol = medfast.read(tmp_path / f"a{ext}")
    want = np.asanyarray(nib.load(tmp_path / f"a{ext}").dataobj)
    assert vol.stored.dtype == want.dtype.newbyteorder("=") and vol.stored.dtype.isnative
    assert np.array_equal(vol.array, want)
    assert np.array_equal(vol.affine, nib.load(tmp_path / f"a{ext}").affine)


def _MIRROR_X(n):  # noqa: N802 - a matrix
    flip = np.eye(4)
    flip[0, 0], flip[0, 3] = -1.0, n - 1
    return flip


def test_analyze_format_round_trip(tmp_path, sample):
    if sample.array.ndim == 4:
        sample = Volume(sample.stored[..., 0], sample.affine, slope=sample.slope, inter=sample.inter)
    # Analyze holds zooms, an x flip and a whole-voxel origin (SPM's int16 field), no rotation
    affine = np.diag([-1.0, 2.0, 3.0, 1.0])
    affine[:3, 3] = [4.0, -6.0, -9.0]  # world (0, 0, 0) inside the image, where SPM accepts an origin
    vol = Volume(sample.stored, affine, slope=sample.slope, inter=sample.inter)
    medfast.write(vol, tmp_path / "a.img", format="analyze")
    medfast.write(Volume(vol.stored[::-1], affine @ _MIRROR_X(vol.shape[0])), tmp_path / "m.img", format="analyze")
    mirrored = nib.load(tmp_path / "m.img")  # an i axis running left to right is mirrored on disk, same anatomy
    assert np.allclose(mirrored.affine, affine)
    assert np.array_equal(mirrored.get_fdata(), vol.stored.astype(float))
    header = (tmp_path / "a.hdr").read_bytes()
    assert header[344:348] not in (b"ni1\0", b"n+1\0") and len(header) == 348
    assert medfast.formats.sniff(tmp_path / "a.img") == "analyze"
    img = nib.load(tmp_path / "a.hdr")
    np.testing.assert_allclose(img.get_fdata(), vol.array, rtol=1e-6)
    assert np.allclose(img.affine, affine)
    back = medfast.read(tmp_path / "a.img")
    np.testing.assert_allclose(back.array, vol.array, rtol=1e-6)
    assert np.allclose(back.affine, affine)


def test_nifti2_and_header_kept_through_volume(tmp_path):
    img = nib.Nifti2Image(np.arange(24, dtype=np.int16).reshape(2, 3, 4), OBLIQUE)
    img.header["descrip"] = b"kept"
    img.header.set_qform(OBLIQUE, code=2)
    nib.save(img, tmp_path / "n2.nii")
    vol = medfast.read(tmp_path / "n2.nii")
    assert vol.nifti_fields["qform_code"] == 2 and vol.nifti_fields["descrip"] == "kept"
    medfast.write(vol, tmp_path / "out.nii.gz")
    back = nib.load(tmp_path / "out.nii.gz")
    assert np.array_equal(back.get_fdata(), img.get_fdata())
    assert int(back.header["qform_code"]) == 2 and back.header["descrip"].item() == b"kept"


def test_gzip_output_is_deterministic(tmp_path):
    vol = Volume(np.arange(1000, dtype=np.int16).reshape(10, 10, 10), OBLIQUE)
    medfast.write(vol, tmp_path / "a.nii.gz")
    medfast.write(vol, tmp_path / "b.nii.gz")
    assert (tmp_path / "a.nii.gz").read_bytes() == (tmp_path / "b.nii.gz").read_bytes()
    assert gzip.decompress((tmp_path / "a.nii.gz").read_bytes())[:4] == (348).to_bytes(4, "little")


def test_to_nibabel_keeps_stored_and_scaling():
    vol = Volume(np.ones((2, 2, 2), np.uint8), OBLIQUE, slope=3.0, inter=1.0)
    img = nifti.to_nibabel(vol)
    assert img.get_data_dtype() == np.uint8 and img.header.get_slope_inter() == (3.0, 1.0)
