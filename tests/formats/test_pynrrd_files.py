"""pynrrd's own test files, read by medfast as pynrrd reads them (values, or pynrrd's refusal).

pynrrd's packages on PyPI do not ship its ``nrrd/tests/data``, so the files are
made here from what pynrrd's test suite documents of them: the same header
lines, and the same layout (a 30x30x30 int16 ball, raw, gzip, bzip2, line
skip 3, byte skip -1 on raw and on gzip data, a detached header whose data
file is a ``.nii.gz``, byte skip -5, 1-D and 2-D ascii, custom fields, a 4-D
file of one double).
"""
from __future__ import annotations

import bz2
import gzip

import nibabel as nib
import nrrd
import numpy as np
import pytest

import medfast
from medfast.errors import InvalidFileError

_INTRO = "# Complete NRRD file format specification at:\n# http://teem.sourceforge.net/nrrd/format.html\n"
_BALL = ("type: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 30 30 30\n{skip}"
         "space directions: (1,0,0) (0,1,0) (0,0,1)\nkinds: domain domain domain\nendian: little\n"
         "encoding: {encoding}\nspace origin: (0,0,0)\n{data_file}")


def _ball():
    i, j, k = np.indices((30, 30, 30))
    return (((i - 14.5) ** 2 + (j - 14.5) ** 2 + (k - 14.5) ** 2) < 12**2).astype(np.int16)


def _header(encoding, skip="", data_file="", version="NRRD0004"):
    return f"{version}\n{_INTRO}{_BALL.format(skip=skip, encoding=encoding, data_file=data_file)}"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """pynrrd's test data folder, rebuilt."""
    folder = tmp_path_factory.mktemp("pynrrd_data")
    raw = _ball().tobytes(order="F")
    (folder / "BallBinary30x30x30.raw").write_bytes(raw)
    nib.save(nib.Nifti1Image(_ball(), np.eye(4)), folder / "BallBinary30x30x30.nii.gz")
    made = {
        "BallBinary30x30x30.nrrd": _header("raw").encode() + b"\n" + raw,
        "BallBinary30x30x30.nhdr": _header("raw", data_file="data file: BallBinary30x30x30.raw\n").encode(),
        "BallBinary30x30x30_gz.nrrd": _header("gzip").encode() + b"\n" + gzip.compress(raw),
        "BallBinary30x30x30_bz2.nrrd": _header("bzip2").encode() + b"\n" + bz2.compress(raw),
        "BallBinary30x30x30_gz_lineskip.nrrd": _header("gzip", "line skip: 3\n").encode() + b"\n"
        + b"first skipped line\nsecond\nthird\n" + gzip.compress(raw),
        "BallBinary30x30x30_byteskip_minus_one.nhdr": _header(
            "raw", "byte skip: -1\n", "data file: BallBinary30x30x30.raw\n").encode(),
        "BallBinary30x30x30_gz_byteskip_minus_one.nrrd": _header("gzip", "byte skip: -1\n").encode() + b"\n"
        + gzip.compress(b"\x07" * 96 + raw),
        "BallBinary30x30x30_byteskip_minus_one_nifti.nhdr": _header(
            "gzip", "byte skip: -1\n", "data file: BallBinary30x30x30.nii.gz\n").encode(),
        "BallBinary30x30x30_nifti.nhdr": _header(
            "gzip", "# byte skip: -1\n", "data file: BallBinary30x30x30.nii.gz\n").encode(),
        "BallBinary30x30x30_byteskip_minus_five.nhdr": _header(
            "raw", "byte skip: -5\n", "data file: BallBinary30x30x30.raw\n").encode(),
        "test1d_ascii.nrrd": (f"NRRD0003\n{_INTRO}type: unsigned char\ndimension: 1\nsizes: 27\n"
                              "spacings: 1.0458000000000001\nkinds: domain\nencoding: ASCII\n\n"
                              + "".join(f"{n}\n" for n in range(1, 28))).encode(),
        "test2d_ascii.nrrd": (f"NRRD0004\n{_INTRO}type: unsigned short\ndimension: 2\nsizes: 3 9\n"
                              "spacings: 1.0458000000000001 2\nkinds: domain domain\nencoding: ASCII\n\n"
                              + "".join(f"{n} {n + 1} {n + 2}\n" for n in range(1, 28, 3))).encode(),
        "test_customFields.nrrd": (f"NRRD0003\n{_INTRO}type: unsigned char\ndimension: 1\nsizes: 27\n"
                                   "spacings: 1.0458000000000001\nkinds: domain\nencoding: ASCII\n"
                                   "int:= 24\ndouble:= 25.5566\nstring:= This is a long string of information.\n"
                                   "int vector:= (100, 200, -300)\n"
                                   "double matrix:= (1.2,0.3,0) (0,1.5,0) (0,-0.55,1.6)\n\n"
                                   + "".join(f"{n}\n" for n in range(1, 28)) + "\n").encode(),
        "test_simple4d_raw.nrrd": (b"NRRD0004\ntype: double\ndimension: 4\nspace: right-anterior-superior\n"
                                   b"sizes: 1 1 1 1\nspace directions: (1.5,0,0) (0,1.5,0) (0,0,1) none\n"
                                   b"endian: little\nencoding: raw\n"
                                   b"measurement frame: (1,0,0) (0,1,0) (0,0,1)\n\n"
                                   + np.array([0.76903426], "<f8").tobytes()),
    }
    for name, content in made.items():
        (folder / name).write_bytes(content)
    return folder


NAMES = [
    "BallBinary30x30x30.nrrd", "BallBinary30x30x30.nhdr", "BallBinary30x30x30_gz.nrrd",
    "BallBinary30x30x30_bz2.nrrd", "BallBinary30x30x30_gz_lineskip.nrrd",
    "BallBinary30x30x30_byteskip_minus_one.nhdr", "BallBinary30x30x30_gz_byteskip_minus_one.nrrd",
    "BallBinary30x30x30_byteskip_minus_one_nifti.nhdr", "BallBinary30x30x30_nifti.nhdr",
    "BallBinary30x30x30_byteskip_minus_five.nhdr", "test1d_ascii.nrrd", "test2d_ascii.nrrd",
    "test_customFields.nrrd", "test_simple4d_raw.nrrd",
]


@pytest.mark.parametrize("name", NAMES)
def test_read_as_pynrrd_reads(files, name):
    path = files / name
    try:
        want, header = nrrd.read(str(path))
    except nrrd.NRRDError:
        with pytest.raises(InvalidFileError, match=name):  # pynrrd refuses it: so does medfast, naming the file
            medfast.read(path)
        return
    vol = medfast.read(path)
    others = [i for i, d in enumerate(header.get("space directions", [])) if not np.all(np.isfinite(d))]
    expected = np.moveaxis(want, others, range(want.ndim - len(others), want.ndim)) if others else want
    assert vol.array.dtype == want.dtype and np.array_equal(vol.array, expected)
    assert medfast.read_header(path).shape == vol.shape


def test_refusals_are_the_documented_ones(files):
    for name, pattern in (("BallBinary30x30x30_nifti.nhdr", "bytes more than 54000"),
                          ("BallBinary30x30x30_byteskip_minus_five.nhdr", "byte skip=-5")):
        with pytest.raises(InvalidFileError, match=pattern):
            medfast.read(files / name)


def test_one_dimensional_geometry(files):
    vol = medfast.read(files / "test1d_ascii.nrrd")
    assert vol.shape == (27,) and vol.zooms[0] == pytest.approx(1.0458)


def test_whole_gzip_nrrd_file(tmp_path, files):
    """A .nrrd.gz compressed whole (header too), which medfast reads through the stream."""
    (tmp_path / "whole.nrrd.gz").write_bytes(gzip.compress((files / "BallBinary30x30x30.nrrd").read_bytes()))
    assert medfast.formats.sniff(tmp_path / "whole.nrrd.gz") == "nrrd"
    assert np.array_equal(medfast.read(tmp_path / "whole.nrrd.gz").array, _ball())
