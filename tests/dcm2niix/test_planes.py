"""Diffusion series in every plane and patient position, compared with the dcm2niix package.

The vectors (0018,9087/9089, Philips' (2001,1003)) go through each vendor's
rule; the plane decides the slice axis, the flip of a stack stored against it
and, for GE and Canon, the axes the vectors are turned by. UIH's vector is
private: dcm2niix reads its b-value from the public tag and no vector.
"""
from __future__ import annotations

import pytest

from medfast.synth import write_mr_series
from test_philips import assert_same_as_dcm2niix

PLANES = {  # ImageOrientationPatient, step between slices (mm)
    "sagittal_right_to_left": ([0, 1, 0, 0, 0, -1], (-3.0, 0, 0)),
    "coronal_front_to_back": ([1, 0, 0, 0, 0, -1], (0, 3.0, 0)),
    "axial_top_down": ([1, 0, 0, 0, 1, 0], (0, 0, -3.0)),
    "sagittal_yawed": ([0.34, 0.94, 0, 0, 0, -1], (2.82, -1.02, 0)),
}
VENDORS = {
    "siemens_xa": dict(Manufacturer="SIEMENS", SoftwareVersions="syngo MR XA30",
                       ImageType=["ORIGINAL", "PRIMARY", "DIFFUSION", "NONE"]),
    "philips": dict(Manufacturer="Philips Medical Systems", SoftwareVersions="5.6.1"),
    "uih": dict(Manufacturer="UIH", SoftwareVersions="R001"),
    "canon": dict(Manufacturer="CANON_MEC", SoftwareVersions="V6.0"),
}
VECTORS = [(0, 0, 0), (1, 0, 0), (0, 0.6, 0.8), (0.48, 0.6, 0.64), (-0.6, 0.8, 0)]


def _dwi(folder, vendor, plane, position, phase):
    orientation, step = PLANES[plane]

    def edit(t, k, ds):
        ds.ImageOrientationPatient = orientation
        ds.ImagePositionPatient = [10.0 + k * step[0], -20.0 + k * step[1], 30.0 + k * step[2]]
        b = 0.0 if t == 0 else 1000.0
        ds.add_new((0x0018, 0x9087), "FD", b)
        ds.add_new((0x0018, 0x9089), "FD", [float(x) for x in VECTORS[t]])
        if vendor == "philips":
            ds.add_new((0x2001, 0x0010), "LO", "Philips Imaging DD 001")
            ds.add_new((0x2001, 0x1003), "FL", b)

    extra = dict(VENDORS[vendor], PatientPosition=position, InPlanePhaseEncodingDirection=phase)
    write_mr_series(folder, shape=(12, 10, 5, len(VECTORS)), extra=extra, per_slice=edit)


@pytest.mark.parametrize("vendor", sorted(VENDORS))
@pytest.mark.parametrize("plane, position, phase", [
    ("sagittal_right_to_left", "HFS", "COL"), ("coronal_front_to_back", "HFDR", "ROW"),
    ("axial_top_down", "FFS", "COL"), ("sagittal_yawed", "HFP", "ROW"),
])
def test_dwi_in_every_plane(tmp_path, vendor, plane, position, phase):
    """Same NIfTI, bval/bvec and sidecar as dcm2niix, whatever the plane, the position and the phase axis."""
    _dwi(tmp_path / "in", vendor, plane, position, phase)
    score = assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert score.grad == 2
