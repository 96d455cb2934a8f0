"""The extra volumes dcm2niix writes beside a stack: ``_Eq`` (even spacing), ``_Tilt`` (gantry tilt undone), both.

All work on the stored values, in float32 arithmetic as dcm2niix, from the
slice positions and orientation the reader recorded (``meta["positions"]``,
``meta["orientation"]``): no source file is read again. ``extra_volumes``
decides which files dcm2niix writes (its saveDcm2NiiCore): a tilted stack
gets ``_Tilt_1``; an unevenly spaced one ``_Eq_1``; a tilted and unevenly
spaced one a single ``_Tilt_Eq_1``, the tilt undone first, then the slices
evened out.
"""
from __future__ import annotations

import math

import numpy as np

from ..dicom.geometry import gantry_tilt_degrees
from ..dicom.values import number, text
from ..volume import Volume

_F = np.float32
_UNEVEN_MM = 0.2  # dcm2niix's kSliceTolerance: steps differing by more than this are uneven
_EQ_DTYPES = (np.dtype(np.uint8), np.dtype(np.int16), np.dtype(np.float32))


def _c_round(x):
    """C's round(): halves away from zero, on float32 values."""
    return np.sign(x) * np.floor(np.abs(x) + _F(0.5))


def slice_distances(vol, tilt_degrees=0.0):
    """Distance (mm, float32) of each slice from the first, as dcm2niix's intersliceDistance.

    With a gantry tilt the distance along the table is scaled by cos(tilt):
    dcm2niix measures between slices, not along the bed.
    """
    pos = np.asarray(vol.meta["positions"], dtype=_F)
    diff = (pos - pos[0]).astype(_F)
    length = np.sqrt((diff * diff).sum(axis=1, dtype=_F)).astype(_F)
    if tilt_degrees:
        length = (_F(math.cos(float(_F(tilt_degrees)) * math.pi / 180)) * length).astype(_F)
    return length


def _uneven(distances):
    """dcm2niix's dxVaries: a step differs from the first by more than 0.2 mm."""
    steps = np.diff(distances.astype(np.float64))
    return len(steps) > 1 and bool(np.any(np.abs(steps - steps[0]) > _UNEVEN_MM))


def equalization_plan(distances):
    """dcm2niix's even spacing of slices at ``distances`` (mm from the first, float32): ``(step, rows)``,
    each row ``(mm, low slice, high slice, low weight, high weight)`` of one output slice; None when
    dcm2niix does not equalize (the order not ascending, fewer than 3 slices out).

    The step is the smallest positive one, enlarged so the stack ends on its
    last slice (``ceil(span / step) + 1`` slices, at most twice the input).

    Examples
    --------
    >>> step, rows = equalization_plan(np.array([0, 1, 2, 4], np.float32))
    >>> float(step), [(lo, hi) for _, lo, hi, _, _ in rows]
    (1.0, [(0, 0), (0, 1), (1, 2), (2, 3), (3, 3)])
    """
    dist = np.asarray(distances, dtype=_F)
    n_in = dist.size
    if n_in < 3:
        return None
    step = _F(dist[1] - dist[0])
    for i in range(1, n_in):
        dx = _F(dist[i] - dist[i - 1])
        if dx < step and abs(float(dx)) > np.finfo(_F).eps:  # the slice order may reverse
            step = dx
    if step <= 0:
        return None
    n_out = min(int(math.ceil(float(_F(dist[-1] / step)))) + 1, 2 * n_in)
    if n_out < 3:
        return None
    step = _F(dist[-1] / _F(n_out - 1))
    rows = []
    for s in range(n_out):
        mm = _F(_F(s) * step)
        lo = 0
        while lo < n_in - 2 and dist[lo + 1] < mm:
            lo += 1
        hi = lo + 1
        if mm <= dist[0]:
            lo = hi = 0
        elif mm >= dist[-1]:
            lo = hi = n_in - 1
        lo_w, hi_w = _F(1), _F(0)
        if lo != hi:
            frac = _F(_F(mm - dist[lo]) / _F(dist[hi] - dist[lo]))
            lo_w, hi_w = _F(_F(1) - frac), frac
        rows.append((mm, lo, hi, lo_w, hi_w))
    return step, rows


def equalize_slices(vol, distances=None):
    """dcm2niix's ``_Eq`` volume (nii_saveNII3Deq): an unevenly spaced 3-D stack resampled to even steps.

    Each output slice of ``equalization_plan`` is the linear mix of its two
    neighbours, rounded for integers. 8-bit, 16-bit signed, RGB and float32
    stacks only.

    Parameters
    ----------
    vol : Volume
        The stack (possibly already tilt-corrected); ``distances`` defaults to its slice distances.
    distances : array of float32, optional
        Each slice's distance from the first (mm).

    Returns
    -------
    Volume or None
        None when the stack is not one dcm2niix equalizes.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> stack = np.array([0, 10, 20, 40], np.int16).reshape(1, 1, 4)
    >>> v = Volume(stack, np.eye(4), {"positions": [[0, 0, z] for z in (0, 1, 2, 4)]})
    >>> equalize_slices(v).stored.ravel().tolist()
    [0, 10, 20, 30, 40]
    """
    stored = vol.stored
    rgb = stored.dtype.names is not None and stored.dtype.itemsize == 3
    if stored.ndim != 3 or stored.shape[2] < 3 or not (rgb or stored.dtype in _EQ_DTYPES):
        return None
    dist = slice_distances(vol) if distances is None else np.asarray(distances, dtype=_F)
    plan = equalization_plan(dist)
    if plan is None:
        return None
    step, rows = plan
    data = stored.view(np.uint8).reshape(stored.shape[:2] + (dist.size, 3)) if rgb else stored
    out = np.empty(data.shape[:2] + (len(rows),) + data.shape[3:], data.dtype)
    for s, (_, lo, hi, lo_w, hi_w) in enumerate(rows):
        mix = data[:, :, lo].astype(_F) * lo_w + data[:, :, hi].astype(_F) * hi_w
        out[:, :, s] = mix if data.dtype == np.float32 else _c_round(mix)
    if rgb:
        out = np.ascontiguousarray(out).view(stored.dtype).reshape(out.shape[:3])
    affine = vol.affine.copy()
    affine[:3, 2] *= float(step) / float(np.linalg.norm(affine[:3, 2]))
    return Volume(out, affine, vol.meta, slope=vol.slope, inter=vol.inter)


def series_tilt(vol):
    """The tilt dcm2niix measures for a stack (degrees): for CT, X-ray, or a header naming a tilt; 0 otherwise."""
    meta = vol.meta
    header = meta.get("header")
    positions = meta.get("positions") or []
    if header is None or len(positions) < 2 or not meta.get("gantry_tilt"):
        return 0.0
    x_ray = header.find("Exposure") is not None and not number(header.find("EchoTime"), 0.0)
    if text(header.find("Modality")) != "CT" and not x_ray and not number(header.find("GantryDetectorTilt"), 0.0) > 0:
        return 0.0
    return gantry_tilt_degrees(positions[0], positions[-1], meta["orientation"])


def tilt_corrected(vol, distances=None, degrees=None):
    """dcm2niix's ``_Tilt`` volume: a stack acquired with gantry tilt, its rows shifted slice by slice to undo the shear.

    Each slice moves along the NIfTI rows by tan(tilt) / row spacing pixels a
    mm along the normal (the slice distances when given, else k times the
    slice spacing), linearly interpolated and rounded as dcm2niix does
    (nearest neighbour next to PixelPaddingValue); the rows grow by the
    largest shift, filled with the padding value or the image minimum, and a
    negative shift moves the origin back by as many rows. Float32 arithmetic
    throughout, so voxels match dcm2niix bit for bit.

    Parameters
    ----------
    vol : Volume
        A series read by ``read_dicom``; ``meta["gantry_tilt"]`` flags the shear.
    distances : array of float32, optional
        Slice distances from the first (uneven spacing), as ``slice_distances``.
    degrees : float, optional
        The tilt; measured from the slice positions when not given.

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
    meta, stored = vol.meta, vol.stored
    if not meta.get("gantry_tilt") or stored.ndim != 3 or stored.shape[2] < 3 or stored.dtype not in (np.int16, np.float32):
        return None
    nz = stored.shape[2]
    deg = series_tilt(vol) if degrees is None else degrees
    if deg == 0.0:
        return None
    dy = _F(np.linalg.norm(vol.affine[:3, 1]))
    dz = _F(np.linalg.norm(vol.affine[:3, 2]))
    tan_px = _F(math.tan(deg / (180.0 / math.pi)) / float(dy))
    mm_of = (lambda s: _F(distances[s])) if distances is not None else (lambda s: _F(s * dz))
    top = _F(abs(mm_of(nz - 1)))
    pad = int(math.ceil(abs(float(_F(tan_px * top)))))
    nx, ny = stored.shape[:2]
    ds0 = meta.get("header")
    padding = ds0.find("PixelPaddingValue") if ds0 is not None else None
    fill = stored.dtype.type(padding) if padding is not None else stored.min()
    out = np.full((nx, ny + pad, nz), fill, stored.dtype)
    rows = np.arange(ny + pad, dtype=_F)
    for s in range(nz):
        mm = mm_of(s)
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
        val = mix if stored.dtype == np.float32 else _c_round(mix)
        if padding is not None:
            val = np.where((a == fill) | (b == fill), b if hi_w >= 0.5 else a, val)
        out[:, ok, s] = val.astype(stored.dtype)
    aff = vol.affine.copy()
    if tan_px < 0:  # padding added before the first row: the origin moves back by as many rows, along
        aff[:3, 3] -= pad * aff[1, :3]  # the sform's second row, as dcm2niix's adjustOriginForNegativeTilt (not column)
    return Volume(out, aff, meta, slope=vol.slope, inter=vol.inter)


def extra_volumes(vol):
    """The extra files dcm2niix writes for ``vol``: ``[(suffix, Volume)]`` with suffixes _Tilt_1, _Eq_1 or _Tilt_Eq_1.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> extra_volumes(Volume(np.zeros((2, 2, 3), np.int16), np.eye(4), {"positions": [[0, 0, z] for z in (0, 1, 2)]}))
    []
    """
    meta, stored = vol.meta, vol.stored
    positions = meta.get("positions") or []
    if stored.ndim != 3 or len(positions) != stored.shape[2] or len(positions) < 3:
        return []
    degrees = series_tilt(vol)
    distances = slice_distances(vol, degrees)
    uneven = _uneven(distances) and not _resampled(meta)
    out = []
    base = vol
    if degrees:
        tilted = tilt_corrected(vol, distances if uneven else None, degrees)
        if not uneven and tilted is not None:
            return [("_Tilt_1", tilted)]
        base = tilted if tilted is not None else vol
    if uneven:
        eq = equalize_slices(base, distances)
        if eq is not None:
            out.append(("_Tilt_Eq_1" if degrees else "_Eq_1", eq))
    return out


def _resampled(meta):
    """dcm2niix skips _Eq when DerivationDescription (0008,2111) is MEDCOM_RESAMPLED (its isResampled)."""
    header = meta.get("header")
    return header is not None and text(header.find("DerivationDescription")).strip().upper() == "MEDCOM_RESAMPLED"
