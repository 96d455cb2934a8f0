"""PAR/REC: same shape, volume order, per-slice scaling and affine as nibabel, on every PAR in nibabel's data."""
from __future__ import annotations

import glob
import os
import shutil

import nibabel as nib
import numpy as np
import pytest
from fmt_samples import nibabel_data

import medfast
from medfast.errors import InvalidFileError
from medfast.formats import parrec


def _loadable_pars():
    out = []
    for par in sorted(glob.glob(nibabel_data("*.PAR"))):
        try:
            nib.parrec.PARRECHeader.from_fileobj(open(par))
        except Exception:  # noqa: BLE001 - nibabel's own test files include broken headers
            continue
        out.append(os.path.basename(par))
    return out


@pytest.mark.parametrize("scaling", ["dv", "fp"])
@pytest.mark.parametrize("name", _loadable_pars())
def test_same_as_nibabel(tmp_path, name, scaling):
    """Every loadable PAR header, with a REC of random stored values when nibabel ships none."""
    par = tmp_path / name
    shutil.copy(nibabel_data(name), par)
    rec = nibabel_data(name[:-4] + ".REC")
    header = nib.parrec.PARRECHeader.from_fileobj(open(par))
    if os.path.exists(rec):
        shutil.copy(rec, par.with_suffix(".REC"))
    else:
        count = int(np.prod(header.get_rec_shape()))
        values = np.random.default_rng(len(name)).integers(0, 4000, count).astype(header.get_data_dtype())
        values.tofile(par.with_suffix(".REC"))
    try:
        want = nib.parrec.load(str(par), scaling=scaling)
    except nib.parrec.PARRECError:  # nibabel refuses it: medfast must too, as its own error
        with pytest.raises(InvalidFileError, match=name):
            parrec.read(par, scaling=scaling)
        return
    vol = parrec.read(par, scaling=scaling)
    assert vol.shape == want.shape
    assert np.array_equal(vol.affine, want.affine)
    expected = want.get_fdata()
    got = vol.array
    # per-slice scaling is float64 as in nibabel; uniform scaling may keep an exact integer dtype
    assert got.dtype == expected.dtype or (vol.slope, vol.inter) == (1.0, 0.0) or got.dtype.kind in "iu"
    np.testing.assert_array_equal(got, expected)


def test_medfast_read_sniffs_rec(tmp_path):
    vol = medfast.read(nibabel_data("phantom_varscale.REC"))
    assert np.array_equal(vol.array, nib.load(nibabel_data("phantom_varscale.PAR")).get_fdata())


def test_short_rec_fails_before_allocating(tmp_path, monkeypatch):
    par = tmp_path / "p.PAR"
    shutil.copy(nibabel_data("phantom_varscale.PAR"), par)
    (tmp_path / "p.REC").write_bytes(b"\0" * 100)
    monkeypatch.setattr(np, "empty", lambda *a, **k: pytest.fail("allocated"))
    with pytest.raises(InvalidFileError, match="p.REC"):
        parrec.read(par)


def test_broken_par_names_file():
    with pytest.raises(InvalidFileError, match="phantom_truncated.PAR") as info:
        medfast.read(nibabel_data("phantom_truncated.PAR"))
    assert info.value.__cause__ is not None


def test_par_to_nifti(tmp_path):
    vol = medfast.read(nibabel_data("phantom_EPI_asc_CLEAR_2_1.PAR"))
    medfast.write(vol, tmp_path / "p.nii.gz")
    back = nib.load(tmp_path / "p.nii.gz")
    want = nib.load(nibabel_data("phantom_EPI_asc_CLEAR_2_1.PAR"))
    np.testing.assert_allclose(back.get_fdata(), want.get_fdata(), rtol=1e-6)
    assert np.allclose(back.affine, want.affine, atol=1e-4)
