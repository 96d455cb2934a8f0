"""Grouping: which generated images form one volume, checked against dcm2niix on the same files."""
from __future__ import annotations

import os

import numpy as np
import pydicom
import pytest

import medfast
from medfast.synth import write_ct_series, write_mr_series
from support import dcm2niix_oracle


def _edit(paths, **changes):
    for path in paths:
        ds = pydicom.dcmread(path)
        for keyword, value in changes.items():
            setattr(ds, keyword, value(ds) if callable(value) else value)
        ds.save_as(path)


def test_fmri_stacks_into_4d_like_dcm2niix(tmp_path):
    folder = tmp_path / "in"
    write_mr_series(folder, shape=(12, 10, 5, 4))
    ref = dcm2niix_oracle(folder, tmp_path / "out", series=3)
    [vol] = medfast.read_dicom(folder)
    assert vol.shape == ref.shape == (12, 10, 5, 4)
    np.testing.assert_allclose(vol.affine, ref.affine, atol=1e-4, rtol=0)
    assert np.array_equal(vol.array, ref.get_fdata())
    nz = vol.shape[2]
    # meta["frames"] lists the files in array order: slice fastest, then volume
    instances = [pydicom.dcmread(p, stop_before_pixels=True).InstanceNumber for p, _ in vol.meta["frames"]]
    assert instances == [t * nz + k + 1 for t in range(4) for k in range(nz)]
    assert vol.meta["repetition_time"] == pytest.approx(2.0)
    assert vol.meta["slice_times"] == pytest.approx([k * 2.0 / nz for k in range(nz)])


def test_series_echoes_and_orientations_split(tmp_path):
    ct = write_ct_series(tmp_path / "ct", shape=(16, 16, 6), series_number=2)
    mr = write_mr_series(tmp_path / "mr", shape=(8, 8, 3, 2), series_number=3)
    # second echo: same series, same positions
    echo2 = write_mr_series(tmp_path / "mr2", shape=(8, 8, 3, 2), series_number=3)
    uid = pydicom.dcmread(mr[0]).SeriesInstanceUID
    _edit(mr, EchoNumbers=1)
    _edit(echo2, SeriesInstanceUID=uid, EchoNumbers=2, EchoTime=60,
          SOPInstanceUID=lambda ds: pydicom.uid.generate_uid())
    vols = medfast.read_dicom(tmp_path)
    by = {(v.meta["SeriesNumber"], v.meta["EchoNumber"] or 0): v for v in vols}
    assert sorted(by) == [(2, 0), (3, 1), (3, 2)]
    assert by[(2, 0)].shape == (16, 16, 6) and by[(3, 2)].shape == (8, 8, 3, 2)
    assert by[(3, 1)].meta["multi_echo"] and by[(3, 2)].meta["EchoTime"] == 60
    # a second orientation within one series is a separate volume
    _edit(ct[:3], ImageOrientationPatient=[1, 0, 0, 0, 0, -1],  # coronal: slices step along y
          ImagePositionPatient=lambda ds: [ds.ImagePositionPatient[0], ds.ImagePositionPatient[2], 0])
    shapes = sorted(v.shape for v in medfast.read_dicom(tmp_path / "ct"))
    assert shapes == [(16, 16, 3), (16, 16, 3)]


def test_matrix_sizes_split_with_a_warning(tmp_path):
    write_ct_series(tmp_path / "a", shape=(16, 16, 4), series_number=5)
    small = write_ct_series(tmp_path / "b", shape=(8, 8, 3), series_number=5)
    uid = pydicom.dcmread(os.path.join(tmp_path / "a", sorted(os.listdir(tmp_path / "a"))[0])).SeriesInstanceUID
    _edit(small, SeriesInstanceUID=uid, ImageOrientationPatient=[1, 0, 0, 0, 0, -1],  # a coronal localizer
          ImagePositionPatient=lambda ds: [ds.ImagePositionPatient[0], ds.ImagePositionPatient[2], 0])
    vols = medfast.read_dicom(tmp_path)
    assert sorted(v.shape for v in vols) == [(8, 8, 3), (16, 16, 4)]
    assert all(any("matrix sizes" in w for w in v.meta["warnings"]) for v in vols)


def test_ignore_derived_drops_derived_localizer_and_2d(tmp_path):
    write_ct_series(tmp_path / "keep", shape=(8, 8, 4), series_number=2)
    derived = write_ct_series(tmp_path / "derived", shape=(8, 8, 4), series_number=3)
    _edit(derived, ImageType=["DERIVED", "SECONDARY", "AXIAL"])
    write_ct_series(tmp_path / "single", shape=(8, 8, 1), series_number=4)
    assert sorted(v.meta["SeriesNumber"] for v in medfast.read_dicom(tmp_path)) == [2, 3, 4]
    assert [v.meta["SeriesNumber"] for v in medfast.read_dicom(tmp_path, ignore_derived=True)] == [2]


def test_non_dicom_files_are_skipped_and_counted(tmp_path):
    write_ct_series(tmp_path, shape=(8, 8, 3))
    (tmp_path / "notes.txt").write_text("not DICOM")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    [vol] = medfast.read_dicom(tmp_path)
    assert vol.meta["non_dicom_files"] == 2 and vol.meta["files"] == 3


def test_dicomdir_is_followed_when_named_and_ignored_when_walked(corpus):
    folder = corpus / "dcm_qa_philips_dwi" / "In" / "cl"
    [walked] = medfast.read_dicom(folder)
    [followed] = medfast.read_dicom(folder / "DICOMDIR")
    assert walked.shape == followed.shape == (112, 112, 32, 17)
    assert np.array_equal(walked.array, followed.array)


def test_duplicate_images_are_read_once(tmp_path):
    import shutil

    paths = write_ct_series(tmp_path / "a", shape=(8, 8, 4))
    (tmp_path / "copy").mkdir()
    shutil.copy(paths[1], tmp_path / "copy" / "again.dcm")
    [vol] = medfast.read_dicom(tmp_path)
    assert vol.shape == (8, 8, 4) and vol.meta["duplicate_files"] == 1
