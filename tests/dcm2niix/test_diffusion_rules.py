"""dcm2niix's b-value/b-vector files for series without diffusion weighting, each case against the dcm2niix package.

dcm2niix writes ``.bval``/``.bvec`` files of zeros ("diffusion image without
gradients") for a diffusion series whose images carry no b-value but 0, and
nothing for other series: the cases below pin which series get the zeros.
"""
from __future__ import annotations


import pytest

from vendor_series import against_dcm2niix, assert_same, private, vendor_series

DIFFUSION_TYPE = ["ORIGINAL", "PRIMARY", "DIFFUSION", "NONE"]


def _siemens(image_type, *, b=None):
    def edit(ds, t, k):
        ds.Manufacturer, ds.ImageType = "SIEMENS", image_type
        if b is not None:
            private(ds, 0x0019, "SIEMENS MR HEADER", {0x0C: ("IS", b(t))})
    return edit


def _ge(sequence, b):
    def edit(ds, t, k):
        ds.Manufacturer = "GE MEDICAL SYSTEMS"
        private(ds, 0x0019, "GEMS_ACQU_01", {0x9C: ("LO", sequence)})
        private(ds, 0x0043, "GEMS_PARM_01", {0x39: ("IS", [b(t), 0, 0, 0])})
    return edit


def _acquisition_contrast(ds, t, k):
    ds.Manufacturer = "Philips Medical Systems"
    ds.AcquisitionContrast = "DIFFUSION"


@pytest.mark.parametrize(("edit", "written"), [
    (_siemens(DIFFUSION_TYPE), True),  # diffusion by ImageType, no b-value at all
    (_siemens(DIFFUSION_TYPE, b=lambda t: 0), True),  # every b-value 0
    (_siemens(["ORIGINAL", "PRIMARY", "M", "ND"]), False),  # not a diffusion series
    (_siemens(["DERIVED", "PRIMARY", "DIFFUSION", "NONE"]), False),  # derived
    (_siemens(["original", "primary", "diffusion", "none"]), False),  # dcm2niix's test is case-sensitive
    (_acquisition_contrast, True),
    (_ge("epi2", lambda t: 0), True),  # spin-echo EPI with b = 0
    (_ge("epi", lambda t: 0), False),  # a GE b-value outside epi2 is not diffusion
    (_ge("epi2", lambda t: [0, 1000, 1000][t]), True),  # weighted: no zeros, but GE b>0 without vector is b=0
])
def test_unweighted_diffusion_series(tmp_path, edit, written):
    """Gradient files (zeros, with dcm2niix's trailing spaces) exactly where dcm2niix writes them, byte for byte."""
    vendor_series(tmp_path / "in", edit)
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert_same(score)
    _same_gradient_files(tmp_path / "work", written)


@pytest.mark.parametrize("directions", [None, 0, 6])
def test_ge_volumes_with_b_value_but_no_vector(tmp_path, directions):
    """GE: b>0 without a vector is a b=0 image, or a trace moved to ``_ADC`` when the series has no directions."""
    def edit(ds, t, k):
        _ge("epi2", lambda t: [0, 1000, 1000, 1000][t])(ds, t, k)
        vector = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]][t]
        private(ds, 0x0019, "GEMS_ACQU_01", {0xBB: ("DS", vector[0]), 0xBC: ("DS", vector[1]), 0xBD: ("DS", vector[2])}
                | ({} if directions is None else {0xE0: ("DS", directions)}))
    vendor_series(tmp_path / "in", edit, shape=(16, 12, 3, 4))
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert_same(score)
    _same_gradient_files(tmp_path / "work", True)


@pytest.mark.parametrize("b", [0, 1000])
def test_one_diffusion_image_gets_zeros_whatever_its_b_value(tmp_path, b):
    """A single file: dcm2niix reads no gradient from it and writes the zeros even at b = 1000."""
    vendor_series(tmp_path / "all", _ge("epi2", lambda t: b), shape=(16, 12, 1, 1))
    score = against_dcm2niix(tmp_path / "all", tmp_path / "work")
    assert_same(score)
    _same_gradient_files(tmp_path / "work", True)


def test_no_gradients_without_position(tmp_path):
    """dcm2niix writes no gradient files for images without a position, diffusion or not."""
    def edit(ds, t, k):
        _siemens(DIFFUSION_TYPE)(ds, t, k)
        del ds.ImagePositionPatient
    vendor_series(tmp_path / "in", edit, shape=(16, 12, 1, 3))
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert_same(score)
    _same_gradient_files(tmp_path / "work", False)


def _same_gradient_files(work, written):
    ref = sorted(p.name for p in (work / "ref").glob("*.bv*"))
    got = sorted(p.name for p in (work / "got").glob("*.bv*"))
    assert got == ref and bool(ref) == written, (ref, got)
    for name in ref:
        assert (work / "got" / name).read_bytes() == (work / "ref" / name).read_bytes(), name


