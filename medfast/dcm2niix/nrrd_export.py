"""dcm2niix's ``-e y``: NRRD in place of NIfTI, as its ``nii_saveNRRD`` writes it.

The geometry is the NIfTI header's that dcm2niix would have written (its
sform rows, RAS space, numbers as C's ``%g``); the voxels are the stored
values in their own type (little-endian), since NRRD has no scaling: a whole
number slope and intercept whose results fit the 16-bit type are applied to
the voxels (its ``removeSclSlopeInter``), any other scaling is noted as
``oldmin``/``oldmax``. Then the DICOM values Slicer's DWIConvert writes
(``DICOM_0008_0060_Modality:=MR`` ...), and for a diffusion series the
measurement frame, the largest b-value and each gradient scaled by
``sqrt(b / b_max)`` (``isotropic`` for a weighted volume without direction),
in place of the ``.bval``/``.bvec`` files. ``-z y`` writes a detached
``.nhdr`` with its data in ``.raw.gz``; medfast's one NRRD writer
(``medfast.formats.nrrd``) writes the bytes.
"""
from __future__ import annotations

import math

import numpy as np

from ..dicom.header import as_header
from ..dicom.values import number, text, vendor_key

_FLT_EPSILON = 1.1920929e-07
_SAME_GE = 1e-4  # dcm2niix's isSameFloatGE
_VERSION = "v1.0.20260724"
_MANUFACTURERS = {"SI": "SIEMENS", "PH": "Philips Medical Systems", "GE": "GE MEDICAL SYSTEMS"}
_TYPES = {"u1": "uint8", "i2": "int16", "u2": "uint16", "f4": "float", "i4": "int32", "f8": "double"}
# the range of each integer type, for oldmin/oldmax
_RANGES = {"i2": (-32768.0, 32767.0), "u2": (0.0, 65535.0), "i4": (-2147483648.0, 2147483647.0), "u1": (0.0, 255.0)}


#: the file extension by ``-z``: ``.nhdr`` (data in ``.raw.gz``) with ``-z y``, else ``.nrrd``
EXTENSION = {True: ".nhdr", False: ".nrrd"}


def write(vol, path, sidecar=None, gradients=None):
    """Write ``vol`` (its ``nifti_fields`` as dcm2niix's NIfTI header would hold them) as dcm2niix's NRRD.

    ``gradients``: ``(bvals, bvecs)`` of a diffusion series' main image; ``sidecar``: its BIDS sidecar.
    Returns the paths written.

    Examples
    --------
    >>> import os, tempfile, nrrd
    >>> from medfast.volume import Volume
    >>> path = os.path.join(tempfile.mkdtemp(), "a.nrrd")
    >>> write(Volume(np.arange(8, dtype=np.int16).reshape(2, 2, 2), np.eye(4)), path) == [path]
    True
    >>> header = nrrd.read_header(path)
    >>> header["space"], header["type"], header.get("thicknesses")
    ('right-anterior-superior', 'int16', None)
    """
    from ..formats import nifti, nrrd
    from ..volume import Volume

    hdr = nifti.build_header(vol)
    data, slope, inter = remove_scaling(vol.stored, float(hdr["scl_slope"]), float(hdr["scl_inter"]))
    text = header_text(hdr, data, slope, inter, vol, sidecar, gradients)
    out = Volume(data, vol.affine)
    detached = path.endswith(".nhdr")

    def header(_vol, _data, _encoding, data_file=None):
        return text(data_file).encode("latin-1", "replace")

    nrrd.write(out, path, encoding="gzip" if detached else "raw", header=header)
    return [path, path[: -len(".nhdr")] + ".raw.gz"] if detached else [path]


def _same(a, b):
    return abs(a - b) < _FLT_EPSILON


def remove_scaling(stored, slope, inter):
    """dcm2niix's ``removeSclSlopeInter`` for its NRRD and MGH: (voxels, slope, intercept) as written.

    16-bit voxels whose whole-number slope and intercept keep them in their type get the scaling applied;
    anything else is returned as it is.

    Examples
    --------
    >>> data, slope, inter = remove_scaling(np.array([0, 10], np.int16), 1.0, -1024.0)
    >>> data.tolist(), slope, inter
    ([-1024, -1014], 1.0, 0.0)
    """
    if (_same(inter, 0.0) and _same(slope, 1.0)) or stored.dtype.str[1:] not in ("i2", "u2") or stored.size == 0:
        return stored, slope, inter
    if not (_same(math.fmod(inter, 1.0), 0.0) and _same(math.fmod(slope, 1.0), 0.0)):
        return stored, slope, inter
    low, high = _RANGES[stored.dtype.str[1:]]
    ends = np.float32(np.array([stored.min(), stored.max()], np.float32) * np.float32(slope) + np.float32(inter))
    if ends.min() < low or ends.max() > high:
        return stored, slope, inter
    scaled = np.rint(stored.astype(np.float32) * np.float32(slope) + np.float32(inter))
    return scaled.astype(stored.dtype), 1.0, 0.0


def _g(x):
    return f"{float(x):g}"


def header_text(hdr, data, slope, inter, vol, sidecar, gradients):
    """A function of the data file's name (None: attached) giving dcm2niix's NRRD header, blank line included."""
    ndim = int(hdr["dim"][0])
    kind = data.dtype.str[1:]
    if kind not in _TYPES:
        from ..errors import UnsupportedError

        raise UnsupportedError(f"dcm2niix NRRD: no NRRD type dcm2niix writes for {data.dtype}")
    rows = np.array([hdr["srow_x"], hdr["srow_y"], hdr["srow_z"]], dtype=np.float32)
    head = ["NRRD0005", "# Complete NRRD file format specification at:", "# http://teem.sourceforge.net/nrrd/format.html",
            f"# dcm2niix {_VERSION} NRRD export transforms by Tashrif Billah", f"type: {_TYPES[kind]}",
            f"dimension: {ndim}", "space: right-anterior-superior",
            "sizes: " + " ".join(str(int(v)) for v in hdr["dim"][1:ndim + 1])]
    thickness = _slice_thickness(vol, sidecar)
    if thickness > 0 and ndim >= 3:
        head.append("thicknesses: NaN NaN " + _g(thickness) + " NaN" * (ndim - 3))
    head.append("endian: little")
    tail = ['space units: "mm" "mm" "mm"', "space origin: ({},{},{})".format(*map(_g, rows[:, 3])),
            "space directions: " + " ".join("({},{},{})".format(*map(_g, rows[:, i])) for i in range(3))
            + " none" * (ndim - 3),
            "centerings: cell cell cell" + (" ???" if ndim >= 4 else ""),
            "kinds:" + " space" * min(ndim, 3) + " list" * max(0, ndim - 3)]
    if not (_same(inter, 0.0) and _same(slope, 1.0)) and kind[0] != "f":
        low, high = _RANGES[kind]
        tail += [f"oldmin: {low * slope + inter:8.8f}", f"oldmax: {high * slope + inter:8.8f}"]
    tail += _dicom_lines(vol, sidecar)
    if ndim > 3 and gradients is not None:
        tail += _diffusion_lines(hdr, rows, *gradients, vendor_key(vol.meta.get("Manufacturer")))

    def text_for(data_file):
        encoding = ["encoding: gzip", f"data file: {data_file}"] if data_file else ["encoding: raw"]
        return "\n".join(head + encoding + tail) + "\n\n"

    return text_for


def _slice_thickness(vol, sidecar):
    if sidecar is not None and "SliceThickness" in sidecar:
        return float(sidecar["SliceThickness"])
    return number(as_header(vol.meta.get("header") or {}).find("SliceThickness"), 0.0)


def _dicom_lines(vol, sidecar):
    """The DICOM values dcm2niix adds, as Slicer's DWIConvert names them."""
    sidecar = sidecar or {}
    header = as_header(vol.meta.get("header") or {})
    modality = text(header.find("Modality")).strip()
    out = [f"DICOM_0008_0060_Modality:={modality}"] if modality in ("MR", "CT") else []
    vendor = vendor_key(vol.meta.get("Manufacturer") or header.get("Manufacturer"))
    if vendor in _MANUFACTURERS:
        out.append(f"DICOM_0008_0070_Manufacturer:={_MANUFACTURERS[vendor]}")
    for key, tag in (("ManufacturersModelName", "0008_1090_ManufacturerModelName"),
                     ("ScanOptions", "0018_0022_ScanOptions"), ("MRAcquisitionType", "0018_0023_MRAcquisitionType")):
        value = sidecar.get(key)
        if isinstance(value, list):
            value = "\\".join(map(str, value))
        if value and (key != "MRAcquisitionType" or value in ("2D", "3D")):
            out.append(f"DICOM_{tag}:={value}")
    tr = float(sidecar.get("RepetitionTime") or 0.0) * 1000.0
    if tr > 0:
        out.append(f"DICOM_0018_0080_RepetitionTime:={_g(np.float32(tr))}")
    echo = number(vol.meta.get("EchoTime", header.get("EchoTime")), 0.0)
    exposure = number(header.find("Exposure"), 0.0) if not echo else 0.0
    if echo > 0:
        out.append(f"DICOM_0018_0081_EchoTime:={_g(np.float32(echo))}")
    elif exposure > 0:
        out.append(f"DICOM_0018_1152_XRayExposure:={_g(np.float32(exposure))}")
    for tag, value in (("0018_0083_NumberOfAverages", number(header.find("NumberOfAverages"), 0.0)),
                       ("0018_0087_MagneticFieldStrength", number(sidecar.get("MagneticFieldStrength"), 0.0)),
                       ("0018_1020_SoftwareVersions", sidecar.get("SoftwareVersions")),
                       ("0018_1314_FlipAngle", number(sidecar.get("FlipAngle"), 0.0))):
        if isinstance(value, str):
            if value:
                out.append(f"DICOM_{tag}:={value}")
        elif value is not None and value > 0:
            out.append(f"DICOM_{tag}:={_g(np.float32(value))}")
    return out


def _diffusion_lines(hdr, rows, bvals, bvecs, vendor):
    """Measurement frame, ``modality:=DWMRI``, the largest b-value and one line a gradient."""
    zooms = np.asarray(hdr["pixdim"][1:4], dtype=np.float32)
    frame = rows[:, :3] * (np.float32(1.0) / zooms)[:, None]
    out = ["measurement frame: " + " ".join("({},{},{})".format(*map(_g, frame[:, j])) for j in range(3)),
           "modality:=DWMRI"]
    bvals = np.asarray(bvals, dtype=np.float32)
    bvecs = np.asarray(bvecs, dtype=np.float32)
    b_max = max(np.float32(0.0), bvals.max(initial=np.float32(0.0)))
    out.append(f"DWMRI_b-value:={_g(b_max)}")
    least = 50.0 if vendor == "SI" else 6.0
    for i, (b, vector) in enumerate(zip(bvals, bvecs)):
        if b > least and all(abs(float(v)) <= _SAME_GE for v in vector):
            out.append(f"DWMRI_gradient_{i:04d}:=isotropic" + ("" if abs(b_max - b) <= _SAME_GE else f" b={_g(b)}"))
            continue
        factor = np.sqrt(b / b_max) if b_max > 0 else np.float32(0.0)
        out.append(f"DWMRI_gradient_{i:04d}:=" + " ".join(f"{float(np.float32(factor * v)):.17g}" for v in vector))
    return out
