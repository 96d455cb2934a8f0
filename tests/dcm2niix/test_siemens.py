"""Siemens XA rules of dcm2niix (slice timing, multiband factor, PAT mode text), compared with the dcm2niix package."""
from __future__ import annotations

import pytest

from test_philips import assert_same_as_dcm2niix

XA = dict(Manufacturer="SIEMENS", SoftwareVersions="syngo MR XA30", ImageType=["ORIGINAL", "PRIMARY", "M", "ND", "NORM"],
          InPlanePhaseEncodingDirection="COL")


def _xa_classic(folder, volumes, order, pat=None):
    """A classic XA export: TimeAfterStart (0021,1104) per file, the PAT mode text in (0021,1009)."""
    from medfast.synth import write_mr_series

    def edit(t, k, ds):
        ds.add_new((0x0021, 0x0010), "LO", "SIEMENS MR SDS 01")
        ds.add_new((0x0021, 0x0011), "LO", "SIEMENS MR SDI 02")
        ds.add_new((0x0021, 0x1104), "DS", f"{t * 2.0 + order[k] * 0.4:.4f}")
        if pat:
            ds.add_new((0x0021, 0x1009), "LO", pat)

    write_mr_series(folder, shape=(8, 8, len(order), volumes), extra=XA, per_slice=edit)


@pytest.mark.parametrize(("volumes", "order", "pat"), [
    (3, [0, 1, 2, 0, 1, 2], "p2s2"),  # multiband from the PAT text; "p2" followed by "s2" is not read as in-plane 2
    (3, [0, 2, 1, 0, 2, 1], None),  # multiband from the slices at the earliest time
    (3, [1, 2, 3, 1, 2, 3], None),  # the earliest time is not 0
    (3, [0, 3, 1, 4, 2, 5], "p2"),  # interleaved, no multiband, in-plane 2
    (1, [0, 3, 1, 4, 2, 5], None),  # one volume: no SliceTiming from TimeAfterStart
    (1, [0, 1, 2, 0, 1, 2], "p2s2"),  # one volume: multiband only from the PAT text
], ids=["mb_pat", "mb_times", "mb_shifted", "interleaved", "single", "single_mb"])
def test_xa_classic_slice_timing_and_multiband(tmp_path, volumes, order, pat):
    """SliceTiming and MultibandAccelerationFactor only where dcm2niix writes them (sliceTimingXA, setMultiBandFactor)."""
    _xa_classic(tmp_path / "in", volumes, order, pat)
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")


def test_pat_mode_text():
    """dcm2niix reads "p<n>" only when nothing follows it, and "s<n>" as the multiband factor."""
    from medfast.dicom.header import ValuesHeader
    from medfast.dicom.siemens import pat_mode

    assert pat_mode(ValuesHeader({0x00511011: "p2"})) == (2.0, 0.0)
    assert pat_mode(ValuesHeader({0x00511011: "p2s4"})) == (0.0, 4.0)
    assert pat_mode(ValuesHeader({0x00211009: "s3"})) == (0.0, 3.0)
    assert pat_mode(ValuesHeader({0x00211009: "p2", 0x00511011: "p3s2"})) == (0.0, 2.0)  # the later tag wins


@pytest.mark.parametrize("after_start", ["none", "bogus_first_volume"])
def test_xa_classic_times_from_the_second_volume_only(tmp_path, after_start):
    """sliceTimingXA: several volumes of classic XA files take TimeAfterStart of the second volume, never
    AcquisitionTime (without it, no SliceTiming at all); a first volume out of step is not read (issue 875)."""
    from medfast.synth import write_mr_series

    def edit(t, k, ds):
        if after_start == "none":
            return
        ds.add_new((0x0021, 0x0010), "LO", "SIEMENS MR SDS 01")
        order = [0, 3, 1, 4, 2] if t else [4, 3, 2, 1, 0]
        ds.add_new((0x0021, 0x1104), "DS", f"{t * 2.0 + order[k] * 0.4:.4f}")

    write_mr_series(tmp_path / "in", shape=(8, 8, 5, 3), extra=XA, per_slice=edit)
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")
