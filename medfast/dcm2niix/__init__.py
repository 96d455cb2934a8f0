"""dcm2niix's output rules on medfast's reader: names, sidecar, NIfTI header, bval/bvec, ``_Eq``/``_Tilt``, command line.

``medfast.dicom`` reads DICOM; this package decides what dcm2niix v1.0.20260724
would write from what was read, and ``medfast dcm2niix`` (``cli.main``) takes
dcm2niix's command line.
"""
from __future__ import annotations

from .cli import main
from .options import parse

__all__ = ["main", "parse"]
