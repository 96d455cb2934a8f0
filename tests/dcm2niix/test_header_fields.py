"""NIfTI header fields beyond the affine (descrip, dim_info, slice_code, pixdim[4:8], aux_file, zeros), against dcm2niix."""
from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

from dcm2niix_compare import CORPUS_COMMANDS, run_medfast
from support import corpus_root, require_tool

# fields dcm2niix fills (or zeroes) that the scoreboard does not look at
FIELDS = ("dim_info", "slice_code", "slice_start", "slice_end", "slice_duration", "toffset", "intent_code",
          "intent_p1", "intent_p2", "intent_p3", "intent_name", "cal_min", "cal_max", "xyzt_units", "descrip",
          "aux_file", "qform_code", "sform_code", "datatype", "bitpix", "dim")


def header_differences(ref_path, got_path):
    """Header fields that differ between two NIfTI files; pixdim to float32 rounding of the slice spacing."""
    import nibabel as nib

    a, b = nib.load(ref_path).header, nib.load(got_path).header
    out = [f"{f}: {b[f]!r} != {a[f]!r}" for f in FIELDS if np.asarray(a[f]).tobytes() != np.asarray(b[f]).tobytes()]
    pa, pb = a["pixdim"].astype(np.float64), b["pixdim"].astype(np.float64)
    if not np.allclose(pa, pb, rtol=1e-6, atol=0):
        out.append(f"pixdim {pb.tolist()} != {pa.tolist()}")
    return out


def _compare(folder, tmp_path, args):
    tool = require_tool("dcm2niix")
    ref, got = tmp_path / "ref", tmp_path / "got"
    ref.mkdir()
    got.mkdir()
    subprocess.run([tool, *args, "-o", str(ref), str(folder)], check=True, capture_output=True)
    run_medfast(list(args), [folder], got)
    names = sorted(n for n in os.listdir(ref) if n.endswith(".nii"))
    assert names and names == sorted(n for n in os.listdir(got) if n.endswith(".nii"))
    return {n: d for n in names if (d := header_differences(ref / n, got / n))}


@pytest.mark.parametrize("kind", ["mr", "ct", "philips_dwi", "philips_enhanced"])
def test_header_fields_match_dcm2niix_package(tmp_path, kind):
    """Synthesised MR, CT and Philips DWI: every header field listed above equals the dcm2niix package's."""
    from medfast.synth import write_ct_series, write_mr_series, write_philips_dwi

    folder = tmp_path / "in"
    if kind == "mr":
        write_mr_series(folder, shape=(12, 10, 5, 3))
    elif kind == "ct":
        write_ct_series(folder, shape=(12, 10, 5), extra={"ImageComments": "a comment longer than twenty-three"})
    else:
        write_philips_dwi(folder, enhanced=kind == "philips_enhanced", trace=(4,))
    assert _compare(folder, tmp_path, ("-b", "n", "-z", "n", "-f", "%s_%p")) == {}


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["dcm_qa", "dcm_qa_xa30", "dcm_qa_enh", "dcm_qa_fmap", "dcm_qa_12bit", "dcm_qa_ts"])
def test_header_fields_match_corpus(tmp_path, name):
    """The corpus's Ref NIfTI headers: descrip with phase= and mb=, dim_info, slice_code, pixdim[4:8] zeros."""
    import nibabel as nib

    root = corpus_root()
    args, inputs = CORPUS_COMMANDS[name]
    run_medfast(args, [root / name / i for i in inputs], tmp_path)
    wrong = {}
    for ref in sorted((root / name / "Ref").glob("*.nii")):
        got = tmp_path / ref.name
        assert got.exists(), ref.name
        if diffs := header_differences(ref, got):
            wrong[ref.name] = diffs
    assert wrong == {}
    assert any(b"phase=" in nib.load(p).header["descrip"].tobytes() for p in (root / name / "Ref").glob("*.nii")) \
        or name in ("dcm_qa_enh", "dcm_qa_fmap")


def test_descrip_and_slice_code_rules():
    """The rules as functions: descrip parts, and slice_code from Siemens times only."""
    from medfast.dcm2niix.nifti_header import acquisition_time, slice_order
    from medfast.dicom.header import ValuesHeader

    assert slice_order([0, 3, 1, 4, 2]) == 3 and slice_order([0, 0, 1, 1]) == 0
    assert acquisition_time(ValuesHeader({"AcquisitionDateTime": "20240101123456.789"})) == pytest.approx(123456.789)
    assert acquisition_time(ValuesHeader({})) == 0.0
