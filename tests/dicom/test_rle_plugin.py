"""medfast's RLE kernel as a pydicom plugin: bit for bit equal to pydicom's own RLE plugin."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file, get_testdata_files
from pydicom.pixels.decoders import RLELosslessDecoder
from pydicom.uid import RLELossless

import medfast.kernels
from medfast.dicom import rle_plugin
from medfast.dicom.pixels import pixel_array
from medfast.errors import InvalidFileError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def _rle_files():
    found = []
    for path in get_testdata_files():
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:  # not DICOM
            continue
        if getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None) == RLELossless:
            found.append(path)
    return found


def test_every_rle_file_equals_pydicoms_plugin():
    rle_plugin.register()
    compared = 0
    for path in _rle_files():
        ds = pydicom.dcmread(path)
        ref, ref_meta = RLELosslessDecoder.as_array(ds, decoding_plugin="pydicom")
        got, got_meta = RLELosslessDecoder.as_array(ds, decoding_plugin=rle_plugin.LABEL)
        assert (got.dtype, got.shape, got.tobytes()) == (ref.dtype, ref.shape, ref.tobytes()), path
        assert got_meta == ref_meta, path
        compared += 1
    # 12 RLE files in pydicom + pydicom-data: 8, 16 and 32 bits, 1 and 3 samples, multi-frame.
    assert compared >= 12


def test_frames_decode_bit_for_bit_through_the_plugin_function():
    ds = pydicom.dcmread(get_testdata_file("SC_rgb_rle_16bit_2frame.dcm"))
    from pydicom.encaps import generate_frames
    from pydicom.pixels.decoders.base import DecodeRunner
    from pydicom.pixels.decoders.rle import _decode_frame as pydicom_decode

    runner = DecodeRunner(RLELossless)
    runner.set_source(ds)
    for frame in generate_frames(ds.PixelData, number_of_frames=2):
        assert bytes(rle_plugin.decode_frame(frame, runner)) == bytes(pydicom_decode(frame, runner))
    assert runner.planar_configuration == 1


def test_not_registered_by_importing_medfast():
    code = (
        "import medfast, medfast.dicom.pixels, medfast.dicom.rle_plugin\n"
        "from pydicom.pixels.decoders import RLELosslessDecoder as d\n"
        "assert 'medfast' not in d.available_plugins, d.available_plugins\n"
        "medfast.dicom.rle_plugin.register()\n"
        "assert 'medfast' in d.available_plugins\n"
    )
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True)


def test_register_is_idempotent_and_prefer_makes_pydicom_use_it(monkeypatch):
    rle_plugin.register()
    rle_plugin.register()
    assert RLELosslessDecoder.available_plugins.count(rle_plugin.LABEL) == 1
    calls = []
    kernel = medfast.kernels.rle_decode_frame

    def counting(*args, **kwargs):
        calls.append(args[1:])
        return kernel(*args, **kwargs)

    monkeypatch.setattr(medfast.kernels, "rle_decode_frame", counting)
    ds = pydicom.dcmread(get_testdata_file("MR_small_RLE.dcm"))
    rle_plugin.register(prefer=True)
    try:
        arr = ds.pixel_array
    finally:
        rle_plugin.unregister()
    assert calls == [(64, 64, 1, 16)]
    assert rle_plugin.LABEL not in RLELosslessDecoder.available_plugins
    assert "pydicom" in RLELosslessDecoder.available_plugins
    assert arr.tobytes() == RLELosslessDecoder.as_array(ds, decoding_plugin="pydicom")[0].tobytes()


def test_little_endian_segment_order_is_left_to_pydicom():
    from pydicom.pixels.decoders.base import DecodeRunner

    runner = DecodeRunner(RLELossless)
    runner.set_options(rows=1, columns=1, samples_per_pixel=1, bits_allocated=16, rle_segment_order="<")
    with pytest.raises(NotImplementedError, match="segment order"):
        rle_plugin.decode_frame(b"", runner)


def test_corrupt_rle_raises_invalid_file_naming_the_file(tmp_path):
    from pydicom.encaps import encapsulate, generate_frames

    ds = pydicom.dcmread(get_testdata_file("MR_small_RLE.dcm"))
    frame = next(generate_frames(ds.PixelData, number_of_frames=1))
    ds.PixelData = encapsulate([frame[: len(frame) // 2]])
    path = tmp_path / "broken_rle.dcm"
    ds.save_as(path)
    with pytest.raises(InvalidFileError, match=r"broken_rle\.dcm"):
        pixel_array(pydicom.dcmread(path))


def test_pixel_array_uses_the_medfast_plugin_for_rle(monkeypatch):
    calls = []
    kernel = medfast.kernels.rle_decode_frame
    monkeypatch.setattr(medfast.kernels, "rle_decode_frame", lambda *a, **k: calls.append(a[1:]) or kernel(*a, **k))
    ds = pydicom.dcmread(get_testdata_file("emri_small_RLE.dcm"))
    arr = pixel_array(ds)
    assert len(calls) == 10
    assert np.array_equal(arr, ds.pixel_array)
