"""medfast.dicom.encapsulated (compressed one-frame monochrome pixels without pydicom) against pydicom's pixel_array."""
from __future__ import annotations

import collections
import json
import subprocess
import sys
import warnings

import pydicom
import pytest
from pydicom.data import get_testdata_files

from medfast.dicom import encapsulated
from medfast.dicom.scan import read_header

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _reference(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pydicom.dcmread(path).pixel_array
        except Exception:  # noqa: BLE001 - pydicom decodes nothing here: the fast path must not either
            return None


def _compare(paths):
    """{syntax: files decoded without pydicom}, and the mismatches with pydicom's pixel_array."""
    decoded, bad = collections.Counter(), []
    for path in paths:
        try:
            found = read_header(path, raw_dataset=True)
        except Exception:  # noqa: BLE001 - not DICOM
            continue
        if found.transfer_syntax not in encapsulated.SYNTAXES or found.pixel_length != 0xFFFFFFFF:
            continue
        try:
            got = encapsulated.decode_file(str(path), found.header, found.pixel_offset, found.transfer_syntax)
        except Exception as err:  # noqa: BLE001 - reported with the file
            bad.append(f"{path}: raised {type(err).__name__}: {err}")
            continue
        if got is None:
            continue  # left to pydicom
        ref = _reference(path)
        if ref is None or got[0].dtype != ref.dtype or got[0].shape != ref.shape or got[0].tobytes() != ref.tobytes():
            bad.append(f"{path}: {got.dtype}{got.shape} vs pydicom {getattr(ref, 'dtype', None)}{getattr(ref, 'shape', None)}")
        decoded[found.transfer_syntax] += 1
    return decoded, bad


def test_pydicom_test_files_decode_as_pixel_array():
    decoded, bad = _compare(get_testdata_files())
    assert not bad, "\n".join(bad)
    families = (encapsulated.JPEG_LOSSLESS, encapsulated.JPEG_LS, encapsulated.JPEG_2000, {encapsulated.RLE_LOSSLESS})
    assert all(any(decoded[s] for s in family) for family in families), decoded
    assert sum(decoded.values()) >= 15, decoded  # 19 with pydicom 3.0 and pydicom-data


@pytest.mark.corpus
def test_corpus_files_decode_as_pixel_array(corpus):
    decoded, bad = _compare(sorted(p for p in corpus.glob("*/In/**/*") if p.is_file()))
    assert not bad, "\n".join(bad)
    assert sum(decoded.values()) >= 8, decoded


def _item(value):
    return b"\xfe\xff\x00\xe0" + len(value).to_bytes(4, "little") + value


_END = b"\xfe\xff\xdd\xe0\0\0\0\0"


@pytest.mark.parametrize("data, frame", [
    (_item(b"") + _item(b"ab") + _END, b"ab"),
    (_item(b"\0\0\0\0") + _item(b"ab") + _item(b"cd") + _END, b"abcd"),  # a one-frame offset table
    (_item(b"\0" * 8) + _item(b"ab") + _item(b"cd") + _END, None),  # an offset table of two frames
    (_item(b"") + _item(b"ab"), None),  # no sequence delimiter
    (_item(b"") + _item(b"ab")[:-1] + _END, None),  # an item longer than what is left
    (_item(b"") + b"\xfe\xff\x0d\xe0\0\0\0\0" + _END, None),  # not an item
    (_item(b"") + _END, None),  # no fragment
])
def test_one_frame_takes_the_fragments_or_leaves_the_file_to_pydicom(data, frame):
    assert encapsulated.one_frame(data) == frame


def test_codestream_headers():
    assert encapsulated.jpeg_precision(b"\xff\xd8\xff\xe0\x00\x04ab\xff\xc3\x00\x0b\x0c") == 12
    assert encapsulated.jpeg_precision(b"\xff\xd8\xff\xe0\x00\x04") is None  # no start of frame
    assert encapsulated.jpeg_precision(b"JFIF") is None
    siz = b"\xff\x4f\xff\x51" + bytes(38) + b"\x8b"  # component 0: signed, 12 bits
    assert encapsulated.j2k_precision(siz) == (12, True)
    assert encapsulated.j2k_precision(b"\x00\x00\x00\x0cjP  " + siz) is None  # a JP2 file: pydicom's path


@pytest.mark.corpus
def test_compressed_series_convert_without_importing_pydicom(corpus, tmp_path):
    probe = ("import json, sys; from medfast.cli import main; code = main(['dcm2niix', '-z', 'n', '-o', sys.argv[2], "
             "sys.argv[1]]); print(json.dumps([code, sorted(m for m in sys.modules if m.startswith('pydicom'))]))")
    done = subprocess.run([sys.executable, "-c", probe, str(corpus / "dcm_qa_ts" / "In"), str(tmp_path)],
                          capture_output=True, text=True, check=True)
    code, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == 0 and loaded == []
    assert len(list(tmp_path.glob("*.nii"))) == 9
