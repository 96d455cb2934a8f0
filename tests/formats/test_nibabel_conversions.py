"""Every nibabel test image, through ``medfast.read`` + ``medfast.write``, to every writable format.

The written file is read back by an independent reader (nibabel for NIfTI and
MINC2, pynrrd for NRRD) and compared with what nibabel itself gives for the
source: the same voxels and the same voxel-to-world mapping. nibabel leaves a
MINC ``time`` dimension first; medfast puts it last, as NIfTI does, so the
comparison moves it.
"""
from __future__ import annotations

import warnings

import nibabel as nib
import nrrd
import numpy as np
import pytest
from fmt_samples import nibabel_data, nrrd_affine

import medfast

SOURCES = [
    "anatomical.nii", "functional.nii", "example4d.nii.gz", "example_nifti2.nii.gz", "standard.nii.gz",
    "reoriented_anat_moved.nii", "resampled_anat_moved.nii",
    "tiny.mnc", "minc1_1_scale.mnc", "minc1_4d.mnc", "minc1-no-att.mnc", "small.mnc", "minc2_1_scale.mnc",
    "minc2_4d.mnc", "minc2-4d-d.mnc", "minc2-no-att.mnc", "minc2_baddim.mnc",
    "phantom_EPI_asc_CLEAR_2_1.PAR", "phantom_varscale.PAR",
]
TARGETS = (".nii", ".nii.gz", ".hdr", ".nrrd", ".nhdr", ".nrrd.gz", ".mnc")


def _nibabel_view(path):
    """(values, affine) nibabel gives, time last."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        img = nib.load(path)
        data = img.get_fdata()
    if isinstance(img, nib.minc1.Minc1Image) and data.ndim == 4:
        data = np.moveaxis(data, 0, -1)
    return data, img.affine


def _read_written(path):
    """(values, affine) of a written file by its independent reader."""
    if str(path).endswith((".nrrd", ".nhdr", ".nrrd.gz")):
        data, header = nrrd.read(str(path))
        return data.astype(np.float64), nrrd_affine(header)
    return _nibabel_view(path)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("source", SOURCES)
def test_conversion_keeps_voxels_and_world_geometry(tmp_path, source, target):
    want, want_affine = _nibabel_view(nibabel_data(source))
    out = tmp_path / f"out{target}"
    medfast.write(medfast.read(nibabel_data(source)), out)
    got, got_affine = _read_written(out)
    assert got.shape == want.shape
    scale = max(1.0, float(np.nanmax(np.abs(want))) if want.size else 1.0)
    # NIfTI and MINC2 keep the stored integers with float32 (NIfTI) or float64 (MINC) scaling factors
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6 * scale)
    np.testing.assert_allclose(got_affine, want_affine, rtol=1e-6, atol=1e-4)


@pytest.mark.parametrize("name", ["nifti1.hdr", "nifti2.hdr", "analyze.hdr"])
def test_nibabel_headers_without_their_img_name_it(name):
    """nibabel ships these headers without their .img: medfast says which file is missing."""
    with pytest.raises(medfast.InvalidFileError, match=name.replace(".hdr", ".img")):
        medfast.read(nibabel_data(name))
