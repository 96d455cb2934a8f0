"""The one NIfTI header builder: the bytes nibabel writes for the same fields, on every dtype, without nibabel."""
from __future__ import annotations

import gzip
import io
import subprocess
import sys

import nibabel as nib
import numpy as np
import pytest
from fmt_samples import OBLIQUE

import medfast
from medfast.errors import InvalidArgumentError, UnsupportedError
from medfast.formats import nifti
from medfast.formats import nifti_layout as layout
from medfast.volume import Volume

DTYPES = sorted(layout.DATATYPES, key=lambda d: layout.DATATYPES[d])
FIELDS = {"descrip": "TE=30;Time=120000.000", "aux_file": "comment", "intent_name": "name", "dim_info": 57,
          "slice_code": 1, "slice_start": 1, "slice_end": 5, "slice_duration": 0.0625, "toffset": 1.5,
          "intent_code": 1002, "intent_p1": 0.25, "intent_p2": 2.0, "intent_p3": -1.0, "cal_min": -5.0,
          "cal_max": 90.0, "qform_code": 2, "sform_code": 4, "extensions": [(6, b"a comment"), (4, b"x" * 17)]}


def _volume(dtype, shape=(4, 5, 6, 3), **kw):
    values = np.random.default_rng(0).integers(0, 100, shape)
    data = np.zeros(shape, dtype) if dtype.fields else values.astype(dtype)
    return Volume(data, OBLIQUE, slope=2.0, inter=-3.0, time_step=1.5, time_unit="s", **kw)


def _nibabel_header(vol, nifti2, pair):
    """The header nibabel builds from the same fields, through its own setters."""
    klass = {(False, False): nib.Nifti1Header, (False, True): nib.nifti1.Nifti1PairHeader,
             (True, False): nib.Nifti2Header, (True, True): nib.nifti2.Nifti2PairHeader}[(nifti2, pair)]
    hdr = klass()
    fields = vol.nifti_fields
    hdr.set_data_dtype(vol.stored.dtype)
    hdr.set_data_shape(vol.shape)
    hdr.set_qform(vol.affine, code=fields.get("qform_code", 1))
    hdr.set_sform(vol.affine, code=fields.get("sform_code", 1))
    hdr.set_slope_inter(vol.slope, vol.inter)
    hdr.set_xyzt_units("mm", "msec" if vol.time_unit == "ms" else "sec")
    pixdim = hdr["pixdim"]
    pixdim[4] = vol.time_step * (1000 if vol.time_unit == "ms" else 1)
    hdr["pixdim"] = pixdim
    for key, value in fields.items():
        if key == "extensions":
            for code, content in value:
                hdr.extensions.append(nib.nifti1.Nifti1Extension(code, content))
        elif key not in ("qform_code", "sform_code"):
            hdr[key] = value.encode() if isinstance(value, str) else value
    out = io.BytesIO()
    hdr.write_to(out)
    return out.getvalue()


@pytest.mark.parametrize("pair", [False, True], ids=["single", "pair"])
@pytest.mark.parametrize("nifti2", [False, True], ids=["nifti1", "nifti2"])
@pytest.mark.parametrize("dtype", DTYPES, ids=[str(d) if not d.fields else f"rgb{d.itemsize * 8}" for d in DTYPES])
@pytest.mark.parametrize("fields", [{}, FIELDS], ids=["plain", "fields"])
def test_header_bytes_equal_nibabel_setters(dtype, nifti2, pair, fields):
    vol = _volume(dtype, nifti_fields=fields)
    assert nifti.header_bytes(vol, nifti2=nifti2, pair=pair) == _nibabel_header(vol, nifti2, pair)


@pytest.mark.parametrize("ext", [".nii", ".nii.gz", ".img"])
@pytest.mark.parametrize("dtype", DTYPES, ids=[str(d) if not d.fields else f"rgb{d.itemsize * 8}" for d in DTYPES])
def test_written_file_equals_nibabel_save(tmp_path, dtype, ext):
    vol = _volume(dtype, nifti_fields={"descrip": "x", "extensions": [(6, b"note")]})
    medfast.write(vol, tmp_path / f"m{ext}")
    nib.save(vol.to_nibabel() if ext != ".img" else nifti.to_nibabel(vol, pair=True), tmp_path / f"n{ext}")
    for suffix in [ext] if ext != ".img" else [".hdr", ".img"]:
        got, want = (tmp_path / f"m{suffix}").read_bytes(), (tmp_path / f"n{suffix}").read_bytes()
        if suffix.endswith(".gz"):
            got, want = gzip.decompress(got), gzip.decompress(want)
        assert got == want, suffix


def test_big_endian_and_fortran_or_c_order_write_the_same_file(tmp_path):
    data = np.arange(4 * 5 * 6, dtype=">i2").reshape(4, 5, 6)
    for name, arr in (("be", data), ("c", data.astype("<i2")), ("f", np.asfortranarray(data.astype("<i2")))):
        medfast.write(Volume(arr, OBLIQUE), tmp_path / f"{name}.nii")
    assert (tmp_path / "be.nii").read_bytes() == (tmp_path / "c.nii").read_bytes() == (tmp_path / "f.nii").read_bytes()


def test_typed_timing_and_units_written_and_read_back(tmp_path):
    vol = Volume(np.zeros((2, 2, 2, 4), np.int16), OBLIQUE, time_step=0.8, time_unit="ms",
                 slice_times=[0.0, 0.4])
    medfast.write(vol, tmp_path / "t.nii")
    hdr = nib.load(tmp_path / "t.nii").header
    assert float(hdr["pixdim"][4]) == pytest.approx(800.0) and hdr.get_xyzt_units() == ("mm", "msec")
    back = medfast.read(tmp_path / "t.nii")
    assert back.time_step == pytest.approx(0.8) and back.time_unit == "ms" and back.spatial_unit == "mm"


def test_dicom_like_volume_gets_the_converter_timing_fields():
    # what the DICOM reader gives a 3-D series: TR in pixdim[4], mm + s, as dcm2niix writes
    vol = Volume(np.zeros((4, 4, 3), np.int16), np.diag([-2.0, 2.0, 3.0, 1.0]), {"repetition_time": 2.0})
    hdr = nifti.build_header(vol)
    assert float(hdr["pixdim"][4]) == 2.0 and int(hdr["xyzt_units"]) == 10
    assert (int(hdr["qform_code"]), int(hdr["sform_code"])) == (1, 1)


def test_nifti_fields_read_back_and_rewritten(tmp_path):
    vol = _volume(np.dtype(np.int16), nifti_fields=FIELDS)
    medfast.write(vol, tmp_path / "a.nii.gz")
    back = medfast.read(tmp_path / "a.nii.gz")
    assert back.nifti_fields == FIELDS
    medfast.write(back, tmp_path / "b.nii.gz")
    medfast.write(medfast.read(tmp_path / "b.nii.gz"), tmp_path / "c.nii.gz")
    # the first copy's affine is the float32 sform, so from then on the file is a fixed point
    assert (tmp_path / "b.nii.gz").read_bytes() == (tmp_path / "c.nii.gz").read_bytes()


def test_bad_fields_and_dtypes_are_refused():
    with pytest.raises(InvalidArgumentError, match="unknown keys"):
        nifti.build_header(Volume(np.zeros((2, 2, 2)), np.eye(4), nifti_fields={"xyzt_units": 10}))
    with pytest.raises(InvalidArgumentError, match="descrip"):
        nifti.build_header(Volume(np.zeros((2, 2, 2)), np.eye(4), nifti_fields={"descrip": "x" * 81}))
    with pytest.raises(UnsupportedError, match="float128|longdouble|dtype"):
        nifti.build_header(Volume(np.zeros((2, 2, 2), np.longdouble), np.eye(4)))


def test_large_dimension_writes_nifti2(tmp_path):
    medfast.write(Volume(np.zeros((40000, 1, 1), np.uint8), np.eye(4)), tmp_path / "wide.nii")
    assert isinstance(nib.load(tmp_path / "wide.nii"), nib.Nifti2Image)
    assert medfast.read(tmp_path / "wide.nii").shape == (40000, 1, 1)


def test_write_path_imports_no_nibabel(tmp_path):
    code = (
        "import sys, numpy as np, medfast\n"
        f"medfast.write(medfast.Volume(np.zeros((3, 4, 5), np.int16), np.eye(4)), {str(tmp_path / 'x.nii.gz')!r})\n"
        f"medfast.write(medfast.Volume(np.zeros((3, 4, 5), np.int16), np.eye(4)), {str(tmp_path / 'x.nrrd')!r})\n"
        "print(sorted(m for m in ('nibabel', 'pydicom', 'h5py', 'nrrd') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def _fields_of(header_bytes):
    """The ``nifti_fields`` a NIfTI-1 header holds (what the dcm2niix rules decided)."""
    rec = np.frombuffer(header_bytes[:348], layout.NIFTI1)[0]
    fields = {k: rec[k].item() for k, default in layout.SCALAR_FIELDS.items()
              if rec[k].item() != default or k.endswith("form_code")}
    fields.update({k: rec[k].item().split(b"\0")[0].decode("latin-1") for k in layout.TEXT_FIELDS
                   if rec[k].item().split(b"\0")[0]})
    fields.update({k: float(rec["pixdim"][i]) for k, i in layout.PIXDIM_FIELDS.items() if rec["pixdim"][i] != 1.0})
    return fields


@pytest.mark.parametrize("series", ["ct", "fmri"])
def test_the_converter_writes_through_the_one_builder(tmp_path, series):
    """medfast dcm2niix's NIfTI header is the builder's header with the fields the dcm2niix rules decide, and
    medfast.write of the same volume agrees with it on the typed timing fields (pixdim[4], xyzt_units)."""
    from medfast.dcm2niix import main
    from medfast.synth import write_ct_series, write_mr_series

    if series == "ct":
        write_ct_series(tmp_path / "in", shape=(16, 16, 5))
    else:
        write_mr_series(tmp_path / "in", shape=(16, 16, 6, 3), tr=2.0)
    (tmp_path / "out").mkdir()
    assert main(["-b", "n", "-z", "n", "-f", "x", "-o", str(tmp_path / "out"), str(tmp_path / "in")]) == 0
    written = (tmp_path / "out" / "x.nii").read_bytes()[:348]
    [vol] = medfast.read_dicom(tmp_path / "in")
    assert nifti.header_bytes(vol.replace(nifti_fields=_fields_of(written)))[:348] == written
    plain = nifti.build_header(vol)  # what medfast.write gives the same volume before the rules fill its fields
    ref = np.frombuffer(written, layout.NIFTI1)[0]
    assert float(plain["pixdim"][4]) == float(ref["pixdim"][4]) and int(plain["xyzt_units"]) == int(ref["xyzt_units"])
