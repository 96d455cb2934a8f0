"""The registry: sniffing, choosing writers by extension, and every nibabel test file through medfast.read."""
from __future__ import annotations


import nibabel as nib
import numpy as np
import pytest

import medfast
from medfast.errors import InvalidArgumentError, InvalidFileError, UnsupportedError
from medfast.formats import FORMATS, format_for, sniff

from fmt_samples import OBLIQUE, nibabel_data

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


def test_register_before_first_use_keeps_the_builtins():
    code = (
        "import medfast.formats as f\n"
        "fmt = f.Format('toy', ('.toy',), lambda head, path: head[:3] == b'TOY', None, None)\n"
        "f.register(fmt)\n"
        "print(list(f.formats()))\n"
    )
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split("'toy'")[0].count("'") == 14 and out.strip().endswith("'toy']")  # 7 built-ins, then toy


@pytest.mark.parametrize(("made", "given", "missing"), [
    ({"a.hdr": "nifti-pair"}, "a.hdr", "a.img"),
    ({"a.img": b"\0" * 64}, "a.img", "a.hdr"),
    ({"A.HDR": "nifti-pair"}, "A.HDR", "A.IMG"),
    ({"b.hdr": "analyze"}, "b.hdr", "b.img"),
    ({"p.PAR": "par"}, "p.PAR", "p.REC"),
    ({"p.REC": b"\0" * 64}, "p.REC", "p.PAR"),
    ({"d.nhdr": b"NRRD0004\ntype: short\ndimension: 1\nsizes: 4\nencoding: raw\ndata file: d.raw\n\n"}, "d.nhdr",
     "d.raw"),
])
@pytest.mark.parametrize("reader", ["read", "read_header"])
def test_missing_companion_names_it(tmp_path, made, given, missing, reader):
    for name, content in made.items():
        if content == "nifti-pair":
            nib.save(nib.Nifti1Pair(np.zeros((2, 2, 2), np.int16), np.eye(4)), tmp_path / name)
        elif content == "analyze":
            nib.save(nib.AnalyzeImage(np.zeros((2, 2, 2), np.int16), np.eye(4)), tmp_path / name)
        elif content == "par":
            (tmp_path / name).write_bytes(open(nibabel_data("phantom_varscale.PAR"), "rb").read())
        else:
            (tmp_path / name).write_bytes(content)
    for name in list(tmp_path.iterdir()):
        if name.name != given and name.name not in made:
            name.unlink()  # nibabel wrote both halves of a pair: keep the one the case gives
    with pytest.raises(InvalidFileError, match=missing) as info:
        getattr(medfast, reader)(tmp_path / given)
    assert not isinstance(info.value, FileNotFoundError)


def test_read_header_reads_no_voxels(tmp_path, monkeypatch):
    from medfast import _io
    from medfast.formats import minc2

    big = {}
    nib.save(nib.Nifti1Image(np.zeros((20, 30, 40), np.float32), OBLIQUE), tmp_path / "a.nii.gz")
    medfast.write(medfast.Volume(np.ones((5, 6, 7, 2), np.int16), OBLIQUE, time_step=2.0), tmp_path / "b.mnc")
    medfast.write(medfast.Volume(np.ones((5, 6, 7), np.uint8), OBLIQUE), tmp_path / "c.nhdr")
    for name in ("a.nii.gz", "b.mnc", "c.nhdr"):
        big[name] = medfast.read(tmp_path / name)
    paths = [tmp_path / n for n in big] + [nibabel_data(n) for n in ("minc1_4d.mnc", "phantom_varscale.PAR",
                                                                       "example4d.nii.gz")]
    monkeypatch.setattr(_io, "read_array", lambda *a, **k: pytest.fail("read voxels"))
    monkeypatch.setattr(minc2, "read_image", lambda *a, **k: pytest.fail("read voxels"))
    monkeypatch.setattr(np, "empty", lambda *a, **k: pytest.fail("allocated"))
    for path in paths:
        vol = medfast.read_header(path)
        assert vol.stored.strides == (0,) * vol.stored.ndim, path
    for name, full in big.items():
        head = medfast.read_header(tmp_path / name)
        assert head.shape == full.shape and head.stored.dtype == full.stored.dtype
        assert np.allclose(head.affine, full.affine) and head.time_step == full.time_step


def test_dicom_file_and_folder_through_the_registry(tmp_path):
    from medfast.synth import write_ct_series

    files = write_ct_series(tmp_path / "one", shape=(16, 16, 4))
    vol = medfast.read(tmp_path / "one")
    [want] = medfast.read_dicom(tmp_path / "one")
    assert np.array_equal(vol.array, want.array) and np.array_equal(vol.affine, want.affine)
    assert medfast.formats.sniff(files[0]) == "dicom"
    assert medfast.read(files[0]).shape == (16, 16, 1)
    assert medfast.read_header(tmp_path / "one").shape == (16, 16, 4)
    write_ct_series(tmp_path / "two" / "a", shape=(16, 16, 4), series_number=2)
    write_ct_series(tmp_path / "two" / "b", shape=(16, 16, 4), series_number=3)
    with pytest.raises(InvalidArgumentError, match="2 DICOM volumes.*read_dicom"):
        medfast.read(tmp_path / "two")
    medfast.write(vol, tmp_path / "ct.nii.gz")
    assert nib.load(tmp_path / "ct.nii.gz").header.get_xyzt_units() == ("mm", "sec")


def test_writable_extensions_and_split():
    from medfast.formats import split_extension, writable_extensions

    assert set(writable_extensions()) == {".nii", ".nii.gz", ".hdr", ".img", ".hdr.gz", ".img.gz", ".nrrd", ".nhdr",
                                          ".nrrd.gz", ".mnc"}
    for ext in writable_extensions():
        assert split_extension(f"dir/T1{ext}") == ("dir/T1", ext)


@pytest.mark.parametrize("name", ["a.nii", "a.nii.gz", "a.nrrd", "a.nhdr"])
def test_the_header_is_read_from_the_sniffed_bytes(tmp_path, monkeypatch, name):
    """read_header opens the file once: the registry's sniff hands its bytes to the reader."""
    import builtins

    medfast.write(medfast.Volume(np.zeros((3, 4, 5), np.int16), OBLIQUE), tmp_path / name)
    opened = []
    real_open = builtins.open

    def counting(file, *args, **kwargs):
        opened.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", counting)
    medfast.read_header(tmp_path / name)
    assert opened.count(str(tmp_path / name)) == 1
