"""NRRD: pynrrd-written files in every encoding read back equal; medfast's files read by pynrrd, unu and SimpleITK."""
from __future__ import annotations

import subprocess

import nrrd
import numpy as np
import pytest
from fmt_samples import OBLIQUE, sample, unu  # noqa: F401 - sample is a fixture

import medfast
from medfast.errors import InvalidFileError, UnsupportedError
from medfast.formats import nrrd as mnrrd
from medfast.volume import Volume
from support import require_module

LPS_DIRS = np.array([[1.0, 0.1, 0.0], [0.0, 2.0, 0.0], [0.0, 0.3, 3.0]])


def _array(dtype):
    rng = np.random.default_rng(3)
    return rng.normal(0, 100, (5, 6, 7)).astype(dtype)


@pytest.mark.parametrize("detached", [False, True])
@pytest.mark.parametrize("encoding", ["raw", "gzip", "bzip2", "ascii"])
@pytest.mark.parametrize("dtype", ["<i2", ">i2", "u1", "<f4", ">f8", ">u4", "<i8"])
def test_pynrrd_files_read_back_equal(tmp_path, dtype, encoding, detached):
    data = _array(dtype)
    header = {"space": "left-posterior-superior", "space directions": LPS_DIRS, "space origin": [1.0, 2.0, 3.0],
              "encoding": encoding, "endian": "big" if dtype.startswith(">") else "little"}
    path = tmp_path / ("a.nhdr" if detached else "a.nrrd")
    nrrd.write(str(path), data, header, detached_header=detached)
    vol = medfast.read(path)
    want, _ = nrrd.read(str(path))
    assert vol.array.dtype == want.dtype.newbyteorder("=")
    assert np.array_equal(vol.array, want)
    flips = np.array([-1.0, -1.0, 1.0])
    assert np.allclose(vol.affine[:3, :3], flips[:, None] * LPS_DIRS.T)
    assert np.allclose(vol.affine[:3, 3], flips * [1.0, 2.0, 3.0])


def _write_by_hand(path, header_lines, payload):
    path.write_bytes(("NRRD0004\n" + "\n".join(header_lines) + "\n\n").encode() + payload)


@pytest.mark.parametrize("endian", ["little", "big"])
def test_byte_skip_and_line_skip(tmp_path, endian):
    data = np.arange(24, dtype=np.int16).reshape((2, 3, 4), order="F")
    raw = data.astype(("<" if endian == "little" else ">") + "i2").tobytes(order="F")
    (tmp_path / "d.raw").write_bytes(b"line one\nline two\n" + b"\xff" * 5 + raw)
    _write_by_hand(tmp_path / "a.nhdr", ["type: short", "dimension: 3", "sizes: 2 3 4", f"endian: {endian}",
                                         "encoding: raw", "line skip: 2", "byte skip: 5", "data file: d.raw"], b"")
    assert np.array_equal(medfast.read(tmp_path / "a.nhdr").array, data)
    (tmp_path / "e.raw").write_bytes(b"junk at the start" + raw)
    _write_by_hand(tmp_path / "b.nhdr", ["type: short", "dimension: 3", "sizes: 2 3 4", f"endian: {endian}",
                                         "encoding: raw", "byte skip: -1", "data file: e.raw"], b"")
    assert np.array_equal(medfast.read(tmp_path / "b.nhdr").array, data)
    assert np.array_equal(nrrd.read(str(tmp_path / "b.nhdr"))[0], data)


def test_none_axes_move_last_and_ras_space(tmp_path):
    data = np.arange(3 * 4 * 5 * 6, dtype=np.float32).reshape(3, 4, 5, 6)
    header = {"space": "right-anterior-superior", "kinds": ["vector", "domain", "domain", "domain"],
              "space directions": np.array([[np.nan] * 3, [2.0, 0, 0], [0, 3.0, 0], [0, 0, 4.0]]),
              "space origin": [5.0, 6.0, 7.0]}
    nrrd.write(str(tmp_path / "v.nrrd"), data, header)
    vol = medfast.read(tmp_path / "v.nrrd")
    assert vol.shape == (4, 5, 6, 3)
    assert np.array_equal(vol.array, np.moveaxis(data, 0, -1))
    assert np.allclose(vol.affine, [[2, 0, 0, 5], [0, 3, 0, 6], [0, 0, 4, 7], [0, 0, 0, 1]])


@pytest.mark.parametrize(("field", "value"), [("type", "block"), ("encoding", "hex"), ("type", "quaternion")])
def test_unknown_type_or_encoding_is_unsupported_naming_it(tmp_path, field, value):
    lines = {"type": "short", "encoding": "raw"}
    lines[field] = value
    _write_by_hand(tmp_path / "x.nrrd", [f"type: {lines['type']}", "dimension: 1", "sizes: 4", "endian: little",
                                         f"encoding: {lines['encoding']}"], b"\0" * 8)
    with pytest.raises(UnsupportedError, match=value):
        medfast.read(tmp_path / "x.nrrd")


def test_sizes_larger_than_the_file_fail_before_allocating(tmp_path, monkeypatch):
    _write_by_hand(tmp_path / "big.nrrd", ["type: short", "dimension: 3", "sizes: 4000 4000 4000",
                                           "endian: little", "encoding: raw"], b"\0" * 64)
    monkeypatch.setattr(np, "empty", lambda *a, **k: pytest.fail("allocated"))
    with pytest.raises(InvalidFileError, match="big.nrrd"):
        medfast.read(tmp_path / "big.nrrd")


def test_truncated_gzip_data(tmp_path):
    nrrd.write(str(tmp_path / "t.nrrd"), _array("<i2"), {"encoding": "gzip"})
    blob = (tmp_path / "t.nrrd").read_bytes()
    (tmp_path / "t.nrrd").write_bytes(blob[: len(blob) - 200])
    with pytest.raises(InvalidFileError, match="t.nrrd"):
        medfast.read(tmp_path / "t.nrrd")


def _expected_lps_header_geometry(vol):
    lps = np.diag([-1.0, -1.0, 1.0])
    return (lps @ vol.affine[:3, :3]).T, lps @ vol.affine[:3, 3]


@pytest.mark.parametrize(("name", "encoding"), [("a.nrrd", "raw"), ("b.nrrd", "gzip"), ("c.nhdr", "raw"), ("d.nhdr", "gzip")])
def test_written_files_read_by_pynrrd_and_unu(tmp_path, sample, name, encoding):
    path = tmp_path / name
    medfast.write(sample, path, encoding=encoding)
    want = sample.array
    got, header = nrrd.read(str(path))
    assert np.array_equal(got, want) and got.dtype == want.dtype
    dirs, origin = _expected_lps_header_geometry(sample)
    assert np.allclose(header["space directions"][:3], dirs)
    assert np.allclose(header["space origin"], origin)
    back = medfast.read(path)
    assert np.array_equal(back.array, want)
    assert np.allclose(back.affine, sample.affine)
    out = tmp_path / "unu.nrrd"
    subprocess.run([unu(), "save", "-f", "nrrd", "-e", "raw", "-en", "little", "-i", str(path), "-o", str(out)],
                   check=True, capture_output=True)
    assert np.array_equal(nrrd.read(str(out))[0], want)


@pytest.mark.parametrize("name", ["a.nrrd", "b.nhdr"])
def test_written_files_read_by_simpleitk(tmp_path, name):
    sitk = require_module("SimpleITK")
    rng = np.random.default_rng(0)
    vol = Volume(rng.integers(-500, 500, (6, 5, 4)).astype(np.int16), OBLIQUE)
    medfast.write(vol, tmp_path / name, encoding="gzip")
    img = sitk.ReadImage(str(tmp_path / name))
    assert np.array_equal(sitk.GetArrayFromImage(img), vol.array.T)  # SimpleITK indexes k, j, i
    lps = np.diag([-1.0, -1.0, 1.0])
    assert np.allclose(img.GetOrigin(), lps @ OBLIQUE[:3, 3])
    assert np.allclose(np.array(img.GetDirection()).reshape(3, 3) * img.GetSpacing(), lps @ OBLIQUE[:3, :3])


def test_header_text_round_trips_through_pynrrd_header_parser(tmp_path):
    vol = Volume(np.zeros((2, 3, 4), np.uint8), OBLIQUE)
    text = mnrrd.header_text(vol, vol.array, "raw")
    (tmp_path / "h.nrrd").write_bytes(text + bytes(24))
    header = nrrd.read_header(str(tmp_path / "h.nrrd"))
    assert header["type"] == "uint8" and list(header["sizes"]) == [2, 3, 4]


@pytest.mark.parametrize(
    ("field", "value"),
    [("space directions", "(1,0,0)"), ("space origin", "(0,0)"), ("space directions", "(1,0,0) (0,1,0) (0,0,1,5)")],
)
def test_geometry_of_the_wrong_shape_is_invalid_naming_it(tmp_path, field, value):
    lines = ["type: uint8", "dimension: 3", "sizes: 2 2 2", "encoding: raw", "space: left-posterior-superior"]
    if field == "space origin":
        lines.append("space directions: (1,0,0) (0,1,0) (0,0,1)")
    _write_by_hand(tmp_path / "g.nrrd", [*lines, f"{field}: {value}"], bytes(8))
    with pytest.raises((InvalidFileError, UnsupportedError), match="g.nrrd"):
        medfast.read(tmp_path / "g.nrrd")
