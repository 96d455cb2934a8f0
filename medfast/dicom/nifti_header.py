"""The NIfTI-1 header dcm2niix writes for a DICOM series, built with nibabel.

dcm2niix fills: dims and pixdims from the volume, TR in seconds as pixdim[4],
``xyzt_units`` mm + s, qform and sform from the affine (codes from the reader,
1 = scanner), ``scl_slope``/``scl_inter`` (1/0 when unscaled), ``dim_info``
from the in-plane phase-encoding direction, ``slice_code`` from the slice
acquisition times when they show a plain order, ``aux_file`` from
ImageComments and a ``descrip`` with TE and acquisition time.
"""
from __future__ import annotations

import math

import numpy as np

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
    t = np.asarray(times, dtype=np.float64)
    t = t - min(t.min(), 0.0)
    n = len(t)
    zeros = int(np.count_nonzero(t == 0))
    if zeros > 1:
        return SLICE_UNKNOWN
    lo = int(np.argmin(t))
    if lo == 1:
        return ALT_INC2
    if lo == n - 2:
        return ALT_DEC2
    if lo == 0:
        return SEQ_INC if t[1] < t[2] else ALT_INC if t[1] > t[2] else SLICE_UNKNOWN
    if lo == n - 1:
        return SEQ_DEC if t[n - 3] > t[n - 2] else ALT_DEC if t[n - 3] < t[n - 2] else SLICE_UNKNOWN
    return SLICE_UNKNOWN


def _dim_info(phase_dir):
    # "ROW"/"COL", or "COLUMN" in some enhanced files
    if phase_dir.startswith("R"):
        return 2 | (1 << 2) | (3 << 4)
    if phase_dir.startswith("C"):
        return 1 | (2 << 2) | (3 << 4)
    return 3 << 4


def build_header(vol, header=None):
    """A ``nibabel.Nifti1Header`` for ``vol`` filled the way dcm2niix fills it.

    Parameters
    ----------
    vol : Volume
        The series (``stored``, ``affine``, ``slope``, ``inter``, ``meta``).
    header : pydicom.Dataset, optional
        The series' first header; defaults to ``vol.meta["header"]``.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> v = Volume(np.zeros((4, 4, 3), np.int16), np.diag([-2.0, 2.0, 3.0, 1.0]), {"repetition_time": 2.0})
    >>> h = build_header(v, {})
    >>> [float(x) for x in h["pixdim"][1:5]], int(h["xyzt_units"]), int(h["qform_code"]), int(h["sform_code"])
    ([2.0, 2.0, 3.0, 2.0], 10, 1, 1)
    """
    import nibabel as nib

    from .sidecar import find_value, phoenix_int

    meta = vol.meta
    if header is None:
        header = meta.get("header") or {}
    get = header.get
    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(vol.stored.dtype)
    hdr.set_data_shape(vol.stored.shape)
    hdr.set_qform(vol.affine, code=int(meta.get("qform_code", 1)))
    hdr.set_sform(vol.affine, code=int(meta.get("sform_code", 1)))
    tr = float(meta.get("repetition_time") or 0.0)
    if not tr:
        tr = float(find_value(header, "RepetitionTime") or 0.0) / 1000.0
    pixdim = hdr["pixdim"]
    pixdim[4] = tr
    hdr["pixdim"] = pixdim
    hdr.set_xyzt_units("mm", "sec")
    hdr["scl_slope"], hdr["scl_inter"] = vol.slope, vol.inter
    hdr["dim_info"] = _dim_info(str(find_value(header, "InPlanePhaseEncodingDirection") or "").strip())
    # mosaics stored in reverse slice order (protocol's sSliceArray.ucImageNumb) get no slice code
    reversed_mosaic = meta.get("mosaic") and phoenix_int(header, "sSliceArray.ucImageNumb") > 0
    if not reversed_mosaic and len(vol.stored.shape) >= 3:
        times = meta.get("slice_times")
        if times is not None and len(times) == vol.stored.shape[2]:
            hdr["slice_code"] = slice_order(times)
    comments = str(get("ImageComments") or "")
    hdr["aux_file"] = comments[:23].encode("latin-1", "replace")
    hdr["descrip"] = _descrip(meta, get).encode("latin-1", "replace")[:79]
    return hdr


def _descrip(meta, get):
    te = meta.get("EchoTime", get("EchoTime"))
    acq = str(get("AcquisitionTime") or "").replace(":", "")
    parts = []
    if te not in (None, ""):
        parts.append(f"TE={float(te):.2g}")
    if acq:
        parts.append(f"Time={float(acq):.3f}")
    return ";".join(parts)


# The _Tilt copy dcm2niix writes beside a NIfTI whose slices are sheared by gantry tilt

_F = np.float32


def _positive(v):
    """dcm2niix's makePositive: flip so the component of largest magnitude is positive."""
    return v if _max_mag(v) >= 0 else -v


def _max_mag(v):
    big = v[0]
    if abs(v[1]) > abs(big):
        big = v[1]
    if abs(v[2]) > abs(big):
        big = v[2]
    return big


def gantry_tilt_degrees(first_ipp, last_ipp, iop):
    """Signed gantry tilt (degrees) from the first and last slice positions, in float32 as dcm2niix.

    Examples
    --------
    >>> round(gantry_tilt_degrees([0, 0, 0], [0, 3.5, 14], [1, 0, 0, 0, 1, 0]), 4)
    -14.0362
    """
    sv = (np.asarray(last_ipp, np.float64) - np.asarray(first_ipp, np.float64)).astype(_F)
    length = _F(math.sqrt(float(_F(sv[0] * sv[0] + sv[1] * sv[1] + sv[2] * sv[2]))))
    if length == 0:
        return 0.0
    sv = _positive(sv)
    read, phase = np.asarray(iop[:3], _F), np.asarray(iop[3:6], _F)
    n = _positive(np.cross(read, phase).astype(_F))
    len90 = _F(math.sqrt(float(_F(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]))))
    cos_x = _F(_F(n[0] * sv[0] + n[1] * sv[1] + n[2] * sv[2]) / _F(length * len90))
    deg = _F(math.acos(max(-1.0, min(1.0, float(cos_x)))) * (180.0 / math.pi))
    if abs(float(cos_x) - 1.0) < 1e-5 or abs(float(deg)) < 1e-5:
        return 0.0
    sign = _max_mag(np.cross(sv, n).astype(_F))
    return float(-deg if sign > 0 else deg)


def tilt_corrected(vol):
    """dcm2niix's ``_Tilt`` volume: a stack acquired with gantry tilt, its rows shifted slice by slice to undo the shear.

    Each slice moves along the NIfTI rows by tan(tilt) / row spacing pixels a
    mm along the normal, linearly interpolated and rounded as dcm2niix does
    (nearest neighbour next to PixelPaddingValue); the rows grow by the
    largest shift, filled with the padding value or the image minimum, and a
    negative tilt moves the origin back by as many rows. Float32 arithmetic
    throughout, so voxels match dcm2niix bit for bit.

    Parameters
    ----------
    vol : Volume
        A series read by ``read_dicom``; ``meta["gantry_tilt"]`` flags the shear.

    Returns
    -------
    Volume or None
        None unless the series is a tilted 3-D int16 or float32 stack of at least 3 slices.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> tilt_corrected(Volume(np.zeros((4, 4, 3), np.int16), np.eye(4), {"gantry_tilt": 0.0})) is None
    True
    """
    import pydicom

    from .sidecar import find_value

    meta, stored = vol.meta, vol.stored
    frames = meta.get("frames") or []
    if not meta.get("gantry_tilt") or stored.ndim != 3 or stored.shape[2] < 3 or stored.dtype not in (np.int16, np.float32):
        return None
    nz = stored.shape[2]
    heads = []
    for path, frame in (frames[0], frames[-1]):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        f = frame if meta.get("enhanced") else None
        heads.append(([float(v) for v in find_value(ds, "ImagePositionPatient", f)],
                      [float(v) for v in find_value(ds, "ImageOrientationPatient", f)]))
    deg = gantry_tilt_degrees(heads[0][0], heads[1][0], heads[0][1])
    if deg == 0.0:
        return None
    dy = _F(np.linalg.norm(vol.affine[:3, 1]))
    dz = _F(np.linalg.norm(vol.affine[:3, 2]))
    tan_px = _F(math.tan(deg / (180.0 / math.pi)) / float(dy))
    top = _F(abs(_F((nz - 1) * dz)))
    pad = int(math.ceil(abs(float(_F(tan_px * top)))))
    nx, ny = stored.shape[:2]
    ds0 = meta.get("header")
    padding = find_value(ds0, "PixelPaddingValue") if ds0 is not None else None
    fill = stored.dtype.type(padding) if padding is not None else stored.min()
    out = np.full((nx, ny + pad, nz), fill, stored.dtype)
    rows = np.arange(ny + pad, dtype=_F)
    for s in range(nz):
        mm = _F(s * dz)
        if tan_px < 0:
            mm = _F(mm - top)
        offset = _F(tan_px * mm)
        hi_w = _F(_F(math.ceil(offset)) - offset)
        lo_w = _F(1.0) - hi_w
        src = rows - offset
        ok = (src >= 0) & (src < ny)
        lo = np.floor(src[ok]).astype(np.intp)
        hi = np.minimum(lo + 1, ny - 1)
        a = stored[:, lo, s].astype(_F)
        b = stored[:, hi, s].astype(_F)
        mix = a * lo_w + b * hi_w
        val = np.sign(mix) * np.floor(np.abs(mix) + _F(0.5))  # C round(): halves away from zero
        if padding is not None:
            val = np.where((a == fill) | (b == fill), b if hi_w >= 0.5 else a, val)
        out[:, ok, s] = val.astype(stored.dtype)
    aff = vol.affine.copy()
    if tan_px < 0:  # padding added before the first row: the origin moves back by as many rows
        aff[:3, 3] -= pad * aff[:3, 1]
    from ..volume import Volume

    return Volume(out, aff, meta, slope=vol.slope, inter=vol.inter)
