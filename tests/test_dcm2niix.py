"""``medfast dcm2niix`` against what dcm2niix v1.0.20260724 wrote (``$MEDFAST_CORPUS/*/Ref``).

Each corpus is converted once, with the command of the corpus README, into a
temporary folder; then every Ref file is compared with medfast's: the set of
names, the NIfTI header fields and voxels, bval/bvec, and the JSON sidecar's
acquisition keys.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from dcm2niix_compare import CORPUS_COMMANDS as COMMANDS, SOFTWARE_KEYS, same_value as _same
from support import corpus_root


def _ref_files():
    root = os.environ.get("MEDFAST_CORPUS")
    if not root or not os.path.isdir(root):
        return [pytest.param(None, None, id="corpus-missing")]
    return [pytest.param(name, f.name, id=f"{name}/{f.name}")
            for name in COMMANDS for f in sorted((Path(root) / name / "Ref").iterdir())]


REF_FILES = _ref_files()


@pytest.fixture(scope="session")
def converted(tmp_path_factory):
    """corpus name -> folder medfast dcm2niix wrote, converting each corpus on first use."""
    from medfast.dcm2niix import main

    done = {}

    def get(name):
        if name not in done:
            root = corpus_root() / name
            out = tmp_path_factory.mktemp(name)
            args, inputs = COMMANDS[name]
            for src in inputs:
                main([*args, "-o", str(out), str(root / src)])
            done[name] = out
        return done[name]

    return get


@pytest.mark.corpus
@pytest.mark.parametrize("name", list(COMMANDS))
def test_names(name, converted):
    """medfast writes exactly the files of Ref/, with dcm2niix's names and suffixes."""
    ref = corpus_root() / name / "Ref"
    got = sorted(os.listdir(converted(name)))
    assert got == sorted(os.listdir(ref))


def _header(path):
    import nibabel as nib

    with open(path, "rb") as f:
        return nib.Nifti1Header.from_fileobj(f)


def _scaled(path, hdr):
    import nibabel as nib

    img = nib.load(path)
    return np.asanyarray(img.dataobj, dtype=np.float64) if hdr.get_slope_inter()[0] is not None \
        else np.asarray(img.dataobj).astype(np.float64)


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "fname"), [p for p in REF_FILES if p.id.endswith(".nii") or p.id == "corpus-missing"])
def test_nifti(name, fname, converted):
    """Same shape, dtype, scaled voxels, sform/qform (codes too), pixdim and slice fields."""
    ref_path = corpus_root() / name / "Ref" / fname
    got_path = converted(name) / fname
    assert got_path.exists(), f"medfast did not write {fname}"
    ref, got = _header(ref_path), _header(got_path)
    assert got.get_data_shape() == ref.get_data_shape()
    assert got.get_data_dtype() == ref.get_data_dtype()
    for field in ("qform_code", "sform_code", "xyzt_units", "dim_info", "slice_code", "intent_code"):
        assert int(got[field]) == int(ref[field]), field
    for field in ("slice_duration", "toffset", "cal_min", "cal_max"):
        assert float(got[field]) == pytest.approx(float(ref[field]), abs=1e-6), field
    np.testing.assert_allclose(got["pixdim"][1:5], ref["pixdim"][1:5], atol=1e-4)
    np.testing.assert_allclose(got.get_sform(), ref.get_sform(), atol=1e-4)
    np.testing.assert_allclose(got.get_qform(), ref.get_qform(), atol=1e-4)
    if ref.get_slope_inter()[0] is not None:
        assert got.get_slope_inter() == pytest.approx(ref.get_slope_inter(), rel=1e-6), "scl_slope, scl_inter"
    a, b = _scaled(ref_path, ref), _scaled(got_path, got)
    np.testing.assert_array_equal(b, a)


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "fname"), [p for p in REF_FILES if p.id.endswith((".bval", ".bvec"))])
def test_gradients(name, fname, converted):
    """bval/bvec equal Ref to 1e-4."""
    ref = np.loadtxt(corpus_root() / name / "Ref" / fname, ndmin=2)
    got_path = converted(name) / fname
    assert got_path.exists(), f"medfast did not write {fname}"
    got = np.loadtxt(got_path, ndmin=2)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got, ref, atol=1e-4)


@pytest.mark.corpus
@pytest.mark.parametrize(("name", "fname"), [p for p in REF_FILES if p.id.endswith(".json")])
def test_sidecar(name, fname, converted):
    """The JSON sidecar has Ref's acquisition keys with Ref's values."""
    ref = json.loads((corpus_root() / name / "Ref" / fname).read_text())
    got_path = converted(name) / fname
    assert got_path.exists(), f"medfast did not write {fname}"
    got = json.loads(got_path.read_text())
    want = {k: v for k, v in ref.items() if k not in SOFTWARE_KEYS}
    have = {k: v for k, v in got.items() if k not in SOFTWARE_KEYS}
    assert sorted(set(want) - set(have)) == [], "keys medfast leaves out"
    assert sorted(set(have) - set(want)) == [], "keys medfast adds"
    wrong = {k: (have[k], want[k]) for k in want if not _same(want[k], have[k])}
    assert wrong == {}


def test_refuses_unsupported_options(capsys, tmp_path):
    """An option medfast cannot honour is refused by name with dcm2niix's exit code for a bad option (12)."""
    from medfast.dcm2niix import main

    assert main(["-t", "y", str(tmp_path)]) == 12
    assert "Error: medfast cannot honour '-t y'" in capsys.readouterr().out
    assert main(["-a", "y", "-m", "0", str(tmp_path / "missing")]) == 5  # honoured: the input folder is what fails
    assert "Input folder invalid" in capsys.readouterr().err


def test_template_tokens():
    """Every documented -f token expands, and dcm2niix's suffix and cleaning rules apply."""
    from medfast.dcm2niix.naming import format_name, name_fields

    header = {"ProtocolName": "T1/MPRAGE", "SeriesNumber": 7, "SeriesDescription": "t1 sag", "Manufacturer": "GE MEDICAL",
              "PatientName": "Doe^John", "PatientID": "ID1", "StudyID": "42", "AccessionNumber": "A9",
              "InstanceNumber": 3, "AcquisitionNumber": 2, "SequenceName": "tfl3d", "ScanningSequence": "GR",
              "StudyDate": "20200102", "StudyTime": "030405", "ImageComments": "note", "SeriesInstanceUID": "1.2",
              "StudyInstanceUID": "1.3", "SOPInstanceUID": "1.4", "PerformedProcedureStepDescription": "brain"}
    f = name_fields(header, {"EchoNumber": 2}, indir_parent="dicom", source_name="IM1")
    got = format_name("%a%b_%c_%d_%e_%f_%g_%i_%j_%k_%l_%m_%n_%o_%p_%q_%r_%s_%t_%u_%v_%x_%y_%z", f)
    assert got == "IM1_note_t1_sag_2_dicom_A9_ID1_1.2_1.3_brain_GE_Doe^John_1.4_T1_MPRAGE_GR_3_7_20200102030405_2_GE_42_tfl3d"
    assert format_name("%3s_%p", f) == "007_T1_MPRAGE_e2"
    assert format_name("%p", dict(f, e=1, phase=True)) == "T1_MPRAGE_ph"
    assert format_name("%p", dict(f, e=1, real=True, fieldmap_hz=True)) == "T1_MPRAGE_fieldmaphz"
    assert format_name(".%p  x", dict(f, e=1)) == "_T1_MPRAGE_x"


def _synthetic(kind, folder):
    import pydicom

    from medfast.synth import write_ct_series, write_mr_series

    if kind == "mr":
        write_mr_series(folder, shape=(24, 20, 8, 3))
        return
    if kind == "ct_tilt":  # dcm2niix also writes the _Tilt volume
        _tilted_ct(folder / "series", 0.5, None, seed=3)
        return
    files = write_ct_series(folder / "src", shape=(40, 32, 12), spacing=(0.8, 0.8, 2.0))
    ordered = sorted(files, key=lambda p: float(pydicom.dcmread(p, stop_before_pixels=True).ImagePositionPatient[2]))
    for i, path in enumerate(ordered):
        if kind == "ct_uneven" and i == 5:
            continue  # a missing slice: dcm2niix also writes the _Eq volume
        os.makedirs(folder / "in", exist_ok=True)
        os.replace(path, folder / "in" / os.path.basename(path))
    os.rename(folder / "in", folder / "series")


@pytest.mark.parametrize("kind", ["ct", "ct_uneven", "ct_tilt", "mr"])
def test_same_files_as_dcm2niix_package(kind, tmp_path):
    """On generated CT (even, uneven, tilted) and 4-D MR: the files, voxels, affines and sidecars of the dcm2niix package."""
    import subprocess

    import nibabel as nib

    from support import require_tool
    from medfast.dcm2niix import main

    tool = require_tool("dcm2niix")
    _synthetic(kind, tmp_path / "dicom")
    ref, got = tmp_path / "ref", tmp_path / "got"
    ref.mkdir()
    got.mkdir()  # dcm2niix, and medfast dcm2niix, refuse an output folder that does not exist (exit 6)
    subprocess.run([tool, "-b", "y", "-z", "n", "-f", "%p_%s", "-o", str(ref), str(tmp_path / "dicom")],
                   check=True, capture_output=True)
    assert main(["-b", "y", "-z", "n", "-f", "%p_%s", "-o", str(got), str(tmp_path / "dicom")]) == 0
    assert sorted(os.listdir(got)) == sorted(os.listdir(ref))
    for name in os.listdir(ref):
        if name.endswith(".nii"):
            a, b = nib.load(ref / name), nib.load(got / name)
            assert b.header.get_data_dtype() == a.header.get_data_dtype()
            np.testing.assert_array_equal(np.asanyarray(b.dataobj), np.asanyarray(a.dataobj))
            np.testing.assert_allclose(b.affine, a.affine, atol=1e-4)
        if name.endswith(".json"):  # the sidecar's acquisition keys too
            want = {k: v for k, v in json.loads((ref / name).read_text()).items() if k not in SOFTWARE_KEYS}
            have = {k: v for k, v in json.loads((got / name).read_text()).items() if k not in SOFTWARE_KEYS}
            assert sorted(set(want) ^ set(have)) == []
            assert {k: (have[k], v) for k, v in want.items() if not _same(v, have[k])} == {}


def _ge_block_dataset(payload):
    import gzip
    import struct

    import pydicom

    raw = gzip.compress(payload)
    ds = pydicom.Dataset()
    ds.add_new((0x0025, 0x101B), "OB", struct.pack("<I", len(raw)) + raw)
    return ds


@pytest.mark.corpus
def test_ge_protocol_block_matches_gzip():
    """Every KEY "value" line of a real GE protocol block, as Python's gzip reads the same bytes."""
    import gzip

    import pydicom

    from medfast.dicom.ge import protocol_block
    from medfast.dicom.header import DatasetHeader

    path = next(p for p in sorted((corpus_root() / "dcm_qa_nih" / "In" / "20180918GE").rglob("*.dcm")))
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    text = gzip.decompress(bytes(ds[0x0025, 0x101B].value)[4:]).decode("latin-1")
    want = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.startswith('"') and value.endswith('"'):
            want.setdefault(key, value[1:-1])
    got = protocol_block(DatasetHeader(ds))
    assert got == want
    assert got["PSEQ"] == "Gradient Echo" and got["IOPT"] == "EPI, FMRI"


def test_ge_protocol_block_bounded_and_malformed():
    """A block that inflates past the bound is cut there; bad signatures, truncation and garbage read as {}."""
    import struct

    import pydicom

    from medfast.dicom import ge
    from medfast.dicom.header import DatasetHeader

    huge = _ge_block_dataset(b'A "1"\n' + b"x" * (8 << 20) + b'\nLATE "2"\n')
    got = ge.protocol_block(DatasetHeader(huge))
    assert got == {"A": "1"}  # LATE lies beyond the 1 MB bound
    good = _ge_block_dataset(b'PSEQ "Spin Echo"\n')
    raw = bytes(good[0x0025, 0x101B].value)
    for bad in (raw[:4] + b"\x00" + raw[5:], raw[:20], struct.pack("<I", 10**9) + raw[4:12], b"\x00" * 30):
        ds = pydicom.Dataset()
        ds.add_new((0x0025, 0x101B), "OB", bad)
        assert ge.protocol_block(DatasetHeader(ds)) in ({}, {"PSEQ": "Spin Echo"})
    assert ge.protocol_block(DatasetHeader(pydicom.Dataset())) == {}


@pytest.mark.parametrize(("block", "nz", "mb_version", "want"), [
    ({"IOPT": "EPI, FMRI", "SLICEORDER": "0"}, 4, "27\\LX\\MR Software release:RX27.0_R02_1831.a", [0, 250, 500, 750]),
    ({"IOPT": "EPI, FMRI", "SLICEORDER": "1"}, 4, "27\\LX\\MR Software release:RX27.0_R02_1831.a", [0, 500, 250, 750]),
    # multiband 2 on 8 slices, release 27 R03 or later: 4 excitations, the last two swapped when interleaved
    ({"IOPT": "EPI, FMRI", "SLICEORDER": "1", "MBACCEL": "2"}, 8, "28\\LX\\MR29.1_EA_2039.g",
     [0, 750, 250, 500, 0, 750, 250, 500]),
    # before 27 R03 an even excitation count gains one excitation
    ({"IOPT": "EPI, FMRI", "SLICEORDER": "0", "MBACCEL": "2"}, 8, "27\\LX\\MR Software release:RX27.0_R02_1831.a",
     [0, 200, 400, 600, 800, 0, 200, 400]),
    ({"IOPT": "EPI, DIFF", "SLICEORDER": "0"}, 4, "28\\LX\\MR29.1_EA_2039.g", None),
])
def test_ge_slice_times(block, nz, mb_version, want):
    """GE slice times follow dcm2niix's rule: TR over the excitations, interleaved odd-first, multiband repeats."""
    import pydicom

    from medfast.dicom.ge import timing
    from medfast.dicom.header import DatasetHeader

    ds = pydicom.Dataset()
    ds.SoftwareVersions = mb_version.split("\\")
    ds.RepetitionTime = 1000.0
    got = timing(DatasetHeader(ds), block, nz, 2)["times"]
    assert got == (None if want is None else pytest.approx(want))


@pytest.mark.parametrize(("mode", "n", "want"), [
    (1, 4, [0, 1, 2, 3]), (2, 4, [3, 2, 1, 0]),
    (4, 5, [0, 3, 1, 4, 2]), (4, 4, [2, 0, 3, 1]),  # Siemens interleaving starts with slice 2 for even counts
])
def test_siemens_protocol_slice_order(mode, n, want):
    """Without MosaicRefAcqTimes, slice times follow sSliceArray.ucMode over TR minus the delay in TR."""
    from medfast.dcm2niix.slice_timing import _rescue

    block = f"sSliceArray.ucMode = 0x{mode}\nlDelayTimeInTR = 200000\n"
    got = _rescue(block, 1000.0, n)
    step = 800.0 / n
    assert [float(t) for t in got] == pytest.approx([k * step for k in want], abs=1e-3)


def _tilted_ct(folder, shear_mm, padding, seed):
    """A generated CT series sheared along the rows (gantry tilt), random pixels, optional PixelPaddingValue."""
    import pydicom

    from medfast.synth import write_ct_series

    rng = np.random.default_rng(seed)
    for k, path in enumerate(write_ct_series(folder, shape=(24, 20, 8), spacing=(0.8, 0.7, 2.0))):
        ds = pydicom.dcmread(path)
        ds.ImagePositionPatient = [float(ds.ImagePositionPatient[0]),
                                   round(float(ds.ImagePositionPatient[1]) + shear_mm * k, 4),
                                   float(ds.ImagePositionPatient[2])]
        pixels = rng.integers(0, 4000, size=(ds.Rows, ds.Columns)).astype(ds.pixel_array.dtype)
        if padding is not None:
            pixels[:3] = padding
            pixels[:, 5] = padding
            ds.add_new(0x00280120, "US", padding)
        ds.PixelData = pixels.tobytes()
        ds.save_as(path)


@pytest.mark.parametrize(("shear_mm", "padding"), [(0.5, None), (-0.37, None), (0.3, 0), (-0.6, 7)])
def test_tilt_corrected_matches_dcm2niix_package(tmp_path, shear_mm, padding):
    """The _Tilt volume (grown rows, interpolated shift per slice, shifted origin) equals the dcm2niix package's."""
    import subprocess

    import nibabel as nib

    import medfast
    from support import require_tool
    from medfast.dcm2niix.resample import tilt_corrected

    tool = require_tool("dcm2niix")
    _tilted_ct(tmp_path / "in", shear_mm, padding, seed=int(abs(shear_mm) * 100))
    (tmp_path / "out").mkdir()
    subprocess.run([tool, "-b", "n", "-z", "n", "-f", "%s", "-o", str(tmp_path / "out"), str(tmp_path / "in")],
                   check=True, capture_output=True)
    ref = nib.load(tmp_path / "out" / "2_Tilt_1.nii")
    [vol] = medfast.read_dicom(tmp_path / "in")
    got = tilt_corrected(vol)
    assert got is not None
    assert got.stored.shape == ref.shape
    assert got.stored.tobytes() == np.ascontiguousarray(ref.dataobj.get_unscaled(), got.stored.dtype).tobytes()
    np.testing.assert_allclose(got.affine, ref.affine, atol=1e-4)
    _tilted_ct(tmp_path / "flat", 0.0, None, seed=0)
    assert tilt_corrected(medfast.read_dicom(tmp_path / "flat")[0]) is None  # no tilt, no _Tilt copy


@pytest.mark.parametrize("manufacturer", ["SIEMENS", "UIH", "Philips Medical Systems", "GE MEDICAL SYSTEMS", "Canon"])
def test_sidecar_slice_times_match_dcm2niix_package(tmp_path, manufacturer):
    """Interleaved 2-D MR with per-slice acquisition times: the package's sidecar, SliceTiming included
    (float32 HHMMSS arithmetic for Siemens and UIH, none for the vendors whose times dcm2niix ignores)."""
    import subprocess

    import pydicom

    from support import require_tool
    from medfast.dcm2niix import main
    from medfast.synth import write_mr_series

    tool = require_tool("dcm2niix")
    write_mr_series(tmp_path / "in", shape=(24, 20, 8, 3))
    order = [0, 4, 1, 5, 2, 6, 3, 7]
    for path in sorted(p for p in (tmp_path / "in").rglob("*") if p.is_file()):
        ds = pydicom.dcmread(path)
        ds.Manufacturer = manufacturer
        k = int(round(float(ds.ImagePositionPatient[2]) / float(ds.SliceThickness))) % 8
        sec = 33000 + order.index(k) * 0.2375
        ds.AcquisitionTime = f"{int(sec // 3600):02d}{int(sec % 3600 // 60):02d}{sec % 60:09.6f}"
        ds.save_as(path)
    ref, got = tmp_path / "ref", tmp_path / "got"
    ref.mkdir()
    got.mkdir()  # dcm2niix, and medfast dcm2niix, refuse an output folder that does not exist (exit 6)
    subprocess.run([tool, "-b", "y", "-z", "n", "-f", "%p_%s", "-o", str(ref), str(tmp_path / "in")],
                   check=True, capture_output=True)
    assert main(["-b", "y", "-z", "n", "-f", "%p_%s", "-o", str(got), str(tmp_path / "in")]) == 0
    names = sorted(p.name for p in ref.glob("*.json"))
    assert names and names == sorted(p.name for p in got.glob("*.json"))
    for name in names:
        want = {k: v for k, v in json.loads((ref / name).read_text()).items() if k not in SOFTWARE_KEYS}
        have = {k: v for k, v in json.loads((got / name).read_text()).items() if k not in SOFTWARE_KEYS}
        assert sorted(set(want) ^ set(have)) == []
        assert {k: (have[k], v) for k, v in want.items() if not _same(v, have[k])} == {}
