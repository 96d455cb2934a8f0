"""Real files to mutate: the DICOM corpus, pydicom's and nibabel's sample files, and files medfast writes.

A seed is a family (which targets read it), the files of one input
(``{name: bytes}``: a header and its data file travel together) and the name
of the main file. Only small files are taken, so that thousands of mutants
read in a couple of minutes.
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path

import numpy as np

#: Which targets read a family's files.
FAMILY_TARGETS = {
    "dicom": ("scan", "pixel_array", "read_dicom_file"),
    "dicom_folder": ("read_dicom", "convert", "convert_zip", "convert_tar"),
    "nifti": ("read",),
    "analyze": ("read",),
    "nrrd": ("read",),
    "minc1": ("read",),
    "minc2": ("read",),
    "parrec": ("read",),
}

_PYDICOM = (
    "CT_small.dcm", "MR_small.dcm", "MR_small_RLE.dcm", "MR_small_bigendian.dcm", "MR_small_implicit.dcm",
    "rtdose.dcm", "rtdose_rle.dcm", "SC_rgb_rle.dcm", "SC_rgb_rle_32bit.dcm", "SC_rgb_small_odd.dcm",
    "liver_1frame.dcm", "emri_small_RLE.dcm", "JPEG2000.dcm", "SC_rgb_jpeg_gdcm.dcm", "image_dfl.dcm",
    "SC_ybr_full_uncompressed.dcm",
)
_NIBABEL = {
    "nifti": ("resampled_anat_moved.nii", "example_nifti2.nii.gz", "standard.nii.gz"),
    "minc1": ("tiny.mnc", "minc1_1_scale.mnc", "minc1_4d.mnc"),
    "minc2": ("minc2_1_scale.mnc", "minc2_4d.mnc", "minc2-no-att.mnc"),
}
_GE_SERIES = "dcm_qa_nih/In/20180918GE/mr_0005"


@dataclasses.dataclass(frozen=True)
class Seed:
    family: str
    label: str
    files: dict
    main: str


def _file(path):
    return Path(path).read_bytes()


def _nibabel_data(name):
    import nibabel

    return Path(nibabel.__file__).parent / "tests" / "data" / name


def _pydicom_seeds():
    from pydicom.data import get_testdata_file

    for name in _PYDICOM:
        path = get_testdata_file(name)
        if path is not None:
            yield Seed("dicom", name, {"a.dcm": _file(path)}, "a.dcm")


def _corpus_seeds(corpus):
    folder = Path(corpus) / _GE_SERIES
    files = sorted(folder.glob("*.dcm"))[:3]
    if files:
        yield Seed("dicom", files[0].name, {"a.dcm": _file(files[0])}, "a.dcm")
        yield Seed("dicom_folder", _GE_SERIES, {f"{i}.dcm": _file(p) for i, p in enumerate(files)}, "1.dcm")


def _nibabel_seeds():
    for family, names in _NIBABEL.items():
        for name in names:
            main = "a" + "".join(Path(name).suffixes)
            yield Seed(family, name, {main: _file(_nibabel_data(name))}, main)
    stem = "phantom_EPI_asc_CLEAR_2_1"
    yield Seed("parrec", stem + ".PAR", {"a.PAR": _file(_nibabel_data(stem + ".PAR")),
                                         "a.REC": _file(_nibabel_data(stem + ".REC"))}, "a.PAR")


def _written_seeds():
    """Files medfast writes itself, from a small oblique scaled volume and a synthetic CT series."""
    import medfast
    from medfast.synth import write_ct_series
    from medfast.volume import Volume

    affine = np.array([[0.9, 0.1, 0, -20], [0.05, 1.1, 0.2, -30], [0, -0.1, 1.2, -10], [0, 0, 0, 1]])
    data = np.random.default_rng(3).integers(-300, 300, (6, 5, 4)).astype(np.int16)
    vol = Volume(data, affine, slope=0.5, inter=-3.0)
    with tempfile.TemporaryDirectory() as tmp:
        for family, name in (("nifti", "w.nii"), ("nifti", "w.nii.gz"), ("analyze", "w.hdr"),
                             ("nrrd", "w.nrrd"), ("nrrd", "w.nhdr"), ("minc2", "w.mnc")):
            sub = Path(tmp, name.replace(".", "_"))
            sub.mkdir()
            medfast.write(vol, sub / name)
            yield Seed(family, "medfast " + name, {p.name: _file(p) for p in sub.iterdir()}, name)
        series = Path(tmp, "ct")
        write_ct_series(series, shape=(12, 10, 3))
        files = sorted(series.rglob("*.dcm")) or sorted(p for p in series.rglob("*") if p.is_file())
        yield Seed("dicom", "medfast synth CT", {"a.dcm": _file(files[0])}, "a.dcm")
        yield Seed("dicom_folder", "medfast synth CT series",
                   {f"{i}.dcm": _file(p) for i, p in enumerate(files)}, "1.dcm")


def all_seeds(corpus=None):
    """Every seed, in a fixed order; ``corpus`` (the DICOM corpus folder) is optional."""
    corpus = corpus or os.environ.get("MEDFAST_CORPUS")
    seeds = [*_pydicom_seeds(), *_nibabel_seeds(), *_written_seeds()]
    if corpus:
        seeds += list(_corpus_seeds(corpus))
    return seeds
