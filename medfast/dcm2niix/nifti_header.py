"""The NIfTI-1 header fields dcm2niix decides for a DICOM series (``medfast.formats.nifti`` writes them).

dcm2niix fills: dims and pixdims from the volume, TR in seconds as pixdim[4],
pixdim[5..7] 0, ``xyzt_units`` mm + s, qform and sform from the affine
(codes from the reader, 1 = scanner), ``scl_slope``/``scl_inter`` (1/0 when
unscaled), ``dim_info`` from the in-plane phase-encoding direction,
``slice_code`` from Siemens slice times when they show a plain order,
``aux_file`` from ImageComments and a ``descrip`` with TE, acquisition time,
phase-encoding polarity and multiband factor. ``nifti_fields`` computes
these values as a pure function of the volume and its header, for any writer.
"""
from __future__ import annotations

import numpy as np

from ..dicom import siemens
from ..dicom.header import as_header
from ..dicom.values import number, text, vendor_key

# NIfTI slice_code values
SLICE_UNKNOWN, SEQ_INC, SEQ_DEC, ALT_INC, ALT_DEC, ALT_INC2, ALT_DEC2 = range(7)


def slice_order(times):
    """NIfTI ``slice_code`` from slice acquisition times, as dcm2niix's ``checkSliceTimes``.

    Multiband series (several slices at time 0) and orders that fit no NIfTI
    code give 0 (unknown).

    Examples
    --------
    >>> slice_order([0, 1, 2, 3]), slice_order([0, 2, 1, 3]), slice_order([3, 2, 1, 0])
    (1, 3, 2)
    >>> slice_order([0, 1, 0, 1])
    0
    """
    if times is None or len(times) < 3:
        return SLICE_UNKNOWN
    t = [float(x) for x in times]
    n = len(t)
    zeros = sum(1 for x in t if x == 0)
    if zeros > 1:
        return SLICE_UNKNOWN
    lo = min(range(n), key=lambda i: (t[i], i))
    if lo == 1:
        return ALT_INC2
    if lo == n - 2:
        return ALT_DEC2
    if lo == 0:
        return SEQ_INC if t[1] < t[2] else ALT_INC if t[1] > t[2] else SLICE_UNKNOWN
    if lo == n - 1:
        return SEQ_DEC if t[n - 3] > t[n - 2] else ALT_DEC if t[n - 3] < t[n - 2] else SLICE_UNKNOWN
    return SLICE_UNKNOWN


def _siemens_slice_times(header):
    """The raw slice times dcm2niix orders: CSA MosaicRefAcqTimes (more than 3), else (0019,1029); None."""
    times = siemens.csa_items(header, "MosaicRefAcqTimes")
    if len(times) > 3:
        try:
            return [float(np.float32(x)) for x in times]
        except ValueError:
            return None
    found = header.private((0x0019, 0x1029), nested=False)
    values = [float(x) for x in found] if isinstance(found, (tuple, list)) else []
    return values or None


def _dim_info(phase_dir):
    # "ROW"/"COL", or "COLUMN" in some enhanced files; unknown: 0 (freq, phase, slice all unknown)
    if phase_dir.startswith("R"):
        return 2 | (1 << 2) | (3 << 4)
    if phase_dir.startswith("C"):
        return 1 | (2 << 2) | (3 << 4)
    return 0


def acquisition_time(header):
    """dcm2niix's acquisitionTime as a number HHMMSS.ffff: AcquisitionTime, else the time of AcquisitionDateTime.

    Examples
    --------
    >>> acquisition_time({"AcquisitionTime": "101530.25"}), acquisition_time({"AcquisitionDateTime": "20200102101530.5"})
    (101530.25, 101530.5)
    """
    header = as_header(header)
    value = number(header.last("AcquisitionTime"), 0.0)
    date = number(header.last("AcquisitionDate"), 0.0)
    stamp = text(header.last("AcquisitionDateTime")).strip()
    if len(stamp) > 13 and not value and not date:  # recent Philips and Siemens XA: the date-time only
        value = number(stamp[8:], 0.0)
    return value


def nifti_fields(vol, header=None, sidecar=None, *, untilted_sform=True):
    """The NIfTI-1 header fields dcm2niix decides beyond shape, dtype and affine, as a dict (a pure function).

    ``descrip`` ("TE=..;Time=..;phase=..;mb=.." for MR, "Time=.." otherwise,
    as dcm2niix's headerDcm2Nii2), ``aux_file`` (ImageComments, 23
    characters), ``dim_info`` (from InPlanePhaseEncodingDirection),
    ``slice_code`` (Siemens slice times only), ``pixdim4`` (TR in seconds),
    ``pixdim5``..``pixdim7`` (0: dcm2niix zeroes pixdim before filling it),
    ``xyzt_units``, ``qform_code``/``sform_code``, and the fields dcm2niix
    leaves 0: ``slice_start``, ``slice_end``,
    ``slice_duration``, ``toffset``, ``intent_code``, ``intent_p1..3``,
    ``cal_min``, ``cal_max``. The keys are those of ``Volume.nifti_fields``
    (``medfast.formats.nifti``), plus ``pixdim4`` and ``xyzt_units``. dcm2niix
    also writes Analyze's ``regular`` as "r"; the NIfTI writers leave it 0.

    Parameters
    ----------
    vol : Volume
        The series.
    header : medfast.dicom.header.Header, optional
        Its first header (default ``vol.meta["header"]``).
    sidecar : dict, optional
        ``build_sidecar``'s result, when the caller has it (gives the multiband factor).
    untilted_sform : bool
        With gantry tilt, write the sform with the tilt taken out (``sform``;
        dcm2niix's main image, its ``_ADC`` and ``_ROI`` copies), not the
        ``_Tilt`` and ``_Eq`` volumes, which keep the affine.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> v = Volume(np.zeros((2, 2, 2), np.int16), np.eye(4), {"EchoTime": 30.0})
    >>> f = nifti_fields(v, {"Modality": "MR", "AcquisitionTime": "101010.5", "InPlanePhaseEncodingDirection": "COL"})
    >>> f["descrip"], f["dim_info"], f["pixdim5"]
    (b'TE=30;Time=101010.500', 57, 0.0)
    """
    meta = vol.meta
    header = as_header(header if header is not None else meta.get("header"))
    vendor = vendor_key(header.get("Manufacturer"))
    tr = float(meta.get("repetition_time") or 0.0)
    if not tr:
        tr = number(header.find("RepetitionTime"), 0.0) / 1000.0
    tr = float(np.float32(float(np.float32(tr * 1000.0)) / 1000.0))  # dcm2niix: float ms / 1000 into a float
    fields = {
        "pixdim4": tr, "pixdim5": 0.0, "pixdim6": 0.0, "pixdim7": 0.0, "xyzt_units": (2, 8),
        "qform_code": int(meta.get("qform_code", 1)), "sform_code": int(meta.get("sform_code", 1)),
        "slice_start": 0, "slice_end": 0, "slice_duration": 0.0, "toffset": 0.0, "intent_code": 0,
        "intent_p1": 0.0, "intent_p2": 0.0, "intent_p3": 0.0, "cal_min": 0.0, "cal_max": 0.0,
        "dim_info": _dim_info(text(header.find("InPlanePhaseEncodingDirection")).strip()),
        "aux_file": text(header.get("ImageComments"))[:23].encode("latin-1", "replace"),
        "slice_code": SLICE_UNKNOWN,
    }
    if untilted_sform:
        sform = _untilted_sform(vol, header)
        if sform is not None:
            fields["sform"] = sform
    if meta.get("qform_zooms") is not None:  # an image without position: the voxel size lives in pixdim only
        fields["qform_zooms"] = tuple(float(np.float32(v)) for v in meta["qform_zooms"])
    # mosaics stored in reverse slice order (protocol's sSliceArray.ucImageNumb) get no slice code
    reversed_mosaic = meta.get("mosaic") and siemens.header_protocol_int(header, "sSliceArray.ucImageNumb") > 0
    if vendor == "SI" and not reversed_mosaic and len(vol.stored.shape) >= 3:
        fields["slice_code"] = slice_order(_siemens_slice_times(header))
    fields["descrip"] = _descrip(vol, header, vendor, sidecar)
    return fields


def _untilted_sform(vol, header):
    """dcm2niix's sform of a gantry-tilted stack: the slice axis's y part 0 and its z part the slice spacing.

    dcm2niix keeps the qform (the stack's orthogonal frame) and, when the
    tilt it knows is not 0 (to 1e-4 degrees), rewrites the sform's slice
    column so that the slices step straight up the z axis: the tilt measured
    from the slice positions for CT, X-ray, or a header naming a positive
    tilt, else the header's GantryDetectorTilt (0018,1120); a single slice
    always has the header's. None when there is nothing to rewrite.
    """
    from .resample import series_tilt

    stated = number(header.find("GantryDetectorTilt"), 0.0)
    stated = stated if np.isfinite(stated) else 0.0
    measured = len(vol.meta.get("positions") or []) > 1 and (
        text(header.find("Modality")) == "CT" or stated > 0
        or (header.find("Exposure") is not None and not number(header.find("EchoTime"), 0.0)))
    degrees = series_tilt(vol) if measured else stated
    if abs(degrees) <= 1e-4 or abs(np.cos(np.radians(np.float32(degrees)))) <= 1e-4:
        return None
    sform = np.array(vol.affine, dtype=np.float64)
    zooms = vol.meta.get("qform_zooms")
    sform[2, 2] = np.float32(zooms[2] if zooms is not None else np.linalg.norm(sform[:3, 2]))  # pixdim[3]
    sform[1, 2] = 0.0
    return sform


def _descrip(vol, header, vendor, sidecar):
    from .sidecar import build_sidecar, phase_polarity

    meta = vol.meta
    parts = []
    if text(header.find("Modality")) == "MR":
        te = number(meta.get("EchoTime", header.get("EchoTime")), 0.0)
        parts.append(f"TE={te:.2g}")
    parts.append(f"Time={acquisition_time(header):.3f}")
    positive, _ = phase_polarity(meta, header, vendor)
    if positive >= 0:
        parts.append(f"phase={positive}")
    if sidecar is None:
        sidecar = build_sidecar(vol, header)
    multiband = int(sidecar.get("MultibandAccelerationFactor") or 1)
    if multiband > 1:
        parts.append(f"mb={multiband}")
    said = ";".join(parts).encode("latin-1", "replace")[:79]
    scale = f" is{meta['integer_scale']}".encode() if meta.get("integer_scale") else b""  # -l y's factor
    return said + scale if len(said) + len(scale) < 80 else said
