"""Canon/Toshiba and UIH rules of dcm2niix on synthesised series, compared with the dcm2niix package.

UIH private tags live in group 0065 (creator "Image Private Header"):
displayed phase direction, parallel factor, phase polarity, diffusion
b-value and direction. Canon and Toshiba classic MR use public tags.
"""
from __future__ import annotations

import pytest

from vendor_series import against_dcm2niix, assert_same, private, vendor_series

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

VECTORS = [(0, 0, 0), (1, 0, 0), (0, 0.6, 0.8), (0, 0, 1)]


def uih_edit(sequence="epi_dyn", acquisition="2D", polarity="1", diffusion=False, accel="F:2S"):
    def edit(ds, t, k):
        ds.Manufacturer, ds.ManufacturerModelName, ds.SoftwareVersions = "UIH", "uMR 790", "R004"
        ds.InPlanePhaseEncodingDirection = "COL"
        ds.AcquisitionMatrix = [0, 16, 12, 0]
        ds.SequenceName, ds.MRAcquisitionType = sequence, acquisition
        ds.EchoTrainLength, ds.PixelBandwidth, ds.AcquisitionDuration = 12, 2200, 31.5
        tags = {0x05: ("SH", "A>>P"), 0x0D: ("SH", accel), 0x58: ("IS", polarity)}
        if diffusion:
            tags.update({0x09: ("FD", [0.0 if t == 0 else 1000.0]), 0x37: ("FD", [float(v) for v in VECTORS[t]])})
        private(ds, 0x0065, "Image Private Header", tags)
    return edit


def _check(tmp_path, edit, shape):
    vendor_series(tmp_path / "in", edit, shape=shape)
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert_same(score)
    return score


@pytest.mark.parametrize("polarity", ["0", "1"])
def test_uih_fmri_keys(tmp_path, polarity):
    """PhaseEncodingDirectionDisplayed, the factor after ':', polarity (0065,1058), readout from AcquisitionDuration."""
    _check(tmp_path, uih_edit(polarity=polarity), (16, 12, 6, 3))


def test_uih_3d_gre_fsp(tmp_path):
    """gre_fsp (3-D T1): the echo train is dropped, so no phase-encoding axis for the 3-D volume."""
    _check(tmp_path, uih_edit(sequence="gre_fsp3d", acquisition="3D"), (16, 12, 6, 1))


def test_uih_diffusion(tmp_path):
    """b-values and vectors from (0065,1009)/(0065,1037), kept in the image frame with y negated."""
    assert _check(tmp_path, uih_edit(sequence="epi_dti", diffusion=True), (16, 12, 6, 4)).grad == 2


@pytest.mark.parametrize("manufacturer", ["CANON_MEC", "TOSHIBA_MEC"])
@pytest.mark.parametrize("phase", ["ROW", "COL"])
def test_canon_toshiba_fmri(tmp_path, manufacturer, phase):
    """Canon and Toshiba classic EPI: manufacturer names, phase-encoding axis, matrices."""
    def edit(ds, t, k):
        ds.Manufacturer, ds.ManufacturerModelName, ds.SoftwareVersions = manufacturer, "Galan 3T", "V6.0SP3001"
        ds.InPlanePhaseEncodingDirection = phase
        ds.AcquisitionMatrix = [16, 0, 0, 12] if phase == "ROW" else [0, 16, 12, 0]
        ds.EchoTrainLength, ds.ScanningSequence, ds.SequenceVariant = 12, "EP", "NONE"
    _check(tmp_path, edit, (16, 12, 6, 3))
