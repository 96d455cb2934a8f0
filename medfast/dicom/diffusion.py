"""The diffusion gradient of one frame as the scanner reports it, vendor by vendor.

Sources, as dcm2niix reads them: the standard MR diffusion attributes (classic,
or the enhanced per-frame MR Diffusion Sequence), GE's (0043,1039) and
(0019,10BB-BD), the Siemens CSA image header (``B_value``,
``DiffusionGradientDirection``), Philips' (2001,1003) and (2005,10B0-B2). The
output rules (image frame, ``.bval``/``.bvec``) are ``medfast.dcm2niix.gradients``.
"""
from __future__ import annotations

from . import philips, siemens, uih
from .values import floats, number, text, vendor_key


def _first(value, default=0.0):
    found = floats(value)
    return found[0] if found else default


def frame_gradient(header, frame=None):
    """(b, [x, y, z]) of one frame as dcm2niix reads it, or None when it reports none.

    A DiffusionDirectionality (0018,9075) other than DIRECTIONAL or BMATRIX
    (NONE, ISOTROPIC) means no vector, whatever vector the file also holds.

    Examples
    --------
    >>> import pydicom
    >>> from medfast.dicom.header import DatasetHeader
    >>> ds = pydicom.Dataset()
    >>> ds.DiffusionBValue, ds.DiffusionGradientOrientation = 1000.0, [0.0, 1.0, 0.0]
    >>> frame_gradient(DatasetHeader(ds))
    (1000.0, [0.0, 1.0, 0.0])
    """
    got = _scanner_gradient(header, frame)
    if got is not None and _non_directional(header, frame):
        return got[0], [0.0, 0.0, 0.0]
    return got


def _non_directional(header, frame):
    per_frame = header.frames() if frame is not None else []
    items = per_frame[frame].items("MRDiffusionSequence") if per_frame and 0 <= frame < len(per_frame) else []
    value = items[0].get("DiffusionDirectionality") if items else header.get("DiffusionDirectionality")
    word = text(value).strip().upper()
    return bool(word) and not word.startswith(("DIRECTIONAL", "BMATRIX"))


def _scanner_gradient(header, frame=None):
    """(b, [x, y, z]) of one frame as the scanner reports it, or None when it reports none."""
    per_frame = header.frames() if frame is not None else []
    if per_frame and 0 <= frame < len(per_frame):
        seq = per_frame[frame].items("MRDiffusionSequence")
        if seq:
            d = seq[0]
            if philips.is_isotropic_frame(header, d):
                return philips.ISOTROPIC_B, [0.0, 0.0, 0.0]
            b = number(d.get("DiffusionBValue"), 0.0) or 0.0
            vec = [0.0, 0.0, 0.0]
            directions = d.items("DiffusionGradientDirectionSequence")
            if directions and "DiffusionGradientOrientation" in directions[0]:
                vec = floats(directions[0].get("DiffusionGradientOrientation"))
            return b, vec
    vendor = vendor_key(header.get("Manufacturer"))
    if vendor == "GE":
        bvals = floats(header.get((0x0043, 0x1039)))
        if bvals:  # each private component replaces that of (0018,9089), which comes first in the file
            b = bvals[0] % 1e9 if bvals[0] >= 1e9 else bvals[0]
            public = floats(header.get("DiffusionGradientOrientation")) or [0.0, 0.0, 0.0]
            return b, [_first(header.get((0x0019, t)), public[i] if i < len(public) else 0.0)
                       for i, t in enumerate((0x10BB, 0x10BC, 0x10BD))]
    if vendor == "UI":
        return uih.frame_gradient(header)
    if "DiffusionBValue" in header:
        b = number(header.get("DiffusionBValue"), 0.0) or 0.0
        return b, floats(header.get("DiffusionGradientOrientation")) or [0.0, 0.0, 0.0]
    if vendor == "SI":
        items = siemens.csa_items(header, "B_value")
        if items:
            vec_items = siemens.csa_items(header, "DiffusionGradientDirection")
            vec = [float(v) for v in vec_items[:3]] if len(vec_items) >= 3 else [0.0, 0.0, 0.0]
            return max(float(items[0]), 0.0), vec
    if vendor == "PH":
        b = floats(header.get((0x2001, 0x1003)))
        if b:
            return b[0], [_first(header.get((0x2005, t))) for t in (0x10B0, 0x10B1, 0x10B2)]
    return None
