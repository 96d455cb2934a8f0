"""Analyze 7.5 ``.hdr/.img`` pairs (with SPM's origin and scale-factor fields), through nibabel's header.

Written as nibabel's ``Spm2AnalyzeImage``: the Analyze 7.5 layout, with the
origin in ``originator`` (whole voxels, int16) and the slope in ``funused1``,
which is what nibabel reads a plain Analyze header as; no SPM ``.mat`` file.
Analyze holds no rotation: an oblique affine keeps only its zooms, x flip and
origin, as in nibabel.
"""
from __future__ import annotations

import os

import numpy as np

from .. import _io
from . import nifti

NAME = "analyze"
EXTENSIONS = (".hdr", ".img", ".hdr.gz", ".img.gz")
WRITES = ()  # .hdr/.img names are NIfTI pairs: Analyze is written on request (format="analyze")


def sniff(head, path=None):
    """True for a 348-byte Analyze header (either byte order, 1 to 7 dimensions) that is not NIfTI."""
    if len(head) < 348 or nifti.sniff(head) or head[128:132] == b"DICM":
        return False
    for order in "<>":
        size = int(np.frombuffer(head[:4], order + "i4")[0])
        ndim = int(np.frombuffer(head[40:42], order + "i2")[0])
        if size == 348 and 1 <= ndim <= 7:
            return True
    return False


def _volume(path, pixels):
    import nibabel as nib

    from ..volume import Volume

    path = os.fspath(path)
    _, data_path = _io.pair_names(path, must_exist=True)
    with _io.parsing(path, "Analyze header"):
        img = nib.load(path)
        proxy = img.dataobj
        shape, dtype, offset = proxy.shape, proxy.dtype, proxy.offset
    if pixels:
        stored = _io.read_array(data_path, offset, shape, dtype, order=proxy.order, what="Analyze data")
    else:
        stored = _io.placeholder(shape, dtype)
    meta = {"format": type(img).__name__, "header": img.header}
    return Volume(stored, img.affine, meta, slope=float(proxy.slope), inter=float(proxy.inter))


def read(path, head=None):
    """Read an Analyze 7.5 pair into a ``Volume`` (values and affine as ``nibabel.load``).

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.hdr")
    >>> nib.save(nib.AnalyzeImage(np.arange(8, dtype=np.int16).reshape(2, 2, 2), np.eye(4)), p)
    >>> read(p).array[1, 1, 1]
    np.int16(7)
    """
    return _volume(path, pixels=True)


def read_header(path, head=None):
    """:func:`read` without the voxels (``stored`` is a zero-stride placeholder).

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.hdr")
    >>> nib.save(nib.AnalyzeImage(np.zeros((3, 4, 5), np.int16), np.eye(4)), p)
    >>> read_header(p).shape
    (3, 4, 5)
    """
    return _volume(path, pixels=False)


def write(vol, path):
    """Write a ``Volume`` as an Analyze 7.5 pair; a slope without intercept is kept, else values are written.

    Examples
    --------
    >>> import numpy as np, tempfile, os, nibabel as nib
    >>> from medfast.volume import Volume
    >>> p = os.path.join(tempfile.mkdtemp(), "a.img")
    >>> write(Volume(np.ones((2, 3, 4), np.uint8), np.diag([2, 2, 2, 1])), p)
    >>> nib.load(p).shape
    (2, 3, 4)
    """
    import nibabel as nib

    from ._nibabel_save import save_image

    keep = vol.inter == 0
    data = vol.stored if keep else vol.array
    affine = vol.affine.copy()
    if affine[0, 0] > 0:  # Analyze's i axis runs right to left: mirror the voxels, not the anatomy
        data = data[::-1]
        affine[:3, 3] += affine[:3, 0] * (data.shape[0] - 1)
        affine[:3, 0] *= -1
    img = nib.Spm2AnalyzeImage(data, affine)
    img.set_data_dtype(data.dtype)
    # SPM's origin field: the 1-based voxel at world (0, 0, 0), in the header (no SPM .mat file)
    origin = np.linalg.solve(affine, [0.0, 0.0, 0.0, 1.0])[:3] + 1
    img.header["origin"][:3] = np.clip(np.round(origin), -32768, 32767)
    img.header.set_slope_inter(vol.slope if keep else 1.0)
    save_image(img, path)
