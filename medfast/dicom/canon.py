"""Canon (formerly Toshiba) MR values as dcm2niix reads them.

Classic Canon/Toshiba diffusion images that lack DiffusionGradientOrientation
(0018,9089) carry their gradient in ImageComments (0020,4000) as
``b=1000(x,y,z)``, in the image frame (dcm2niix issue 388). dcm2niix then
takes the vector as (y, x, z), treats the image as Canon (a Toshiba image so
read no longer stacks with Toshiba images that have no such comment) and
reorients it as GE vectors (``gradients._ge``).
"""
from __future__ import annotations

import re

from .values import number, text, vendor_key


def comment_gradient(header):
    """``(b, [x, y, z])`` from a Canon/Toshiba ImageComments "b=<b>(x,y,z)", or None.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> comment_gradient(ValuesHeader({"Manufacturer": "TOSHIBA_MEC", "DiffusionBValue": 1000,
    ...                                "ImageComments": "b=1000(0.6,0.8,0)"}))
    (1000.0, [0.8, 0.6, 0.0])
    """
    if vendor_key(header.get("Manufacturer")) not in ("TO", "CA") or header.get("DiffusionGradientOrientation"):
        return None
    b = number(header.get("DiffusionBValue"), 0.0)
    if not b > 0:
        return None
    comment, prefix = text(header.get("ImageComments")), f"b={int(b + 0.5)}("
    if prefix not in comment:
        return None
    rest = re.sub(r"[^0-9.\-]", " ", comment[len(prefix):])  # the text after the prefix's length, as dcm2niix
    found = [number(v, 0.0) for v in rest.split()[:3]]
    found += [0.0] * (3 - len(found))
    return b, [found[1], found[0], found[2]]
