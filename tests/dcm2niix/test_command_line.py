"""``medfast dcm2niix`` as a drop-in for the dcm2niix command: options, standard output, exit codes.

Each behaviour is checked against the ``dcm2niix`` package (v1.0.20260724)
run on the same input: the same exit code, the same standard output line for
line (the output folder, the timing and the banner's build description
aside), the same files. medfast runs in-process (``main``), dcm2niix as a
subprocess; HOME points at a temporary folder so that neither reads a
defaults file (``~/.dcm2nii.ini``) it did not write in the test.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from dcm2niix_compare import compare_folders
from support import corpus_root, dcm2niix_executable, require_module

from medfast import exitcodes
from medfast.dcm2niix import main, parse


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def _normal(text, out=None):
    """Lines with the output folder as OUT, the timing and the banner's build description left out."""
    lines = []
    for line in text.splitlines():
        if out is not None:
            line = line.replace(str(out), "OUT")
        if line.startswith("Chris Rorden's dcm2niiX version "):
            line = " ".join(line.split()[:5])
        lines.append(re.sub(r"^Conversion required .*", "Conversion required", line))
    return lines


def dcm2niix(args, out=None):
    """The dcm2niix package: (exit code, normalised stdout lines, stderr)."""
    done = subprocess.run([dcm2niix_executable(), *map(str, args)], capture_output=True, text=True, timeout=300)
    return done.returncode, _normal(done.stdout, out), done.stderr


def medfast(args, capsys, out=None):
    """``medfast dcm2niix`` in this process: (exit code, normalised stdout lines, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    got = capsys.readouterr()
    return code, _normal(got.out, out), got.err


def _both(args, capsys, tmp_path, name="run"):
    """Run both with ``args`` (``OUT`` stands for a fresh output folder each): their results and folders."""
    results, folders = [], []
    for tool in ("dcm2niix", "medfast"):
        out = tmp_path / f"{name}-{tool}"
        out.mkdir()
        argv = [out if a == "OUT" else a for a in args]
        results.append(dcm2niix(argv, out) if tool == "dcm2niix" else medfast(argv, capsys, out))
        folders.append(out)
    return results[0], results[1], folders[0], folders[1]


def _names(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A CT series and a 4-D MR series in two sub-folders (synthetic, small)."""
    from medfast.synth import write_ct_series, write_mr_series

    root = tmp_path_factory.mktemp("study")
    write_ct_series(root / "ct", shape=(24, 20, 6), series_number=2)
    write_mr_series(root / "mr", shape=(16, 16, 4, 3), series_number=5)
    return root


# ---- the command line ------------------------------------------------------------------------------


@pytest.mark.parametrize(("argv", "expected"), [
    (["-m", "0", "in"], {"merge": 0, "ignore_series_uid": False}),
    (["-m", "n", "in"], {"merge": 0}),
    (["-m", "2", "in"], {"merge": 2, "ignore_series_uid": True}),
    (["-m", "y", "in"], {"merge": 1}),
    (["-5", "in"], {"gz_level": 5}),
    (["-a", "y", "in"], {"adjacent": True}),
    (["-b", "o", "in"], {"bids": "o"}),
    (["-b", "i", "in"], {"bids": "i"}),
    (["-ba", "n", "in"], {"anonymize": "n"}),
    (["-c", "", "in"], {"comment": "\t"}),
    (["-d", "0", "in"], {"depth": 0}),
    (["-d", "x", "in"], {"depth": 5}),
    (["-e", "y", "in"], {"export": "y"}),
    (["-f", "%p_%s", "in"], {"template": "%p_%s"}),
    (["-i", "y", "in"], {"ignore_derived": "y"}),
    (["-i", "o", "in"], {"ignore_derived": "n", "keep_orientation_varies": True}),
    (["-i", "o", "-i", "y", "in"], {"ignore_derived": "y", "keep_orientation_varies": True}),
    (["-l", "n", "in"], {"max16": "n"}),
    (["-l", "y", "in"], {"max16": "y"}),
    (["-n", "12", "-n", "3", "in"], {"series": [12.0, 3.0]}),
    (["-n", "-1", "in"], {"list_series": True}),
    (["-o", "out", "in"], {"out_dir": "out"}),
    (["-p", "n", "in"], {"philips_precise": False, "ignore_scaling": False}),
    (["-p", "o", "in"], {"philips_precise": True, "ignore_scaling": True}),
    (["-p", "n", "-p", "o", "in"], {"philips_precise": False, "ignore_scaling": True}),  # -p o leaves -p n
    (["-ba", "o", "in"], {"anonymize": "o"}),
    (["-bi", "M2022", "-bv", "1222", "-br", "Study", "in"],
     {"bids_subject": "M2022", "bids_session": "1222", "bids_root": "Study"}),
    (["-br", ".", "in"], {"bids_root": ""}),
    (["-q", "l", "in"], {"search_only": 2}),
    (["-r", "y", "in"], {"rename": True}),
    (["-s", "y", "in"], {"single_file": True}),
    (["-t", "y", "in"], {"text_notes": True}),
    (["-v", "2", "in"], {"verbose": 2}),
    (["-verbose", "y", "in"], {"verbose": 1}),  # dcm2niix reads the letter after the dash only
    (["-w", "0", "in"], {"conflict": 0}),
    (["-x", "i", "in"], {"crop": "i"}),
    (["-y", "n", "in"], {"flip_y": False}),
    (["-z", "i", "in"], {"gz": True}),
    (["-z", "3", "in"], {"gz": False, "save_3d": True}),
    (["-z", "s", "in"], {"gz": True}),  # no zstd in this build: any other letter means gzip
    (["--big-endian", "y", "in"], {"big_endian": True}),
    (["--terse", "in"], {"terse": True}),
])
def test_options_take_dcm2niix_meaning(argv, expected):
    settings = parse(argv).settings
    assert {k: getattr(settings, k) for k in expected} == expected


def test_only_the_last_input_is_converted():
    parsed = parse(["-z", "y", "a", "b"])
    assert parsed.inputs == ["b"]
    assert parsed.lines[-1].startswith("Warning: only processing last of 2 input files")


@pytest.mark.parametrize("argv", [["-x", "q", "in"], ["-k", "y", "in"], ["-d"], ["--help"], ["-z", "q", "in"],
                                  ["-b", "x", "in"], ["--progress"]])
def test_invalid_options_as_dcm2niix(argv, capsys):
    """An option or value dcm2niix rejects: its line, its exit code 12."""
    want = dcm2niix(argv)
    got = medfast(argv, capsys)
    assert want[0] == exitcodes.INVALID_PARAM
    assert got[:2] == want[:2]


@pytest.mark.parametrize(("argv", "named"), [
    (["-e", "j"], "-e j"),
    (["-f", "%H"], "-f %H"), (["-f", "x_%h_%s"], "-f x_%h_%s"),
    (["-t", "y"], "-t y"), (["-z", "3"], "-z 3"),
    (["--diffCyclingModeGE", "1"], "--diffCyclingModeGE"),
    (["-u"], "-u"),
])
def test_options_medfast_cannot_honour_are_refused_by_name(argv, named, study, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    code, lines, _ = medfast([*argv, "-o", out, study], capsys)
    assert code == exitcodes.INVALID_PARAM
    assert any(line.startswith("Error: medfast cannot honour") and f"'{named}" in line for line in lines), lines
    assert list(out.iterdir()) == []


def test_version_as_dcm2niix(capsys):
    """``--version`` and ``-v`` alone: exit 3, dcm2niix's version where nipype and dcm2bids read it, then medfast's."""
    import medfast as package

    want = dcm2niix(["--version"])
    for argv in (["--version"], ["-v"], ["-f", "%s", "-v"]):
        code, lines, _ = medfast(argv, capsys)
        assert code == want[0] == exitcodes.REPORT_VERSION
        assert lines[0] == want[1][0] and lines[-1] == want[1][-1] == "v1.0.20260724"
        assert f"medfast {package.__version__}" in lines
    nipype = require_module("nipype.interfaces.dcm2nii")
    capsys.readouterr()
    main([])
    assert nipype.Info.parse_version(capsys.readouterr().out) == "v1.0.20260724"  # what nipype runs: no argument


def test_help(capsys):
    code, lines, _ = medfast([], capsys)
    assert code == exitcodes.OK and lines[0].startswith("Chris Rorden's dcm2niiX version v1.0.20260724")
    assert any(line.startswith("usage: ") for line in lines)
    assert medfast(["-h"], capsys)[0] == exitcodes.OK


@pytest.mark.parametrize("template", ["%p_%s", "%s", "%f_%p_%t_%s"])
def test_example_name_without_input(template, capsys):
    """No input: dcm2niix prints an example of the names ``-f`` gives."""
    assert medfast(["-f", template], capsys)[:2] == dcm2niix(["-f", template])[:2]


# ---- exit codes and messages --------------------------------------------------------------------------


def test_exit_codes_of_bad_folders(study, tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ([tmp_path / "nowhere"], exitcodes.INPUT_INVALID, "Error: Input folder invalid"),
        (["-o", tmp_path / "nowhere", study], exitcodes.OUTPUT_INVALID, "Error: Output folder invalid"),
        (["-o", tmp_path, empty], exitcodes.NO_VALID_FILES, "Error: Unable to find any DICOM images"),
        (["-d", "0", "-o", tmp_path, study], exitcodes.NO_VALID_FILES, ""),  # nothing at depth 0, said nowhere
    ]
    for argv, code, error in cases:
        want, got = dcm2niix(argv), medfast(argv, capsys)
        assert got[0] == want[0] == code
        assert got[1] == want[1]
        assert got[2].startswith(error) and want[2].startswith(error)  # dcm2niix prints errors on stderr


def test_read_only_output_folder(study, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    code, _, err = medfast(["-o", tmp_path, study], capsys)
    assert code == exitcodes.OUTPUT_READ_ONLY and err.startswith("Error: Unable to write to output folder")


def test_some_series_fail(study, tmp_path, capsys, monkeypatch):
    """A series that cannot be written: the others are, ``Error: Converted N of M files``, exit 8."""
    from medfast.dcm2niix import writer
    from medfast.errors import ConversionError

    real = writer.write_job

    def failing(job, options):
        if "_5" in os.path.basename(job.base):
            raise ConversionError(f"{job.base}: disk full")
        return real(job, options)

    monkeypatch.setattr(writer, "write_job", failing)
    code, lines, err = medfast(["-f", "%p_%s", "-o", tmp_path, study], capsys, tmp_path)
    assert code == exitcodes.SOME_FAILED
    assert [line for line in lines if line.startswith("Convert ")] == ["Convert 6 DICOM as OUT/CT_head_phantom_2 (24x20x6x1)"]
    assert "disk full" in err and "Error: Converted 6 of 18 files" in err


# ---- what a conversion prints, as dcm2niix -------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["-f", "%p_%s", "-z", "n"],
    ["-f", "%p_%s", "-z", "y", "-b", "o"],
    ["-f", "%p_%s", "-b", "i"],
    ["-f", "%s", "-d", "1", "--terse"],
    ["-f", "%p", "-q", "y"],
    ["-f", "%p", "-q", "l"],
    ["-f", "%p", "-n", "-1"],
    ["-f", "%p", "-a", "y"],
    ["-f", "%p_%s", "-l", "n"],
    ["-f", "%p", "-m", "2"],
    ["-f", "%p_%s", "-c", "VIP"],
    ["-f", "%p_%s", "-c", ""],
], ids=lambda a: " ".join(a))
def test_conversion_prints_as_dcm2niix(args, study, tmp_path, capsys):
    """The same exit code, standard output and files as dcm2niix for each way of converting."""
    want, got, ref, out = _both([*args, "-o", "OUT", study], capsys, tmp_path)
    assert got[0] == want[0]
    assert got[1] == want[1]
    assert _names(out) == _names(ref)
    score = compare_folders(ref, out)
    assert score.perfect, score.problems
    if "-c" in args:  # the comment: NIfTI aux_file, sidecar ConversionComments (none of either for -c "")
        for name in _names(ref):
            if name.endswith(".nii"):
                assert _aux_file(out / name) == _aux_file(ref / name), name
            elif name.endswith(".json"):
                keys = ("ImageComments", "ConversionComments")
                assert [json.loads((out / name).read_text()).get(k) for k in keys] == \
                    [json.loads((ref / name).read_text()).get(k) for k in keys], name


def _aux_file(path):
    with open(path, "rb") as f:
        return f.read(348)[228:252]


def test_single_file_and_series_selection(study, tmp_path, capsys):
    """``-s y FILE`` converts that file only; ``-n CRC`` the series whose CRC ``-n -1`` listed."""
    one = sorted((study / "ct").iterdir())[0]
    want, got, ref, out = _both(["-s", "y", "-f", "%s", "-o", "OUT", one], capsys, tmp_path, "single")
    assert got[:2] == want[:2] and _names(out) == _names(ref)
    listing = dcm2niix(["-n", "-1", "-f", "%p", "-o", tmp_path, study])[1]
    crc = next(line.split("\t")[1] for line in listing if line.startswith("\t") and "fMRI" in line)
    want, got, ref, out = _both(["-n", crc, "-f", "%p", "-o", "OUT", study], capsys, tmp_path, "crc")
    assert got[:2] == want[:2] and _names(out) == _names(ref) == ["fMRI_phantom.json", "fMRI_phantom.nii"]


def test_name_conflicts_on_a_second_run(study, tmp_path, capsys):
    """``-w 0`` skips (exit 1), ``-w 1`` overwrites, ``-w 2`` adds a suffix: the same lines as dcm2niix."""
    results = {}
    for tool in ("dcm2niix", "medfast"):
        out = tmp_path / tool
        out.mkdir()
        run = (lambda a, out=out: dcm2niix(a, out)) if tool == "dcm2niix" else \
            (lambda a, out=out: medfast(a, capsys, out))
        base = ["-f", "%p", "-o", out, study / "ct"]
        results[tool] = [run(base)[:2], run(["-w", "0", *base])[:2], run(["-w", "1", *base])[:2],
                         run(["-w", "2", *base])[:2], _names(out)]
    assert results["medfast"] == results["dcm2niix"]
    assert results["medfast"][1][0] == exitcodes.ERROR


def test_defaults_file(study, tmp_path, home, capsys):
    """``-g y`` saves the defaults dcm2niix reads next time; ``-g i`` ignores them."""
    for tool in ("dcm2niix", "medfast"):
        out = tmp_path / tool
        out.mkdir()
        argv = ["-g", "y", "-z", "y", "-f", "%p_x", "-o", out, study / "ct"]
        code, lines, _ = dcm2niix(argv, out) if tool == "dcm2niix" else medfast(argv, capsys, out)
        assert code == exitcodes.OK and f"Saving defaults file {home}/.dcm2nii.ini" in lines
        saved = (home / ".dcm2nii.ini").read_text()
        assert "filename=%p_x" in saved and "isGZ=1" in saved
        again = ["-o", out, study / "mr"]
        code, lines, _ = dcm2niix(again, out) if tool == "dcm2niix" else medfast(again, capsys, out)
        assert "Convert 12 DICOM as OUT/fMRI_phantom_x (16x16x4x3)" in lines
        code, lines, _ = dcm2niix(["-g", "i", *again], out) if tool == "dcm2niix" else \
            medfast(["-g", "i", *again], capsys, out)
        assert lines[1] == "Defaults ignored"
        (home / ".dcm2nii.ini").unlink()


# ---- real exports: files that cannot be part of a volume ----------------------------------------------


def _export(folder, study):
    """The CT series beside a document, a truncated header, a deflated and an unknown-syntax image."""
    import pydicom
    from pydicom.uid import DeflatedExplicitVRLittleEndian, EncapsulatedPDFStorage, generate_uid

    shutil.copytree(study / "ct", folder)
    source = sorted(folder.iterdir())[0]

    def variant(name, series, change):
        ds = pydicom.dcmread(source)
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
        ds.SeriesInstanceUID, ds.SeriesNumber = generate_uid(), series
        change(ds)
        ds.save_as(folder / name, enforce_file_format=True)

    def document(ds):
        for keyword in ("PixelData", "Rows", "Columns", "BitsAllocated", "BitsStored", "HighBit",
                        "PixelRepresentation", "SamplesPerPixel", "PhotometricInterpretation"):
            del ds[keyword]
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = EncapsulatedPDFStorage
        ds.EncapsulatedDocument, ds.MIMETypeOfEncapsulatedDocument = b"%PDF-1.4\n", "application/pdf"

    variant("zz_document.dcm", 98, document)
    variant("zz_deflated.dcm", 97, lambda ds: setattr(ds.file_meta, "TransferSyntaxUID", DeflatedExplicitVRLittleEndian))
    variant("zz_unknown.dcm", 96, lambda ds: None)
    raw = bytearray((folder / "zz_unknown.dcm").read_bytes())
    at = raw.index(b"1.2.840.10008.1.2.1\0")
    raw[at:at + 20] = b"1.2.840.10008.1.2.9\0"
    (folder / "zz_unknown.dcm").write_bytes(bytes(raw))
    (folder / "zz_truncated.dcm").write_bytes(source.read_bytes()[:400])
    return folder


def test_files_that_are_no_image_are_left_out_as_dcm2niix(study, tmp_path, capsys):
    """A document, a truncated file, a deflated and an unknown transfer syntax: dcm2niix's warnings, the rest converts."""
    folder = _export(tmp_path / "export", study)
    want, got, ref, out = _both(["-f", "%s_%p", "-o", "OUT", folder], capsys, tmp_path)
    assert got[0] == want[0] == exitcodes.OK
    assert got[1] == want[1]
    assert any("Unsupported transfer syntax '1.2.840.10008.1.2.1.99'" in line for line in got[1])
    assert _names(out) == _names(ref) == ["2_CT_head_phantom.json", "2_CT_head_phantom.nii"]
    assert compare_folders(ref, out).perfect
    assert "zz_truncated.dcm" in got[2]  # what dcm2niix passes over silently, medfast names on stderr


def test_images_without_geometry_are_converted_as_dcm2niix(study, tmp_path, capsys):
    """A screenshot (no ImagePositionPatient/ImageOrientationPatient) beside a CT series: both convert.

    dcm2niix writes such an image as a volume of its own with its placeholder
    matrix (identity, y reversed, then the row flip; sform and qform codes 0;
    the pixel spacing in pixdim only); the CT series beside it is unchanged.
    """
    import nibabel as nib
    import pydicom
    from pydicom.uid import SecondaryCaptureImageStorage, generate_uid

    folder = tmp_path / "export"
    shutil.copytree(study / "ct", folder)
    ds = pydicom.dcmread(sorted(folder.iterdir())[0])
    for keyword in ("ImagePositionPatient", "ImageOrientationPatient", "SliceLocation"):
        del ds[keyword]
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SeriesInstanceUID, ds.SeriesNumber = generate_uid(), 99
    ds.save_as(folder / "screenshot.dcm")
    want, got, ref, out = _both(["-f", "%s_%p", "-o", "OUT", folder], capsys, tmp_path)
    assert got[0] == want[0] == exitcodes.OK
    assert _names(out) == _names(ref) and "99_CT_head_phantom.nii" in _names(out)
    assert compare_folders(ref, out).perfect
    img, want_img = nib.load(out / "99_CT_head_phantom.nii"), nib.load(ref / "99_CT_head_phantom.nii")
    assert (int(img.header["sform_code"]), int(img.header["qform_code"])) == (0, 0)
    assert img.header["pixdim"][1:4].tolist() == want_img.header["pixdim"][1:4].tolist() != [1.0, 1.0, 1.0]
    assert [line for line in got[1] if line.startswith("Convert ")] == \
        [line for line in want[1] if line.startswith("Convert ")]


def test_missing_decoder_leaves_the_file_out(tmp_path, capsys, monkeypatch):
    """A transfer syntax no installed decoder reads: left out at header time with dcm2niix's warning."""
    import medfast.dicom.reader as reader

    jpeg_ls = ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81")
    monkeypatch.setattr(reader, "undecodable", lambda syntax: "decoder needs: a JPEG-LS plugin" if syntax in jpeg_ls else "")
    src = corpus_root() / "dcm_qa_ts" / "In"
    (tmp_path / "ref").mkdir()
    want = dcm2niix(["-f", "%s", "-o", tmp_path / "ref", src])
    code, lines, err = medfast(["-f", "%s", "-o", tmp_path, src], capsys, tmp_path)
    assert code == exitcodes.OK
    warnings = [line for line in lines if line.startswith("Warning: Unsupported transfer syntax '1.2.840.10008.1.2.4.8")]
    assert len(warnings) == 2 and "JPEGLS support" in warnings[0]
    assert len([line for line in lines if line.startswith("Convert ")]) == \
        len([line for line in want[1] if line.startswith("Convert ")]) - 2
    assert "decoder needs: a JPEG-LS plugin" in err


# the corpus's standard output at -v 0 and -v 1, line for line: tests/dcm2niix/test_stdout.py


def test_gz_level_as_dcm2niix(study, tmp_path, capsys):
    """-1..-9 set the deflate level: the same voxels, and .nii.gz files within 2% of dcm2niix's at that level."""
    size = lambda folder: sum(p.stat().st_size for p in folder.rglob("*.nii.gz"))  # noqa: E731
    sizes = {}
    for level in ("-1", "-9"):
        want, got, ref, out = _both(["-f", "%p_%s", "-z", "y", level, "-o", "OUT", study], capsys, tmp_path, name=level)
        assert got[:2] == want[:2]
        score = compare_folders(ref, out)
        assert score.perfect, score.problems
        assert abs(size(out) / size(ref) - 1) <= 0.02, (level, size(out), size(ref))
        sizes[level] = size(ref)
    assert sizes["-1"] > 1.05 * sizes["-9"], sizes  # the levels differ: the test can tell them apart
