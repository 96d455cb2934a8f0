"""The scanner's headers against pydicom's: every value, every nesting, the search rules, on real files.

pydicom is the parser of record; ``ScannedHeader`` must give what
``DatasetHeader`` gives for every element of every file of pydicom's test
files, of ``pydicom-data`` and of the shared corpus. Where it hands a value
or a file to pydicom, ``FALLBACKS`` counts it; the counts are printed.
"""
from __future__ import annotations

import os
from pathlib import Path

import pydicom
import pytest

from headers_compare import differences
from medfast.dicom import scanned
from medfast.dicom import scan as scan_module
from medfast.dicom.scan import read_header

TESTDATA = sorted(p for p in pydicom.data.get_testdata_files() + pydicom.data.get_charset_files() if os.path.isfile(p))


@pytest.mark.parametrize("path", TESTDATA, ids=[Path(p).name for p in TESTDATA])
def test_testdata_headers_equal_pydicom(path):
    assert differences(path) in (None, [])


@pytest.mark.corpus
def test_corpus_headers_equal_pydicom(corpus):
    files = sorted(p for p in corpus.glob("*/In/**/*") if p.is_file())
    before = dict(scanned.FALLBACKS)
    found = {}
    for path in files:
        d = differences(path)
        if d is not None:
            found[path] = d
    assert len(found) > 1500
    assert {p: d for p, d in found.items() if d} == {}
    used = {k: scanned.FALLBACKS[k] - before[k] for k in before}
    print(f"\n{len(found)} corpus files: pydicom read {used['files']} files and {used['values']} values")
    assert used["files"] <= len(found) // 100  # the walk follows (almost) every real file


def test_record_values_as_the_file_is_read_the_rest_lazily():
    header = read_header(pydicom.data.get_testdata_file("MR_small.dcm")).header
    assert header._values == {}  # the record's output kept; a value made when asked
    assert header._from_record(0x00280010) == ("US", 64)
    assert header._from_record(0x00200032) == ("DS", (-83.9063, -91.2, 6.6406))
    assert header._from_record(0x00080070) == ("LO", "TOSHIBA_MEC")
    assert header._from_record(0x00080008) == ("CS", ("DERIVED", "SECONDARY", "OTHER"))
    # every record tag decided by the record: present or absent (None), or a row left to _decode
    for tag in scan_module._RECORD.tags.tolist():
        assert header._from_record(tag) is not scanned._UNREAD
    assert header._from_record(0x00100010) is scanned._UNREAD  # PatientName: not a record tag
    absent = [tag for tag in scan_module._RECORD.tags.tolist() if header._from_record(tag) is None]
    assert 0x00280008 in absent  # NumberOfFrames
    assert header.get("Rows") == 64 and header.get(0x00280008) is None and header._children is None
    assert header.get("PatientName") == "CompressedSamples^MR1" and header._children is not None
    assert 0x00100010 in header._values and 0x00280010 in header._values


def test_fallback_for_iso2022_text_is_counted():
    path = pydicom.data.get_charset_files("chrH31.dcm")[0]  # ISO 2022 IR 87 (Japanese) names
    before = scanned.FALLBACKS["values"]
    header = read_header(path).header
    want = pydicom.dcmread(path).PatientName
    assert header.get("PatientName") == str(want)
    assert scanned.FALLBACKS["values"] == before + 1


def test_headers_pickle_with_their_items():
    import pickle

    header = read_header(pydicom.data.get_testdata_file("rtplan.dcm")).header
    header.get("BeamSequence")  # some values decoded, some not
    again = pickle.loads(pickle.dumps(header))
    assert list(again.walk()) == list(header.walk()) and len(list(again.walk())) > 100


@pytest.mark.corpus
def test_private_blocks_from_the_table_as_asked_one_by_one(corpus):
    from medfast.dicom.header import Header

    checked = 0
    for path in sorted(p for p in corpus.glob("*/In/**/*") if p.is_file())[::7]:
        try:
            header = read_header(path).header
        except Exception:  # noqa: BLE001 (not DICOM, or read by pydicom: not a ScannedHeader)
            continue
        if isinstance(header, scanned.ScannedHeader):
            for group in (0x0019, 0x0029, 0x2005):
                assert header.private_blocks(group) == Header.private_blocks(header, group)
            checked += header.private_blocks(0x0029) != []
    assert checked > 20


@pytest.mark.corpus
def test_occurrences_and_last_from_the_rows_as_the_walk_meets_them(corpus):
    from medfast.dicom.header import Header

    tags = (0x00080008, 0x00089209, 0x20051429, 0x00211104, 0x00189087, 0x00200032, 0x00200100, 0x20051063,
            0x20051413, 0x20051596)
    seen = 0
    for path in sorted(p for p in corpus.glob("*/In/**/*") if p.is_file())[::5]:
        try:
            header = read_header(path).header
        except Exception:  # noqa: BLE001 (not DICOM)
            continue
        for h in [header, *header.frames()[:2]]:
            got = h.in_order(tags)
            assert got == Header.in_order(h, tags), path  # the rows against the walk
            assert h.occurrences(tags) == {tag: [v for t, v in got if t == tag] for tag in tags}, path
            seen += len(got)
        if isinstance(header, scanned.ScannedHeader):  # last(): the rows from the end, as the walk keeps them
            for tag in tags:
                assert header.last(tag) == header._last_values().get(tag), (path, hex(tag))
    assert seen > 500
