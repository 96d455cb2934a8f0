"""dcm2niix's ``-l``: what becomes of 16-bit integer voxels before they are written.

``-l y`` multiplies the stored values by the largest integer that keeps them
within 32000 (signed) or 64000 (unsigned), divides ``scl_slope`` by it and
appends `` is<factor>`` to ``descrip``: the scaled values are unchanged, their
precision is not lost in later processing. ``-l n`` writes unsigned values as
signed when none is above 32767. ``-l o`` (the default) keeps them as they are.
Other datatypes (float32 from a varying scaling, 8-bit, RGB) are never changed.
"""
from __future__ import annotations

import numpy as np

#: the largest value ``-l y`` scales to (dcm2niix leaves room for interpolation ringing)
SIGNED_TOP, UNSIGNED_TOP = 32000, 64000
UNSIGNED_AS_SIGNED = "UINT16->INT16 Future release will change default. github.com/rordenlab/dcm2niix/issues/338"


def sixteen_bit(vol, mode, verbose=0):
    """``(volume as written, lines dcm2niix prints)`` for ``-l`` ``mode`` (``"y"``, ``"n"`` or ``"o"``).

    Examples
    --------
    >>> from medfast.volume import Volume
    >>> vol = Volume(np.array([[[0, 100]]], np.int16), np.eye(4), slope=2.0)
    >>> scaled, lines = sixteen_bit(vol, "y")
    >>> scaled.stored.ravel().tolist(), scaled.slope, scaled.meta["integer_scale"], lines
    ([0, 32000], 0.00625, 320, ['Maximizing 16-bit range: raw 0..100 is320'])
    >>> sixteen_bit(Volume(np.array([[[7]]], np.uint16), np.eye(4)), "n")[0].stored.dtype
    dtype('int16')
    """
    stored = vol.stored
    if stored.dtype.kind not in "iu" or stored.dtype.itemsize != 2 or not stored.size or mode == "o":
        return vol, []
    low, high = int(stored.min()), int(stored.max())
    if mode == "n":
        if stored.dtype.kind == "i":
            return vol, []
        if high > 32767:
            return vol, ["Note: 16-bit UNSIGNED integer image. Some tools will convert to 32-bit."] if verbose else []
        return vol.replace(stored=stored.view(np.int16)), [UNSIGNED_AS_SIGNED]
    if stored.dtype.kind == "i":
        scale = _quotient(SIGNED_TOP, abs(low)) if abs(low) > high or high == 0 else _quotient(SIGNED_TOP, high)
        said, quiet = f"raw {low}..{high}", f"Sufficient 16-bit range: raw {low}..{high}"
    else:
        scale = _quotient(UNSIGNED_TOP, high)
        said, quiet = f"raw max {high}", f"Sufficient unsigned 16-bit range: raw max {high}"
    if scale < 2:  # already uses the range (or all zero, where dcm2niix divides by zero)
        return vol, [quiet] if verbose else []
    slope = float(np.float32(vol.slope) / np.float32(scale))
    scaled = np.multiply(stored, scale, dtype=stored.dtype)
    meta = dict(vol.meta, integer_scale=scale)
    return vol.replace(stored=scaled, slope=slope, meta=meta), [f"Maximizing 16-bit range: {said} is{scale}"]


def _quotient(top, value):
    """C's integer division ``top / value`` (0 where dcm2niix would divide by zero)."""
    return top // value if value > 0 else 0
