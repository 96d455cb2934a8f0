"""medfast.kernels: bad arguments raise the right MedfastError before any kernel runs;
good ones give the documented results, whatever the input's byte order or layout."""
from __future__ import annotations

import struct

import numpy as np
import pytest

from medfast import kernels
from medfast.errors import InvalidArgumentError, InvalidDtypeError, InvalidFileError, MedfastError, UnsupportedError


class _NoKernel:
    """Stands in for medfast._kernels: any kernel call fails the test."""

    def __getattr__(self, name):
        def kernel(*args, **kwargs):
            pytest.fail(f"kernel {name} ran on arguments that should have been rejected")

        return kernel


@pytest.fixture
def no_kernel(monkeypatch):
    monkeypatch.setattr(kernels, "_k", _NoKernel())


def _frame(n=4):
    return np.zeros((3, n), np.int16)


BAD = [
    # (call, error)
    (lambda: kernels.swap_bytes(np.zeros(6, np.uint8), 4), InvalidArgumentError),
    (lambda: kernels.swap_bytes(np.zeros(8, np.uint8), 3), InvalidArgumentError),
    (lambda: kernels.swap_bytes(b"\0\0", 2), InvalidArgumentError),  # in place needs a writable array
    (lambda: kernels.swap_bytes(np.zeros(8, np.uint8)[::2], 2), InvalidArgumentError),
    (lambda: kernels.swap_bytes(b"\0" * 8, 2, out=np.zeros(6, np.uint8)), InvalidArgumentError),
    (lambda: kernels.swap_bytes(b"\0" * 8, 2, out=np.zeros(8, np.uint8)[::-1]), InvalidArgumentError),
    (lambda: (b := np.zeros(16, np.uint8), kernels.swap_bytes(b[:8], 2, out=b[2:10]))[1], InvalidArgumentError),
    (lambda: (b := np.zeros(9, np.uint8), kernels.ybr_full_to_rgb(b[:6].reshape(2, 3), out=b[3:].reshape(2, 3)))[1], InvalidArgumentError),
    (lambda: kernels.unpack_1bit(b"\0", 9), InvalidArgumentError),
    (lambda: kernels.unpack_1bit(b"\0\0", 8, bit_offset=9), InvalidArgumentError),
    (lambda: kernels.unpack_1bit(b"\0", 4, bit_offset=-1), InvalidArgumentError),
    (lambda: kernels.unpack_1bit(b"\0", -1), InvalidArgumentError),
    (lambda: kernels.unpack_1bit(b"\0", 8, out=np.zeros(8, np.uint16)), InvalidDtypeError),
    (lambda: kernels.unpack_1bit(b"\0", 8, out=np.zeros(7, np.uint8)), InvalidArgumentError),
    (lambda: kernels.unpack_1bit(b"\0", 2.0), InvalidArgumentError),
    (lambda: kernels.unpack_12bit(b"\0\0", 2), InvalidArgumentError),
    (lambda: kernels.unpack_12bit(b"\0" * 3, 2, out=np.zeros(2, np.int16)), InvalidDtypeError),
    (lambda: kernels.fix_stored_bits(np.zeros(4, np.float32), 12, 11), InvalidDtypeError),
    (lambda: kernels.fix_stored_bits(np.zeros(4, np.uint16), 17, 16), InvalidArgumentError),
    (lambda: kernels.fix_stored_bits(np.zeros(4, np.uint16), 12, 16), InvalidArgumentError),
    (lambda: kernels.fix_stored_bits(np.zeros(4, np.uint16), 12, 10), InvalidArgumentError),
    (lambda: kernels.fix_stored_bits(np.zeros(4, np.uint16), 0, 0), InvalidArgumentError),
    (lambda: kernels.fix_stored_bits(np.zeros(4, ">u2"), 12, 11), InvalidDtypeError),
    (lambda: kernels.fix_stored_bits(np.zeros((4, 4), np.uint16).T, 12, 11), InvalidArgumentError),
    (lambda: kernels.fix_stored_bits(np.zeros(4, np.uint16)[::-1], 12, 11), InvalidArgumentError),
    (lambda: kernels.rescale([1, 2], 1, 0, dtype=np.float64), InvalidArgumentError),
    (lambda: kernels.rescale(np.zeros(3, np.bool_), 1, 0, dtype=np.float64), InvalidDtypeError),
    (lambda: kernels.rescale(np.zeros(3, np.complex64), 1, 0, dtype=np.float64), InvalidDtypeError),
    (lambda: kernels.rescale(np.zeros(3, np.int16), 1, 0, dtype=np.float16), InvalidDtypeError),
    (lambda: kernels.rescale(np.zeros(3, np.int16), [1, 2], 0, dtype=np.float64), InvalidArgumentError),
    (lambda: kernels.rescale(np.zeros(3, np.int16), np.nan, 0, dtype=np.float64), InvalidArgumentError),
    (lambda: kernels.rescale(np.zeros(3, np.int16), 0.5, 0, dtype=np.int32), InvalidArgumentError),
    (lambda: kernels.rescale(np.array([40000], np.uint16), 1, 0, dtype=np.int16), InvalidArgumentError),
    (lambda: kernels.rescale(np.zeros(3, np.float32), 1, 0, dtype=np.int32), InvalidDtypeError),
    (lambda: kernels.rescale(np.zeros(3, np.int16), 1, 0, dtype=np.float32, out=np.zeros(3, np.float64)), InvalidDtypeError),
    (lambda: kernels.rescale(np.zeros(3, np.int16), 1, 0, dtype=np.float32, out=np.zeros(4, np.float32)), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 8, 1, _frame(), 0, stored_dtype="<i2"), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 8, -1, _frame(), 0, stored_dtype="<i2"), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame(), 3, stored_dtype="<i2"), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame(), -1, stored_dtype="<i2"), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame(), 0, stored_dtype="<c8"), InvalidDtypeError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame(), 0, stored_dtype="<f2"), InvalidDtypeError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame().astype(">i2"), 0, stored_dtype="<i2"), InvalidDtypeError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame().astype(np.bool_), 0, stored_dtype="<i2"), InvalidDtypeError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame().T, 0, stored_dtype="<i2"), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 16, 0, _frame().astype(np.int32), 0, stored_dtype="<f4"), InvalidDtypeError),
    (lambda: kernels.place_frame(b"\0" * 16, 0, _frame(), 0, stored_dtype="<f4", bits_stored=12), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame(), 0, stored_dtype="<i2", bits_stored=17), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame(), 0, stored_dtype="<i2", bits_stored=12, high_bit=3), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame(), 0, stored_dtype="<u2", intercept=-1024), InvalidArgumentError),
    (lambda: kernels.place_frame(b"\0" * 8, 0, _frame(), 0, stored_dtype="<i2", slope=0.5), InvalidArgumentError),
    (lambda: kernels.place_frame(object(), 0, _frame(), 0, stored_dtype="<i2"), InvalidArgumentError),
    (lambda: kernels.rle_decode_frame(b"\0" * 63, 1, 1, 1, 8), InvalidFileError),
    (lambda: kernels.rle_decode_frame(struct.pack("<16I", 2, 64, 65, *[0] * 13) + b"\0\0", 1, 1, 1, 8), InvalidFileError),
    (lambda: kernels.rle_decode_frame(struct.pack("<16I", 1, 60, *[0] * 14) + b"\0\0", 1, 1, 1, 8), InvalidFileError),
    (lambda: kernels.rle_decode_frame(struct.pack("<16I", 1, 99, *[0] * 14) + b"\0\0", 1, 1, 1, 8), InvalidFileError),
    (lambda: kernels.rle_decode_frame(struct.pack("<16I", 2, 66, 65, *[0] * 13) + b"\0\0\0", 1, 1, 1, 16), InvalidFileError),
    (lambda: kernels.rle_decode_frame(b"\0" * 70, 1, 1, 1, 12), UnsupportedError),
    (lambda: kernels.rle_decode_frame(b"\0" * 70, -1, 1, 1, 8), InvalidArgumentError),
    (lambda: kernels.rle_decode_frame(b"\0" * 70, 2, 2, 1, 8, out=np.zeros(3, np.uint8)), InvalidArgumentError),
    (lambda: kernels.invert_monochrome1(np.zeros(3, np.float32), 8), InvalidDtypeError),
    (lambda: kernels.invert_monochrome1(np.zeros(3, np.uint8), 9), InvalidArgumentError),
    (lambda: kernels.ybr_full_to_rgb(np.zeros((2, 3), np.uint16)), InvalidDtypeError),
    (lambda: kernels.ybr_full_to_rgb(np.zeros((2, 4), np.uint8)), InvalidArgumentError),
    (lambda: kernels.ybr_full_to_rgb(np.zeros((3, 2), np.uint8).T), InvalidArgumentError),
    (lambda: kernels.planar_to_interleaved(np.zeros((3, 4), np.uint8)), InvalidArgumentError),
    (lambda: kernels.planar_to_interleaved(np.zeros((3, 2, 2), np.uint8), out=np.zeros((3, 2, 2), np.uint8)), InvalidArgumentError),
    (lambda: kernels.planar_to_interleaved(np.zeros((3, 2, 2), np.complex128)), InvalidDtypeError),
    (lambda: kernels.apply_palette(np.zeros(3, np.float32), [np.zeros(4, np.uint8)] * 3), InvalidDtypeError),
    (lambda: kernels.apply_palette(np.zeros(3, np.uint8), [np.zeros(4, np.uint8)] * 2), InvalidArgumentError),
    (lambda: kernels.apply_palette(np.zeros(3, np.uint8), [np.zeros(4, np.uint8)] * 2 + [np.zeros(5, np.uint8)]), InvalidArgumentError),
    (lambda: kernels.apply_palette(np.zeros(3, np.uint8), [np.zeros(0, np.uint8)] * 3), InvalidArgumentError),
    (lambda: kernels.apply_palette(np.zeros(3, np.uint8), [np.zeros(4, np.int32)] * 3), InvalidDtypeError),
]


@pytest.mark.parametrize("call, error", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_arguments_raise_before_any_kernel(no_kernel, call, error):
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, MedfastError)


def test_errors_name_the_value():
    with pytest.raises(InvalidArgumentError, match=r"src_offset=5: .* 8 bytes run past the 12 bytes"):
        kernels.place_frame(b"\0" * 12, 5, _frame(), 0, stored_dtype="<i2")
    with pytest.raises(InvalidDtypeError, match=r"dtype=float32"):
        kernels.fix_stored_bits(np.zeros(2, np.float32), 8, 7)


def test_swap_bytes_in_place_and_into_out():
    a = np.arange(5, dtype=">i4")
    expected = a.astype("<i4").view(">i4").copy()
    assert kernels.swap_bytes(a, 4) is a
    assert a.tobytes() == expected.tobytes()
    out = np.empty(5, np.int32)
    kernels.swap_bytes(np.arange(5, dtype=">i4").tobytes(), 4, out=out)
    assert out.tolist() == list(range(5))


def test_unpack_1bit_and_12bit():
    packed = np.packbits(np.array([1, 0, 0, 1, 1, 1, 0, 1, 1, 0], np.uint8), bitorder="little").tobytes()
    assert kernels.unpack_1bit(packed, 7, bit_offset=3).tolist() == [1, 1, 1, 0, 1, 1, 0]
    # GDCM's own test bytes: 0x01 0x23 0x45 -> 0x301, 0x452
    assert kernels.unpack_12bit(bytes([0x01, 0x23, 0x45, 0x67, 0x89]), 3).tolist() == [0x301, 0x452, 0x967]


def test_fix_stored_bits_shift_mask_sign():
    # HighBit 15 with 12 bits stored: the value sits in the top 12 bits.
    a = np.array([0xFFF0, 0x8000, 0x7FF0, 0x000F], np.uint16).view(np.int16)
    assert kernels.fix_stored_bits(a, 12, 15).tolist() == [-1, -2048, 2047, 0]
    b = np.array([0xF0FF], np.uint16)
    assert kernels.fix_stored_bits(b, 12, 11).tolist() == [0x0FF]


def test_rescale_big_endian_and_strided_input_match_native():
    native = np.arange(-50, 50, dtype=np.int16).reshape(4, 25)
    for stored in (native.astype(">i2"), np.asfortranarray(native), native[:, ::-1][:, ::-1]):
        got = kernels.rescale(stored, [1.5, 2, -1, 0.25], [-3, 0, 1, 8], dtype=np.float64)
        want = native.astype(np.float64) * np.array([1.5, 2, -1, 0.25])[:, None] + np.array([-3.0, 0, 1, 8])[:, None]
        assert got.tobytes() == want.tobytes()


def test_rescale_integer_dtype_when_exact():
    stored = np.array([[0, 4095], [10, 20]], np.uint16)
    got = kernels.rescale(stored, [1, 2], [-1024, 5], dtype=np.int16)
    assert got.dtype == np.int16 and got.tolist() == [[-1024, 3071], [25, 45]]
    with pytest.raises(InvalidArgumentError):
        kernels.rescale(stored, [1, 20], [-1024, 5], dtype=np.int8)


def test_place_frame_big_endian_bits_and_rescale():
    frame = np.array([0x0FFF, 0x0800, 0xF001, 5], np.uint16)  # bits above the 12 stored are noise
    out = np.zeros((2, 2, 2), np.float32)
    kernels.place_frame(b"xx" + frame.astype(">u2").tobytes(), 2, out, 1, stored_dtype=">i2",
                        bits_stored=12, high_bit=11, slope=2.0, intercept=1.0)
    assert out[0].tolist() == [[0, 0], [0, 0]]
    assert out[1].ravel().tolist() == [-1.0, -4095.0, 3.0, 11.0]


def test_place_frame_integer_output_ct():
    stored = np.array([0, 1000, 4095], np.uint16)
    out = np.zeros((1, 3), np.int16)
    kernels.place_frame(stored.tobytes(), 0, out, 0, stored_dtype="<u2", bits_stored=12, intercept=-1024)
    assert out.tolist() == [[-1024, -24, 3071]]


def test_rle_decode_short_segment_is_invalid_file():
    frame = struct.pack("<16I", 1, 64, *[0] * 14) + bytes([0xFE, 9])  # 3 bytes for a 4-byte plane
    with pytest.raises(InvalidFileError, match="segment 1"):
        kernels.rle_decode_frame(frame, 2, 2, 1, 8)


def test_rle_decode_into_a_frame_slot():
    frame = struct.pack("<16I", 2, 64, 66, *[0] * 13) + bytes([0xFD, 0x01, 0xFD, 0x02])
    vol = np.zeros((2, 2, 2), np.uint16)
    kernels.rle_decode_frame(frame, 2, 2, 1, 16, out=vol[1])
    assert vol[1].ravel().tolist() == [0x0102] * 4 and not vol[0].any()


def test_photometric_wrappers():
    a = np.array([0, 1, 4095], np.uint16)
    assert kernels.invert_monochrome1(a, 12).tolist() == [4095, 4094, 0]
    s = np.array([-2048, 0, 2047], np.int16)
    assert kernels.invert_monochrome1(s, 12).tolist() == [2047, -1, -2048]
    planes = np.arange(2 * 3 * 2 * 2, dtype=np.uint16).reshape(2, 3, 2, 2)
    assert kernels.planar_to_interleaved(planes).tobytes() == np.moveaxis(planes, 1, -1).tobytes()
    rgb = np.array([[[16, 128, 128], [255, 128, 128]]], np.uint8)
    assert kernels.ybr_full_to_rgb(rgb, out=rgb).tolist() == [[[16, 16, 16], [255, 255, 255]]]
    lut = [np.arange(10, 20, dtype=np.uint16)] * 3
    got = kernels.apply_palette(np.array([-5, 100, 104, 200], np.int16), lut, first_map=100)
    assert got[:, 0].tolist() == [10, 10, 14, 19] and got.shape == (4, 3)
