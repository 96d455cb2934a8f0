"""Canon/Toshiba rules of dcm2niix on synthesised classic DWI series, compared with the dcm2niix package.

Classic Canon/Toshiba diffusion images without (0018,9089) carry their
gradient in ImageComments as ``b=1000(x,y,z)`` in the image frame: dcm2niix
swaps x and y, reorients the vector as a GE one (ROW or COL phase encoding),
and counts the image as Canon, so a Toshiba b=0 image (no comment) does not
stack with them.
"""
from __future__ import annotations

import pytest

from vendor_series import against_dcm2niix, assert_same, vendor_series

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

VECTORS = [(0, 0, 0), (1, 0, 0), (0, 0.6, 0.8), (0.6, 0.8, 0)]


@pytest.mark.parametrize("manufacturer, outputs", [("CANON_MEC", 1), ("TOSHIBA_MEC", 2)])
@pytest.mark.parametrize("phase", ["ROW", "COL"])
def test_comment_gradients(tmp_path, manufacturer, outputs, phase):
    def edit(ds, t, k):
        ds.Manufacturer, ds.ManufacturerModelName = manufacturer, "Galan 3T"
        ds.InPlanePhaseEncodingDirection, ds.ScanningSequence = phase, "EP"
        ds.DiffusionBValue = 0.0 if t == 0 else 1000.0
        if t:
            ds.ImageComments = "b=1000(%g,%g,%g)" % VECTORS[t]
    vendor_series(tmp_path / "in", edit, shape=(16, 12, 6, 4))
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert_same(score)
    assert score.nifti == outputs and score.grad == 2


@pytest.mark.parametrize("phase", ["ROW", "COL"])
def test_world_gradients(tmp_path, phase):
    """(0018,9089) present: world coordinates, projected on the image axes as Siemens/Philips vectors."""
    def edit(ds, t, k):
        ds.Manufacturer, ds.ManufacturerModelName = "CANON_MEC", "Galan 3T"
        ds.InPlanePhaseEncodingDirection = phase
        ds.DiffusionBValue = 0.0 if t == 0 else 1000.0
        ds.DiffusionGradientOrientation = [float(x) for x in VECTORS[t]]
        ds.ImageComments = "b=1000(9,9,9)"  # ignored beside (0018,9089)
    vendor_series(tmp_path / "in", edit, shape=(16, 12, 6, 4))
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert_same(score)
    assert score.grad == 2
