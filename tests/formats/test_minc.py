"""MINC: MINC2 written by medfast read by nibabel and SimpleITK with the same voxels and affine; bad files."""
from __future__ import annotations

import h5py
import nibabel as nib
import numpy as np
import pytest
from fmt_samples import OBLIQUE, nibabel_data, sample  # noqa: F401 - sample is a fixture

import medfast
from medfast.errors import InvalidFileError
from medfast.formats import minc2
from medfast.volume import Volume
from support import require_module


def _nibabel_view(vol):
    """What nibabel gives for a volume medfast wrote as MINC2: the same axes and affine, but time first."""
    want = np.moveaxis(vol.array, 3, 0) if vol.array.ndim == 4 else vol.array
    return want, vol.affine


def test_written_minc2_read_by_nibabel_and_medfast(tmp_path, sample):
    path = tmp_path / "a.mnc"
    medfast.write(sample, path)
    want, affine = _nibabel_view(sample)
    img = nib.load(path)
    assert isinstance(img, nib.Minc2Image)
    np.testing.assert_allclose(img.get_fdata(), want, rtol=1e-12, atol=1e-9)
    assert np.allclose(img.affine, affine)
    back = medfast.read(path)  # the volume itself: same axes, affine and time step
    np.testing.assert_allclose(back.array, sample.array, rtol=1e-12, atol=1e-9)
    assert back.shape == sample.shape and np.allclose(back.affine, sample.affine)
    if sample.stored.dtype.kind in "iu":  # integers are kept, scaling goes to image-min/max
        with h5py.File(path) as f:
            assert f["minc-2.0/image/0/image"].dtype == sample.stored.dtype


def test_written_minc2_read_by_simpleitk(tmp_path, sample):
    sitk = require_module("SimpleITK")
    path = tmp_path / "a.mnc"
    medfast.write(sample, path)
    img = sitk.ReadImage(str(path))
    # SimpleITK indexes k, j, i; it reads a MINC time axis as vector components (last)
    want = sample.array.T if sample.array.ndim == 3 else sample.array.transpose(2, 1, 0, 3)
    np.testing.assert_allclose(sitk.GetArrayFromImage(img), want, rtol=1e-6, atol=1e-4)
    # SimpleITK reports MINC geometry in MINC's own world frame (as it does for minc-tools files such as small.mnc)
    assert np.allclose(img.GetOrigin(), sample.affine[:3, 3])
    assert np.allclose(np.array(img.GetDirection()).reshape(3, 3) * img.GetSpacing(), sample.affine[:3, :3])


def test_simpleitk_convention_on_a_minc_tools_file():
    sitk = require_module("SimpleITK")
    path = nibabel_data("small.mnc")
    img, ref = sitk.ReadImage(path), nib.load(path)
    assert np.allclose(img.GetOrigin(), ref.affine[:3, 3])
    assert np.allclose(np.array(img.GetDirection()).reshape(3, 3) * img.GetSpacing(), ref.affine[:3, :3][:, ::-1])


def test_layout_has_full_minc2_attributes(tmp_path):
    vol = Volume(np.arange(60, dtype=np.int16).reshape(3, 4, 5), OBLIQUE, slope=2.0, inter=-7.0)
    minc2.write(vol, tmp_path / "a.mnc")
    with h5py.File(tmp_path / "a.mnc") as f:
        image = f["minc-2.0/image/0/image"]
        assert image.attrs["dimorder"] == b"xspace,yspace,zspace"
        assert list(image.attrs["valid_range"]) == [-32768.0, 32767.0]
        for name in ("xspace", "yspace", "zspace"):
            attrs = f[f"minc-2.0/dimensions/{name}"].attrs
            assert {"start", "step", "direction_cosines", "length"} <= set(attrs)
        assert f["minc-2.0/image/0/image-max"].shape == (3,)  # all but the two fastest dimensions
        assert np.allclose(f["minc-2.0/image/0/image-min"][()], 2.0 * -32768 - 7.0)


@pytest.mark.parametrize("dtype", ["u1", "<i2", ">i2"])
def test_compressed_minc2_bit_for_bit(tmp_path, dtype):
    vol = Volume(np.arange(7 * 9 * 11).reshape(7, 9, 11).astype(dtype), OBLIQUE)
    minc2.write(vol, tmp_path / "c.mnc", compression=4)  # deflate chunks: read by ISA-L, not h5py
    with h5py.File(tmp_path / "c.mnc", "r+") as f:
        assert f["minc-2.0/image/0/image"].compression == "gzip"
        f["minc-2.0/image/0/image-max"][...] = np.linspace(100.0, 900.0, 7)  # per-slice scaling
    want = nib.load(tmp_path / "c.mnc").get_fdata()
    got = medfast.read(tmp_path / "c.mnc").array
    assert got.shape == vol.shape
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_corrupt_compressed_chunk_names_file(tmp_path):
    vol = Volume(np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6), OBLIQUE)
    minc2.write(vol, tmp_path / "z.mnc", compression=4)
    with h5py.File(tmp_path / "z.mnc", "r+") as f:
        f["minc-2.0/image/0/image"].id.write_direct_chunk((0, 0, 0), b"not deflate data")
    with pytest.raises(InvalidFileError, match="z.mnc"):
        medfast.read(tmp_path / "z.mnc")


def test_per_slice_scaling_equals_nibabel_bit_for_bit(tmp_path):
    path = tmp_path / "s.mnc"
    minc2.write(Volume(np.arange(120, dtype=np.int16).reshape(4, 5, 6) - 60, OBLIQUE), path)
    with h5py.File(path, "r+") as f:
        f["minc-2.0/image/0/image-max"][...] = np.linspace(10.0, 2000.5, 4)
        f["minc-2.0/image/0/image-min"][...] = -np.linspace(3.3, 7.1, 4)
        f["minc-2.0/image/0/image"].attrs["valid_range"] = np.array([-50.0, 50.0])  # and some clipping
    want = nib.load(path).get_fdata()
    got = medfast.read(path).array
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()


def test_broken_minc2_names_file(tmp_path):
    path = tmp_path / "bad.mnc"
    with h5py.File(path, "w") as f:
        f.create_group("minc-2.0")
    with pytest.raises(InvalidFileError, match="bad.mnc"):
        medfast.read(path)
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)  # HDF5 magic, nothing else
    with pytest.raises(InvalidFileError, match="bad.mnc") as info:
        medfast.read(path)
    assert info.value.__cause__ is not None


def test_nifti_to_minc2_to_nifti(tmp_path):
    src = nibabel_data("anatomical.nii")
    medfast.write(medfast.read(src), tmp_path / "a.mnc")
    medfast.write(medfast.read(tmp_path / "a.mnc"), tmp_path / "b.nii")
    ref, back = nib.load(src), nib.load(tmp_path / "b.nii")
    np.testing.assert_allclose(back.get_fdata(), ref.get_fdata())
    assert np.allclose(back.affine, ref.affine)
    assert back.header.get_zooms() == ref.header.get_zooms()  # the time step too


def test_minc1_is_read_not_written(tmp_path):
    vol = medfast.read(nibabel_data("minc1_4d.mnc"))
    ref = nib.load(nibabel_data("minc1_4d.mnc"))  # nibabel leaves time first
    np.testing.assert_array_equal(vol.array, np.moveaxis(ref.get_fdata(), 0, -1))
    assert vol.time_step == 1.0  # the time dimension's step (nibabel's zooms lead with a spatial one)


def test_shape_larger_than_the_stored_data_fails_before_allocating(tmp_path, monkeypatch):
    path = tmp_path / "huge.mnc"
    minc2.write(Volume(np.zeros((4, 5, 6), np.int16), OBLIQUE), path)
    with h5py.File(path, "r+") as f:
        group = f["minc-2.0/image/0"]
        attrs = dict(group["image"].attrs)
        del group["image"]
        # a contiguous dataset with no data written: HDF5 allocates nothing on disk
        image = group.create_dataset("image", shape=(4000, 4000, 4000), dtype=np.int16)
        for key, value in attrs.items():
            image.attrs[key] = value
        for key in ("image-min", "image-max"):
            del group[key]
            group.create_dataset(key, data=np.zeros(4000))
            group[key].attrs["dimorder"] = b"xspace"
    monkeypatch.setattr(np, "empty", lambda *a, **k: pytest.fail("allocated"))
    with pytest.raises(InvalidFileError, match="huge.mnc"):
        medfast.read(path)
