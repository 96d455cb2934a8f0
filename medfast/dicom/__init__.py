"""DICOM series: discovery, grouping, sorting, geometry, pixels.

``read_dicom`` is the public entry point; ``pixel_array`` (from ``.pixels``)
is a drop-in for pydicom's ``Dataset.pixel_array``.
"""
from __future__ import annotations

from .reader import read_dicom


def __getattr__(name):
    if name == "pixel_array":
        from .pixels import pixel_array

        return pixel_array
    raise AttributeError(f"module 'medfast.dicom' has no attribute {name!r}")


__all__ = ["read_dicom", "pixel_array"]
