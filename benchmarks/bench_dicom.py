"""read_dicom: a 300-slice 512 x 512 CT series into memory, medfast against the pydicom recipe.

The series (12 bits stored in 16, RescaleSlope 1, RescaleIntercept -1024,
shuffled file names) is written once with ``medfast.synth``; the page cache is
warm after the first round. The anchor is what people write with pydicom:
``dcmread`` every file, ``pixel_array``, rescale in float32, sort by position
along the slice normal, ``np.stack``. The floor is a plain copy of every file's bytes from the page
cache. All three are in the group ``ct-300``, so the table's ratios are the
speed-up and the fraction of the floor; ``extra_info`` holds the pixel throughput in
GB/s. With ``--benchmark-disable`` the series is 20 slices of 64 x 64 and each
reader runs once, checked against the other.
"""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

import medfast
from medfast.synth import write_ct_series

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


@pytest.fixture(scope="session")
def ct_series(small, tmp_path_factory):
    shape = (64, 64, 20) if small else (512, 512, 300)
    folder = tmp_path_factory.mktemp("bench_dicom_ct")
    write_ct_series(folder, shape=shape, shuffle_names=True)
    return str(folder), shape


def pydicom_recipe(folder):
    """The usual pydicom code: read, decode, rescale in float32, sort along the normal, stack (z, y, x)."""
    import pydicom

    slices = []
    for path in glob.glob(os.path.join(folder, "*.dcm")):
        ds = pydicom.dcmread(path)
        pixels = ds.pixel_array.astype(np.float32) * np.float32(ds.RescaleSlope) + np.float32(ds.RescaleIntercept)
        iop = np.array(ds.ImageOrientationPatient, dtype=float)
        normal = np.cross(iop[:3], iop[3:])
        slices.append((float(np.dot(normal, np.array(ds.ImagePositionPatient, dtype=float))), pixels))
    slices.sort(key=lambda item: item[0])
    return np.stack([pixels for _, pixels in slices])


def medfast_read(folder):
    [vol] = medfast.read_dicom(folder)
    return vol.array


def page_cache_copy(folder):
    """The floor: every file's bytes copied from the page cache into one buffer (what no reader can beat)."""
    paths = glob.glob(os.path.join(folder, "*.dcm"))
    sizes = [os.path.getsize(p) for p in paths]
    out = np.empty(sum(sizes), np.uint8)
    at = 0
    for path, size in zip(paths, sizes):
        with open(path, "rb", buffering=0) as f:
            f.readinto(memoryview(out)[at:at + size])
        at += size
    return out


READERS = {"medfast": medfast_read, "pydicom": pydicom_recipe, "page-cache copy": page_cache_copy}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_ct_300(benchmark, ct_series, reader):
    folder, shape = ct_series
    benchmark.group = "ct-300"
    arr = benchmark(READERS[reader], folder)
    nbytes = shape[0] * shape[1] * shape[2] * 2  # the stored pixel data
    if benchmark.stats is not None:
        benchmark.extra_info["GB/s"] = round(nbytes / benchmark.stats.stats.min / 1e9, 3)
    if reader == "page-cache copy":
        return
    # both give the same HU values: medfast (i, j, k) with rows flipped, pydicom (k, row, column)
    expected = pydicom_recipe(folder) if reader == "medfast" else arr
    got = medfast_read(folder) if reader == "pydicom" else arr
    assert np.array_equal(got.transpose(2, 1, 0)[:, ::-1], expected)


def main(argv=None):
    """Print read_dicom's throughput and peak memory (tracemalloc) on the 300-slice CT: outside pytest."""
    import argparse
    import tempfile
    import time
    import tracemalloc

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--slices", type=int, default=300)
    args = parser.parse_args(argv)
    folder = tempfile.mkdtemp(prefix="bench_dicom_")
    write_ct_series(folder, shape=(512, 512, args.slices), shuffle_names=True)
    medfast.read_dicom(folder)  # warm the page cache and the imports
    best = min(_timed(folder, time) for _ in range(5))
    tracemalloc.start()
    [vol] = medfast.read_dicom(folder)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    nbytes = vol.stored.nbytes
    print(f"read_dicom: {nbytes / best / 1e9:.2f} GB/s ({best * 1e3:.0f} ms for {nbytes / 1e6:.0f} MB); "
          f"peak traced memory {peak / 1e6:.0f} MB = {peak / nbytes:.3f} x the volume "
          f"({(peak - nbytes) / args.slices / 1e3:.1f} KB a file beyond it)")


def _timed(folder, time):
    start = time.perf_counter()
    medfast.read_dicom(folder)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
