"""save_nifti/save_image: byte identical to nibabel.save (.nii, pairs), same bytes inside .gz."""
import gzip
import os

import nibabel as nib
import numpy as np
import pytest

from medfast.formats._nibabel_save import save_image
from medfast.formats.nifti import save_nifti

AFFINE = np.array([[0.9, 0.1, 0, -90], [0.05, 1.1, 0.2, -100], [0, -0.1, 1.2, -50], [0, 0, 0, 1]])


def _images():
    rng = np.random.default_rng(1)
    out = []
    for dt in ("i2", "u1", "f4", ">i2", "i4", "f8"):
        a = rng.normal(0, 100, (7, 6, 5, 3)).astype(dt)
        out.append((f"{dt}-4d-C", nib.Nifti1Image(a, AFFINE)))
        out.append((f"{dt}-3d-F", nib.Nifti2Image(np.asfortranarray(a[..., 0]), AFFINE)))
    img = nib.Nifti1Image(rng.normal(0, 100, (7, 6, 5)), AFFINE)
    img.set_data_dtype(np.int16)  # nibabel computes scl_slope/scl_inter
    out.append(("float-to-int16", img))
    img = nib.Nifti1Image(rng.integers(-5, 5, (4, 4, 4)).astype(np.int16), AFFINE)
    img.header.set_slope_inter(0.5, -3)
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"comment"))
    out.append(("slope-and-extension", img))
    out.append(("analyze", nib.AnalyzeImage(rng.integers(0, 9, (3, 4, 5)).astype(np.uint8), AFFINE)))
    return out


def _contents(folder, prefix):
    got = {}
    for name in sorted(os.listdir(folder)):
        if name.startswith(prefix + "."):
            data = open(os.path.join(folder, name), "rb").read()
            got[name[len(prefix) :]] = gzip.decompress(data) if name.endswith(".gz") else data
    return got


@pytest.mark.parametrize("ext", [".nii", ".nii.gz", ".img", ".hdr.gz"])
@pytest.mark.parametrize(("label", "img"), _images(), ids=[label for label, _ in _images()])
def test_same_bytes_as_nibabel(tmp_path, label, img, ext):
    nib.save(img, tmp_path / f"a{ext}")
    save_nifti(img, tmp_path / f"b{ext}")
    want, got = _contents(tmp_path, "a"), _contents(tmp_path, "b")
    assert want and want.keys() == got.keys()
    for suffix in want:
        assert got[suffix] == want[suffix], suffix


def test_atomic_no_partial_file_on_error(tmp_path):
    class Boom:
        shape = (2, 2, 2)
        ndim = 3
        dtype = np.dtype(np.int16)

        def __array__(self, *args, **kwargs):
            raise RuntimeError("read failed")

    img = nib.Nifti1Image(np.zeros((2, 2, 2), np.int16), np.eye(4))
    img._dataobj = Boom()
    with pytest.raises(RuntimeError):
        save_image(img, tmp_path / "x.nii.gz")
    assert os.listdir(tmp_path) == []
