"""United Imaging (UIH) private tags as dcm2niix reads them (group 0065, creator "Image Private Header").

(0065,1005) phase-encoding direction as displayed, (0065,100D) parallel
imaging ("F:2S": factor 2), (0065,1058) phase-encoding polarity (1 flipped,
0 not), (0065,1009) b-value and (0065,1037) gradient direction of diffusion
images, (0065,1050) the number of images in a grid (UIH's mosaic).
"""
from __future__ import annotations

import re

from .values import floats, integer, text


def is_uih(header):
    """True when Manufacturer starts with "UI" (dcm2niix's vendor test)."""
    return text(header.get("Manufacturer"))[:2].upper() == "UI"


def displayed_phase_direction(header):
    """The phase-encoding direction as the console displays it (0065,1005), e.g. 'A>>P'; '' when absent."""
    return text(header.get((0x0065, 0x1005)))


def accel_in_plane(header):
    """The in-plane parallel imaging factor of (0065,100D): the number after ':' ("F:2S" -> 2.0); 0 when none.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> accel_in_plane(ValuesHeader({(0x0065, 0x100D): "F:2S"})), accel_in_plane(ValuesHeader({}))
    (2.0, 0.0)
    """
    m = re.search(r":([0-9.]+)", text(header.get((0x0065, 0x100D))))
    try:
        return float(m.group(1)) if m else 0.0
    except ValueError:
        return 0.0


def phase_positive(header):
    """dcm2niix's phase-encoding polarity from (0065,1058): 1 (flipped) gives 0, 0 gives 1; None when absent."""
    value = integer(header.get((0x0065, 0x1058)))
    return {1: 0, 0: 1}.get(value)


def echo_train_length(header, etl):
    """UIH's 3-D T1 (gre_fsp sequences) reports an echo train that is not EPI: dcm2niix sets it to 0."""
    return 0 if "gre_fsp" in text(header.get("SequenceName")) else etl


def frame_gradient(header):
    """(b, [x, y, z]) of a UIH diffusion image, or None without a b-value.

    The b-value is (0065,1009), else the public (0018,9087); the vector only (0065,1037): dcm2niix reads
    no (0018,9089) for UIH (issues 836, 993).
    """
    b = floats(header.get((0x0065, 0x1009))) or floats(header.get("DiffusionBValue"))
    if not b:
        return None
    vec = floats(header.get((0x0065, 0x1037)))
    return b[0], (vec[:3] if len(vec) >= 3 else [0.0, 0.0, 0.0])
