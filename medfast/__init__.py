"""medfast: read and convert medical images fast, with the voxels and geometry of the usual tools.

``src/`` holds the Cython kernels; this package is the Python API. Heavy
modules (pydicom, nibabel, h5py) are imported on first use, so that the command
line starts quickly.
"""
from __future__ import annotations

import importlib

from .errors import (
    ConversionError,
    InvalidArgumentError,
    InvalidDtypeError,
    InvalidFileError,
    MedfastError,
    UnsupportedError,
)
__version__ = "0.1.0"

# public name -> module that defines it, imported when first asked for
_LAZY = {
    "Volume": "medfast.volume",
    "read_dicom": "medfast.dicom",
    "pixel_array": "medfast.dicom",
    "read": "medfast.formats",
    "read_header": "medfast.formats",
    "write": "medfast.formats",
    "load": "medfast.nibabel_compat",
    "accelerate": "medfast.nibabel_compat",
    "convert": "medfast.convert",
}

__all__ = [
    "ConversionError",
    "InvalidArgumentError",
    "InvalidDtypeError",
    "InvalidFileError",
    "MedfastError",
    "UnsupportedError",
    "Volume",
    "__version__",
    *_LAZY,
]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'medfast' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
