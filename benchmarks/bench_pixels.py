"""pixel_array: medfast.pixel_array against pydicom's ds.pixel_array on uncompressed 512 x 512 frames.

Both run on the same datasets (written once, read with ``pydicom.dcmread``): int16 with BitsStored 12 and garbage in
the unused high bits (so both must mask and sign-extend), one frame and a
20-frame multi-frame. pydicom caches the decoded array on the dataset; its
public ``ds.pixel_array_options()`` (no arguments: the defaults) is called
before each ``ds.pixel_array`` to clear that cache, so every round decodes.
medfast keeps no cache. Each group holds both readers; the table's ratio is
the speed-up.
"""
from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from medfast.dicom.pixels import pixel_array

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _dataset(path, side, frames, rng):
    meta = FileMetaDataset()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Rows = ds.Columns = side
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 1
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.PixelData = rng.integers(0, 2**16, side * side * frames, dtype=np.uint16).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return pydicom.dcmread(path)  # what users hand to either reader


@pytest.fixture(scope="session")
def datasets(small, tmp_path_factory):
    """512 x 512 frames (64 x 64 when benchmarks are disabled, so the CI run stays quick)."""
    side, frames = (64, 2) if small else (512, 20)
    rng = np.random.default_rng(3)
    folder = tmp_path_factory.mktemp("bench_pixels")
    return {
        "frame": _dataset(folder / "frame.dcm", side, 1, rng),
        "multiframe": _dataset(folder / "multiframe.dcm", side, frames, rng),
    }


def _pydicom(ds):
    ds.pixel_array_options()  # clears pydicom's cached array: every round decodes
    return ds.pixel_array


READERS = {"medfast": pixel_array, "pydicom": _pydicom}


@pytest.mark.parametrize("case", ["frame", "multiframe"])
@pytest.mark.parametrize("reader", list(READERS))
def test_pixel_array(benchmark, datasets, case, reader):
    benchmark.group = f"pixel_array 512x512 int16 BitsStored 12: {case}"
    ds = datasets[case]
    arr = benchmark(READERS[reader], ds)
    ref = _pydicom(ds)
    assert (arr.dtype, arr.shape, arr.tobytes()) == (ref.dtype, ref.shape, ref.tobytes())
