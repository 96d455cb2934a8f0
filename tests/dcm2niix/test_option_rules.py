"""``medfast dcm2niix`` options that change what is written, each against the ``dcm2niix`` package.

Intensity scaling (``-p``, ``-l``), the sidecar's identifiers (``-ba``),
which images are converted (``-i``, ``--ignore_trigger_times``), GE slice
times (``-j``) and BIDS names (``-bi``, ``-bv``, ``-br``): both tools run on
the same corpus or synthesised DICOM; exit code, standard output, file names,
scaled voxels, sidecar keys, and the NIfTI fields scaling decides (datatype,
scl_slope/scl_inter, descrip, stored values) must be the same.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from dcm2niix_compare import SOFTWARE_KEYS, compare_folders
from support import corpus_root
from test_command_line import _both, _names, home, study  # noqa: F401 (home: autouse; study: a fixture)

from medfast import exitcodes


def _stored_fields(path):
    """What scaling decides in a NIfTI file: datatype, slope, intercept, descrip and the stored values."""
    import nibabel as nib

    img = nib.load(path)
    return (str(img.get_data_dtype()), float(img.dataobj.slope), float(img.dataobj.inter),
            bytes(img.header["descrip"]), np.asanyarray(img.dataobj.get_unscaled()).tobytes())


def assert_same_as_dcm2niix(args, source, capsys, tmp_path, name="run"):
    """Run both tools on ``source`` with ``args``; everything they write and print must agree. Their stdout."""
    want, got, ref, out = _both([*args, "-o", "OUT", source], capsys, tmp_path, name)
    assert got[0] == want[0] == exitcodes.OK
    assert got[1] == want[1]
    assert _names(out) == _names(ref)
    score = compare_folders(ref, out)
    assert score.perfect, score.problems
    for path in ref.iterdir():
        if path.name.endswith(".nii"):
            assert _stored_fields(out / path.name) == _stored_fields(path), path.name
        elif path.name.endswith(".json"):  # every key, exactly, but for the converter's name and version
            keys = lambda p: {k: v for k, v in json.loads(p.read_text()).items() if k not in SOFTWARE_KEYS}  # noqa: E731
            assert keys(out / path.name) == keys(path), path.name
    return got[1]


@pytest.fixture(scope="module")
def varying(tmp_path_factory):
    """A CT series and a Philips MR series (private scale slope) whose RescaleSlope differs between slices."""
    from medfast.synth import add_private, write_ct_series, write_mr_series

    root = tmp_path_factory.mktemp("varying")

    def ct_slope(k, ds):
        ds.RescaleSlope = 1.0 + 0.5 * (k % 2)

    def philips(t, k, ds):
        ds.Manufacturer = "Philips Medical Systems"
        ds.RescaleSlope, ds.RescaleIntercept = 1.25 + 0.25 * k, 0.0
        add_private(ds, 0x2005, "Philips MR Imaging DD 001", 0x0E, "FL", 0.031)

    write_ct_series(root / "ct", shape=(20, 16, 4), series_number=2, per_slice=ct_slope)
    write_mr_series(root / "mr", shape=(16, 16, 3, 2), series_number=5, per_slice=philips)
    return root


@pytest.fixture(scope="module")
def philips_constant(tmp_path_factory):
    """A Philips MR series whose display scaling and private scale slope (2005,100E) are the same in every image."""
    from medfast.synth import add_private, write_mr_series

    def philips(t, k, ds):
        ds.Manufacturer = "Philips Medical Systems"
        ds.RescaleSlope, ds.RescaleIntercept = 1.5, -3.0
        add_private(ds, 0x2005, "Philips MR Imaging DD 001", 0x0E, "FL", 0.0625)

    root = tmp_path_factory.mktemp("philips")
    write_mr_series(root / "mr", shape=(16, 16, 3, 2), series_number=7, per_slice=philips)
    return root


# ---- -p: Philips precise or display scaling, and scaling that varies between images -------------------


@pytest.mark.parametrize("p", ["y", "n", "o"])
@pytest.mark.parametrize("verbose", ["0", "1"])
def test_philips_scaling_of_enhanced_files(p, verbose, capsys, tmp_path):
    """dcm_qa_enh's Philips field map: ``-p n`` writes the display slope, ``UsePhilipsFloatNotDisplayScaling`` 0."""
    source = corpus_root() / "dcm_qa_enh" / "In" / "Philips"
    lines = assert_same_as_dcm2niix(["-p", p, "-v", verbose, "-f", "%s_%p", "-z", "n"], source, capsys, tmp_path)
    if verbose == "1":
        assert (" Using D values ('-p y ' for P values)" in lines) == (p == "n")


@pytest.mark.parametrize("args", [[], ["-p", "n"], ["-p", "o"], ["-p", "n", "-p", "o"], ["-p", "o", "-p", "y"]],
                         ids=lambda a: " ".join(a) or "default")
def test_scaling_that_varies_between_images(args, varying, capsys, tmp_path):
    """float32 values by default; ``-p o`` (any vendor) and ``-p n`` (not Philips) keep the first image's scaling."""
    lines = assert_same_as_dcm2niix([*args, "-f", "%s_%p", "-z", "n"], varying, capsys, tmp_path)
    ignored = [line for line in lines if line.startswith("Warning: Variance of DICOM slope/intercept")]
    pairs = list(zip(args[::2], args[1::2]))
    assert len(ignored) == (2 if ("-p", "o") in pairs else 1 if ("-p", "n") in pairs else 0)  # -p n: the CT only


@pytest.mark.parametrize("p", ["y", "n"])
def test_philips_classic_precise_or_display(p, philips_constant, capsys, tmp_path):
    assert_same_as_dcm2niix(["-p", p, "-v", "1", "-f", "%s_%p", "-z", "n"], philips_constant, capsys, tmp_path)


# ---- -ba: what the sidecar says of the patient and the study ------------------------------------------------


@pytest.fixture(scope="module")
def patient(tmp_path_factory):
    """An MR series with every identifier dcm2niix's sidecar may carry."""
    from medfast.synth import write_mr_series

    extra = {"ReferringPhysicianName": "Doctor^Who", "AccessionNumber": "ACC42", "PatientAge": "051Y",
             "PatientSize": 1.72, "PatientWeight": 68.5, "AcquisitionTime": "101010.50"}
    root = tmp_path_factory.mktemp("patient")
    write_mr_series(root / "mr", shape=(8, 8, 2, 1), series_number=3, extra=extra)
    return root


@pytest.mark.parametrize("ba", ["y", "n", "o"])
def test_anonymize_sidecar(ba, patient, capsys, tmp_path):
    """``-ba o`` keeps the study's identifiers and the acquisition date, leaves out the patient and physician."""
    assert_same_as_dcm2niix(["-ba", ba, "-f", "%s_%p", "-z", "n"], patient, capsys, tmp_path)
    side = json.loads(next((tmp_path / "run-medfast").glob("*.json")).read_text())
    assert ("PatientName" in side, "StudyInstanceUID" in side, "AcquisitionDateTime" in side) == \
        {"y": (False, False, False), "n": (True, True, True), "o": (False, True, True)}[ba]


# ---- -l: 16-bit integers scaled to their range, made signed, or kept ------------------------------------------


@pytest.fixture(scope="module")
def sixteen(tmp_path_factory):
    """16-bit series: signed CT, unsigned MR below 32768, unsigned MR above it, and a Philips one (precise slope)."""
    import pydicom

    from medfast.synth import add_private, write_ct_series, write_mr_series

    def full_16(files, factor=1, signed=False, change=None):
        for path in files:
            ds = pydicom.dcmread(path)
            ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 15, int(signed)
            ds.PixelData = (np.frombuffer(ds.PixelData, np.uint16) * factor).astype(np.uint16).tobytes()
            if change is not None:
                change(ds)
            ds.save_as(path)

    def philips(ds):
        ds.Manufacturer, ds.RescaleSlope, ds.RescaleIntercept = "Philips Medical Systems", 1.5, -3.0
        add_private(ds, 0x2005, "Philips MR Imaging DD 001", 0x0E, "FL", 0.0625)

    root = tmp_path_factory.mktemp("sixteen")
    full_16(write_ct_series(root / "ct", shape=(20, 16, 3), series_number=2), signed=True)
    full_16(write_mr_series(root / "low", shape=(16, 16, 3, 2), series_number=5))
    full_16(write_mr_series(root / "high", shape=(16, 16, 3, 1), series_number=6, seed=1), factor=30)
    full_16(write_mr_series(root / "philips", shape=(16, 16, 3, 1), series_number=7, seed=2), change=philips)
    return root


@pytest.mark.parametrize("l", ["y", "n", "o"])
@pytest.mark.parametrize("verbose", ["0", "1"])
def test_sixteen_bit_range(l, verbose, sixteen, capsys, tmp_path):
    """``-l y``: stored values times the factor, scl_slope over it, `` isN`` in descrip; ``-l n``: uint16 as int16."""
    lines = assert_same_as_dcm2niix(["-l", l, "-v", verbose, "-f", "%s_%p", "-z", "n"], sixteen, capsys, tmp_path)
    assert sum(line.startswith("Maximizing 16-bit range") for line in lines) == (3 if l == "y" else 0)  # not "high"
    assert sum(line.startswith("UINT16->INT16") for line in lines) == (2 if l == "n" else 0)  # "low", "philips"


def test_sixteen_bit_range_of_12_bit_corpus(capsys, tmp_path):
    """dcm_qa_12bit: 12-bit signed and unsigned images, masked, then scaled by ``-l y``."""
    source = corpus_root() / "dcm_qa_12bit" / "In"
    lines = assert_same_as_dcm2niix(["-l", "y", "-f", "%s_%p", "-z", "n"], source, capsys, tmp_path)
    assert any(line.startswith("Maximizing 16-bit range") for line in lines)


# ---- -i o: a multi-frame file whose frames change orientation (issue 894) -----------------------------------


def _orientation_varies_at(folder, frame):
    """A Philips enhanced file of three slices whose frame ``frame`` is coronal, the others axial."""
    import copy

    import pydicom

    from medfast.synth import write_philips_enhanced

    path = write_philips_enhanced(folder, shape=(8, 6, 3), echoes=(5.0,), components=("MAGNITUDE",))
    ds = pydicom.dcmread(path)
    shared = ds.SharedFunctionalGroupsSequence[0]
    for n, item in enumerate(ds.PerFrameFunctionalGroupsSequence):
        item.PlaneOrientationSequence = copy.deepcopy(shared.PlaneOrientationSequence)
        if n == frame:
            item.PlaneOrientationSequence[0].ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    del shared.PlaneOrientationSequence
    ds.save_as(path)
    return folder


@pytest.mark.parametrize("verbose", ["0", "1"])
def test_keep_orientation_varies(verbose, capsys, tmp_path):
    """``-i o`` converts the file dcm2niix otherwise refuses, in its last frame's orientation, with its warning."""
    source = _orientation_varies_at(tmp_path / "in", 1)
    lines = assert_same_as_dcm2niix(["-i", "o", "-v", verbose, "-f", "%s_%p", "-z", "n"], source, capsys, tmp_path)
    assert "Warning: Keeping series even though slice orientation varies" in lines


def test_keep_orientation_varies_left_out_when_dcm2niix_stacks_otherwise(capsys, tmp_path):
    """The last frame turned: its normal no longer separates the slices; medfast says so and writes nothing."""
    from medfast.dcm2niix import main

    source = _orientation_varies_at(tmp_path / "in", 2)
    (tmp_path / "out").mkdir()
    code = main(["-i", "o", "-o", str(tmp_path / "out"), str(source)])
    err = capsys.readouterr().err
    assert code == exitcodes.NO_VALID_FILES and list((tmp_path / "out").iterdir()) == []
    assert "left out" in err and "-i o: its 3 frames lie at 1 places" in err


# ---- -j y: GE slice times against the RTIA timer (0021,105E) -----------------------------------------------


def _ge_rtia(folder, shift):
    """A GE epiRT series whose RTIA timer follows the estimated slice times, each off by ``shift[k]`` ms."""
    from test_ge import ge_edit
    from vendor_series import private, vendor_series

    from medfast.dicom import ge
    from medfast.dicom.header import ValuesHeader

    block = {"IOPT": "EPI, FMRI", "SLICEORDER": "1", "PSEQ": "Gradient Echo", "NOSLC": "6"}
    edit = ge_edit(block=block)
    first = ValuesHeader({"RepetitionTime": 2000, "SoftwareVersions": "27\\LX\\MR Software release:RX27.0_R02_1831.a"})
    times = ge.timing(first, block, 6, 3)["times"]  # where dcm2niix's estimate puts each slice

    def rtia(ds, t, k):
        edit(ds, t, k)
        seconds = 100.0 + 2.0 * t + (times[k] + shift[k]) / 1000.0
        private(ds, 0x0021, "GEMS_RELA_01", {0x5E: ("DS", f"{seconds:.4f}")})

    vendor_series(folder, rtia)
    return folder


@pytest.mark.parametrize("verbose", ["0", "1"])
@pytest.mark.parametrize("shift", [(0,) * 6, (0, 0, 40, 0, -25, 0)], ids=["same", "off"])
def test_ge_slice_times_against_rtia_timer(shift, verbose, capsys, tmp_path):
    """The largest difference, then each pair when it reaches 1 ms or at ``-v 1``; the files are unchanged."""
    source = _ge_rtia(tmp_path / "in", shift)
    lines = assert_same_as_dcm2niix(["-j", "y", "-v", verbose, "-f", "%s_%p", "-z", "n"], source, capsys, tmp_path)
    said = [line for line in lines if line.startswith("Slice Timing Error between calculated and RTIA timer")]
    assert len(said) == 1 and (float(said[0].split(": ")[1][:-2]) < 1.0) == (max(shift) == 0)
    assert sum(line.startswith("\t") for line in lines) == (6 if max(shift) or verbose == "1" else 0)


def test_ge_without_rtia_timer(capsys, tmp_path):
    """dcm_qa_polar's GE field maps have no RTIA timer: dcm2niix's line for each series it estimates times for."""
    source = corpus_root() / "dcm_qa_polar" / "In"
    lines = assert_same_as_dcm2niix(["-j", "y", "-f", "%s_%p", "-z", "n"], source, capsys, tmp_path)
    assert lines.count("DICOM images do not report RTIA timer(0021,105E)") == 6


# ---- --ignore_trigger_times: TriggerTime read nowhere ------------------------------------------------------


@pytest.fixture(scope="module")
def triggered(tmp_path_factory):
    """A Philips series whose volumes have their own TriggerTime, and a GE one whose trigger times span the series."""
    from test_ge import ge_edit
    from vendor_series import vendor_series

    from medfast.synth import write_mr_series

    def philips(t, k, ds):
        ds.Manufacturer, ds.TriggerTime = "Philips Medical Systems", 120.0 * (t + 1)

    root = tmp_path_factory.mktemp("triggered")
    write_mr_series(root / "philips", shape=(16, 16, 3, 2), series_number=4, per_slice=philips)
    vendor_series(root / "ge", ge_edit(block={"IOPT": "EPI, FMRI", "NOSLC": "6"}, trigger=lambda t, k: 20.0 * k),
                  series_number=8)
    return root


@pytest.mark.parametrize("args", [[], ["--ignore_trigger_times"]], ids=["default", "ignored"])
def test_ignore_trigger_times(args, triggered, capsys, tmp_path):
    """Philips volumes split by trigger time (``_t`` names) unless ignored; GE's TriggerDelayTime goes with them."""
    lines = assert_same_as_dcm2niix([*args, "-f", "%s_%p", "-z", "n"], triggered, capsys, tmp_path)
    names = _names(tmp_path / "run-medfast")
    assert any("_t120" in name for name in names) == (not args)
    sidecars = [json.loads((tmp_path / "run-medfast" / name).read_text()) for name in names if name.endswith(".json")]
    assert any("TriggerDelayTime" in side for side in sidecars) == (not args)
    assert ("ignore_trigger_times may have unintended consequences (issue 499)" in lines) == bool(args)


# ---- -bi, -bv, -br: the subject, session and ReproIn root of %h/%H names -----------------------------------


def test_bids_subject_session_and_root_without_bids_names(study, capsys, tmp_path):
    """They name only what %h/%H names hold (names medfast refuses): any other template converts as without them."""
    args = ["-bi", "M2022", "-bv", "1222", "-br", "MyStudy", "-f", "%s_%p", "-z", "n"]
    assert_same_as_dcm2niix(args, study, capsys, tmp_path)


