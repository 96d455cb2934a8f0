"""Philips rules of dcm2niix, on synthesised classic and enhanced series, compared with the dcm2niix package.

Each case writes DICOM with ``medfast.synth``, runs the ``dcm2niix`` command
(the oracle) and ``medfast dcm2niix`` on the same folder, and requires the
same file names, voxels, affines, bval/bvec and sidecar keys.
"""
from __future__ import annotations

import pytest

from dcm2niix_compare import score_with_oracle
from support import require_tool

# (b-values, volumes that are the scanner's trace image)
DWI_CASES = {
    "trace_last": ((0, 1000, 1000, 1000, 1000), (4,)),  # the trace moves to <name>_ADC, out of the DWI
    "trace_middle": ((0, 1000, 1000, 1000, 1000), (2,)),  # _ADC holds every volume, the trace last
    "two_traces": ((0, 1000, 1000, 1000, 1000), (3, 4)),
    "b0_and_trace": ((0, 1000), (1,)),  # a b=0 + trace pair keeps both (enhanced: the trace reads b=2000)
    "isotropic": ((1000, 1000, 1000), (0, 1, 2)),  # every volume a trace: .bval, no .bvec
}


def assert_same_as_dcm2niix(folder, work, args=("-b", "y", "-z", "n", "-f", "%s_%p")):
    """Run the dcm2niix package and medfast on ``folder``; fail with every difference."""
    require_tool("dcm2niix")
    score = score_with_oracle(folder, work, args)
    problems = [f"missing {n}" for n in score.names_missing] + [f"extra {n}" for n in score.names_extra]
    problems += [f"{name}: {d}" for name, diffs in score.problems.items() for d in diffs]
    assert score.nifti > 0 and problems == []
    return score


@pytest.mark.parametrize("enhanced", [False, True], ids=["classic", "enhanced"])
@pytest.mark.parametrize("case", sorted(DWI_CASES))
def test_derived_trace_volume(tmp_path, case, enhanced):
    """Philips' trace/ADC volume (a b-value, no vector) leaves the DWI for the _ADC file, as dcm2niix's nii_saveDTI."""
    from medfast.synth import write_philips_dwi

    bvals, trace = DWI_CASES[case]
    write_philips_dwi(tmp_path / "in", enhanced=enhanced, bvals=bvals, trace=trace)
    score = assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert score.grad >= 1


def test_derived_volumes_rule():
    """The rule alone: vectors of zero with a b-value are derived, unless too few volumes would remain."""
    from medfast.dcm2niix.gradients import derived_volumes

    zero, x = [0, 0, 0], [1, 0, 0]
    assert derived_volumes([0, 1000, 1000], [zero, x, zero], "PH") == ([0, 1], [2], False)
    assert derived_volumes([0, 1000, 1000], [zero, x, zero], "SI") == ([0, 1, 2], [], False)
    assert derived_volumes([1000, 1000], [zero, zero], "PH") == ([0, 1], [], True)


PHILIPS_MR = dict(Manufacturer="Philips Medical Systems", NumberOfAverages=2, SequenceName="FFE", PulseSequenceName="FFE",
                  MRAcquisitionType="2D", SoftwareVersions="5.6.1", InPlanePhaseEncodingDirection="ROW",
                  AcquisitionMatrix=[0, 64, 64, 0], PartialFourier="NO", ParallelReductionFactorInPlane=2.0,
                  ParallelAcquisitionTechnique="SENSE", SequenceVariant="SP", ScanningSequence="GR")


def _philips_scaled(t, k, ds, trigger=None):
    from medfast.synth import add_private

    add_private(ds, 0x2005, "Philips MR Imaging DD 001", 0x0E, "FL", 0.5)
    ds.RescaleSlope, ds.RescaleIntercept = 2.0, 0.0
    ds.TriggerTime = 30.0 if trigger is None else trigger(t)


@pytest.mark.parametrize(("extra", "trigger"), [
    ({"MagnetizationTransfer": "ON_RESONANCE", "Spoiling": "RF_AND_GRADIENT", "VariableFlipAngleFlag": "N"},
     lambda t: t * 100.0),  # cardiac phases: one series each, _t<ms> suffixes, TriggerDelayTime
    ({"MagnetizationTransfer": "OFF_RESONANCE", "Spoiling": "GRADIENT", "ParallelAcquisitionTechnique": "CSENSE"},
     None),  # CSENSE: CompressedSensingFactor, in-plane factor 1
    ({"MagnetizationTransfer": "NONE", "Spoiling": "NONE", "VariableFlipAngleFlag": "Y", "MRAcquisitionType": "3D"},
     None),
], ids=["cardiac", "csense", "unspoiled_3d"])
def test_philips_classic_keys(tmp_path, extra, trigger):
    """Philips classic MR: trigger splits and TriggerDelayTime, scaling keys, MTState, Spoiling*, averages, CSENSE."""
    from medfast.synth import write_mr_series

    write_mr_series(tmp_path / "in", shape=(8, 8, 3, 3), extra=dict(PHILIPS_MR, **extra),
                    per_slice=lambda t, k, ds: _philips_scaled(t, k, ds, trigger))
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")


@pytest.mark.parametrize(("echoes", "components"), [
    ((4.0, 8.0), ("MAGNITUDE", "PHASE")),  # _e1, _e2, _e1_ph, _e2_ph
    ((4.0, 8.0, 12.0), ("MAGNITUDE",)),
    ((5.0,), ("REAL", "IMAGINARY")),  # _real, _imaginary
], ids=["echoes_phase", "echoes", "real_imaginary"])
def test_philips_enhanced_split(tmp_path, echoes, components):
    """One enhanced file of several echoes and components: dcm2niix's outputs, suffixes, scaling and ImageType."""
    from medfast.synth import write_philips_enhanced

    write_philips_enhanced(tmp_path / "in", echoes=echoes, components=components)
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work")


@pytest.mark.parametrize("enhanced", [False, True], ids=["classic", "enhanced"])
def test_b0_vectors(tmp_path, enhanced):
    """b=0 volumes whose DiffusionDirectionality is NONE get no vector, whatever vector the file also holds."""
    from medfast.synth import write_philips_dwi

    write_philips_dwi(tmp_path / "in", enhanced=enhanced, bvals=(0, 1000, 1000, 0, 1000),
                      vecs=[(0.577, 0.577, 0.577), (1, 0, 0), (0, 1, 0), (0.6, 0.8, 0), (0, 0.6, 0.8)])
    assert assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work").grad == 2


@pytest.mark.parametrize("enhanced", [False, True], ids=["classic", "enhanced"])
def test_ignore_derived_drops_adc_copy(tmp_path, enhanced):
    """With -i y dcm2niix still moves the trace out of the DWI but writes no _ADC file."""
    from medfast.synth import write_philips_dwi

    write_philips_dwi(tmp_path / "in", enhanced=enhanced, trace=(2,))
    assert_same_as_dcm2niix(tmp_path / "in", tmp_path / "work", ("-i", "y", "-b", "y", "-z", "n", "-f", "%s_%p"))
