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
from test_command_line import _both, _names, home  # noqa: F401 (home: HOME in a temporary folder, autouse)
from test_stdout import _not_yet

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
    assert got[1] == [line for line in want[1] if not _not_yet(line)]  # -v 1: but for the per-file dump
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
