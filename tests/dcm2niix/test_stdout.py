"""``medfast dcm2niix`` prints dcm2niix's standard output line for line on every corpus, at ``-v 0`` and ``-v 1``.

Programs parse it (nipype reads the ``Convert N DICOM as PATH (dims)`` lines,
heudiconv and dcm2bids log it), so each corpus of MEDFAST_CORPUS is converted
by the dcm2niix package and by ``medfast dcm2niix`` with the corpus's command,
and the two standard outputs are compared after normalising the banner's build
description, the output folder and the ``Conversion required`` timing.

At ``-v 1`` that includes what dcm2niix prints as it reads each file's header
(the ``DICOM file:`` dump, GE's slice-count check) and the slice weights of an
``_Eq`` file: every line, in dcm2niix's order. Only a DTI table row may differ,
in its last printed digit (``_same``).
"""
from __future__ import annotations

import difflib
import math
import re

import pytest

from dcm2niix_compare import CORPUS_COMMANDS
from support import corpus_root
from test_command_line import dcm2niix, home, medfast  # noqa: F401  (home: no defaults file is read)

pytestmark = pytest.mark.corpus

#: the DTI table dcm2niix prints at -v 1 (nii_saveDTI): "i B= b Vec= x y z"
_DTI_ROW = re.compile(r"(\d+)\tB=\t(\S+)\tVec=\t(\S+)\t(\S+)\t(\S+)")


def _same(got, want):
    """Equal lines; a DTI table row may differ in its last printed digit (dcm2niix's float32 sums)."""
    if got == want:
        return True
    a, b = _DTI_ROW.fullmatch(got), _DTI_ROW.fullmatch(want)
    if not (a and b) or a.group(1) != b.group(1):
        return False
    return all(math.isclose(float(x), float(y), rel_tol=2e-6, abs_tol=2e-6) for x, y in zip(a.groups()[1:], b.groups()[1:]))


def _runs(name, verbose, capsys, tmp_path):
    """(exit codes, normalised stdout lines) of dcm2niix and of medfast on one corpus."""
    args, inputs = CORPUS_COMMANDS[name]
    root = corpus_root() / name
    runs = []
    for tool in ("dcm2niix", "medfast"):
        codes, lines = [], []
        for n, source in enumerate(inputs):
            out = tmp_path / f"{tool}{n}"
            out.mkdir()
            argv = ["-v", verbose, *args, "-o", out, root / source]
            code, got, _ = dcm2niix(argv, out) if tool == "dcm2niix" else medfast(argv, capsys, out)
            codes.append(code)
            lines += got
        runs.append((codes, lines))
    return runs


@pytest.mark.parametrize("verbose", ["0", "1"])
@pytest.mark.parametrize("name", sorted(CORPUS_COMMANDS))
def test_corpus_stdout_as_dcm2niix(name, verbose, capsys, tmp_path):
    """dcm2niix's exit codes and standard output, line for line."""
    (want_codes, want), (got_codes, got) = _runs(name, verbose, capsys, tmp_path)
    assert got_codes == want_codes
    same = len(got) == len(want) and all(_same(a, b) for a, b in zip(got, want))
    assert same, "\n".join(difflib.unified_diff(want, got, "dcm2niix", "medfast", lineterm="", n=1))


def test_dti_rows_compare_to_the_printed_digit():
    """The DTI row rule accepts a last-digit difference only, and only in the numbers of one row."""
    row = "12\tB=\t2500\tVec=\t0.392395\t0.516297\t-0.761224"
    assert _same("12\tB=\t2500\tVec=\t0.392396\t0.516297\t-0.761224", row)
    assert not _same("12\tB=\t2500\tVec=\t0.392495\t0.516297\t-0.761224", row)
    assert not _same("11\tB=\t2500\tVec=\t0.392395\t0.516297\t-0.761224", row)


# ---- synthetic series: the rules the corpus does not reach ------------------------------------------------

def _gems_block(ds, t, k):
    """A GE protocol data block that declares no length: dcm2niix treats the series as having none."""
    from vendor_series import private

    private(ds, 0x0025, "GEMS_SERS_01", {0x1B: ("OB", b"\x00" * 30)})


def _shuffled(ds, t, k):
    """Instance numbers out of spatial order within each volume."""
    ds.InstanceNumber = t * 6 + (0, 2, 1, 3, 5, 4)[k] + 1


def _spoiled(ds, t, k):
    ds.ScanningSequence, ds.SequenceVariant = "GR", "SP"


def _one_time(ds, t, k):
    ds.AcquisitionTime = "091000.000000"


def _xa30(ds, t, k):
    ds.SoftwareVersions = "syngo MR XA30"


def _csa(fields):
    """A Siemens CSA image header (SV10) holding ``{name: [item text]}``."""
    import struct

    out = b"SV10\x04\x03\x02\x01" + struct.pack("<II", len(fields), 77)
    for name, items in fields.items():
        out += name.encode().ljust(64, b"\0") + struct.pack("<i4siii", len(items) or 1, b"DS\0\0", 3, len(items), 77)
        for item in items:
            data = item.encode() + b"\0"
            out += struct.pack("<iiii", len(data), len(data), 77, len(data)) + data.ljust(-(-len(data) // 4) * 4, b"\0")
    return out


def _siemens_dwi(ds, t, k):
    """A Siemens DWI series: b=0, then two directions at b=1000, given in the CSA image header and (0019,100C)."""
    from vendor_series import private

    ds.ImageType = ["ORIGINAL", "PRIMARY", "DIFFUSION", "NONE"]
    b = 1000 if t else 0
    fields = {"B_value": [str(b)], "ICE_Dims": ["X_1_1_1_1_1_1_1_1_1_1_1_1"]}
    if t:
        fields["DiffusionGradientDirection"] = [f"{v:.8f}" for v in ((0.6, 0.8, 0.0), (0.0, 0.6, -0.8))[t - 1]]
    private(ds, 0x0029, "SIEMENS CSA HEADER", {0x10: ("OB", _csa(fields))})
    private(ds, 0x0019, "SIEMENS MR HEADER", {0x0C: ("IS", str(b))})


def _planes_dwi(vendor):
    """test_planes' DWI series of a vendor (public b-values and vectors; UIH: dcm2niix keeps no vector)."""
    def write(folder):
        from test_planes import _dwi

        _dwi(folder, vendor, "sagittal_right_to_left", "HFS", "COL")
    return write


def _vendor_series(manufacturer, sequence, edit=None):
    def write(folder):
        from vendor_series import vendor_series

        def vendor(ds, t, k):
            ds.Manufacturer, ds.SequenceName = manufacturer, sequence
            if edit is not None:
                edit(ds, t, k)
        vendor_series(folder, vendor)
    return write


def _ct(*, shear=0.0, gap=0.0, descending=False, manufacturer="SIEMENS", position="HFS"):
    """A CT stack: sheared along the rows (gantry tilt 14 degrees), with a gap after slice 4, numbered top-down."""
    def write(folder):
        from medfast.synth import write_ct_series

        def edit(k, ds):
            z = k * 2.0 + (gap if k >= 4 else 0.0)
            z = -z - 100 if descending else z
            ds.ImagePositionPatient = [float(ds.ImagePositionPatient[0]),
                                       round(float(ds.ImagePositionPatient[1]) + shear * z / 2, 4), z]
            ds.GantryDetectorTilt = 14.0 if shear else 0.0
            if manufacturer is None:
                del ds.Manufacturer
            if position is None:
                del ds.PatientPosition
        write_ct_series(folder, shape=(24, 20, 8), spacing=(0.8, 0.7, 2.0), per_slice=edit,
                        extra=dict(Manufacturer=manufacturer or "SIEMENS", Exposure=100))
    return write


def _philips(kind, **options):
    def write(folder):
        from medfast import synth

        getattr(synth, kind)(folder, **options)
    return write


SYNTHETIC = {  # name -> writes the input folder
    "siemens-no-bids-type": _vendor_series("SIEMENS", "xyz"),  # ::autoBids: at -v 0; times from acquisition times
    "siemens-shuffled": _vendor_series("SIEMENS", "epfid2d1_64", _shuffled),
    "siemens-dwi-csa": _vendor_series("SIEMENS", "ep_b1000#1", _siemens_dwi),  # -v 1: DiffusionGradientDirection
    "ge-no-protocol-block": _vendor_series("GE MEDICAL SYSTEMS", "xyz"),
    "ge-empty-protocol-block": _vendor_series("GE MEDICAL SYSTEMS", "xyz", _gems_block),
    "philips-shuffled": _vendor_series("Philips Medical Systems", "xyz", _shuffled),
    "uih": _vendor_series("UIH", "xyz"),
    "uih-dwi": _planes_dwi("uih"),  # -v 1: the b-value without the public vector
    "canon-dwi": _planes_dwi("canon"),
    "ct-tilted": _ct(shear=0.5),
    "ct-tilted-uneven": _ct(shear=0.5, gap=3.0),
    "ct-tilted-descending-ge": _ct(shear=-0.4, descending=True, manufacturer="GE MEDICAL SYSTEMS"),
    "ct-uneven": _ct(gap=3.0),
    "ct-no-patient-position": _ct(position=None),
    "ct-no-manufacturer": _ct(manufacturer=None),
    "philips-dwi": _philips("write_philips_dwi"),  # slice orientation (2001,100B) not reported
    "philips-dwi-enhanced": _philips("write_philips_dwi", enhanced=True),
    "philips-enhanced-echoes": _philips("write_philips_enhanced"),  # four outputs of one file, in frame order
    "philips-dwi-trace-middle": _philips("write_philips_dwi", trace=(2,)),  # removed, the volumes re-ordered
    "philips-dwi-b0-and-trace": _philips("write_philips_dwi", bvals=(0, 1000), trace=(1,)),
    "philips-spoiled-gradient-echo": _vendor_series("Philips Medical Systems", "x", _spoiled),  # no line end
    "siemens-xa30-classic": _vendor_series("SIEMENS", "epfid2d1_64", _xa30),
    "siemens-one-acquisition-time": _vendor_series("SIEMENS", "epfid2d1_64", _one_time),  # MoCo? Bogus
}


@pytest.mark.parametrize("verbose", ["0", "1"])
@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_series_stdout_as_dcm2niix(name, verbose, capsys, tmp_path):
    """Synthetic series: dcm2niix's standard output, line for line."""
    source = tmp_path / "in"
    source.mkdir()
    SYNTHETIC[name](source)
    (want_code, want), (got_code, got) = stdout_of_both(source, verbose, capsys, tmp_path)
    assert got_code == want_code
    assert got == want


def stdout_of_both(source, verbose, capsys, tmp_path):
    """``((code, lines), (code, lines))`` of dcm2niix and of medfast run with ``-v verbose -b y -z n`` on ``source``."""
    runs = []
    for tool in ("dcm2niix", "medfast"):
        out = tmp_path / tool
        out.mkdir()
        argv = ["-v", verbose, "-b", "y", "-z", "n", "-o", out, source]
        code, lines, _ = dcm2niix(argv, out) if tool == "dcm2niix" else medfast(argv, capsys, out)
        runs.append((code, lines))
    return runs


# ---- the per-file header dump on pydicom's test files: many encodings, vendors and odd files --------------

#: pydicom test files whose dump differs, and why
_DUMP_DIFFERS = {
    # no transfer syntax in the meta group: dcm2niix stops at (0001,0001) ("Illegal DICOM tag"), pydicom reads on
    "meta_missing_tsyntax.dcm": "dcm2niix reads no further than a broken tag",
}


def _dump_blocks(lines):
    """{path: the lines readDICOMx printed for it}: from its last line before ``DICOM file:`` said while parsing
    (CSA vectors, GE's slice count, a waveform) to its ``DWI bxyz``."""
    parsing = ("DiffusionGradientDirection ", "Check number of slices", "Skipping DICOM (audio not image)")
    blocks, pending = {}, []
    for n, line in enumerate(lines):
        if line.startswith(parsing):
            pending.append(line)
        elif line.startswith("DICOM file: "):
            block = pending + [line]
            for field in lines[n + 1:]:
                if not field.startswith((" patient", " orient", " acq", " DWI")):
                    break
                block.append(field)
            blocks[line[len("DICOM file: "):]] = block
            pending = []
        else:
            pending = []
    return blocks


def test_header_dump_of_pydicom_files(tmp_path):
    """Every pydicom test file: the lines medfast gives for its header read are dcm2niix's at -v 1."""
    import glob
    import os
    import shutil

    import pydicom

    from medfast.dcm2niix.file_dump import file_lines

    source = tmp_path / "in"
    source.mkdir()
    root = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
    for n, path in enumerate(sorted(glob.glob(os.path.join(root, "**", "*.dcm"), recursive=True))):
        shutil.copy(path, source / f"{n:03d}_{os.path.basename(path)}")
    out = tmp_path / "out"
    out.mkdir()
    _, lines, _ = dcm2niix(["-v", "1", "-b", "n", "-z", "n", "-o", out, source], out)
    blocks = _dump_blocks(lines)
    assert len(blocks) > 50
    differ = {path: (file_lines(path, 1), block) for path, block in blocks.items() if file_lines(path, 1) != block}
    assert sorted(os.path.basename(path).split("_", 1)[1] for path in differ) == sorted(_DUMP_DIFFERS), differ
