"""Philips PAR/REC: the PAR header by nibabel, the REC data moved and scaled by medfast.

Slices are gathered into nibabel's volume order (``get_sorted_slice_indices``)
as stored integers, then scaled per slice by the rescale kernel in one pass
(frames along axis 0 of the C-order view). Uniform scaling keeps the stored
integers with a scalar slope and intercept.
"""
from __future__ import annotations

import os

import numpy as np

from . import _io

NAME = "parrec"
EXTENSIONS = (".par", ".rec")
_MAGIC = b"# === DATA DESCRIPTION FILE"


def sniff(head, path=None):
    """True for a PAR header: its first line is ``# === DATA DESCRIPTION FILE ...``."""
    return head.lstrip(b"\r\n").startswith(_MAGIC)


def read(path, scaling="dv"):
    """Read a PAR/REC pair into a ``Volume`` with nibabel's shape, volume order, scaling and affine.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.PAR`` (or ``.REC``) file.
    scaling : {"dv", "fp"}
        nibabel's scaling: displayed values (default, as ``nibabel.load``) or floating point.

    Examples
    --------
    >>> import nibabel, os
    >>> par = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "phantom_EPI_asc_CLEAR_2_1.PAR")
    >>> read(par).shape
    (64, 64, 9, 3)
    """
    import nibabel as nib

    from ..kernels import rescale
    from ..volume import Volume

    with _io.parsing(path, "PAR header"):
        img = nib.parrec.load(os.fspath(path), scaling=scaling)
        hdr = img.header
        rec = img.file_map["image"].filename
        x, y, n = (int(v) for v in hdr.get_rec_shape())
        order = np.asarray(hdr.get_sorted_slice_indices())
        slopes, inters = (np.asarray(v, np.float64).reshape(-1, order="F") for v in hdr.get_data_scaling(scaling))
        dtype = hdr.get_data_dtype()
    raw = _io.read_array(rec, 0, (n, y, x), dtype, order="C", what="REC data")
    stored = raw if np.array_equal(order, np.arange(n)) else np.take(raw, order, axis=0)
    shape = img.shape
    meta = {"format": "PARREC", "header": hdr}
    if np.all(slopes == slopes[0]) and np.all(inters == inters[0]):
        return Volume(stored.T.reshape(shape, order="F"), img.affine, meta, slope=slopes[0], inter=inters[0])
    values = rescale(stored, slopes, inters, dtype=np.float64)
    return Volume(values.T.reshape(shape, order="F"), img.affine, meta)
