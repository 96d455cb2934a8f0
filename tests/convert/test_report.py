"""``--report FILE.html``: a thumbnail, shape, spacing, dtype and warnings a series; every failure."""
from __future__ import annotations

import base64
import os
import html
import re
import struct

import pytest

from medfast import exitcodes
from medfast.convert import cli
from medfast.synth import write_ct_series, write_mr_series

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])  # width, height


def test_report(tmp_path):
    import pydicom

    ct = write_ct_series(tmp_path / "in" / "ct", shape=(32, 32, 8), spacing=(0.5, 0.5, 2.0))
    write_mr_series(tmp_path / "in" / "mr", shape=(16, 16, 4, 2))
    os.unlink(ct[3])  # a missing slice
    for path in ct[:3] + ct[4:]:
        ds = pydicom.dcmread(path)
        ds.ProtocolName = "<b>CT</b>"
        ds.save_as(path)
    (tmp_path / "in" / "ct" / "zz<script>.dcm").write_bytes(b"\0" * 128 + b"DICM")
    report = tmp_path / "report.html"
    assert cli.main([str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--report", str(report)]) == exitcodes.SOME_FAILED
    text = report.read_text()

    images = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == 2
    for data in images:
        width, height = _png_size(base64.b64decode(data))
        assert height == 96 and width > 96  # three orientations side by side
    assert "32 x 32 x 7" in text and "16 x 16 x 4 x 2" in text
    assert "0.5 x 0.5 x 2 mm" in text and "3 x 3 x 3.5 mm" in text
    assert text.count("int16") == 2
    assert "missing" in text  # the CT's warning
    assert "<script>" not in text  # names from the archive are escaped
    assert "_b_CT_b_2.nii.gz" in text  # the name dcm2niix's rules make of "<b>CT</b>"
    failures = text[text.index('id="failures"'):]
    assert html.escape("zz<script>.dcm") in failures and "not a DICOM image" in failures
