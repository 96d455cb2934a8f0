"""dcm2niix's options that change what is written: ``-y n``, ``--big-endian y``, ``-x i``, ``-x y``.

Each runs ``medfast dcm2niix`` (in this process) and the ``dcm2niix``
package (the oracle) with the same options on corpus series, and compares
exit codes, standard output line for line (output folder and timing aside),
file names, NIfTI voxels, affines and header, bval/bvec and sidecar keys.
"""
from __future__ import annotations

import re

import pytest

from dcm2niix_compare import compare_folders
from support import corpus_root
from test_command_line import dcm2niix, medfast


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    """No defaults file (``~/.dcm2nii.ini``) for either tool."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))


def _series(corpus, name):
    path = corpus_root() / corpus / "In" / name
    assert path.is_dir(), path
    return path


def _run_both(options, source, tmp_path, capsys):
    """Both tools on ``source`` with ``options``: (dcm2niix's folder, medfast's folder), after checking stdout and codes."""
    folders = []
    results = []
    for tool in ("dcm2niix", "medfast"):
        out = tmp_path / tool
        out.mkdir(parents=True)
        argv = [*options, "-f", "%s_%p", "-o", out, source]
        results.append(dcm2niix(argv, out) if tool == "dcm2niix" else medfast(argv, capsys, out))
        folders.append(out)
    (want_code, want_lines, _), (got_code, got_lines, _) = results
    assert got_code == want_code
    assert got_lines == want_lines
    score = compare_folders(*folders)
    assert not score.names_missing and not score.names_extra, (score.names_missing, score.names_extra)
    assert not score.problems, score.problems
    return folders


def _headers(folder):
    import nibabel as nib

    return {p.name: nib.load(p).header for p in sorted(folder.glob("*.nii*"))}


#: the quaternion's sign is free when its a is 0 (the qform matrix, compared by compare_folders, is not)
_QUATERNION = ("quatern_b", "quatern_c", "quatern_d")


def _same_headers(ref, got, skip=("regular",)):
    """Every NIfTI header field equal (floats to 1e-4), but ``skip`` and the quaternion."""
    import numpy as np

    want, have = _headers(ref), _headers(got)
    assert sorted(have) == sorted(want)
    for name, header in want.items():
        for key in header.keys():
            if key in skip + _QUATERNION:
                continue
            a, b = np.asarray(have[name][key]), np.asarray(header[key])
            same = np.allclose(a, b, atol=1e-4, equal_nan=True) if a.dtype.kind == "f" else np.array_equal(a, b)
            assert same, (name, key, a, b)


def test_rows_in_dicom_order_dwi(tmp_path, capsys):
    """``-y n`` on a Siemens XA DWI: rows unflipped, affine to match, b-vectors' y and x negated, the line said."""
    ref, got = _run_both(["-y", "n", "-z", "n"], _series("dcm_qa_xa30", "10_DWI_dir80_PA"), tmp_path, capsys)
    _same_headers(ref, got)
    assert list(got.glob("*.bvec"))


def test_rows_in_dicom_order_flip_phase_direction(tmp_path, capsys):
    """``-y n`` on 2-D series with a column phase-encoding direction: ``j-`` and ``j`` swap in the sidecar."""
    import json

    ref, got = _run_both(["-y", "n", "-z", "n"], _series("dcm_qa_xa30", "8_gre_field_mapping"), tmp_path, capsys)
    _same_headers(ref, got)
    directions = {json.loads(p.read_text()).get("PhaseEncodingDirection") for p in got.glob("*.json")}
    assert directions & {"j", "j-"}


def test_big_endian(tmp_path, capsys):
    """``--big-endian y``: header and voxels byte-swapped, gzip or not; the same values."""
    for gz in ("n", "y"):
        ref, got = _run_both(["--big-endian", "y", "-z", gz], _series("dcm_qa_xa30", "8_gre_field_mapping"),
                             tmp_path / gz, capsys)
        headers = _headers(got)
        assert headers and all(h.endianness == ">" for h in headers.values())
        _same_headers(ref, got)


@pytest.mark.parametrize("options", [["-x", "i"], ["-x", "i", "-y", "n"]])
def test_3d_acquisition_not_turned(options, tmp_path, capsys):
    """``-x i``: a 3-D MPRAGE stays in its acquired (sagittal) frame, slices along the normal."""
    import nibabel as nib

    ref, got = _run_both([*options, "-z", "n"], _series("dcm_qa_xa30", "5_anat-T1w_acq-tfl"), tmp_path, capsys)
    _same_headers(ref, got)
    (image,) = got.glob("*.nii")
    assert nib.aff2axcodes(nib.load(image).affine)[2] in ("L", "R")  # not turned to axial


def test_crop_3d_acquisition(tmp_path, capsys):
    """``-x y``: the turned MPRAGE and its ``_Crop_1`` copy (slices 169 mm below the top of the head)."""
    ref, got = _run_both(["-x", "y", "-z", "n"], _series("dcm_qa_xa30", "5_anat-T1w_acq-tfl"), tmp_path, capsys)
    assert [p.name for p in got.glob("*_Crop_1.nii")]
    _same_headers(ref, got, skip=("regular", "dim"))  # dcm2niix leaves dim[4:8] of the copy 0
    assert (ref / "5_anat-T1w_acq-tfl.json").exists()


def test_crop_fails_series_too_thin(tmp_path, capsys):
    """``-x y`` on 3-D stacks under 128 slices: dcm2niix counts them failed (exit 8), removes their sidecar."""
    ref, got = _run_both(["-x", "y", "-z", "n"], corpus_root() / "dcm_qa_enh" / "In", tmp_path, capsys)
    assert not list(ref.glob("801_*.json"))
    _same_headers(ref, got)


# ---- -e y: NRRD as dcm2niix writes it ---------------------------------------------------------------------

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _nrrd_header(path):
    raw = path.read_bytes()
    return raw[:raw.index(b"\n\n")].decode("latin-1").split("\n")


def _same_line(want, got):
    """The same words; numbers equal to 1e-4 (dcm2niix's float arithmetic gives -0 and 1e-17 where medfast has 0)."""
    if _NUMBER.split(want) != _NUMBER.split(got):
        return False
    a, b = [float(x) for x in _NUMBER.findall(want)], [float(x) for x in _NUMBER.findall(got)]
    return len(a) == len(b) and all(abs(x - y) <= 1e-4 * max(1.0, abs(x)) for x, y in zip(a, b))


def _same_nrrd(ref, got):
    """Every NRRD of ``ref`` in ``got``: header line for line, voxels and type bit for bit."""
    import nrrd
    import numpy as np

    images = sorted(p.name for p in ref.iterdir() if p.suffix in (".nrrd", ".nhdr"))
    assert images
    for name in images:
        want, have = _nrrd_header(ref / name), _nrrd_header(got / name)
        assert len(have) == len(want), (name, want, have)
        for a, b in zip(want, have):
            assert _same_line(a, b), (name, a, b)
        (a, _), (b, _) = nrrd.read(str(ref / name)), nrrd.read(str(got / name))
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), name
    return images


@pytest.mark.parametrize("gz", ["n", "y"])
def test_nrrd_diffusion(gz, tmp_path, capsys):
    """``-e y`` on a DWI: gradients scaled by sqrt(b/b_max) in the header, no .bval/.bvec; ``-z y``: .nhdr + .raw.gz."""
    ref, got = _run_both(["-e", "y", "-z", gz], _series("dcm_qa_xa30", "10_DWI_dir80_PA"), tmp_path, capsys)
    (image,) = _same_nrrd(ref, got)
    assert image.endswith(".nhdr" if gz == "y" else ".nrrd")
    assert any(line.startswith("DWMRI_gradient_0001:=") for line in _nrrd_header(got / image))
    assert not list(got.glob("*.bv*"))


def test_nrrd_recorded_gradients_and_3d(tmp_path, capsys):
    """``-e y`` on GE series whose files record b=0 gradients (listed in the header), 2-D and 3-D series."""
    _run_both(["-e", "y", "-z", "n"], corpus_root() / "dcm_qa_nih" / "In", tmp_path / "nih", capsys)
    _same_nrrd(tmp_path / "nih" / "dcm2niix", tmp_path / "nih" / "medfast")
    _run_both(["-e", "y", "-z", "n"], _series("dcm_qa_xa30", "5_anat-T1w_acq-tfl"), tmp_path / "t1", capsys)
    _same_nrrd(tmp_path / "t1" / "dcm2niix", tmp_path / "t1" / "medfast")


@pytest.mark.parametrize("slope", [1.0, 0.5])
def test_nrrd_scaling(slope, tmp_path, capsys):
    """NRRD has no scaling: a whole-number slope and intercept go into the voxels when they fit, else oldmin/oldmax."""
    from medfast.synth import write_ct_series

    write_ct_series(tmp_path / "ct", shape=(16, 12, 4), extra={"RescaleSlope": slope, "RescaleIntercept": -1024.0})
    ref, got = _run_both(["-e", "y", "-z", "n"], tmp_path / "ct", tmp_path, capsys)
    (image,) = _same_nrrd(ref, got)
    assert any(line.startswith("oldmin") for line in _nrrd_header(got / image)) == (slope != 1.0)


# ---- -r y: rename instead of converting -----------------------------------------------------------------


def _tree(folder):
    """{relative path: bytes} of every file under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("corpus", "more"), [
    ("dcm_qa_xa30", []),  # dcm2niix's own template, %t/%s_%p/%4r_%o.dcm: enhanced XA, Phoenix reports
    ("dcm_qa_xa60", ["-f", "%s_%p_%r"]),  # classic XA: image number + 1000 x series; documents without echo
    ("dcm_qa_philips_dwi", ["-f", "%f/%3s_%d_%e/%r.dcm"]),  # _Raw and _PS files, CRC series numbers, conflicts
    ("dcm_qa_philips_dwi", ["-f", "%s_%r", "-v", "y"]),  # each folder's listing and each copy said
    ("dcm_qa_enh", ["-f", "%s_%p_%r"]),  # a Philips enhanced file of two echoes: _e1_fieldmaphz
])
def test_rename(corpus, more, tmp_path, capsys):
    """``-r y``: each file copied to the name its own header gives; the same files, bytes and standard output."""
    options = ["-r", "y", *more]
    results, trees = [], []
    for tool in ("dcm2niix", "medfast"):
        out = tmp_path / tool
        out.mkdir()
        argv = [*options, "-o", out, corpus_root() / corpus / "In"]
        results.append(dcm2niix(argv, out) if tool == "dcm2niix" else medfast(argv, capsys, out))
        trees.append(_tree(out))
    assert results[1][:2] == results[0][:2]
    assert trees[1].keys() == trees[0].keys() and trees[1] == trees[0]
    assert trees[0]


def test_rename_ignores_derived_and_localizers(tmp_path, capsys):
    """``-r y -i y``: localizers and derived images are left where they are, each named on standard output."""
    results = []
    for tool in ("dcm2niix", "medfast"):
        out = tmp_path / tool
        out.mkdir()
        argv = ["-r", "y", "-i", "y", "-f", "%p_%r_%z", "-o", out, corpus_root() / "dcm_qa_xa60" / "In"]
        results.append(dcm2niix(argv, out) if tool == "dcm2niix" else medfast(argv, capsys, out))
        results[-1] = results[-1][:2] + (_tree(out),)
    assert results[1] == results[0]
    assert any(line.startswith("Ignoring") for line in results[0][1])


# ---- --progress: Slicer's progress lines ------------------------------------------------------------------


def _untimed(lines):
    return [re.sub(r" required \S+ seconds\.$", " required", line) for line in lines]


@pytest.mark.parametrize(("level", "corpus"), [("y", "dcm_qa_xa30"), ("2", "dcm_qa_enh"), ("y", "dcm_qa_philips_dwi")])
def test_progress(level, corpus, tmp_path, capsys):
    """``--progress``: ``Progress: F`` at each 5% of the three stages (files converted while reading count at once)."""
    results = []
    for tool in ("dcm2niix", "medfast"):
        out = tmp_path / tool
        out.mkdir()
        argv = ["--progress", level, "-f", "%s_%p", "-o", out, corpus_root() / corpus / "In"]
        code, lines, _ = dcm2niix(argv, out) if tool == "dcm2niix" else medfast(argv, capsys, out)
        results.append((code, _untimed(lines)))
    assert results[1] == results[0]
    assert sum(line.startswith("Progress: ") for line in results[0][1]) > 3
    assert ("Stage 3 (Convert 2D and 3D images) required" in results[0][1]) == (level == "2")


@pytest.mark.parametrize("options", [["-e", "y"], ["-e", "y", "-z", "y"], ["-e", "o", "-z", "y"], ["-r", "y"],
                                     ["-x", "y", "-y", "n"]])
def test_without_input(options, capsys, tmp_path, monkeypatch):
    """No input folder: dcm2niix's example name (.nrrd, .nhdr) and the template ``-r y`` assumes."""
    monkeypatch.chdir(tmp_path)  # dcm2niix makes the example name's folders in the working folder
    assert medfast(options, capsys)[:2] == dcm2niix(options)[:2]


# ---- -e o: MGH ------------------------------------------------------------------------------------------------


def _mgh(path, order):
    """(ints, goodRASFlag, floats, voxels, footer, padding) of an MGH file read in byte ``order``."""
    import gzip

    import numpy as np

    raw = path.read_bytes()
    raw = gzip.decompress(raw) if path.suffix == ".mgz" else raw
    ints = np.frombuffer(raw[:28], order + "i4")
    kind = {0: "u1", 1: "i4", 3: "f4", 4: "i2"}[int(ints[5])]
    end = 284 + int(np.prod(ints[1:5])) * np.dtype(kind).itemsize
    return (ints.tolist(), int(np.frombuffer(raw[28:30], order + "i2")[0]), np.frombuffer(raw[30:90], order + "f4"),
            np.frombuffer(raw[284:end], order + kind), np.frombuffer(raw[end:], order + "f4"), raw[90:284])


def _same_mgh(ref, got):
    """dcm2niix's MGH (little-endian, as its Linux build writes it) and medfast's (big-endian) hold the same values."""
    import nibabel
    import numpy as np

    images = sorted(p.name for p in ref.iterdir() if p.suffix in (".mgh", ".mgz"))
    assert images
    for name in images:
        want, have = _mgh(ref / name, "<"), _mgh(got / name, ">")
        assert have[:2] == want[:2] and have[5] == want[5], name
        assert np.allclose(have[2], want[2], atol=1e-4) and np.allclose(have[4], want[4], atol=1e-4), name
        assert have[3].dtype.kind == want[3].dtype.kind and np.array_equal(have[3], want[3]), name
        assert nibabel.load(got / name).shape[:3] == tuple(want[0][1:4])  # FreeSurfer's byte order: readable
    return images


@pytest.mark.parametrize("gz", ["n", "y"])
def test_mgh(gz, tmp_path, capsys):
    """``-e o``: the header, voxels and footer dcm2niix writes, in MGH's big-endian; ``.mgz`` with ``-z y``."""
    for name in ("10_DWI_dir80_PA", "5_anat-T1w_acq-tfl"):
        ref, got = _run_both(["-e", "o", "-z", gz], _series("dcm_qa_xa30", name), tmp_path / name, capsys)
        (image,) = _same_mgh(ref, got)
        assert image.endswith(".mgz" if gz == "y" else ".mgh")
        assert not list(got.glob("*.bv*"))


def test_mgh_unsigned_as_float(tmp_path, capsys):
    """``-e o`` on unsigned 16-bit CT with a fractional slope: float32 real-world voxels, as dcm2niix."""
    from medfast.synth import write_ct_series

    write_ct_series(tmp_path / "ct", shape=(16, 12, 4), extra={"RescaleSlope": 0.5, "RescaleIntercept": -1024.0,
                                                               "BitsStored": 16, "HighBit": 15})
    ref, got = _run_both(["-e", "o", "-z", "n"], tmp_path / "ct", tmp_path, capsys)
    (image,) = _same_mgh(ref, got)
    assert _mgh(got / image, ">")[0][5] == 3  # float32
