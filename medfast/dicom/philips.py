"""Philips private values: the precise floating-point scaling of stored values, derived diffusion frames.

Philips stores a private scale slope (2005,100E) beside the display
RescaleSlope/Intercept. dcm2niix's default (``-p y``) converts to the
"floating point" values: FP = (stored * RS + RI) / (RS * SS).
"""
from __future__ import annotations

import numpy as np

from . import values

SCALE_SLOPE = (0x2005, 0x100E)
#: The b-value dcm2niix gives an enhanced file's isotropic (trace) frame, whatever the header says.
ISOTROPIC_B = 2000.0


def is_isotropic_frame(header, diffusion_item):
    """True for a Philips frame whose MR Diffusion item says DiffusionDirectionality ISOTROPIC (a trace image).

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> is_isotropic_frame(ValuesHeader({"Manufacturer": "Philips"}), ValuesHeader({"DiffusionDirectionality": "ISOTROPIC"}))
    True
    """
    if values.vendor_key(header.get("Manufacturer")) != "PH":
        return False
    return values.text(diffusion_item.get("DiffusionDirectionality")).strip().upper() == "ISOTROPIC"


def precise_scale(slope, inter, scale):
    """``(slope, intercept)`` of Philips' floating-point values, in float32 as dcm2niix's PhilipsPrecise.

    The intercept is FP(0), the slope FP(1) - FP(0), so scl_slope/scl_inter
    match dcm2niix's bits. Without a usable private scale the display scaling
    is returned unchanged.

    Examples
    --------
    >>> precise_scale(2.0, 0.0, 4.0)
    (0.25, 0.0)
    >>> precise_scale(2.0, 1.0, None)
    (2.0, 1.0)
    """
    scale = values.number(scale)
    if not scale or not np.isfinite(scale):
        return slope, inter
    rs, ri = np.float32(slope), np.float32(inter)
    den = np.float32(rs * np.float32(scale))
    if den == 0:
        return slope, inter
    l0, l1 = np.float32(ri / den), np.float32(np.float32(rs + ri) / den)
    if l0 == l1:
        return slope, inter
    return float(np.float32(l1 - l0)), float(l0)


def series_scaling(first, slope, inter, precise=True):
    """``(slope, intercept)`` of a classic Philips series as dcm2niix's PhilipsPrecise sets them.

    ``first`` is the first image's header, ``(slope, inter)`` the series'
    scaling so far: its first image's display scaling, or 1 and 0 when the
    scaling varies and the voxels are already float32 displayed values. With
    ``precise`` (``-p y``) the first image's floating-point scaling replaces
    it in both cases, as dcm2niix does; ``-p n`` keeps it.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> first = ValuesHeader({"RescaleSlope": 2.0, "RescaleIntercept": 0.0, 0x2005100E: 4.0})
    >>> series_scaling(first, 2.0, 0.0), series_scaling(first, 1.0, 0.0), series_scaling(first, 2.0, 0.0, False)
    ((0.25, 0.0), (0.25, 0.0), (2.0, 0.0))
    """
    if not precise:
        return slope, inter
    display = values.number(first.get("RescaleSlope"), 1.0) or 1.0, values.number(first.get("RescaleIntercept"), 0.0)
    precise_values = precise_scale(*display, first.get(SCALE_SLOPE))
    return (slope, inter) if precise_values == display else precise_values


def asl_label(header):
    """True for a Philips ASL image: (2005,1429) labels it LABEL or CONTROL (dcm2niix's aslFlags).

    dcm2niix keeps ASL label and control images together whatever their
    trigger times, which otherwise split a Philips series.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> asl_label(ValuesHeader({0x20051429: "LABEL"})), asl_label(ValuesHeader({}))
    (True, False)
    """
    return values.text(header.get((0x2005, 0x1429))).strip()[:1].upper() in ("L", "C")
