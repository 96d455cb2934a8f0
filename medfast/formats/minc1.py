"""MINC1 (netCDF classic): read through nibabel, values and affine as ``nibabel.load``; time after space.

nibabel leaves a leading ``time`` dimension first (its affine describes the
spatial axes); medfast moves non-spatial dimensions after the spatial ones, as
NIfTI orders them and as the MINC2 reader does, and takes ``time``'s step as
``Volume.time_step``.
"""
from __future__ import annotations

import os

import numpy as np

from .. import _io

NAME = "minc1"
EXTENSIONS = (".mnc",)


def sniff(head, path=None):
    """True for a netCDF classic or 64-bit-offset file (``CDF\\x01``/``CDF\\x02``)."""
    return head[:4] in (b"CDF\x01", b"CDF\x02")


def _volume(path, pixels):
    import nibabel as nib
    from nibabel.fileholders import FileHolder

    from ..volume import Volume

    # nibabel's netCDF reader reads each length the file claims in one read(n): bound n by the file;
    # mmap: the header alone is parsed, the variables' data stay on disk until asked for
    with _io.parsing(path, "MINC1 file"), _io.BoundedFile(path) as f:
        img = nib.Minc1Image.from_file_map({"image": FileHolder(os.fspath(path), fileobj=f)}, mmap=not pixels)
        minc = img.dataobj.minc_file
        names = list(minc._dim_names)
        zooms = minc.get_zooms()
        values = np.asarray(img.dataobj, dtype=np.float64) if pixels else _io.placeholder(img.shape, np.float64)
    spatial = [i for i, n in enumerate(names) if n.endswith("space")]
    others = [i for i in range(len(names)) if i not in spatial]
    if spatial and others and spatial + others != list(range(len(names))):
        values = np.transpose(values, spatial + others)
    time_step = float(zooms[names.index("time")]) if "time" in names else None
    meta = {"format": "MINC1", "dimorder": names}
    return Volume(values, img.affine, meta, time_step=time_step, time_unit="s" if time_step is not None else None)


def read(path, head=None):
    """Read a MINC1 file into a ``Volume`` (float64 real values from the per-slice normalisation).

    Examples
    --------
    >>> import nibabel, os
    >>> mnc = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "tiny.mnc")
    >>> read(mnc).shape
    (10, 20, 20)
    """
    return _volume(path, pixels=True)


def read_header(path, head=None):
    """:func:`read` without the voxels: the netCDF header is parsed, the data stay on disk.

    Examples
    --------
    >>> import nibabel, os
    >>> v = read_header(os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "minc1_4d.mnc"))
    >>> v.shape, v.time_step
    ((10, 20, 20, 2), 1.0)
    """
    return _volume(path, pixels=False)
