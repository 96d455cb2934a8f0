"""MINC1 (netCDF classic): read through nibabel, values and affine as ``nibabel.load``."""
from __future__ import annotations

import os

import numpy as np


from .. import _io

NAME = "minc1"
EXTENSIONS = (".mnc",)


def sniff(head, path=None):
    """True for a netCDF classic or 64-bit-offset file (``CDF\\x01``/``CDF\\x02``)."""
    return head[:4] in (b"CDF\x01", b"CDF\x02")


def read(path):
    """Read a MINC1 file into a ``Volume`` (float64 real values from the per-slice normalisation).

    Examples
    --------
    >>> import nibabel, os
    >>> mnc = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "tiny.mnc")
    >>> read(mnc).shape
    (10, 20, 20)
    """
    import nibabel as nib

    from ..volume import Volume

    from nibabel.fileholders import FileHolder

    with _io.parsing(path, "MINC1 file"), _io.BoundedFile(path) as f:
        # nibabel's netCDF reader reads each length the file claims in one read(n): bound n by the file
        img = nib.Minc1Image.from_file_map({"image": FileHolder(os.fspath(path), fileobj=f)}, mmap=False)
        values = np.asarray(img.dataobj, dtype=np.float64)
    return Volume(values, img.affine, {"format": "MINC1"})
