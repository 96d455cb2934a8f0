"""medfast.dicom.scan against pydicom on real files; the _scan kernel against its twin."""
from __future__ import annotations

import os
import pickle
import struct
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pydicom
import pytest
from support import missing
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from medfast._kernels import _reference
from medfast.dicom.scan import DEFAULT_TAGS, DEFLATED_LE, Header, scan
from medfast.errors import InvalidArgumentError, InvalidFileError, MedfastError

TESTDATA = sorted(p for p in pydicom.data.get_testdata_files() if os.path.isfile(p))
UNCOMPRESSED = (ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian)
PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
# Small files for mutation: explicit LE, implicit, big endian, sequences, private SQ, wrong TS, RLE.
SAMPLES = [
    Path(pydicom.data.get_testdata_file(name)).read_bytes()[:20000]
    for name in ("CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "rtplan.dcm",
                 "nested_priv_SQ.dcm", "SC_rgb_jpeg.dcm", "emri_small_RLE.dcm")
]


def compiled_kernel():
    try:
        from medfast._kernels._scan import index_elements
    except ImportError:
        missing("medfast._kernels._scan is not built (MEDFAST_KERNELS=_scan python setup.py build_ext --inplace)")
    return index_elements


def same(ours, theirs):
    """scan's plain value equals pydicom's (MultiValue vs tuple, DSfloat vs float, NaN)."""
    if isinstance(theirs, (MultiValue, list)):
        return isinstance(ours, tuple) and len(ours) == len(theirs) and all(map(same, ours, theirs))
    if theirs is None:
        return ours is None
    for kind in (float, int, str, bytes):  # DSfloat/ISfloat, IS, UID: the plain base type
        if isinstance(theirs, kind):
            if kind is float and theirs != theirs:
                return type(ours) is float and ours != ours
            return type(ours) is kind and ours == theirs
    return ours == theirs  # PersonName == str


def where(element):
    """Value offset and length of a pydicom element (raw, or converted when undefined length)."""
    if hasattr(element, "value_tell"):
        return element.value_tell, element.length
    return element.file_tell, 0xFFFFFFFF if element.is_undefined_length else len(element.value)


def check_file(path):
    """Compare scan(path) with pydicom; return 'fast', 'fallback' or 'invalid'."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            header = scan(path)
        except InvalidFileError:
            with pytest.raises(Exception):  # pydicom rejects it too, unless forced
                pydicom.dcmread(path, stop_before_pixels=True)
            return "invalid"
        ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        full = pydicom.dcmread(path, defer_size=64, force=True)
    assert isinstance(header, Header) and header.path == os.fspath(path)
    for keyword in DEFAULT_TAGS:
        if keyword in ds:
            theirs = ds[keyword].value
            assert same(header.values[keyword], theirs), (path, keyword, header.values[keyword], theirs)
        else:
            assert keyword not in header.values, (path, keyword)
    # a raw data set (no meta group) is given the uncompressed syntax of the encoding pydicom finds
    raw = {(True, True): "1.2.840.10008.1.2", (False, True): "1.2.840.10008.1.2.1", (False, False): "1.2.840.10008.1.2.2"}
    meta_syntax = str(ds.file_meta.get("TransferSyntaxUID", ""))
    part10 = open(path, "rb").read(132)[128:132] == b"DICM"
    assert header.transfer_syntax == (meta_syntax if part10 else raw[tuple(ds.original_encoding)])
    found = [full.get_item(tag) for tag in PIXEL_TAGS if tag in full]
    if header.transfer_syntax == DEFLATED_LE:
        assert header.pixel_offset == -1
    elif found:
        offset, length = where(found[0])
        assert header.pixel_offset == offset, path
        # a value cut short: scan gives the declared length, pydicom what it could read
        assert header.pixel_length == length or offset + length == os.path.getsize(path) < offset + header.pixel_length
    elif header.pixel_offset >= 0:  # pydicom drops a Pixel Data cut short: its header is there
        head = Path(path).read_bytes()[header.pixel_offset - 12:header.pixel_offset]
        assert b"\xe0\x7f\x10\x00" in head or b"\x7f\xe0\x00\x10" in head, path
    else:
        assert header.pixel_length == 0, path
    return "fallback" if header.used_fallback else "fast"


@pytest.mark.parametrize("path", TESTDATA, ids=[Path(p).name for p in TESTDATA])
def test_testdata_matches_pydicom(path):
    assert check_file(path) in ("fast", "fallback", "invalid")


@pytest.mark.corpus
def test_corpus_matches_pydicom_without_fallback(corpus):
    files = sorted(p for p in corpus.glob("*/In/**/*") if p.is_file())
    assert len(files) > 1000
    results = {}
    for path in files:
        results[path] = check_file(path)
    dicom = [p for p, r in results.items() if r != "invalid"]
    assert len(dicom) > 1500
    slow = [p for p in dicom if results[p] == "fallback" and scan(p).transfer_syntax in UNCOMPRESSED]
    assert slow == []


def test_testdata_fast_path_is_taken():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        headers = [scan(p) for p in TESTDATA if p.endswith(".dcm") and "no_meta" not in p]
    fast = sum(not h.used_fallback for h in headers)
    assert fast > 0.8 * len(headers)


# ---- edge values written by pydicom ------------------------------------------


def write_edge_file(path, ts):
    """A small image with odd values, an undefined-length nested sequence and a private tag."""
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ds.SOPInstanceUID = "1.2.3.4.5\x00"
    ds.ImageType = ["ORIGINAL", "PRIMARY ", "", "M"]
    ds.add_new(0x00080060, "CS", "MR ")
    ds.add_new(0x00180050, "DS", " 1.5 ")
    ds.add_new(0x00200013, "IS", "7.0")
    ds.add_new(0x00200012, "IS", "")
    ds.add_new(0x00180088, "DS", "")
    ds.add_new(0x00200032, "DS", "-1.25\\2e1\\ 3 ")
    ds.add_new(0x00180091, "IS", "12")
    # public tags written as UN: pydicom reads them with their dictionary VR
    pydicom.config.replace_un_with_known_vr = False
    try:
        ds.add_new(0x00180080, "UN", b"2000")
        ds.add_new(0x00280010, "UN", struct.pack("<H" if ts != ExplicitVRBigEndian else ">H", 4))
    finally:
        pydicom.config.replace_un_with_known_vr = True
    ds.ProtocolName = "t1 mprage  "
    ds.SeriesDescription = "a\\b "
    ds.ReferencedImageSequence = Sequence([Dataset(), Dataset()])
    ds.ReferencedImageSequence[0].ReferencedSOPInstanceUID = "1.2"
    ds.ReferencedImageSequence[0].ReferencedFrameNumber = "1"
    inner = Dataset()
    inner.CodeValue = "X"
    ds.ReferencedImageSequence[1].PurposeOfReferenceCodeSequence = Sequence([inner])
    ds["ReferencedImageSequence"].is_undefined_length = True
    for item in ds.ReferencedImageSequence:
        item.is_undefined_length_sequence_item = True
    ds.add_new(0x00291010, "OB", b"\x01" * 5000)
    ds.Columns = 2
    ds.PixelSpacing = [0.5, 0.25]
    ds.add_new(0x00189087, "FD", 1000.0)
    ds.WindowCenter = "40"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 1
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = np.arange(8, dtype=">i2" if ts == ExplicitVRBigEndian else "<i2").tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ts
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3.4.5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.parametrize("ts", UNCOMPRESSED)
def test_edge_values_match_pydicom(tmp_path, ts):
    path = write_edge_file(tmp_path / "edge.dcm", ts)
    assert check_file(path) == "fast"
    values = scan(path).values
    assert values["ImageType"] == ("ORIGINAL", "PRIMARY ", "", "M")
    assert values["InstanceNumber"] == 7 and type(values["InstanceNumber"]) is int
    assert values["AcquisitionNumber"] is None and values["SpacingBetweenSlices"] is None
    assert values["ImagePositionPatient"] == (-1.25, 20.0, 3.0)
    assert values["SOPInstanceUID"] == "1.2.3.4.5"
    assert values["RepetitionTime"] == 2000.0 and values["Rows"] == 4


def test_tags_parameter_and_pickle(tmp_path):
    path = write_edge_file(tmp_path / "edge.dcm", ExplicitVRLittleEndian)
    header = scan(path, tags=("Rows", 0x00280011, "WindowCenter"))
    assert header.values == {"Rows": 4, "Columns": 2, "WindowCenter": 40.0}
    assert pickle.loads(pickle.dumps(header)) == header


@pytest.mark.parametrize("tags", [("NotAKeyword",), ("ReferencedImageSequence",), ("TransferSyntaxUID",), (0x00291010,), ("LUTDescriptor",)])
def test_bad_tags_rejected(tmp_path, tags):
    path = write_edge_file(tmp_path / "edge.dcm", ExplicitVRLittleEndian)
    with pytest.raises(InvalidArgumentError):
        scan(path, tags=tags)


def test_big_header_read_in_steps(tmp_path):
    """A header longer than the first read: scan reads on until Pixel Data."""
    path = write_edge_file(tmp_path / "edge.dcm", ExplicitVRLittleEndian)
    ds = pydicom.dcmread(path)
    ds.add_new(0x00291020, "OB", b"\x02" * 100_000)
    ds.add_new(0x00291030, "UT", "x" * 70_000)
    ds.save_as(path)
    assert check_file(path) == "fast"


# ---- malformed input -----------------------------------------------------------


def meta_prefix(ts=ExplicitVRLittleEndian):
    uid = ts.encode() + b"\x00" * (len(ts) % 2)
    element = b"\x02\x00\x10\x00UI" + struct.pack("<H", len(uid)) + uid
    return b"\x00" * 128 + b"DICM" + element


def explicit(tag, vr, value, length=None):
    group, elem = tag >> 16, tag & 0xFFFF
    length = len(value) if length is None else length
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT"):
        return struct.pack("<HH2sHI", group, elem, vr, 0, length) + value
    return struct.pack("<HH2sH", group, elem, vr, length) + value


def deep_nesting(levels):
    body = b""
    sq = struct.pack("<HH2sHI", 0x0008, 0x1140, b"SQ", 0, 0xFFFFFFFF)
    item = struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)
    return meta_prefix() + explicit(0x00080060, b"CS", b"MR") + (sq + item) * levels + body


MALFORMED = {
    "absurd length": meta_prefix() + explicit(0x00080060, b"CS", b"MR") + explicit(0x00100010, b"UT", b"abc", 0xFFFFFFFE),
    "length past end": meta_prefix() + explicit(0x00080060, b"CS", b"MR") + explicit(0x00080070, b"LO", b"abcd", 5000),
    "item at top level": meta_prefix() + struct.pack("<HHI", 0xFFFE, 0xE000, 0),
    "deep nesting": deep_nesting(20_000),
    "undefined non-sequence": meta_prefix() + explicit(0x00080070, b"OB", b"", 0xFFFFFFFF),
    "meta only": meta_prefix(),
    "empty": b"",
    "text": b"hello world\n" * 20,
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_gives_error_or_header(tmp_path, name):
    path = tmp_path / "bad.dcm"
    path.write_bytes(MALFORMED[name])
    began = time.monotonic()
    try:
        header = scan(path)
    except InvalidFileError as err:
        assert str(path) in str(err)
    else:
        assert header.used_fallback  # the kernel never accepts any of these
    assert time.monotonic() - began < 30


def test_truncated_real_files(tmp_path):
    source = Path(pydicom.data.get_testdata_file("rtplan.dcm")).read_bytes()
    for cut in (0, 100, 131, 140, 200, 400, len(source) // 2, len(source) - 3):
        path = tmp_path / f"cut{cut}.dcm"
        path.write_bytes(source[:cut])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                scan(path)
            except InvalidFileError:
                pass


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, 6),
    cut=st.integers(0, 20000),
    flips=st.lists(st.tuples(st.integers(0, 19999), st.integers(0, 255)), max_size=6),
)
def test_scan_on_mutations_gives_header_or_error(which, cut, flips):
    data = bytearray(SAMPLES[which][:cut])
    for index, value in flips:
        if index < len(data):
            data[index] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "mutant.dcm")
        path.write_bytes(bytes(data))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                header = scan(path)
            except MedfastError:
                return
    assert isinstance(header, Header) and isinstance(header.values, dict)


def test_non_dicom_is_rejected_fast(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a DICOM file " * 100)
    with pytest.raises(InvalidFileError, match="notes.txt"):
        scan(path)


# ---- kernel vs twin ------------------------------------------------------------


def run(kernel, data, start, explicit_vr, big_endian, meta_only, rows=4096):
    table = np.full((rows, 7), 7, dtype=np.int64)
    stop = np.full(5, 7, dtype=np.int64)
    status = kernel(data, start, explicit_vr, big_endian, meta_only, table, stop)
    return status, table[:int(stop[4])].tobytes(), stop.tobytes()


def walks(data):
    """The two walks read_header makes on a file: the meta group, then the data set (as each encoding)."""
    yield 132, True, False, True
    status, _, stop = run(_reference.index_elements, data, 132, True, False, True)
    start = int(np.frombuffer(stop, np.int64)[0]) if status == 2 else 132
    for explicit_vr, big_endian in ((False, False), (True, False), (True, True)):
        yield start, explicit_vr, big_endian, False


@pytest.mark.parametrize("path", TESTDATA[::3], ids=[Path(p).name for p in TESTDATA[::3]])
def test_kernel_equals_twin_on_files(path):
    kernel = compiled_kernel()
    data = Path(path).read_bytes()[:40000]
    for args in walks(data):
        assert run(kernel, data, *args) == run(_reference.index_elements, data, *args)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, 6),
    cut=st.integers(0, 20000),
    flips=st.lists(st.tuples(st.integers(0, 19999), st.integers(0, 255)), max_size=6),
    mode=st.integers(0, 3),
)
def test_kernel_equals_twin_on_mutations(which, cut, flips, mode):
    kernel = compiled_kernel()
    data = bytearray(SAMPLES[which][:cut])
    for index, value in flips:
        if index < len(data):
            data[index] = value
    data = bytes(data)
    args = list(walks(data))[mode]
    assert run(kernel, data, *args) == run(_reference.index_elements, data, *args)



def test_kernel_in_threads_equals_twin():
    kernel = compiled_kernel()
    jobs = [(data, args) for data in SAMPLES * 4 for args in walks(data)]
    with ThreadPoolExecutor(2) as pool:  # the kernel releases the GIL: two walks at once
        got = list(pool.map(lambda job: run(kernel, job[0], *job[1]), jobs))
    assert got == [run(_reference.index_elements, data, *args) for data, args in jobs]


def test_kernel_statuses_on_malformed():
    kernel = compiled_kernel()
    expected = {"absurd length": -1, "length past end": -1, "item at top level": -2,
                "deep nesting": -3, "undefined non-sequence": -3, "meta only": 1}
    for name, status in expected.items():
        data = MALFORMED[name]
        for k in (kernel, _reference.index_elements):
            got, _, _ = run(k, data, 132, True, False, False)
            assert got == status, (name, k)
    for k in (kernel, _reference.index_elements):  # a full table says so, and where
        got, _, stop = run(k, SAMPLES[0], 132, True, False, False, rows=3)
        assert got == -4 and np.frombuffer(stop, np.int64)[4] == 3


@pytest.mark.parametrize("start, rows, cols, stops", [(-1, 3, 7, 5), (0, 3, 6, 5), (0, 3, 7, 4)])
def test_kernel_rejects_bad_arguments(start, rows, cols, stops):
    kernel = compiled_kernel()
    for k in (kernel, _reference.index_elements):
        with pytest.raises(ValueError):
            k(b"\x00" * 16, start, True, False, False, np.zeros((rows, cols), np.int64), np.zeros(stops, np.int64))
