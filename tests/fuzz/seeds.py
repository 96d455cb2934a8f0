"""Real files to mutate: the DICOM corpus, pydicom's and nibabel's sample files, and files medfast writes.

A seed is a family (which targets read it), the files of one input
(``{name: bytes}``: a header and its data file travel together), the name
of the main file and a weight (how often it is drawn among its family).
Only small files are taken, so that thousands of mutants read in a couple of
minutes. DICOM: a file of every vendor and layout of the corpus (Siemens
classic, mosaic, 12-bit, XA enhanced and its SR documents, Philips classic,
enhanced and presentation state, GE with its protocol block, every transfer
syntax of dcm_qa_ts, DICOMDIR), a UIH series medfast writes with UIH's private
tags, and pydicom's test and character-set files; folders of two or three
files of one series of each vendor, for the series path.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from pathlib import Path

import numpy as np

#: Which targets read a family's files.
FAMILY_TARGETS = {
    "dicom": ("scan", "header", "pixel_array", "read_dicom_file"),
    "dicom_folder": ("read_dicom", "convert", "convert_zip", "convert_tar", "dcm2niix"),
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
_PYDICOM_LARGEST = 100_000  # bytes: pydicom's test and character-set files up to this size

#: One file of each vendor and layout of the corpus (relative to MEDFAST_CORPUS).
CORPUS_FILES = (
    *(f"dcm_qa_ts/In/{n}.dcm" for n in range(1, 10)),  # one image in the nine transfer syntaxes
    "dcm_qa_mosaic/In/ep2d_Asc_2/IM-0001-0001.dcm",  # Siemens mosaic, CSA headers
    "dcm_qa_12bit/In/12bitSigned_0x0F0F.dcm",
    "dcm_qa_enh/In/Siemens/XA10/6_2.dcm",  # Siemens XA enhanced
    "dcm_qa_xa30/In/25_asl_2d_tra/0002_1.3.12.2.1107.5.2.43.67093.2022071112142243550512646.dcm",
    "dcm_qa_xa30/In/99_Phoenix_Document/0004_1.3.12.2.1107.5.2.43.67093.2022071112110009215534445.dcm",  # SR
    "dcm_qa_xa60/In/XA60/DICOM/24100413/39280000/75739475",  # XA60 enhanced BOLD
    "dcm_qa_xa60/In/XA60/DICOM/24100413/39280000/75739343",  # XA60 SR document
    "dcm_qa_enh/In/Philips/IM_0027_fMAP.dcm",  # Philips enhanced
    "dcm_qa_philips_dwi/In/cl/DICOM/IM_0001",  # Philips classic
    "dcm_qa_philips_dwi/In/cl/DICOM/PS_0545",  # Philips presentation state
    "dcm_qa_philips_dwi/In/enh/DICOMDIR",
    "dcm_qa_nih/In/20180918GE/mr_0005/axial_epi_fmri_sequential_i_to_s-00005.dcm",  # GE, protocol block
    "dcm_qa_polar/In/6_FM_cv12_2_3mm/032.dcm",  # GE field map
    "dcm_qa_fmap/In/GE/6_CV_Neuro/i100593.MRDC.14",  # GE B0 map
)
#: Folders of one series each (a folder and how many of its files, in name order), or the files named.
CORPUS_FOLDERS = (
    (_GE_SERIES, 3),
    ("dcm_qa_fmap/In/GE/6_CV_Neuro", 3),
    ("dcm_qa_polar/In/6_FM_cv12_2_3mm", 2),
    ("dcm_qa_philips_dwi/In/cl/DICOM", 3),  # IM_0001 ... IM_0003
    ("dcm_qa_mosaic/In/ep2d_Asc_2", 2),
    ("dcm_qa_enh/In/Philips", 1),
    ("dcm_qa_xa30/In/25_asl_2d_tra", 2),
    (("dcm_qa_xa60/In/XA60/DICOM/24100413/39280000/75739475", "dcm_qa_xa60/In/XA60/DICOM/24100413/39280000/75739343",
      "dcm_qa_xa60/In/XA60/DICOMDIR"), 3),  # as exported: an image, an SR document, the DICOMDIR
    (("dcm_qa_ts/In/2.dcm", "dcm_qa_ts/In/3.dcm", "dcm_qa_ts/In/4.dcm"), 3),  # implicit, big endian, RLE
)
CORPUS_WEIGHT = 4.0  # a vendor file is drawn this much more often than one of pydicom's


@dataclasses.dataclass(frozen=True)
class Seed:
    family: str
    label: str
    files: dict
    main: str
    weight: float = 1.0


def _file(path):
    return Path(path).read_bytes()


def _nibabel_data(name):
    import nibabel

    return Path(nibabel.__file__).parent / "tests" / "data" / name


def _pydicom_seeds():
    import pydicom.data
    from pydicom.data import get_testdata_file

    for name in _PYDICOM:
        path = get_testdata_file(name)
        if path is not None:
            yield Seed("dicom", name, {"a.dcm": _file(path)}, "a.dcm")
    data = Path(pydicom.data.__file__).parent
    others = sorted(p for folder in ("test_files", "charset_files") for p in (data / folder).glob("*.dcm")
                    if p.name not in _PYDICOM and p.stat().st_size <= _PYDICOM_LARGEST)
    for path in others:
        yield Seed("dicom", path.name, {"a.dcm": _file(path)}, "a.dcm")


def _corpus_seeds(corpus):
    corpus = Path(corpus)
    for rel in CORPUS_FILES:
        if (corpus / rel).is_file():
            yield Seed("dicom", rel, {"a.dcm": _file(corpus / rel)}, "a.dcm", CORPUS_WEIGHT)
    for where, count in CORPUS_FOLDERS:
        if isinstance(where, str):
            paths = sorted(p for p in (corpus / where).iterdir() if p.is_file() and p.name != "DICOMDIR"
                           and _file(p)[128:132] == b"DICM")[:count]
        else:
            paths = [corpus / rel for rel in where if (corpus / rel).is_file()]
        if paths:
            files = {f"{i}.dcm" if p.name != "DICOMDIR" else "DICOMDIR": _file(p) for i, p in enumerate(paths)}
            yield Seed("dicom_folder", str(where[0] if not isinstance(where, str) else where), files, "0.dcm",
                       CORPUS_WEIGHT)


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
        files = _uih_series(Path(tmp, "uih"))
        yield Seed("dicom", "medfast synth UIH", {"a.dcm": _file(files[0])}, "a.dcm", CORPUS_WEIGHT)
        yield Seed("dicom_folder", "medfast synth UIH series",
                   {f"{i}.dcm": _file(p) for i, p in enumerate(files[:3])}, "0.dcm", CORPUS_WEIGHT)


def _uih_series(folder):
    """A small UIH diffusion series: medfast's MR phantom with UIH's private block (group 0065) filled in."""
    import pydicom

    from medfast.synth import write_mr_series

    paths = write_mr_series(folder, shape=(16, 12, 3, 2), series_number=5)
    for n, path in enumerate(paths):
        ds = pydicom.dcmread(path)
        ds.Manufacturer, ds.ManufacturerModelName, ds.SequenceName = "UIH", "uMR 790", "epi_dti"
        block = ds.private_block(0x0065, "Image Private Header", create=True)
        for element, vr, value in ((0x05, "SH", "A>>P"), (0x0D, "SH", "F:2S"), (0x58, "IS", "1"),
                                   (0x09, "FD", [1000.0 * (n // 3)]), (0x37, "FD", [0.0, 0.6, 0.8])):
            block.add_new(element, vr, value)
        ds.save_as(path, enforce_file_format=True)
    return paths


@functools.lru_cache(maxsize=4)
def _all_seeds(corpus):
    seeds = [*_pydicom_seeds(), *_nibabel_seeds(), *_written_seeds()]
    if corpus:
        seeds += list(_corpus_seeds(corpus))
    return tuple(seeds)


def all_seeds(corpus=None):
    """Every seed, in a fixed order; ``corpus`` (the DICOM corpus folder) is optional."""
    return list(_all_seeds(os.fspath(corpus or os.environ.get("MEDFAST_CORPUS") or "")))
