"""dcm2niix's ``-x y``: a copy of a 3-D acquisition without the slices below the head (its ``nii_saveCrop``).

For a one-volume, non-EPI 3-D acquisition (the stacks it turns to the closest
RAS+ axes) of at least 128 slices of 16-bit integers, dcm2niix sums each
slice's stored values, smooths the sums with a [1/4, 1/2, 1/4] kernel
(the end slices kept) and divides them by the largest unsmoothed sum. The top
slice kept (``dorsal``) is the highest one whose lower neighbour is brighter
than 9%; the lowest (``ventral``) lies 169 mm below it (rounded to slices,
never below slice 0). It writes slices ``ventral`` to ``dorsal`` as
``<name>_Crop_1`` (through its one-volume-a-file writer), the origin moved up
to the first slice kept, and says ``Cropping from slice V to D (of N)``.

dcm2niix tries this for every one-volume 3-D non-EPI stack of several
slices; where it cannot crop (fewer than 128 slices, not 16-bit, all dark) it
counts the series as failed (``Converted N of M files``, exit 8) and removes
its sidecar, though it keeps the image: ``NotCropped``.
"""
from __future__ import annotations

import math

import numpy as np

from ..dicom.geometry import is_3d_not_epi
from ..dicom.header import as_header

SUFFIX = "_Crop_1"
#: what dcm2niix prints, without a line end, when the volume is not 16-bit
NOT_16_BIT = "Only able to crop 16-bit volumes."
_BRIGHT = 0.09  # a slice brighter than 9% of the brightest is head
_MAX_HEIGHT_MM = 169.0
_MIN_SLICES = 128


class NotCropped(Exception):
    """dcm2niix tried ``-x y`` on this stack and could not crop it; the message is what it printed ("" for nothing)."""


def crop_range(vol):
    """``(ventral, dorsal)``: the first and last slice dcm2niix's ``-x y`` keeps; None when it does not try.

    Raises ``NotCropped`` when dcm2niix tries and fails (see the module).

    Examples
    --------
    >>> from medfast.volume import Volume
    >>> head = np.zeros((2, 2, 200), np.int16); head[..., 150:190] = 100
    >>> v = Volume(head, np.eye(4), {"header": {"MRAcquisitionType": "3D"}})
    >>> crop_range(v)
    (22, 191)
    """
    header = as_header(vol.meta.get("header") or {})
    stored = vol.stored
    if stored.ndim != 3 or stored.shape[2] < 2 or not is_3d_not_epi(header):
        return None
    spacing = float(np.float32(np.linalg.norm(vol.affine[:3, 2])))  # dcm2niix's pixdim[3], a float
    if stored.shape[2] < _MIN_SLICES or abs(spacing) < 0.001:
        raise NotCropped("")
    if stored.dtype not in (np.int16, np.uint16):
        raise NotCropped(NOT_16_BIT)
    sums = stored.sum(axis=(0, 1), dtype=np.float64)
    brightest = sums.max()
    if brightest <= 0:
        raise NotCropped("")
    smooth = sums.copy()
    smooth[1:-1] = sums[:-2] * 0.25 + sums[1:-1] * 0.5 + sums[2:] * 0.25
    smooth /= brightest
    dorsal = len(smooth) - 1
    while dorsal >= 1 and not smooth[dorsal - 1] > _BRIGHT:
        dorsal -= 1
    if dorsal <= 1:
        raise NotCropped("")
    ventral = max(0, dorsal - math.floor(_MAX_HEIGHT_MM / spacing + 0.5))  # C's round, for a positive number
    return ventral, dorsal


def cropped(vol, ventral, dorsal):
    """Slices ``ventral``..``dorsal`` of ``vol``, the origin moved to the first of them.

    Examples
    --------
    >>> from medfast.volume import Volume
    >>> c = cropped(Volume(np.zeros((2, 2, 10), np.int16), np.diag([1.0, 1.0, 2.0, 1.0])), 3, 7)
    >>> c.shape, float(c.affine[2, 3])
    ((2, 2, 5), 6.0)
    """
    affine = np.array(vol.affine, dtype=np.float64)
    affine[:3, 3] += affine[:3, 2] * ventral
    return vol.replace(stored=vol.stored[:, :, ventral:dorsal + 1], affine=affine)


def cropping_line(ventral, dorsal, slices):
    """dcm2niix's line as it writes the cropped copy.

    Examples
    --------
    >>> cropping_line(39, 124, 128)
    ' Cropping from slice 39 to 124 (of 128)'
    """
    return f" Cropping from slice {ventral} to {dorsal} (of {slices})"
