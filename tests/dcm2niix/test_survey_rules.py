"""Rules the oracle survey (tests/oracle_survey) found missing, each compared with the dcm2niix package.

Every case is synthesised: a ``medfast.synth`` series whose headers are
edited the way the public files of the survey differ (no geometry, empty
protocol name, ...).
"""
from __future__ import annotations

import numpy as np
import pydicom
import pytest

from vendor_series import against_dcm2niix, assert_same


def _ct(folder, shape=(8, 6, 3), drop=(), edit=None):
    """A small CT series, ``drop`` keywords deleted and ``edit(ds, n)`` applied to file n."""
    from medfast.synth import write_ct_series

    paths = write_ct_series(folder, shape=shape, spacing=(0.8, 0.6, 1.5))
    for n, path in enumerate(paths):
        ds = pydicom.dcmread(path)
        for keyword in drop:
            if keyword in ds:
                del ds[keyword]
        if edit is not None:
            edit(ds, n)
        ds.save_as(path)
    return paths


NO_GEOMETRY = ("ImagePositionPatient", "ImageOrientationPatient", "SliceLocation")


@pytest.mark.parametrize(("drop", "nz"), [
    (NO_GEOMETRY, 1),  # one screenshot-like image
    (NO_GEOMETRY, 3),
    (("ImagePositionPatient",), 3),  # orientation kept, position lost: still the placeholder matrix
    (("ImageOrientationPatient",), 3),  # position kept: an axial stack with dcm2niix's stand-in orientation
])
def test_images_without_geometry(tmp_path, drop, nz):
    """Images without position or orientation convert as dcm2niix converts them (placeholder matrix, codes 0)."""
    _ct(tmp_path / "in", shape=(8, 6, nz), drop=drop)
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


@pytest.mark.parametrize("which", [0, 3])
def test_one_image_without_position(tmp_path, which):
    """One file of a CT series without position: the first decides the matrix (placeholder or not), as dcm2niix."""
    def edit(ds, n):
        if n == which:
            del ds.ImagePositionPatient
    _ct(tmp_path / "in", shape=(8, 6, 5), edit=edit)
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


def test_images_without_geometry_stack_in_instance_order(tmp_path):
    """Without positions dcm2niix stacks a series' images by instance number, whatever the file order."""
    numbers = [3, 1, 5, 2, 4]
    _ct(tmp_path / "in", shape=(8, 6, 5), drop=NO_GEOMETRY, edit=lambda ds, n: setattr(ds, "InstanceNumber", numbers[n]))
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


def test_3d_acquisition_without_geometry_keeps_dicom_rows(tmp_path):
    """A 3-D MR acquisition without geometry: dcm2niix's turn to RAS+ replaces the row flip and turns nothing."""
    def edit(ds, n):
        ds.Modality, ds.MRAcquisitionType = "MR", "3D"
    _ct(tmp_path / "in", shape=(8, 6, 4), drop=NO_GEOMETRY, edit=edit)
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


def test_placeholder_matrix_and_codes(tmp_path):
    """The reader's own view: identity with the rows flipped, codes 0, the pixel spacing kept for pixdim."""
    import medfast

    _ct(tmp_path / "in", shape=(8, 6, 2), drop=NO_GEOMETRY)
    [vol] = medfast.read_dicom(tmp_path / "in")
    want = np.eye(4)
    want[1, 3] = -5.0  # -(rows - 1)
    assert np.array_equal(vol.affine, want)
    assert (vol.meta["qform_code"], vol.meta["sform_code"]) == (0, 0)
    assert np.allclose(vol.meta["qform_zooms"], (0.8, 0.6, 1.5))  # column, row, slice spacing


def _setting(values):
    """An ``edit`` for ``_ct`` that sets the same keyword values on every file."""
    def edit(ds, n):
        for keyword, value in values.items():
            setattr(ds, keyword, value)
    return edit


@pytest.mark.parametrize("names", [
    dict(ProtocolName="", SeriesDescription="Thorax LAT"),  # SeriesDescription stands in
    dict(ProtocolName="", SeriesDescription="", SequenceName="tse2d"),  # then SequenceName (not Siemens)
    dict(ProtocolName="bold", ImageType=["ORIGINAL", "PRIMARY", "MOCO", "M"]),  # motion corrected: _MoCo
])
def test_protocol_name_fallback_in_names_and_sidecar(tmp_path, names):
    """%p and the sidecar's ProtocolName follow dcm2niix's protocol name, not (0018,1030) alone."""
    _ct(tmp_path / "in", edit=_setting(names))
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


def _code(value, scheme, meaning, version=None):
    item = pydicom.Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, scheme, meaning
    if version:
        item.CodingSchemeVersion = version
    return item


@pytest.mark.parametrize("edit", [
    # cut at dcm2niix's 66-byte buffer, then split at the backslashes into a list
    dict(DeidentificationMethod=["dcanon", "no identifiers", "keep descriptions", "keep manufacturer",
                                 "keep retired", "keep private"]),
    dict(DeidentificationMethod="BASIC APPLICATION LEVEL CONFIDENTIALITY PROFILE"),
    dict(ImageComments="x" * 120 + ", " + "y" * 200),  # cut at 255 characters (kDICOMStrLarge)
    dict(Modality="MR", GradientEchoTrainLength=240, EchoTrainLength=1),  # (0018,9241) wins from 2 on
    # 65 characters kept of the plain strings (two fewer when the 64th is '_'), 255 of the long ones
    dict(SoftwareVersions="V" * 70, InstitutionName="A" * 63 + "_" + "B" * 6, StationName="S" * 65,
         InstitutionAddress="street " * 30, SeriesDescription="d" * 64 + " e"),
    dict(DeidentificationMethodCodeSequence=[_code("113100", "DCM", "Basic Application Confidentiality Profile"),
                                             _code("113107", "DCM", "Retain Longitudinal Temporal Information " * 2, "01")]),
], ids=["deid-list", "deid-one", "comments-cut", "gradient-etl", "string-buffers", "deid-codes"])
def test_sidecar_strings(tmp_path, edit):
    """DeidentificationMethod, long strings and EchoTrainLength as dcm2niix writes them."""
    _ct(tmp_path / "in", edit=_setting(edit))
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


def test_siemens_series_header_without_protocol(tmp_path):
    """A Siemens CT whose CSA series header (0029,1020) holds no ASCII protocol: MatrixCoilMode "None".

    With such a header dcm2niix may also print ``AveragesDouble`` from a
    variable it never set (its value is whatever the stack held), so that
    one key is left out of the comparison.
    """
    import json

    from vendor_series import private

    def edit(ds, n):
        ds.Manufacturer = "SIEMENS"
        private(ds, 0x0029, "SIEMENS CSA HEADER", {0x20: ("LO", "20230101011721.621000")})  # as deid-data's CT
    _ct(tmp_path / "in", edit=edit)
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    problems = {name: [p for p in found if "AveragesDouble" not in p] for name, found in score.problems.items()}
    assert score.nifti_ok == score.nifti == 1 and not any(problems.values()), problems
    [sidecar] = (tmp_path / "work" / "got").glob("*.json")
    assert json.loads(sidecar.read_text())["MatrixCoilMode"] == "None"


@pytest.mark.parametrize("localizer", [False, True])
def test_enhanced_file_whose_frames_change_orientation_is_refused(tmp_path, capsys, localizer):
    """Frames of one enhanced file in two orientations: dcm2niix refuses the file (issue 894) and says so
    on standard error unless it is a localizer; medfast writes nothing either, exit 2, the same lines."""
    import copy

    from medfast import exitcodes
    from medfast.dcm2niix import main
    from medfast.synth import write_philips_enhanced
    from support import require_tool

    require_tool("dcm2niix")
    path = write_philips_enhanced(tmp_path / "in", shape=(8, 6, 3), echoes=(5.0,), components=("MAGNITUDE",))
    ds = pydicom.dcmread(path)
    if localizer:
        ds.Manufacturer, ds.SeriesDescription = "SIEMENS", "AAHScout"
    shared = ds.SharedFunctionalGroupsSequence[0]
    for n, frame in enumerate(ds.PerFrameFunctionalGroupsSequence):
        frame.PlaneOrientationSequence = copy.deepcopy(shared.PlaneOrientationSequence)
        if n == 2:
            frame.PlaneOrientationSequence[0].ImageOrientationPatient = [1, 0, 0, 0, 0, -1]
    del shared.PlaneOrientationSequence
    ds.save_as(path)
    import subprocess

    (tmp_path / "ref").mkdir()
    (tmp_path / "got").mkdir()
    want = subprocess.run(["dcm2niix", "-o", str(tmp_path / "ref"), str(tmp_path / "in")], capture_output=True, text=True)
    code = main(["-o", str(tmp_path / "got"), str(tmp_path / "in")])
    got = capsys.readouterr()
    lines = got.out.splitlines()
    assert want.returncode == code == exitcodes.NO_VALID_FILES
    assert list((tmp_path / "got").iterdir()) == list((tmp_path / "ref").iterdir()) == []
    assert lines[1:] == want.stdout.splitlines()[1:]
    said = "Error: DICOM incompatible with NIfTI slice orientation varies (issue 894, localizer?)"
    assert (said in want.stderr) == (said in got.err) != localizer


@pytest.mark.parametrize("name", [
    "liver_1frame.dcm",  # 1-bit SEG: NumberOfFrames absent, three per-frame items, one frame of pixels
    "SC_rgb_small_odd.dcm",  # RGB secondary capture without geometry
    "JPEG2000.dcm",  # no geometry, JPEG 2000
    "MR-SIEMENS-DICOM-WithOverlays.dcm",
])
def test_public_files(tmp_path, name):
    """Single files of pydicom's own test data that the survey found converted differently."""
    import shutil

    from pydicom.data import get_testdata_file

    (tmp_path / "in").mkdir()
    shutil.copy(get_testdata_file(name), tmp_path / "in" / name)
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


@pytest.mark.parametrize("groups", [(0x6000,), (0x6000, 0x6004)])
def test_overlays_of_a_stack(tmp_path, groups):
    """Each file's overlay planes go to its slice of ``_ROI<n>`` (n from the group), rows flipped as the image."""
    def edit(ds, n):
        rng = np.random.default_rng(n)
        for group in groups:
            bits = rng.integers(0, 2, ds.Rows * ds.Columns, dtype=np.uint8)
            ds.add_new((group, 0x0010), "US", ds.Rows)
            ds.add_new((group, 0x0011), "US", ds.Columns)
            ds.add_new((group, 0x0040), "CS", "G")
            ds.add_new((group, 0x0050), "SS", [1, 1])
            ds.add_new((group, 0x0100), "US", 1)
            ds.add_new((group, 0x0102), "US", 0)
            ds.add_new((group, 0x3000), "OW", np.packbits(bits, bitorder="little").tobytes())
        ds.InstanceNumber = [3, 1, 2][n]  # not the position order
    _ct(tmp_path / "in", edit=edit)
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert_same(score)
    assert score.nifti == 1 + len(groups)


def _nibabel_mosaics(folder, numbers):
    """nibabel's two Siemens DTI mosaics (48 tiles of 36 px in 256 px: the grid does not divide the image)."""
    import os

    import nibabel

    data = os.path.join(os.path.dirname(nibabel.__file__), "nicom", "tests", "data")
    folder.mkdir()
    for name, number in zip(("0.dcm", "1.dcm"), numbers):
        ds = pydicom.dcmread(os.path.join(data, name))
        ds.InstanceNumber = number
        ds.save_as(folder / name)


@pytest.mark.parametrize("numbers", [(1, 2), (2, 1), (1,)])
def test_mosaics_stack_file_by_file(tmp_path, numbers):
    """Mosaic files are volumes in instance order whatever their positions (here 3 mm apart), as dcm2niix."""
    _nibabel_mosaics(tmp_path / "in", numbers)
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work")
    assert_same(score)
    assert score.grad == 2  # one mosaic: dcm2niix's zeros; two: the b=0 and b=1000 gradients


@pytest.mark.parametrize("numbering", ["descending", "shuffled"])
def test_sidecar_from_the_first_instance(tmp_path, numbering):
    """Per-slice keys (tube current, exposure, acquisition time) come from the first image by instance number."""
    order = {"descending": [5, 4, 3, 2, 1], "shuffled": [3, 5, 1, 4, 2]}[numbering]

    def edit(ds, n):
        ds.InstanceNumber = order[n]
        ds.XRayTubeCurrent, ds.Exposure, ds.AcquisitionTime = 100 + n, 50 + n, f"1010{n:02d}"
    _ct(tmp_path / "in", shape=(8, 6, 5), edit=edit)
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


def test_mr_series_numbered_top_down(tmp_path):
    """A 4-D MR series whose instance numbers run against the slice positions: the sidecar of the first instance."""
    from vendor_series import vendor_series

    def edit(ds, t, k):
        ds.InstanceNumber = t * 4 + (4 - k)
        ds.AcquisitionTime = f"0910{t * 4 + (3 - k):02d}.5"
    vendor_series(tmp_path / "in", edit, shape=(16, 12, 4, 2))
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


@pytest.mark.parametrize("number", [None, 0])
def test_series_without_number(tmp_path, number):
    """No SeriesNumber, or 0: dcm2niix numbers the series (names, sidecar) by the CRC-32 of its SeriesInstanceUID."""
    def edit(ds, n):
        if number is None:
            del ds.SeriesNumber
        else:
            ds.SeriesNumber = number
    _ct(tmp_path / "in", edit=edit)
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))


@pytest.mark.parametrize("implicit", [True, False])
def test_files_without_preamble_opening_on_group_8(tmp_path, implicit):
    """No preamble, no meta group, first element (0008,0005): dcm2niix reads such files as DICOM, and so does medfast."""
    from pydicom.dataset import FileMetaDataset

    paths = _ct(tmp_path / "in", shape=(8, 6, 4))
    for path in paths:
        ds = pydicom.dcmread(path)
        ds.file_meta, ds.preamble = FileMetaDataset(), None
        pydicom.dcmwrite(path, ds, implicit_vr=implicit, little_endian=True, enforce_file_format=False)
    assert open(paths[0], "rb").read(4) == b"\x08\x00\x05\x00"
    assert_same(against_dcm2niix(tmp_path / "in", tmp_path / "work"))
