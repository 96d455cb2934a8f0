"""The kernels (through medfast.kernels) against pydicom and nibabel on their own sample files."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from medfast import kernels

pydicom = pytest.importorskip("pydicom")  # a hard dependency of medfast: always there
from pydicom.data import get_testdata_file, get_testdata_files  # noqa: E402
from pydicom.encaps import generate_frames  # noqa: E402
from pydicom.pixels.processing import apply_color_lut, apply_rescale, convert_color_space  # noqa: E402

RLE = "1.2.840.10008.1.2.5"
NATIVE = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2")


def _datasets():
    """(name, dataset) of every sample file pydicom and pydicom-data ship that has pixels."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        paths = sorted(set(get_testdata_files()))
    found = []
    for path in paths:
        try:
            ds = pydicom.dcmread(path, defer_size="64 KB")
        except Exception:  # not DICOM (the data folders hold other files too)
            continue
        if "PixelData" in ds and "Rows" in ds and hasattr(ds, "file_meta") and "TransferSyntaxUID" in ds.file_meta:
            found.append((path.rsplit("/", 1)[-1], ds))
    return found


DATASETS = _datasets()


def _select(pred):
    def ok(ds):
        try:
            return pred(ds)
        except (ValueError, TypeError, AttributeError):  # a deliberately broken sample (badVR.dcm)
            return False

    chosen = [(name, ds) for name, ds in DATASETS if ok(ds)]
    assert chosen, "no sample file of this kind: pydicom's test data is incomplete"
    return pytest.mark.parametrize("ds", [ds for _, ds in chosen], ids=[name for name, _ in chosen])


def _pixels(ds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ds.pixel_array


def _frames(ds):
    return int(ds.get("NumberOfFrames") or 1)


@_select(lambda ds: ds.file_meta.TransferSyntaxUID == RLE)
def test_rle_equals_pydicom_decoder(ds):
    from pydicom.pixels.decoders.rle import _rle_decode_frame

    n = _frames(ds)
    frames = list(generate_frames(ds.PixelData, number_of_frames=n))
    assert len(frames) == n
    for frame in frames:
        want = _rle_decode_frame(frame, ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated)
        got = kernels.rle_decode_frame(frame, ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.BitsAllocated)
        assert got.tobytes() == bytes(want)


def _native_monochrome(ds):
    return (
        ds.file_meta.TransferSyntaxUID in NATIVE
        and str(ds.get("PhotometricInterpretation", "")).startswith("MONOCHROME")
        and ds.get("BitsAllocated") in (8, 16, 32)
        and len(ds.PixelData) >= ds.Rows * ds.Columns * _frames(ds) * ds.BitsAllocated // 8
    )


@_select(_native_monochrome)
def test_place_frame_equals_pixel_array_and_apply_rescale(ds):
    # Stack every frame from the raw bytes, fusing swap, bits and rescale; pydicom does it in steps.
    want = _pixels(ds).reshape(_frames(ds), ds.Rows, ds.Columns)
    order = "<" if ds.file_meta.TransferSyntaxUID.is_little_endian else ">"
    stored = np.dtype(f"{order}{'iu'[ds.PixelRepresentation == 0]}{ds.BitsAllocated // 8}")
    slope, inter = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
    out = np.empty(want.shape, np.float64)
    for f in range(want.shape[0]):
        kernels.place_frame(ds.PixelData, f * want[0].size * stored.itemsize, out, f, stored_dtype=stored,
                            bits_stored=ds.BitsStored, high_bit=ds.HighBit, slope=slope, intercept=inter)
    expected = apply_rescale(want, ds) if "RescaleSlope" in ds else want.astype(np.float64)
    assert out.tobytes() == expected.tobytes()


@_select(lambda ds: "RescaleSlope" in ds and ds.file_meta.TransferSyntaxUID in NATIVE)
def test_rescale_equals_apply_rescale(ds):
    arr = _pixels(ds)
    got = kernels.rescale(arr, float(ds.RescaleSlope), float(ds.RescaleIntercept), dtype=np.float64)
    assert got.tobytes() == apply_rescale(arr, ds).tobytes()


def test_ybr_full_to_rgb_equals_convert_color_space_on_every_value():
    v = np.arange(1 << 24, dtype=np.uint32)
    ybr = np.stack([(v >> 16) & 255, (v >> 8) & 255, v & 255], axis=-1).astype(np.uint8).reshape(4096, 4096, 3)
    want = convert_color_space(ybr.copy(), "YBR_FULL", "RGB")
    assert kernels.ybr_full_to_rgb(ybr).tobytes() == want.tobytes()
    assert kernels.ybr_full_to_rgb(ybr.copy(), out=None).tobytes() == convert_color_space(ybr, "YBR_FULL_422", "RGB").tobytes()


@_select(lambda ds: ds.get("PhotometricInterpretation") in ("YBR_FULL", "YBR_FULL_422"))
def test_ybr_files_equal_pydicom_rgb(ds):
    from pydicom.pixels import pixel_array

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pixel_array(ds, raw=True, index=_frames(ds) // 2)  # one frame: the JPEG ones are long
        rgb = pixel_array(ds, index=_frames(ds) // 2)
    assert kernels.ybr_full_to_rgb(np.ascontiguousarray(raw)).tobytes() == rgb.tobytes()


@_select(lambda ds: ds.get("PlanarConfiguration") == 1 and ds.file_meta.TransferSyntaxUID in NATIVE
         and ds.BitsAllocated == 8)
def test_planar_to_interleaved_equals_pixel_array(ds):
    want = _pixels(ds).reshape(_frames(ds), ds.Rows, ds.Columns, ds.SamplesPerPixel)
    planes = np.frombuffer(ds.PixelData, np.uint8, count=want.size).reshape(
        _frames(ds), ds.SamplesPerPixel, ds.Rows, ds.Columns)
    assert kernels.planar_to_interleaved(planes).tobytes() == want.tobytes()


@_select(lambda ds: ds.get("PhotometricInterpretation") == "PALETTE COLOR"
         and "RedPaletteColorLookupTableData" in ds)
def test_apply_palette_equals_apply_color_lut(ds):
    arr = _pixels(ds)
    nr, first, _ = ds.RedPaletteColorLookupTableDescriptor
    nr = nr or 1 << 16
    depth = len(ds.RedPaletteColorLookupTableData) * 8 // nr
    luts = [np.frombuffer(getattr(ds, f"{c}PaletteColorLookupTableData"), f"<u{depth // 8}")
            for c in ("Red", "Green", "Blue")]
    got = kernels.apply_palette(np.ascontiguousarray(arr), luts, first_map=first)
    assert got.tobytes() == apply_color_lut(arr, ds).tobytes()


@_select(lambda ds: ds.get("BitsAllocated") == 1 and ds.file_meta.TransferSyntaxUID in NATIVE)
def test_unpack_1bit_equals_pixel_array(ds):
    want = _pixels(ds)
    assert kernels.unpack_1bit(ds.PixelData, want.size).tobytes() == want.tobytes()


def test_rescale_equals_nibabel_read_scaling(tmp_path):
    nib = pytest.importorskip("nibabel")
    rng = np.random.default_rng(3)
    cases = [(np.int16, 0.37, -1024.5), (np.uint8, 2.0, 0.25), (np.int32, -1e-3, 7.0), (np.uint16, 1.0, -1000.0)]
    for k, (dtype, slope, inter) in enumerate(cases):
        info = np.iinfo(dtype)
        data = rng.integers(info.min, info.max, (7, 5, 3), endpoint=True).astype(dtype)
        img = nib.Nifti1Image(data, np.eye(4))
        img.header.set_slope_inter(slope, inter)
        path = tmp_path / f"s{k}.nii"
        nib.save(img, path)
        loaded = nib.load(path)
        proxy = loaded.dataobj
        got = kernels.rescale(np.asarray(proxy.get_unscaled()), float(proxy.slope), float(proxy.inter), dtype=np.float64)
        assert got.tobytes() == loaded.get_fdata().tobytes()


def test_nibabel_sample_files_with_scaling():
    nib = pytest.importorskip("nibabel")
    from nibabel.testing import data_path

    from pathlib import Path

    checked = 0
    for path in sorted(Path(data_path).glob("*")):
        if not path.name.endswith((".nii", ".nii.gz", ".hdr")):
            continue
        try:
            img = nib.load(path)
            proxy = img.dataobj
            slope, inter = getattr(proxy, "slope", None), getattr(proxy, "inter", None)
            if slope is None or np.ndim(slope) or (slope, inter) == (1.0, 0.0):
                continue
            raw, want = np.asarray(proxy.get_unscaled()), img.get_fdata()
        except Exception:  # files nibabel's own tests expect to fail, or whose data is not shipped
            continue
        got = kernels.rescale(raw, float(slope), float(inter), dtype=np.float64)
        assert got.tobytes() == want.tobytes(), path.name
        checked += 1
    assert checked, "no scaled nibabel sample file found"
