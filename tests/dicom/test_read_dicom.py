"""read_dicom against the NIfTI files dcm2niix wrote for the corpus (``$MEDFAST_CORPUS/*/Ref``)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import medfast
from medfast.errors import InvalidFileError

# corpus folder -> the In sub-folders dcm2niix was run on, one run each
RUNS = {
    "dcm_qa": ["In"], "dcm_qa_12bit": ["In"], "dcm_qa_enh": ["In"], "dcm_qa_fmap": ["In"],
    "dcm_qa_mosaic": ["In"], "dcm_qa_nih": ["In"], "dcm_qa_philips_dwi": ["In/enh", "In/cl"],
    "dcm_qa_ts": ["In"], "dcm_qa_xa30": ["In"],
}


def _component(image_type):
    last = str(image_type[-1]).upper() if image_type else ""
    return {"PHASE": "is_phase", "FIELDMAPHZ": "real_is_fieldmap_hz", "REAL": "is_real",
            "IMAGINARY": "is_imaginary"}.get(last, "is_magnitude")


def match(ref_json, vols):
    """The one volume a Ref NIfTI came from, by series number, image component and echo time; or a reason."""
    side = json.loads(Path(ref_json).read_text())
    found = [v for v in vols if v.meta["SeriesNumber"] == side["SeriesNumber"]]
    flag = _component(side.get("ImageType"))
    found = [v for v in found if v.meta.get(flag)] if len(found) > 1 else found
    if len(found) > 1 and "EchoTime" in side:
        found = [v for v in found if v.meta["EchoTime"] is not None
                 and abs(v.meta["EchoTime"] - side["EchoTime"] * 1000) < 0.01]
    if len(found) != 1:
        return None, f"{len(found)} volumes match series {side['SeriesNumber']} {flag}"
    return found[0], ""


def compare(vol, ref_nii):
    """'' when ``vol`` has the Ref's shape, values and affines (sform and qform, 1e-4 mm); else why not."""
    import nibabel as nib

    img = nib.load(ref_nii)
    if vol.shape != img.shape:
        return f"shape {vol.shape} != {img.shape}"
    for name, ref_affine in (("sform", img.header.get_sform()), ("qform", img.header.get_qform())):
        if not np.allclose(vol.affine, ref_affine, atol=1e-4, rtol=0):
            return f"{name} differs:\n{np.round(vol.affine, 4)}\n!=\n{np.round(ref_affine, 4)}"
    slope, inter = float(img.dataobj.slope), float(img.dataobj.inter)
    if (slope, inter) != (1.0, 0.0):
        # integers with scl_slope/scl_inter: the same integers, the same scaling (dcm2niix rounds
        # Philips' scale factors in float32 arithmetic: 1e-5 relative)
        if not np.array_equal(np.asarray(img.dataobj.get_unscaled()), vol.stored):
            return "stored integers differ"
        if abs(vol.slope - slope) > 1e-5 * abs(slope) or abs(vol.inter - inter) > 1e-5 * max(1.0, abs(inter)):
            return f"scaling {vol.slope!r}, {vol.inter!r} != {slope!r}, {inter!r}"
        return ""
    ref = img.get_fdata(dtype=np.float64)
    got = np.asarray(vol.array, dtype=np.float64)
    tol = 1e-6 * np.abs(ref).max() if img.get_data_dtype().kind == "f" or vol.meta["scaling"]["varies"] else 0
    bad = np.abs(got - ref) > tol
    if bad.any():
        return f"{int(bad.sum())} voxels differ, first at {tuple(int(i[0]) for i in np.nonzero(bad))}"
    return ""


def corpus_report(root, folder):
    """(matched, problems) over every Ref NIfTI of a corpus folder."""
    base = Path(root) / folder
    vols = [v for sub in RUNS[folder] for v in medfast.read_dicom(base / sub)]
    problems, matched = [], 0
    for nii in sorted((base / "Ref").glob("*.nii")):
        vol, why = match(nii.with_suffix(".json"), vols)
        why = why or compare(vol, nii)
        if why:
            problems.append(f"{nii.name}: {why}")
        else:
            matched += 1
    return matched, problems


@pytest.mark.parametrize("folder", sorted(RUNS))
def test_corpus_matches_dcm2niix(corpus, folder):
    refs = sorted((corpus / folder / "Ref").glob("*.nii"))
    matched, problems = corpus_report(corpus, folder)
    assert not problems, "\n".join(problems)
    assert matched == len(refs) > 0


if __name__ == "__main__":
    import sys

    root = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/corpus"
    for name in sys.argv[2:] or sorted(RUNS):
        m, p = corpus_report(root, name)
        print(f"{name}: {m} matched, {len(p)} problems")
        for line in p:
            print("   ", line)


# ---- bad input: an error naming the file and the field, never a padded or misplaced slice ----


def _ct(folder, n=4):
    from medfast.synth import write_ct_series

    return write_ct_series(folder, shape=(16, 16, n))


def test_truncated_pixel_data_names_file_and_field(tmp_path):
    paths = _ct(tmp_path)
    with open(paths[2], "r+b") as f:
        f.truncate(f.seek(0, 2) - 100)
    with pytest.raises(InvalidFileError, match=r"IM\d+\.dcm.*PixelData"):
        medfast.read_dicom(tmp_path)


def test_short_pixel_data_element_names_file_and_field(tmp_path):
    import pydicom

    paths = _ct(tmp_path)
    ds = pydicom.dcmread(paths[1])
    ds.PixelData = ds.PixelData[:100]
    ds.save_as(paths[1])
    with pytest.raises(InvalidFileError, match=r"IM\d+\.dcm.*PixelData"):
        medfast.read_dicom(tmp_path)


def test_malformed_position_names_file_and_field(tmp_path):
    """A position of two numbers is an error; a missing one is not (dcm2niix converts it: test_survey_rules)."""
    import pydicom

    paths = _ct(tmp_path)
    ds = pydicom.dcmread(paths[3])
    ds.ImagePositionPatient = [1.0, 2.0]
    ds.save_as(paths[3])
    with pytest.raises(InvalidFileError, match=r"IM\d+\.dcm.*ImagePositionPatient"):
        medfast.read_dicom(tmp_path)


def test_truncated_header_names_file(tmp_path):
    paths = _ct(tmp_path)
    with open(paths[0], "r+b") as f:
        f.truncate(300)
    with pytest.raises(InvalidFileError, match=r"IM\d+\.dcm"):
        medfast.read_dicom(tmp_path)


def test_incomplete_4d_series_is_an_error(tmp_path):
    from medfast.synth import write_mr_series

    paths = write_mr_series(tmp_path, shape=(8, 8, 3, 2))
    os.remove(paths[-1])
    with pytest.raises(InvalidFileError, match="ImagePositionPatient.*incomplete"):
        medfast.read_dicom(tmp_path)


# ---- single files of pydicom's test data, against dcm2niix run on each ----

PYDICOM_FILES = [
    "CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm",
    "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm", "MR_small_padded.dcm", "MR2_J2KR.dcm",
    "MR2_UNCI.dcm", "liver.dcm", "liver_expb.dcm", "rtdose.dcm", "rtdose_rle.dcm", "eCT_Supplemental.dcm",
    "693_J2KI.dcm", "explicit_VR-UN.dcm",
]


@pytest.mark.parametrize("name", PYDICOM_FILES)
def test_pydicom_test_file_matches_dcm2niix(tmp_path, name):
    import shutil
    import subprocess

    import nibabel as nib
    from pydicom.data import get_testdata_file

    from support import require_tool

    exe = require_tool("dcm2niix")
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    shutil.copy(get_testdata_file(name), tmp_path / "in")
    subprocess.run([exe, "-b", "n", "-z", "n", "-f", "%s_%e", "-o", str(tmp_path / "out"), str(tmp_path / "in")],
                   check=True, capture_output=True)
    [ref_path] = sorted((tmp_path / "out").glob("*.nii"))
    [vol] = medfast.read_dicom(tmp_path / "in")
    assert compare(vol, ref_path) == ""


@pytest.mark.parametrize("name", ["SC_rgb.dcm", "SC_rgb_rle.dcm", "SC_rgb_expb.dcm", "SC_rgb_2frame.dcm"])
def test_rgb_matches_dcm2niix(tmp_path, name):
    """8-bit RGB (given a geometry: pydicom's samples have none) is NIfTI RGB24, rows flipped, as dcm2niix."""
    import subprocess

    import nibabel as nib
    import pydicom
    from pydicom.data import get_testdata_file

    from support import require_tool

    exe = require_tool("dcm2niix")
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    ds = pydicom.dcmread(get_testdata_file(name))
    ds.ImageOrientationPatient, ds.ImagePositionPatient, ds.PixelSpacing = [1, 0, 0, 0, 1, 0], [0, 0, 0], [1, 1]
    ds.SeriesNumber = 4
    ds.save_as(tmp_path / "in" / name)
    subprocess.run([exe, "-b", "n", "-z", "n", "-f", "%s", "-o", str(tmp_path / "out"), str(tmp_path / "in")],
                   check=True, capture_output=True)
    img = nib.load(tmp_path / "out" / "4.nii")
    [vol] = medfast.read_dicom(tmp_path / "in")
    assert vol.array.dtype == img.get_data_dtype() and vol.shape == img.shape
    np.testing.assert_allclose(vol.affine, img.affine, atol=1e-4)
    assert np.array_equal(vol.array, np.asarray(img.dataobj))


def test_slice_of_another_size_inside_a_series_is_a_volume_of_its_own(tmp_path):
    """dcm2niix never stacks images of different sizes (isSameSet): the odd slice is its own 2-D volume."""
    import subprocess

    import nibabel as nib
    import pydicom

    from medfast.synth import write_ct_series
    from support import require_tool

    paths = write_ct_series(tmp_path / "a", shape=(16, 16, 6))
    [odd] = write_ct_series(tmp_path / "b", shape=(8, 8, 1))
    ds, ref = pydicom.dcmread(odd), pydicom.dcmread(paths[2])
    ds.SeriesInstanceUID, ds.SeriesNumber = ref.SeriesInstanceUID, ref.SeriesNumber
    ds.ImagePositionPatient = [*ref.ImagePositionPatient[:2], ref.ImagePositionPatient[2] + 0.5]
    ds.save_as(odd)
    (tmp_path / "ref").mkdir()
    subprocess.run([require_tool("dcm2niix"), "-b", "n", "-z", "n", "-f", "%s_%r", "-o", str(tmp_path / "ref"),
                    str(tmp_path)], check=True, capture_output=True)
    ref = sorted(nib.load(p).get_fdata().squeeze().tobytes() for p in (tmp_path / "ref").glob("2_*.nii"))
    got = sorted(vol.array.astype(np.float64).tobytes() for vol in medfast.read_dicom([tmp_path / "a", tmp_path / "b"]))
    assert len(got) == 2 and got == ref


def test_header_only_read_predicts_shape_dtype_and_affine(corpus):
    folder = corpus / "dcm_qa_fmap" / "In"
    full, heads = medfast.read_dicom(folder), medfast.read_dicom(folder, pixels=False)
    assert len(full) == len(heads) == 8
    for vol, head in zip(full, heads):
        assert head.shape == vol.shape and head.stored.dtype == vol.stored.dtype
        assert np.array_equal(head.affine, vol.affine) and head.meta["frames"] == vol.meta["frames"]
        assert head.stored.strides[:2] == (0, 0)  # nothing was read


def test_image_class_table_holds_every_pydicom_image_storage_class():
    from pydicom._uid_dict import UID_dictionary

    from medfast.dicom.reader import may_be_image_class

    images = [uid for uid, entry in UID_dictionary.items() if "Image Storage" in entry[0]]
    others = [uid for uid, entry in UID_dictionary.items() if "Image Storage" not in entry[0]]
    assert len(images) > 50 and all(may_be_image_class(uid) for uid in images)
    assert not may_be_image_class("1.2.840.10008.5.1.4.1.1.88.22")  # an SR: no pydicom needed to say so
    assert sum(map(may_be_image_class, others)) < len(others) // 10  # the others mostly told apart at once


def test_collector_paused_during_reads_and_left_as_found(tmp_path):
    import gc
    import threading

    from medfast.dicom import reader
    from medfast.synth import write_ct_series

    write_ct_series(tmp_path, shape=(8, 8, 3))
    seen = []
    original = reader._read_dicom

    def spy(*args):
        seen.append(gc.isenabled())
        return original(*args)

    reader._read_dicom = spy
    try:
        threads = [threading.Thread(target=medfast.read_dicom, args=(tmp_path,)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert seen == [False] * 3 and gc.isenabled()  # off while any read runs, on again after the last
        gc.disable()
        try:
            medfast.read_dicom(tmp_path)
            assert not gc.isenabled()  # a caller's own choice stands
        finally:
            gc.enable()
    finally:
        reader._read_dicom = original


def test_what_a_read_drops_is_freed_without_a_full_collection(corpus):
    """The pause must not leave a read's objects where only a full collection reaches them: a process that
    reads folder after folder never got one (gc.freeze + unfreeze at the pause's end leaked that way)."""
    import gc

    folder = corpus / "dcm_qa_enh" / "In"  # enhanced: item headers that point at their parents, cycles
    medfast.read_dicom(folder, pixels=False)
    gc.collect()
    before = len(gc.get_objects())
    vols = medfast.read_dicom(folder, pixels=False)
    assert len(gc.get_objects()) > before + 2000  # the read made its objects
    del vols
    gc.collect(1)  # the young generations only
    assert len(gc.get_objects()) < before + 500
