"""The registry: sniffing, choosing writers by extension, and every nibabel test file through medfast.read."""
from __future__ import annotations


import nibabel as nib
import numpy as np
import pytest

import medfast
from medfast.errors import InvalidArgumentError, InvalidFileError, UnsupportedError
from medfast.formats import FORMATS, format_for, sniff

from fmt_samples import nibabel_data

# every image file in nibabel's tests/data whose data nibabel reads, with the format medfast sniffs
NIBABEL_FILES = {
    "anatomical.nii": "nifti",
    "functional.nii": "nifti",
    "example4d.nii.gz": "nifti",
    "example_nifti2.nii.gz": "nifti",
    "standard.nii.gz": "nifti",
    "reoriented_anat_moved.nii": "nifti",
    "resampled_anat_moved.nii": "nifti",
    "row_major.dconn.nii": "nifti",
    "tiny.mnc": "minc1",
    "minc1_1_scale.mnc": "minc1",
    "minc1_4d.mnc": "minc1",
    "minc1-no-att.mnc": "minc1",
    "small.mnc": "minc2",
    "minc2_1_scale.mnc": "minc2",
    "minc2_4d.mnc": "minc2",
    "minc2-4d-d.mnc": "minc2",
    "minc2-no-att.mnc": "minc2",
    "minc2_baddim.mnc": "minc2",
    "phantom_EPI_asc_CLEAR_2_1.PAR": "parrec",
    "phantom_varscale.PAR": "parrec",
}


def test_registry_lists_every_format_with_reader():
    formats = FORMATS()
    assert set(formats) == {"nifti", "analyze", "nrrd", "minc1", "minc2", "parrec", "dicom"}
    for fmt in formats.values():
        assert callable(fmt.reader) and callable(fmt.sniff) and fmt.extensions
    assert {n for n, f in formats.items() if f.writer} == {"nifti", "analyze", "nrrd", "minc2"}


@pytest.mark.parametrize("name", sorted(NIBABEL_FILES))
def test_nibabel_files_same_values_and_affine(name):
    path = nibabel_data(name)
    assert sniff(path) == NIBABEL_FILES[name]
    want = nib.load(path)
    if isinstance(want, nib.Cifti2Image):  # medfast reads CIFTI-2 as the NIfTI-2 file it is
        want = nib.Nifti2Image.from_filename(path)
    vol = medfast.read(path)
    expected = want.get_fdata()
    if NIBABEL_FILES[name].startswith("minc") and expected.ndim == 4:
        expected = np.moveaxis(expected, 0, -1)  # nibabel leaves MINC's time first; medfast puts it last
    assert vol.shape == expected.shape
    assert np.array_equal(vol.affine, want.affine)
    if vol.is_scaled and vol.array.dtype.kind == "f":
        # nibabel scales in float32 when scl_slope is float32; medfast in float64
        np.testing.assert_allclose(vol.array, expected, rtol=1e-6)
    else:
        np.testing.assert_array_equal(vol.array, expected)  # NaNs in the same places count as equal


def test_data_file_of_a_pair_is_sniffed_through_its_header(tmp_path):
    img = nib.Nifti1Pair(np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.eye(4))
    nib.save(img, tmp_path / "a.img")
    assert sniff(tmp_path / "a.img") == "nifti"
    assert np.array_equal(medfast.read(tmp_path / "a.img").array, img.get_fdata())
    assert sniff(nibabel_data("phantom_varscale.REC")) == "parrec"


def test_dicom_with_348_in_preamble_is_not_analyze():
    assert sniff(nibabel_data("0.dcm")) == "dicom"


@pytest.mark.parametrize(
    ("path", "fmt", "want"),
    [
        ("t1.nii", None, "nifti"),
        ("t1.nii.gz", None, "nifti"),
        ("t1.HDR", None, "nifti"),
        ("t1.img", "analyze", "analyze"),
        ("a.nrrd", None, "nrrd"),
        ("a.nhdr", None, "nrrd"),
        ("a.mnc", None, "minc2"),
    ],
)
def test_format_for(path, fmt, want):
    assert format_for(path, fmt) == want


def test_format_for_rejects_unknown():
    with pytest.raises(InvalidArgumentError, match="t1.xyz"):
        format_for("t1.xyz")
    with pytest.raises(InvalidArgumentError, match="parrec"):
        format_for("a.PAR", "parrec")  # read-only


def test_unknown_file_is_unsupported(tmp_path):
    path = tmp_path / "junk.bin"
    path.write_bytes(b"\x00junk" * 100)
    with pytest.raises(UnsupportedError, match="junk.bin"):
        medfast.read(path)


def test_broken_header_names_the_file(tmp_path):
    src = open(nibabel_data("anatomical.nii"), "rb").read()
    broken = bytearray(src)
    broken[70:72] = (999).to_bytes(2, "little")  # datatype 999: nibabel refuses it
    path = tmp_path / "broken.nii"
    path.write_bytes(bytes(broken))
    with pytest.raises(InvalidFileError, match="broken.nii") as info:
        medfast.read(path)
    assert info.value.__cause__ is not None  # nibabel's exception, chained


@pytest.mark.parametrize("name", ["anatomical.nii", "example4d.nii.gz"])
def test_header_claiming_more_data_than_the_file_fails_before_allocating(tmp_path, name, monkeypatch):
    import gzip

    src = open(nibabel_data(name), "rb").read()
    raw = gzip.decompress(src) if name.endswith(".gz") else src
    header = bytearray(raw[:352])
    header[42:44] = (30000).to_bytes(2, "little")  # dim[1]: claims far more voxels than the file holds
    path = tmp_path / name
    path.write_bytes(gzip.compress(bytes(header)) if name.endswith(".gz") else bytes(header))
    allocated = []
    monkeypatch.setattr(np, "empty", lambda *a, **k: allocated.append(a) or pytest.fail("allocated"))
    with pytest.raises(InvalidFileError, match=name):
        medfast.read(path)
    assert allocated == []


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        medfast.read("/nonexistent/x.nii")


def test_detect_and_convert(tmp_path):
    from medfast.formats import convert, detect

    assert detect(nibabel_data("small.mnc")) == "minc2"
    assert detect(nibabel_data("0.dcm")) == "dicom" and detect(tmp_path) == "dicom"
    assert detect(tmp_path / "missing.nii") is None
    out = convert(nibabel_data("phantom_varscale.PAR"), tmp_path / "o", "nii.gz")
    assert out.endswith("phantom_varscale.nii.gz")
    want = nib.load(nibabel_data("phantom_varscale.PAR"))
    np.testing.assert_allclose(nib.load(out).get_fdata(), want.get_fdata(), rtol=1e-6)
    out = convert(nibabel_data("example4d.nii.gz"), tmp_path / "o", "nrrd")
    assert out.endswith("example4d.nrrd")
    assert np.array_equal(medfast.read(out).array, nib.load(nibabel_data("example4d.nii.gz")).get_fdata())
    with pytest.raises(InvalidArgumentError, match="xyz"):
        convert(nibabel_data("small.mnc"), tmp_path, "xyz")
