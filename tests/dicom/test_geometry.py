"""Geometry of generated CT series against the dcm2niix command run on the same files (the oracle).

Each case writes a CT series with pydicom (medfast.synth), then edits the
positions or the scaling: shuffled file names, gantry tilt, uneven spacing, a
missing slice, slopes that vary between slices. read_dicom must give the array
and affine of the NIfTI dcm2niix writes first (its extra ``_Tilt``/``_Eq``
resampled copies are not read_dicom's business).
"""
from __future__ import annotations

import os

import numpy as np
import pytest

import medfast
from medfast.dicom import geometry
from support import dcm2niix_oracle


def write_case(folder, *, n=8, z=None, shear_mm=0.0, slopes=None, drop=(), oblique=False, seed=0):
    """A generated CT series with edited positions, orientation or slopes; returns its folder."""
    import pydicom

    from medfast.synth import write_ct_series

    paths = write_ct_series(folder, shape=(24, 20, n), spacing=(0.8, 0.7, 2.0), shuffle_names=True, seed=seed)
    for k, path in enumerate(paths):
        if k in drop:
            os.remove(path)
            continue
        ds = pydicom.dcmread(path)
        ipp = [float(v) for v in ds.ImagePositionPatient]
        if z is not None:
            ipp[2] = z[k]
        ipp[1] += shear_mm * k
        if oblique:  # rotate about x by 20 degrees: rows tilt, positions follow the normal
            c, s = np.cos(np.radians(20)), np.sin(np.radians(20))
            ds.ImageOrientationPatient = [1, 0, 0, 0, round(c, 6), round(-s, 6)]
            ipp = [ipp[0], ipp[1] * c + ipp[2] * s, -ipp[1] * s + ipp[2] * c]
        ds.ImagePositionPatient = [round(v, 4) for v in ipp]
        if slopes is not None:
            ds.RescaleSlope = slopes[k]
        ds.save_as(path)
    return folder


CASES = {
    "shuffled": {},
    "oblique": {"oblique": True},
    "gantry_tilt": {"shear_mm": 0.5},
    "uneven": {"z": [0, 2, 4, 6, 9, 12, 15, 18]},
    "missing_slice": {"drop": (4,)},
    "slope_varies": {"slopes": [1, 1, 2, 1, 0.5, 1, 1, 1]},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_ct_matches_dcm2niix(tmp_path, case):
    folder = write_case(tmp_path / "in", **CASES[case])
    ref = dcm2niix_oracle(folder, tmp_path / "out")
    [vol] = medfast.read_dicom(folder)
    assert vol.shape == ref.shape
    np.testing.assert_allclose(vol.affine, ref.affine, atol=1e-4, rtol=0)
    expected = ref.get_fdata()
    np.testing.assert_allclose(vol.array, expected, rtol=0, atol=1e-6 * np.abs(expected).max())
    assert vol.array.dtype == (np.float32 if case == "slope_varies" else np.int16)


def test_irregular_geometry_is_reported(tmp_path):
    [tilted] = medfast.read_dicom(write_case(tmp_path / "t", shear_mm=0.5))
    assert tilted.meta["gantry_tilt"] == pytest.approx(np.degrees(np.arctan2(0.5, 2.0)), abs=1e-3)
    assert any("tilt" in w for w in tilted.meta["warnings"])
    [gap] = medfast.read_dicom(write_case(tmp_path / "m", drop=(4,)))
    assert gap.meta["uneven_spacing"] and gap.meta["missing_slices"] == 1
    assert any("missing" in w for w in gap.meta["warnings"])
    [uneven] = medfast.read_dicom(write_case(tmp_path / "u", z=[0, 2, 4, 6, 9, 12, 15, 18]))
    assert uneven.meta["uneven_spacing"] and uneven.meta["missing_slices"] == 0
    [plain] = medfast.read_dicom(write_case(tmp_path / "p"))
    assert plain.meta["warnings"] == [] and plain.meta["slice_spacing"] == pytest.approx(2.0)


def test_affine_flips_rows_and_converts_lps_to_ras():
    class S:  # the fields affine() reads
        iop, spacing, between, thickness, enhanced, mosaic = (1, 0, 0, 0, 1, 0), (0.5, 0.7), None, 2.0, False, None

    a, b = S(), S()
    a.ipp, b.ipp = np.array([-10.0, 20.0, 30.0]), np.array([-10.0, 20.0, 32.0])
    aff = geometry.affine([a, b], rows=4)
    # i: +x LPS -> -x RAS; j: reversed rows, +y LPS -> +y RAS after the flip; origin at the last row
    np.testing.assert_allclose(aff, [[-0.7, 0, 0, 10], [0, 0.5, 0, -21.5], [0, 0, 2, 30], [0, 0, 0, 1]])


def _affines(n, seed=0):
    """Oblique, near-permutation, exact-permutation and collapsed affines, each with a translation."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        kind, m = i % 4, rng.normal(size=(3, 3))
        if kind in (1, 2):
            perm, signs, zooms = rng.permutation(3), rng.choice([-1, 1], 3), rng.uniform(0.1, 5, 3)
            m = np.eye(3)[perm] * signs[:, None] * zooms + (rng.normal(scale=0.05, size=(3, 3)) if kind == 1 else 0)
        elif kind == 3:
            m[:, rng.integers(3)] = 0
        aff = np.eye(4)
        aff[:3, :3], aff[:3, 3] = m, rng.normal(scale=100, size=3)
        yield aff, tuple(int(v) for v in rng.integers(1, 9, 3))


def test_closest_canonical_equals_nibabel_bit_for_bit():
    from nibabel.orientations import apply_orientation, inv_ornt_aff, io_orientation

    reoriented = 0
    for aff, shape in _affines(4000):
        want = io_orientation(aff)
        assert np.array_equal(geometry.closest_axes(aff), want, equal_nan=True)
        if np.isnan(want).any():
            continue
        arr = np.arange(np.prod(shape)).reshape(shape)
        got, got_aff = geometry.to_closest_canonical(arr, aff)
        want_aff = aff if (want == [[0, 1], [1, 1], [2, 1]]).all() else aff @ inv_ornt_aff(want, shape)
        assert got_aff.tobytes() == want_aff.tobytes()
        assert np.array_equal(got, apply_orientation(arr, want))
        reoriented += got_aff is not aff
    assert reoriented > 2000
