"""medfast.dicom.pixels against pydicom's ds.pixel_array (and GDCM for 12-bit packed)."""
from __future__ import annotations

import warnings

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file, get_testdata_files
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from medfast.dicom.pixels import PixelHeader, decode_into, pixel_array
from medfast.errors import InvalidArgumentError, InvalidFileError, MedfastError, UnsupportedError
from support import require_module

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def _read(path):
    """A dataset, or None when pydicom cannot parse the file at all."""
    try:
        return pydicom.dcmread(path)
    except Exception:  # not a DICOM file (READMEs, JSON, folders)
        return None


def _reference(path):
    """pydicom's ds.pixel_array of ``path``, or None when pydicom does not decode it."""
    ds = _read(path)
    if ds is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ds.pixel_array
        except Exception:  # no pixels, missing attributes, broken codestreams: nothing to compare
            return None


def _compare(paths):
    """(number compared, list of mismatches) of pixel_array against ds.pixel_array over ``paths``."""
    compared, bad = 0, []
    for path in paths:
        ref = _reference(path)
        if ref is None:
            continue
        compared += 1
        try:
            got = pixel_array(pydicom.dcmread(path))
        except Exception as err:  # noqa: BLE001 - reported below with the file
            bad.append(f"{path}: raised {type(err).__name__}: {err}")
            continue
        if got.dtype != ref.dtype or got.shape != ref.shape or got.tobytes() != ref.tobytes():
            bad.append(f"{path}: {got.dtype}{got.shape} vs pydicom {ref.dtype}{ref.shape}")
    return compared, bad


def test_every_pydicom_test_file_matches_pixel_array():
    compared, bad = _compare(get_testdata_files())
    assert not bad, "\n".join(bad)
    # pydicom + pydicom-data: 155 files decode with the plugins this project installs.
    assert compared >= 150


@pytest.mark.corpus
def test_every_corpus_file_matches_pixel_array(corpus):
    paths = sorted(p for p in corpus.glob("*/In/**/*") if p.is_file())
    compared, bad = _compare(paths)
    assert not bad, "\n".join(bad)
    assert compared >= 1000


@pytest.mark.corpus
def test_12bit_garbage_in_unused_high_bits_is_removed(corpus):
    for path in sorted((corpus / "dcm_qa_12bit" / "In").glob("*.dcm")):
        ds = pydicom.dcmread(path)
        raw = np.frombuffer(ds.PixelData, "<u2")
        arr = pixel_array(ds)
        signed = ds.PixelRepresentation == 1
        assert arr.dtype == (np.int16 if signed else np.uint16)
        lo, hi = (-2048, 2047) if signed else (0, 4095)
        assert lo <= arr.min() and arr.max() <= hi, path
        assert np.array_equal(arr.reshape(-1).view(np.uint16) & 0x0FFF, raw & 0x0FFF), path
    assert (raw >> 12).any(), "the corpus file should carry garbage above bit 11"


# ---- synthetic layouts, each compared with pydicom ------------------------------------


def _dataset(values, *, syntax=ExplicitVRLittleEndian, bits_allocated=None, bits_stored=None,
             signed=False, photometric="MONOCHROME2", planar=0, frames=1, keyword="PixelData", raw=None):
    """An in-memory dataset whose pixel data is ``values`` encoded as ``syntax`` says (or ``raw``)."""
    values = np.asarray(values)
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = syntax
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    samples = 3 if values.ndim == (4 if frames > 1 else 3) else 1
    shape = values.shape[1:] if frames > 1 else values.shape
    ds.Rows, ds.Columns = shape[0], shape[1]
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = photometric
    if samples == 3:
        ds.PlanarConfiguration = planar
    if frames > 1:
        ds.NumberOfFrames = frames
    ba = bits_allocated or 8 * values.dtype.itemsize
    ds.BitsAllocated = ba
    if keyword == "PixelData":
        ds.BitsStored = bits_stored or ba
        ds.HighBit = ds.BitsStored - 1
        ds.PixelRepresentation = int(signed)
    if raw is None:
        order = ">" if syntax == ExplicitVRBigEndian else "<"
        data = values
        if samples == 3 and planar == 1:
            data = np.moveaxis(values, -1, -3)
        if ba == 1:
            raw = np.packbits(data.astype(np.uint8).reshape(-1), bitorder="little").tobytes()
        else:
            raw = np.ascontiguousarray(data).astype(data.dtype.newbyteorder(order)).tobytes()
    setattr(ds, keyword, raw + b"\0" * (len(raw) % 2))
    return ds


def _same(ds):
    """medfast equals pydicom on ``ds`` (dtype, shape, bytes); returns the array."""
    got = pixel_array(ds)
    ref = ds.pixel_array
    assert (got.dtype, got.shape) == (ref.dtype, ref.shape)
    assert got.tobytes() == ref.tobytes()
    return got


RNG = np.random.default_rng(20261124)


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRLittleEndian, ExplicitVRBigEndian,
                                    DeflatedExplicitVRLittleEndian])
@pytest.mark.parametrize(
    ("dtype", "bits_stored", "signed"),
    [("u1", 8, False), ("u1", 6, True), ("u2", 12, False), ("u2", 12, True), ("u2", 16, True),
     ("u2", 1, False), ("u4", 24, True), ("u4", 32, False), ("u8", 40, True)],
)
@pytest.mark.parametrize("frames", [1, 3])
def test_monochrome_integers(syntax, dtype, bits_stored, signed, frames):
    # Random bits everywhere, so the unused high bits hold garbage.
    shape = (frames, 5, 7) if frames > 1 else (5, 7)
    values = RNG.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)
    _same(_dataset(values, syntax=syntax, bits_stored=bits_stored, signed=signed, frames=frames))


@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ExplicitVRBigEndian])
@pytest.mark.parametrize("planar", [0, 1])
# pydicom converts 8-bit YBR only (it raises for wider samples), so YBR is 8-bit here.
@pytest.mark.parametrize(
    ("photometric", "dtype", "frames"),
    [("RGB", "u1", 1), ("RGB", "u1", 2), ("RGB", "u2", 2), ("YBR_FULL", "u1", 1), ("YBR_FULL", "u1", 2)],
)
def test_colour(syntax, planar, photometric, dtype, frames):
    shape = (frames, 4, 6, 3) if frames > 1 else (4, 6, 3)
    values = RNG.integers(0, np.iinfo(dtype).max, shape, dtype=dtype, endpoint=True)
    got = _same(_dataset(values, syntax=syntax, photometric=photometric, planar=planar, frames=frames))
    assert got.flags.c_contiguous


def test_ybr_to_rgb_equals_pydicom_on_a_million_random_pixels():
    values = RNG.integers(0, 255, (1000, 1000, 3), dtype=np.uint8, endpoint=True)
    _same(_dataset(values, photometric="YBR_FULL"))


@pytest.mark.parametrize("frames", [1, 2])
def test_ybr_full_422_is_upsampled_and_converted(frames):
    rows, columns = 4, 6
    raw = RNG.integers(0, 255, frames * rows * columns * 2, dtype=np.uint8, endpoint=True).tobytes()
    values = np.zeros((frames, rows, columns, 3) if frames > 1 else (rows, columns, 3), np.uint8)
    _same(_dataset(values, photometric="YBR_FULL_422", frames=frames, raw=raw))


@pytest.mark.parametrize("planar", [0, 1])
def test_big_endian_8bit_ow_bytes_swapped_in_pairs(planar):
    values = RNG.integers(0, 255, (3, 3, 3), dtype=np.uint8, endpoint=True)
    ds = _dataset(values, syntax=ExplicitVRBigEndian, photometric="RGB", planar=planar)
    ds["PixelData"].VR = "OW"
    got = _same(ds)
    assert not np.array_equal(got, values)  # the pairwise swap really happened


@pytest.mark.parametrize(("rows", "columns", "frames"), [(8, 8, 1), (3, 5, 1), (3, 5, 3), (7, 9, 4)])
@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ExplicitVRBigEndian])
def test_1bit_frames_not_on_byte_boundaries(rows, columns, frames, syntax):
    shape = (frames, rows, columns) if frames > 1 else (rows, columns)
    values = RNG.integers(0, 1, shape, dtype=np.uint8, endpoint=True)
    got = _same(_dataset(values, syntax=syntax, bits_allocated=1, frames=frames))
    assert np.array_equal(got, values)


@pytest.mark.parametrize("syntax", [ExplicitVRLittleEndian, ExplicitVRBigEndian])
@pytest.mark.parametrize(("keyword", "dtype"), [("FloatPixelData", "f4"), ("DoubleFloatPixelData", "f8")])
def test_float_pixel_data(syntax, keyword, dtype):
    values = RNG.normal(0, 1000, (2, 4, 5)).astype(dtype)
    got = _same(_dataset(values, syntax=syntax, frames=2, keyword=keyword))
    assert np.array_equal(got.astype(dtype), values)


def test_high_bit_is_ignored_as_pydicom_does():
    # pydicom keeps the low BitsStored bits whatever HighBit says; so does medfast.
    values = RNG.integers(0, 2**16, (4, 6), dtype=np.uint16)
    ds = _dataset(values, bits_stored=12, signed=True)
    ds.HighBit = 15
    assert _same(ds).tobytes() == ((values.astype(np.int16) << 4) >> 4).tobytes()


def test_excess_whole_frames_are_returned_as_pydicom_does():
    values = RNG.integers(0, 4095, (3, 4, 4), dtype=np.uint16)
    ds = _dataset(values, frames=3)
    ds.NumberOfFrames = 2
    assert _same(ds).shape == (3, 4, 4)


@pytest.mark.parametrize("name", ["CT_small.dcm", "emri_small_big_endian.dcm", "MR_small_RLE.dcm", "liver.dcm"])
def test_deferred_pixel_data_is_read_on_demand(name):
    path = get_testdata_file(name)
    got = pixel_array(pydicom.dcmread(path, defer_size=256))
    ref = pydicom.dcmread(path).pixel_array
    assert (got.dtype, got.shape, got.tobytes()) == (ref.dtype, ref.shape, ref.tobytes())


def test_user_options_are_honoured():
    ds = pydicom.dcmread(get_testdata_file("SC_ybr_full_uncompressed.dcm"))
    ds.pixel_array_options(as_rgb=False)
    got = pixel_array(ds)
    assert np.array_equal(got, np.frombuffer(ds.PixelData, np.uint8).reshape(got.shape))


# ---- bad input ----------------------------------------------------------------------


def test_truncated_pixel_data_names_file_and_field():
    path = get_testdata_file("MR_truncated.dcm")
    with pytest.raises(InvalidFileError, match=r"MR_truncated\.dcm: PixelData=") as info:
        pixel_array(pydicom.dcmread(path))
    assert "8130 bytes" in str(info.value)


def test_truncated_multiframe_is_never_padded(tmp_path):
    ds = _dataset(RNG.integers(0, 255, (3, 4, 4), dtype=np.uint8), frames=3)
    ds.PixelData = ds.PixelData[:-10]
    path = tmp_path / "short.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(InvalidFileError, match=r"short\.dcm: PixelData=38 bytes"):
        pixel_array(pydicom.dcmread(path))


@pytest.mark.parametrize(
    ("field", "value"),
    [("Rows", 0), ("BitsAllocated", 7), ("BitsStored", 17), ("SamplesPerPixel", 2), ("PixelRepresentation", 2)],
)
def test_bad_attributes_name_the_field(field, value):
    ds = _dataset(np.zeros((4, 4), np.uint16))
    setattr(ds, field, value)
    with pytest.raises(InvalidFileError, match=f"{field}={value}"):
        pixel_array(ds)


def test_missing_attribute_and_unknown_syntax():
    ds = _dataset(np.zeros((4, 4), np.uint16))
    del ds.BitsStored
    with pytest.raises(InvalidFileError, match="BitsStored: missing"):
        pixel_array(ds)
    ds = _dataset(np.zeros((4, 4), np.uint16))
    ds.file_meta.TransferSyntaxUID = "1.2.3.4"
    with pytest.raises(UnsupportedError, match="TransferSyntaxUID=1.2.3.4"):
        pixel_array(ds)


def test_broken_compressed_data_raises_a_medfast_error():
    ds = pydicom.dcmread(get_testdata_file("JPEG2000-embedded-sequence-delimiter.dcm"))
    with pytest.raises(MedfastError, match="JPEG2000-embedded-sequence-delimiter.dcm"):
        pixel_array(ds)


# ---- 12-bit packed: pydicom refuses it, GDCM is the oracle ---------------------------


def _packed12(values):
    """Two 12-bit values in three bytes, as GDCM's Unpacker12Bits reads them."""
    v = values.reshape(-1).astype(np.uint32)
    a, b = v[0::2], v[1::2]
    return np.stack([a & 0xFF, (a >> 8) | ((b & 0xF) << 4), b >> 4], 1).astype(np.uint8).tobytes()


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("frames", [1, 2])
def test_12bit_packed_matches_gdcm(tmp_path, signed, frames):
    gdcm = require_module("gdcm")
    shape = (frames, 6, 8) if frames > 1 else (6, 8)  # GDCM unpacks whole 3-byte groups only
    stored = RNG.integers(0, 4095, shape, dtype=np.uint16, endpoint=True)
    ds = _dataset(stored, bits_allocated=12, bits_stored=12, signed=signed, frames=frames, raw=_packed12(stored))
    path = tmp_path / "packed12.dcm"
    ds.save_as(path, enforce_file_format=True)
    with pytest.raises(ValueError, match="Bits Allocated"):
        pydicom.dcmread(path).pixel_array

    reader = gdcm.ImageReader()
    reader.SetFileName(str(path))
    assert reader.Read()
    image = reader.GetImage()
    oracle = np.frombuffer(image.GetBuffer().encode("utf-8", "surrogateescape"), np.uint16).reshape(shape)
    got = pixel_array(pydicom.dcmread(path))
    assert got.shape == shape
    if not signed:
        assert got.dtype == np.uint16
        assert got.tobytes() == oracle.tobytes()
    else:
        # GDCM hands back the 12 stored bits in an int16 without sign extension;
        # medfast sign-extends from BitsStored, as pydicom does for every signed layout.
        assert got.dtype == np.int16
        extended = np.where(oracle >= 2048, oracle.astype(np.int32) - 4096, oracle).astype(np.int16)
        assert got.tobytes() == extended.tobytes()
        assert (got < 0).any()


def test_12bit_packed_odd_pixel_count_and_truncation():
    stored = RNG.integers(0, 4095, (3, 5, 7), dtype=np.uint16, endpoint=True)
    packed = _packed12(np.append(stored.reshape(-1), 0))[: (stored.size * 3 + 1) // 2]
    ds = _dataset(stored, bits_allocated=12, bits_stored=12, frames=3, raw=packed)
    assert pixel_array(ds).tobytes() == stored.tobytes()
    ds.PixelData = packed[:-1]
    with pytest.raises(InvalidFileError, match="PixelData=157 bytes.* need 158"):
        pixel_array(ds)


# ---- decode_into: the series reader's entry point --------------------------------------


def test_decode_into_slot_with_rescale_equals_pydicom_apply_rescale():
    from pydicom.pixels import apply_rescale

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    header = PixelHeader.from_dataset(ds)
    out = np.full((3, *header.frame_shape), -7.0)
    written = decode_into(header, memoryview(ds.PixelData), out, 1,
                          slope=float(ds.RescaleSlope), intercept=float(ds.RescaleIntercept))
    assert written == 1
    assert out[1].tobytes() == apply_rescale(ds.pixel_array, ds).astype(np.float64).tobytes()
    assert (out[0] == -7).all() and (out[2] == -7).all()


def test_decode_into_per_frame_rescale_and_int16():
    stored = RNG.integers(0, 4095, (3, 4, 5), dtype=np.uint16)
    header = PixelHeader(rows=4, columns=5, bits_allocated=16, bits_stored=12, frames=3)
    raw = (stored | 0xF000).astype("<u2").tobytes()  # garbage in the high bits
    out = np.zeros((3, 4, 5), np.float32)
    decode_into(header, raw, out, 0, slope=[1.0, 2.0, 0.5], intercept=[0.0, -1.0, 3.0])
    expect = stored.astype(np.float32) * np.float32([1, 2, 0.5])[:, None, None] + np.float32([0, -1, 3])[:, None, None]
    assert out.tobytes() == expect.tobytes()
    hu = np.zeros((3, 4, 5), np.int16)
    decode_into(header, raw, hu, 0, slope=1, intercept=-1024)
    assert hu.tobytes() == (stored.astype(np.int16) - 1024).tobytes()


def test_decode_into_encapsulated_equals_pixel_array():
    ds = pydicom.dcmread(get_testdata_file("emri_small_RLE.dcm"))
    header = PixelHeader.from_dataset(ds)
    out = np.zeros((header.frames, *header.frame_shape), np.uint16)
    assert decode_into(header, ds.PixelData, out, 0) == header.frames
    assert out.tobytes() == ds.pixel_array.tobytes()


@pytest.mark.parametrize(
    ("name", "dtype"),
    [("emri_small.dcm", np.float64), ("emri_small_big_endian.dcm", np.int32), ("emri_small_RLE.dcm", np.float32),
     ("liver.dcm", np.int16), ("SC_rgb_expb_2frame.dcm", np.uint8)],
)
def test_decode_into_one_frame_into_a_scattered_slot(name, dtype):
    ds = pydicom.dcmread(get_testdata_file(name))
    header = PixelHeader.from_dataset(ds)
    ref = ds.pixel_array
    out = np.zeros((header.frames + 2, *header.frame_shape), dtype)
    slope, intercept = (1, 0) if dtype == np.uint8 else (3, -5)
    for frame in range(header.frames):
        slot = header.frames + 1 - frame  # reversed, leaving slot 0 alone
        assert decode_into(header, ds.PixelData, out, slot, frame=frame, slope=slope, intercept=intercept) == 1
        expect = ref[frame].astype(np.float64) * slope + intercept
        assert out[slot].tobytes() == expect.astype(dtype).tobytes(), frame
    assert not out[0].any()
    with pytest.raises(InvalidArgumentError, match="frame="):
        decode_into(header, ds.PixelData, out, 0, frame=header.frames)


def test_decode_into_from_threads_fills_each_slot():
    from concurrent.futures import ThreadPoolExecutor

    header = PixelHeader(rows=64, columns=64, bits_allocated=16, bits_stored=12, pixel_representation=1)
    files = [RNG.integers(0, 2**16, 64 * 64, dtype=np.uint16).astype("<u2").tobytes() for _ in range(24)]
    out = np.zeros((24, 64, 64), np.float32)
    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(lambda k: decode_into(header, files[k], out, k, slope=0.5, intercept=1.0), range(24))) == 24
    for k, raw in enumerate(files):
        stored = (np.frombuffer(raw, "<i2") << 4) >> 4
        assert out[k].tobytes() == (stored.astype(np.float32) * np.float32(0.5) + np.float32(1)).reshape(64, 64).tobytes()


def test_decode_into_checks_out_and_length():
    header = PixelHeader(rows=2, columns=2, bits_allocated=16, frames=2, path="x.dcm")
    with pytest.raises(InvalidArgumentError, match="room for 2 frame"):
        decode_into(header, bytes(16), np.zeros((2, 2, 2), np.uint16), 1)
    with pytest.raises(InvalidArgumentError, match="C-contiguous"):
        decode_into(header, bytes(16), np.zeros((2, 2, 4), np.uint16)[:, :, ::2], 0)
    with pytest.raises(InvalidFileError, match=r"x\.dcm: PixelData=15 bytes"):
        decode_into(header, bytes(15), np.zeros((2, 2, 2), np.uint16), 0)


def test_deflated_file_round_trip(tmp_path):
    # A deflated file on disk (pydicom inflates the data set when it reads it).
    values = RNG.integers(0, 4095, (6, 7), dtype=np.uint16)
    ds = _dataset(values, syntax=DeflatedExplicitVRLittleEndian, bits_stored=12)
    path = tmp_path / "deflated.dcm"
    ds.save_as(path, enforce_file_format=True)
    assert np.array_equal(_same(pydicom.dcmread(path)), values)
