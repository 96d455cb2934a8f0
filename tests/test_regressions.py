"""Every crash, hang and stray exception the fuzzers found stays fixed; the hostile inputs the issue names are refused.

``tests/regressions/<target>-<what>/`` holds one input each (shrunk by
``tests/fuzz/minimize.py``); the target is the folder name's first word. The
crafted inputs below (2^31 x 2^31 voxels, a gzip bomb, a 20,000-deep
sequence, a negative data offset, NRRD sizes past 2^32) are made here. All of
them run in the mutation test's guarded workers: a memory cap a little above
what the worker holds, a timeout, and a crash caught by its signal.
"""
from __future__ import annotations

import gzip
import io
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fuzz import mutation, targets

REGRESSIONS = Path(__file__).parent / "regressions"
_COMPANIONS = (".img", ".raw", ".REC")


def _regression_tasks():
    tasks = []
    for number, case in enumerate(sorted(p for p in REGRESSIONS.iterdir() if p.is_dir())):
        target = case.name.split("-")[0]
        files = {p.name: p.read_bytes() for p in case.iterdir()}
        if target in targets.BLOB_TARGETS:
            tasks.append(mutation.Task(number, target, blob=files[f"{target}.bin"], label=case.name))
        else:
            main = next(name for name in sorted(files) if not name.endswith(_COMPANIONS))
            tasks.append(mutation.Task(number, target, files=files, main=main, label=case.name))
    return tasks


# ---- crafted inputs ------------------------------------------------------------------


def _nifti2(dims, vox_offset=544, payload=b"\0" * 64):
    import nibabel as nib

    hdr = nib.Nifti2Header()
    hdr.set_data_dtype(np.uint8)
    raw = hdr.binaryblock
    dim = struct.pack("<8q", len(dims), *dims, *[1] * (7 - len(dims)))
    raw = raw[:16] + dim + raw[16 + 64:]
    raw = raw[:168] + struct.pack("<q", vox_offset) + raw[176:]
    return raw + b"\0" * 4 + payload


def _nifti1(dims, vox_offset=352.0, dtype=np.int16):
    import nibabel as nib

    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(dtype)
    raw = bytearray(hdr.binaryblock)
    raw[40:56] = struct.pack("<8h", len(dims), *dims, *[1] * (7 - len(dims)))
    raw[108:112] = struct.pack("<f", vox_offset)
    return bytes(raw) + b"\0" * 4 + b"\0" * 64


def _gzip_bomb(dims, zeros):
    """A .nii.gz whose header claims ``dims`` uint8 voxels, followed by ``zeros`` zero bytes, compressed."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as f:
        f.write(_nifti1(dims, dtype=np.uint8)[:352])
        for _ in range(zeros // (1 << 20)):
            f.write(bytes(1 << 20))
    return out.getvalue()


def _nested_sequence(depth):
    """A DICOM file with a sequence nested ``depth`` deep (undefined lengths), then pixels."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = "1.2.3.4"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.Modality = "OT"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    open_sq = struct.pack("<HH2sHI", 0x0040, 0x0275, b"SQ", 0, 0xFFFFFFFF)  # Request Attributes Sequence
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    item_end = struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    seq_end = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
    body = (open_sq + item) * depth + (item_end + seq_end) * depth
    pixels = struct.pack("<HH2sH", 0x0028, 0x0010, b"US", 2) + struct.pack("<H", 2)
    pixels += struct.pack("<HH2sH", 0x0028, 0x0011, b"US", 2) + struct.pack("<H", 2)
    return buf.getvalue() + body + pixels


def _nrrd(sizes):
    header = f"NRRD0004\ntype: uint8\ndimension: {len(sizes)}\nsizes: {' '.join(map(str, sizes))}\nencoding: raw\n\n"
    return header.encode() + bytes(16)


# label -> (target, file name, what makes the file); made when the tests run, not when they are collected
CRAFTED = {
    "nifti2 2^31 x 2^31 voxels": ("read", "a.nii", lambda: _nifti2((2**31, 2**31))),
    "nifti2 2^62 voxels per axis": ("read", "a.nii", lambda: _nifti2((2**62, 2**62, 2**62))),
    "nifti1 32767^3 voxels": ("read", "a.nii", lambda: _nifti1((32767, 32767, 32767))),
    "nifti1 negative dims": ("read", "a.nii", lambda: _nifti1((-1, 2, 2))),
    "nifti1 negative vox_offset": ("read", "a.nii", lambda: _nifti1((2, 2, 2), vox_offset=-1e9)),
    "nifti1 vox_offset past 2^63": ("read", "a.nii", lambda: _nifti1((2, 2, 2), vox_offset=1e30)),
    "nifti2 negative vox_offset": ("read", "a.nii", lambda: _nifti2((2, 2), vox_offset=-(2**62))),
    "gzip bomb, header claims 2.7 GB": ("read", "a.nii.gz", lambda: _gzip_bomb((1400, 1400, 1400), 8 << 20)),
    "gzip bomb, 64 MB after a small volume": ("read", "a.nii.gz", lambda: _gzip_bomb((2, 2, 2), 64 << 20)),
    "nrrd sizes 2^31 - 1 and 2^32 - 1": ("read", "a.nrrd", lambda: _nrrd((2**31 - 1, 2**32 - 1))),
    "nrrd sizes past 2^64": ("read", "a.nrrd", lambda: _nrrd((2**64 + 1, 3))),
    "dicom sequence 20,000 deep: scan": ("scan", "a.dcm", lambda: _nested_sequence(20000)),
    "dicom sequence 20,000 deep: read_dicom": ("read_dicom_file", "a.dcm", lambda: _nested_sequence(20000)),
    "dicom sequence 20,000 deep: pixel_array": ("pixel_array", "a.dcm", lambda: _nested_sequence(20000)),
}


def _crafted_tasks(start):
    return [mutation.Task(start + i, target, files={name: make()}, main=name, label=label)
            for i, (label, (target, name, make)) in enumerate(CRAFTED.items())]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """label -> (outcome, saved folder or None), for every regression file and crafted input, in one pool."""
    tasks = _regression_tasks()
    tasks += _crafted_tasks(len(tasks))
    outdir = tmp_path_factory.mktemp("regressions")
    pending = {t.number: t.label for t in tasks}
    counts, failures = mutation.run_tasks(tasks, workers=2, outdir=outdir)
    assert sum(counts.values()) == len(tasks)
    failed = {int(f.name.split("-")[0]): f for f in failures}
    return {label: failed.get(number) for number, label in pending.items()}


def _check(outcomes, label):
    saved = outcomes[label]
    why = "" if saved is None else (saved / "why.txt").read_text()
    assert saved is None, f"{label}: {why[:3000]}"


@pytest.mark.parametrize("case", sorted(p.name for p in REGRESSIONS.iterdir() if p.is_dir()))
def test_regression_file_gives_a_value_or_a_medfast_error(outcomes, case):
    _check(outcomes, case)


@pytest.mark.parametrize("label", list(CRAFTED))
def test_hostile_input_gives_a_value_or_a_medfast_error_in_bounded_memory(outcomes, label):
    _check(outcomes, label)


def test_the_guard_catches_an_unbounded_allocation(tmp_path, monkeypatch):
    """Without the cap the crafted inputs prove nothing: an allocation of 4 GB must fail in a worker."""

    def allocate(folder, main):
        np.ones(1 << 32, np.uint8)

    monkeypatch.setitem(targets.FILE_TARGETS, "read", allocate)
    task = mutation.Task(0, "read", files={"a.nii": b""}, main="a.nii")
    counts, failures = mutation.run_tasks([task], workers=1, outdir=tmp_path, context="fork")
    assert counts == {("read", "finding"): 1}
    assert "MemoryError" in (failures[0] / "why.txt").read_text()


@pytest.mark.parametrize("target", ["scan", "header", "read_dicom", "convert", "convert_zip", "dcm2niix"])
def test_the_guard_sees_an_allocation_on_the_scanner_paths(tmp_path, monkeypatch, target):
    """The memory cap holds in the worker's threads too, and a MemoryError counts wherever it ends up: wrapped in
    an InvalidFileError, in the bulk engine's failure list, or in ``medfast dcm2niix``'s line for a file left out."""
    from medfast.dicom import scan
    from medfast.errors import reading
    from medfast.synth import write_ct_series

    def allocate(path, raw_dataset=False):
        with reading(path):
            np.ones(1 << 32, np.uint8)

    monkeypatch.setattr(scan, "read_header", allocate)
    write_ct_series(tmp_path / "ct", shape=(8, 8, 2))
    files = {p.name: p.read_bytes() for p in sorted((tmp_path / "ct").rglob("*")) if p.is_file()}
    main = sorted(files)[0]
    if target == "convert_zip":
        files, main = {"a.zip": targets.pack(files, "zip")}, "a.zip"
    task = mutation.Task(0, target, files=files, main=main)
    counts, failures = mutation.run_tasks([task], workers=1, outdir=tmp_path / "out", context="fork")
    assert counts == {(target, "finding"): 1}
    assert "MemoryError" in (failures[0] / "why.txt").read_text()


def test_the_guard_sees_an_exception_python_ignores(tmp_path, monkeypatch):
    """A bounds check that fails in a ``noexcept`` kernel of the debug build is only reported as "ignored"
    (``sys.unraisablehook``), like an error in a ``__del__``: both count as findings."""

    class Broken:
        def __del__(self):
            raise IndexError("Out of bounds on buffer access (axis 0)")

    def ignored(folder, main):
        Broken()

    monkeypatch.setitem(targets.FILE_TARGETS, "scan", ignored)
    task = mutation.Task(0, "scan", files={"a.dcm": b"x"}, main="a.dcm")
    counts, failures = mutation.run_tasks([task], workers=1, outdir=tmp_path, context="fork")
    assert counts == {("scan", "finding"): 1}
    assert "IndexError ignored in" in (failures[0] / "why.txt").read_text()


def test_an_rle_frame_of_sixteen_segments_is_refused():
    """DICOM RLE holds at most 15 segments: a 16th has no offset, and its bytes would be left unwritten."""
    from medfast import kernels
    from medfast.errors import MedfastError

    frame = struct.pack("<16I", 16, *range(64, 94, 2)) + b"\x00\x07" * 15
    with pytest.raises(MedfastError):
        kernels.rle_decode_frame(frame, 1, 1, 4, 32)


def test_a_symlink_loop_does_not_hang_the_walk(tmp_path):
    from medfast.synth import write_ct_series

    write_ct_series(tmp_path / "series", shape=(8, 8, 3))
    os.symlink(tmp_path, tmp_path / "series" / "loop")
    os.symlink(tmp_path / "series", tmp_path / "series" / "self")
    code = "import sys, medfast; print(len(medfast.read_dicom(sys.argv[1])))"
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parents[1])
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["1"], "the series is read once, however many links lead to it"


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/escaped-absolute", "..", "a/../../b"])
def test_names_from_file_contents_stay_in_the_output_folder(tmp_path, name):
    import pydicom

    import medfast
    from medfast.synth import write_ct_series

    src = tmp_path / "in" / "deep" / "er"
    for path in write_ct_series(src, shape=(8, 8, 3)):
        ds = pydicom.dcmread(path)
        ds.ProtocolName = name
        ds.SeriesDescription = name
        ds.save_as(path)
    out = tmp_path / "in" / "out"
    before = set(tmp_path.rglob("*")) | set(Path("/tmp").glob("escaped*"))
    written = medfast.convert(src, out, template="%p_%d_%s", to="nii")
    assert written
    created = (set(tmp_path.rglob("*")) | set(Path("/tmp").glob("escaped*"))) - before
    outside = [p for p in created if out.resolve() not in p.resolve().parents and p.resolve() != out.resolve()]
    assert not outside, f"written outside {out}: {outside}"
