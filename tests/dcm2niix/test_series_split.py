"""dcm2niix's splitting of a series into volumes (isSameSet), one criterion a test, against the dcm2niix package.

Each test writes a small 4-D MR series (3 volumes of 6 slices, one file a
slice), changes one header field in some files, and checks that medfast
writes the same files as dcm2niix: the same names (so the same split and the
same ``_e``/``_i``/``_c``/``a`` suffixes), shapes, voxels and affines.
"""
from __future__ import annotations

import pytest

from vendor_series import against_dcm2niix, assert_same, vendor_series

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _check(tmp_path, edit, shape=(16, 12, 6, 3), args=("-b", "y", "-z", "n", "-f", "%s_%p"), keys=True):
    vendor_series(tmp_path / "in", edit, shape=shape)
    score = against_dcm2niix(tmp_path / "in", tmp_path / "work", args)
    if keys:
        assert_same(score)
    else:  # the NIfTI files only
        assert score.names_missing == [] and score.names_extra == [], (score.names_missing, score.names_extra)
        assert score.nifti > 0 and score.nifti_ok == score.nifti, score.problems
    return score


def _written(tmp_path):
    """The NIfTI names dcm2niix wrote."""
    return sorted(p.name for p in (tmp_path / "work" / "ref").glob("*.nii"))


def _in_volume(t0, **values):
    """An edit setting header fields in the files of volume ``t0``."""
    def edit(ds, t, k):
        if t == t0:
            for name, value in values.items():
                setattr(ds, name, value)
    return edit


@pytest.mark.parametrize("field, value", [
    ("RepetitionTime", 3000), ("FlipAngle", 12), ("EchoTime", 45), ("EchoNumbers", 2),
])
def test_split_by_tr_flip_echo_marks_multi_echo(tmp_path, field, value):
    """TR, flip angle, echo time or number differing: a volume of its own, and every name gets _e<echo>."""
    score = _check(tmp_path, _in_volume(1, **{field: value}))
    assert score.nifti == 2


@pytest.mark.parametrize("field, value", [
    ("SliceThickness", 5.0), ("PixelSpacing", [2.5, 2.5]), ("AcquisitionNumber", 99), ("SpacingBetweenSlices", 9.0),
    ("ImageType", ["ORIGINAL", "PRIMARY", "OTHER", "ND"]), ("SeriesDescription", "other"),
])
def test_not_compared_fields_stack(tmp_path, field, value):
    """Thickness, pixel spacing, acquisition number, the rest of ImageType: dcm2niix stacks them anyway."""
    score = _check(tmp_path, _in_volume(2, **{field: value}))
    assert score.nifti == 1


def test_rescale_varies_stacks_as_float(tmp_path):
    """A different RescaleSlope in one volume: one 4-D volume of real-world values."""
    def edit(ds, t, k):
        ds.RescaleSlope, ds.RescaleIntercept = (2.0 if t == 1 else 1.0), 0
    assert _check(tmp_path, edit).nifti == 1


@pytest.mark.parametrize("field, value", [
    ("ProtocolName", "other"),
    ("ImageType", ["ORIGINAL", "PRIMARY", "P", "ND"]), ("Rows", None), ("SeriesInstanceUID", "1.2.3.4.5"),
    ("StudyTime", "101010"),
])
def test_split_fields(tmp_path, field, value):
    """Protocol name, derived, phase, matrix, series UID, study time differing: a volume of its own."""
    def edit(ds, t, k):
        if t != 2:  # the last volume: the first two keep the header's TR (no issue 560 estimate)
            return
        if field == "Rows":  # a smaller matrix: crop the pixels with the header
            import numpy as np

            pixels = ds.pixel_array[:8]
            ds.Rows = 8
            ds.PixelData = np.ascontiguousarray(pixels).tobytes()
        elif field == "StudyTime":
            ds.StudyTime, ds.StudyInstanceUID = value, "1.2.3.4.6"
        else:
            setattr(ds, field, value)
    assert _check(tmp_path, edit).nifti == 2


@pytest.mark.parametrize("image_type", [["DERIVED", "PRIMARY", "M", "ND"], ["ORIGINAL", "PRIMARY", "ADC", "ND"]])
def test_derived_images_split(tmp_path, image_type):
    """Derived images (DERIVED anywhere, ADC/TRACE/FA before the last value) never stack with original ones."""
    # the sidecar's RawImage of derived images is another rule (wip/philips): NIfTI files only
    assert _check(tmp_path, _in_volume(2, ImageType=image_type), keys=False).nifti == 2


def test_localizer_orientations_get_instance_names(tmp_path):
    """Three orientations in one series (a localizer): one volume each, named _i<first instance>."""
    orientations = [[1, 0, 0, 0, 1, 0], [0, 1, 0, 0, 0, -1], [1, 0, 0, 0, 0, -1]]

    def edit(ds, t, k):
        ds.ImageOrientationPatient = orientations[t]
        import numpy as np

        iop = np.array(orientations[t], float)
        n = np.cross(iop[:3], iop[3:])
        ds.ImagePositionPatient = [float(v) for v in (-20 * iop[:3] - 20 * iop[3:] + 4.0 * k * n)]
    score = _check(tmp_path, edit)
    assert score.nifti == 3
    assert all("_i" in name for name in _written(tmp_path))


def test_coils_stack_with_coil_name(tmp_path):
    """Siemens images of different receive coils (0051,100F) stack, the name gets _c<first coil>."""
    def edit(ds, t, k):
        ds.Manufacturer = "SIEMENS"
        ds.add_new((0x0051, 0x0010), "LO", "SIEMENS MR HEADER")
        ds.add_new((0x0051, 0x100F), "LO", f"H{t + 1}")
    score = _check(tmp_path, edit)
    assert score.nifti == 1 and "_cH1" in _written(tmp_path)[0]


def test_ct_exposure_and_acquisition_stack(tmp_path):
    """CT with an XRayExposure per slice: stacked whatever the exposure (dcm2niix's -m 2 default)."""
    def edit(ds, t, k):
        ds.Modality, ds.SOPClassUID = "CT", "1.2.840.10008.5.1.4.1.1.2"
        ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
        for name in ("EchoTime", "RepetitionTime", "FlipAngle", "EchoTrainLength"):
            delattr(ds, name)
        ds.Exposure = 10 + t * 5 + k
        ds.AcquisitionNumber = k
    assert _check(tmp_path, edit, shape=(16, 12, 6, 1), keys=False).nifti == 1


@pytest.mark.parametrize("merge", [0, 1, 2])
def test_merge_option(tmp_path, merge):
    """-m n splits a CT at each XRayExposure, as echoes; -m y stacks an MR series whatever its echo times; -m 2 both."""
    import subprocess

    import nibabel as nib
    import numpy as np

    import medfast
    from support import require_tool

    def edit(ds, t, k):
        if k < 3:  # two CT series in one: exposures 10 and 20
            ds.Modality, ds.Exposure = "CT", 10 if t == 0 else 20
            for name in ("EchoTime", "RepetitionTime", "FlipAngle", "EchoTrainLength"):
                delattr(ds, name)
        else:  # and an MR one, under another series number, whose echo time changes
            ds.SeriesNumber, ds.SeriesInstanceUID, ds.EchoTime = 6, ds.SeriesInstanceUID + ".6", 30 + 10 * t
    vendor_series(tmp_path / "in", edit, shape=(16, 12, 6, 2))
    (tmp_path / "ref").mkdir()
    flag = {0: "n", 1: "y", 2: "2"}[merge]
    subprocess.run([require_tool("dcm2niix"), "-b", "n", "-z", "n", "-m", flag, "-f", "%s_%p",
                    "-o", str(tmp_path / "ref"), str(tmp_path / "in")], check=True, capture_output=True)
    ref = sorted(np.asanyarray(nib.load(p).dataobj).tobytes() for p in (tmp_path / "ref").glob("*.nii"))
    got = sorted(np.asarray(v.stored).tobytes() for v in medfast.read_dicom(tmp_path / "in", merge=merge))
    assert len(got) == len(ref) == {0: 4, 1: 2, 2: 3}[merge]
    assert got == ref
    # and through the command line: the same files as the dcm2niix package
    from dcm2niix_compare import compare_folders
    from medfast.dcm2niix import main

    (tmp_path / "got").mkdir()
    assert main(["-b", "n", "-z", "n", "-m", flag, "-f", "%s_%p", "-o", str(tmp_path / "got"), str(tmp_path / "in")]) == 0
    assert compare_folders(tmp_path / "ref", tmp_path / "got").perfect
