"""The extra volumes dcm2niix writes beside a stack: ``_Eq`` (even spacing) and ``_Tilt`` (gantry tilt undone).

Both work on the stored values, in float32 arithmetic as dcm2niix, from the
slice positions and orientation the reader recorded (``meta["positions"]``,
``meta["orientation"]``): no source file is read again.
"""
from __future__ import annotations

import math

import numpy as np

from ..volume import Volume


def _slice_distances(vol):
    """Distance (mm, float32 as dcm2niix) of each slice of the first volume from the first slice."""
    pos = np.asarray(vol.meta["positions"], dtype=np.float64)
    return np.sqrt(((pos - pos[0]) ** 2).sum(axis=1)).astype(np.float32)


def equalize_slices(vol):
    """dcm2niix's ``_Eq`` volume: an unevenly spaced 3-D stack linearly resampled to its smallest step.

    Returns None when the series is evenly spaced or not a 3-D 8/16-bit stack
    (what dcm2niix equalizes).
    """
    stored = vol.stored
    if not vol.meta.get("uneven_spacing") or stored.ndim != 3 or stored.dtype not in (np.uint8, np.int16):
        return None
    dist = _slice_distances(vol)
    steps = np.diff(dist)
    if len(dist) != stored.shape[2] or not (steps > 0).any():
        return None
    step = np.float32(steps[steps > 0].min())
    n = int(round(float(dist[-1] / step))) + 1
    if n > 2 * stored.shape[2]:
        n = 2 * stored.shape[2]
        step = np.float32(dist[-1] / (n - 1))
    if n < 3:
        return None
    out = np.empty(stored.shape[:2] + (n,), stored.dtype)
    for k in range(n):
        x = np.float32(k * step)
        hi = int(min(np.searchsorted(dist, x, side="left"), len(dist) - 1))
        lo = max(hi - 1, 0)
        if dist[hi] == dist[lo] or x > dist[hi]:
            out[..., k] = stored[..., hi]
        else:
            w = np.float32((x - dist[lo]) / (dist[hi] - dist[lo]))
            mix = stored[..., lo].astype(np.float32) * (np.float32(1) - w) + stored[..., hi].astype(np.float32) * w
            out[..., k] = np.round(mix)
    affine = vol.affine.copy()
    affine[:3, 2] *= float(step) / float(np.linalg.norm(affine[:3, 2]))
    return Volume(out, affine, vol.meta, slope=vol.slope, inter=vol.inter)


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
    meta, stored = vol.meta, vol.stored
    if not meta.get("gantry_tilt") or stored.ndim != 3 or stored.shape[2] < 3 or stored.dtype not in (np.int16, np.float32):
        return None
    nz = stored.shape[2]
    positions = meta["positions"]
    deg = gantry_tilt_degrees(positions[0], positions[-1], meta["orientation"])
    if deg == 0.0:
        return None
    dy = _F(np.linalg.norm(vol.affine[:3, 1]))
    dz = _F(np.linalg.norm(vol.affine[:3, 2]))
    tan_px = _F(math.tan(deg / (180.0 / math.pi)) / float(dy))
    top = _F(abs(_F((nz - 1) * dz)))
    pad = int(math.ceil(abs(float(_F(tan_px * top)))))
    nx, ny = stored.shape[:2]
    ds0 = meta.get("header")
    padding = ds0.find("PixelPaddingValue") if ds0 is not None else None
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
    return Volume(out, aff, meta, slope=vol.slope, inter=vol.inter)
