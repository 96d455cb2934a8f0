"""Reading each format: medfast against its anchor on the same file, one group per format.

The volume is 256^3 int16 with scaling (slope 0.7, intercept -3.5; a smooth
image plus noise, so gzip has something to do), written once per session
(32^3 when benchmarks are disabled, so the CI run stays quick):

- ``nii.gz`` and ``nii``: ``medfast.read(p).array`` against
  ``nibabel.load(p).get_fdata()``, and ``medfast.load(p).get_fdata()``
  (nibabel's own image, accelerated) against the same;
- ``mnc`` (MINC2, written by medfast: int16 with image-min/max):
  ``medfast.read`` against nibabel;
- ``nrrd`` gzip (written by pynrrd): ``medfast.read`` against ``nrrd.read``;
- PAR/REC (nibabel's ``T1_dual_echo.PAR`` with a generated REC of
  256 x 256 x 360 uint16; ``phantom_varscale`` when disabled): ``medfast.read``
  against nibabel;
- writing ``nii.gz``: ``medfast.write(vol)`` (its own NIfTI header builder, no
  nibabel) against ``nibabel.save(vol.to_nibabel())``, which writes the same
  bytes; writing gzip ``nrrd``: ``medfast.write`` against ``nrrd.write``;
- the header alone (what ``medfast info`` reads) of the MINC2 file:
  ``medfast.read_header`` against ``nibabel.load(p).header``.

Each group holds medfast and the anchor, so the table's ratio is the speed-up.
"""
from __future__ import annotations

import os
import shutil

import nibabel as nib
import nrrd
import numpy as np
import pytest

import medfast
from medfast.formats import minc2
from medfast.volume import Volume

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
SLOPE, INTER = 0.7, -3.5


def _nibabel_data(name):
    return os.path.join(os.path.dirname(nib.__file__), "tests", "data", name)


@pytest.fixture(scope="session")
def files(small, tmp_path_factory):
    """One volume in every format (small when benchmarks are disabled)."""
    n = 32 if small else 256
    x = np.linspace(0, 6, n)
    smooth = 1000 * np.sin(x)[:, None, None] * np.cos(x)[None, :, None] * np.cos(x / 2)[None, None, :]
    stored = (smooth + np.random.default_rng(0).normal(0, 20, (n, n, n))).astype(np.int16)
    stored = np.asfortranarray(stored)
    folder = tmp_path_factory.mktemp("bench_formats")
    img = nib.Nifti1Image(stored, np.diag([0.9, 0.9, 1.1, 1.0]))
    img.header.set_slope_inter(SLOPE, INTER)
    out = {}
    for ext in ("nii", "nii.gz"):
        out[ext] = str(folder / f"vol.{ext}")
        nib.save(img, out[ext])
    out["mnc"] = str(folder / "vol.mnc")
    minc2.write(Volume(stored, img.affine, slope=SLOPE, inter=INTER), out["mnc"])
    out["nrrd"] = str(folder / "vol.nrrd")
    nrrd.write(out["nrrd"], stored, {"encoding": "gzip"})
    par = "phantom_varscale.PAR" if small else "T1_dual_echo.PAR"
    out["par"] = str(folder / par)
    shutil.copy(_nibabel_data(par), out["par"])
    rec = _nibabel_data(par[:-4] + ".REC")
    if os.path.exists(rec):
        shutil.copy(rec, out["par"][:-4] + ".REC")
    else:
        header = nib.parrec.PARRECHeader.from_fileobj(open(out["par"]))
        count = int(np.prod(header.get_rec_shape()))
        values = np.random.default_rng(1).integers(0, 4000, count).astype(header.get_data_dtype())
        values.tofile(out["par"][:-4] + ".REC")
    out["image"] = img
    out["volume"] = Volume(stored, img.affine, slope=SLOPE, inter=INTER)
    out["folder"] = folder
    return out


def _medfast_read(path):
    return medfast.read(path).array


def _nibabel_fdata(path):
    return nib.load(path).get_fdata()


def _medfast_load_fdata(path):
    return medfast.load(path).get_fdata()


def _pynrrd(path):
    return nrrd.read(path)[0]


READERS = {"medfast": _medfast_read, "nibabel": _nibabel_fdata}


@pytest.mark.parametrize("reader", ["medfast", "nibabel"])
@pytest.mark.parametrize("ext", ["nii.gz", "nii"])
def test_read_nifti(benchmark, files, ext, reader):
    benchmark.group = f"read {ext}"
    out = benchmark(READERS[reader], files[ext])
    assert out.shape == files["image"].shape


@pytest.mark.parametrize("reader", ["medfast.load", "nibabel.load"])
@pytest.mark.parametrize("ext", ["nii.gz", "nii"])
def test_accelerated_nibabel(benchmark, files, ext, reader):
    benchmark.group = f"get_fdata {ext}: accelerated nibabel image vs plain"
    func = _medfast_load_fdata if reader == "medfast.load" else _nibabel_fdata
    out = benchmark(func, files[ext])
    assert out.dtype == np.float64


@pytest.mark.parametrize("reader", ["medfast", "nibabel"])
def test_read_minc2(benchmark, files, reader):
    benchmark.group = "read mnc (MINC2)"
    out = benchmark(READERS[reader], files["mnc"])
    assert out.size == files["image"].dataobj.size


@pytest.mark.parametrize("reader", ["medfast", "pynrrd"])
def test_read_nrrd_gzip(benchmark, files, reader):
    benchmark.group = "read nrrd (gzip)"
    out = benchmark(_medfast_read if reader == "medfast" else _pynrrd, files["nrrd"])
    assert out.shape == files["image"].shape


@pytest.mark.parametrize("reader", ["medfast", "nibabel"])
def test_read_parrec(benchmark, files, reader):
    benchmark.group = "read PAR/REC"
    out = benchmark(READERS[reader], files["par"])
    assert out.ndim >= 3


WRITERS = {
    "medfast nii.gz": lambda vol, path: medfast.write(vol, path),
    "nibabel nii.gz": lambda vol, path: nib.save(vol.to_nibabel(), path),
    "medfast nrrd": lambda vol, path: medfast.write(vol, path, encoding="gzip"),
    "pynrrd nrrd": lambda vol, path: nrrd.write(path, vol.array, {"encoding": "gzip"}),
}


@pytest.mark.parametrize("writer", ["medfast", "nibabel"])
def test_write_nii_gz(benchmark, files, writer):
    benchmark.group = "write nii.gz"
    path = str(files["folder"] / f"out-{writer}.nii.gz")
    benchmark(WRITERS[f"{writer} nii.gz"], files["volume"], path)
    assert nib.load(path).shape == files["image"].shape


@pytest.mark.parametrize("writer", ["medfast", "pynrrd"])
def test_write_nrrd_gzip(benchmark, files, writer):
    benchmark.group = "write nrrd (gzip)"
    path = str(files["folder"] / f"out-{writer}.nrrd")
    benchmark(WRITERS[f"{writer} nrrd"], files["volume"], path)
    assert nrrd.read_header(path)["sizes"].tolist() == list(files["image"].shape)


@pytest.mark.parametrize("reader", ["medfast", "nibabel"])
def test_header_only_minc2(benchmark, files, reader):
    benchmark.group = "header only, mnc (what medfast info reads)"
    func = medfast.read_header if reader == "medfast" else (lambda p: nib.load(p).header)
    assert benchmark(func, files["mnc"]) is not None
