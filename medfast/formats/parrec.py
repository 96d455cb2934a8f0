"""Philips PAR/REC: the PAR header by nibabel, the REC data moved and scaled by medfast.

Slices are gathered into nibabel's volume order (``get_sorted_slice_indices``)
as stored integers, then scaled per slice by the rescale kernel in one pass
(frames along axis 0 of the C-order view). Uniform scaling keeps the stored
integers with a scalar slope and intercept.
"""
from __future__ import annotations

import os

import numpy as np

from .. import _io

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

    from ..volume import Volume

    with _io.parsing(path, "PAR header"):
        img = nib.parrec.load(os.fspath(path), scaling=scaling)
        hdr = img.header
        rec = img.file_map["image"].filename
        order = np.asarray(hdr.get_sorted_slice_indices())
        slopes, inters = (np.asarray(v, np.float64).reshape(-1, order="F") for v in hdr.get_data_scaling(scaling))
    stored = _sorted_slices(rec, hdr.get_rec_shape(), hdr.get_data_dtype(), order)
    meta = {"format": "PARREC", "header": hdr}
    if np.all(slopes == slopes[0]) and np.all(inters == inters[0]):
        return Volume(_volume_order(stored, img.shape), img.affine, meta, slope=slopes[0], inter=inters[0])
    return Volume(_volume_order(_scaled(stored, slopes, inters), img.shape), img.affine, meta)


def _sorted_slices(rec, rec_shape, dtype, order):
    """The REC's slices in nibabel's volume order, slices along axis 0 (C order)."""
    x, y, n = (int(v) for v in rec_shape)
    raw = _io.read_array(rec, 0, (n, y, x), dtype, order="C", what="REC data")
    return raw if np.array_equal(order, np.arange(n)) else np.take(raw, order, axis=0)


def _volume_order(slices, shape):
    """Slices (C order, slice first) as nibabel's i, j, slice[, volume] array, without a copy."""
    return slices.T.reshape(shape, order="F")


def _scaled(slices, slopes, inters):
    """``slice * slope + inter`` per slice in float64, by the rescale kernel."""
    from ..kernels import rescale

    return rescale(slices, slopes, inters, dtype=np.float64)


def proxy_values(proxy, dtype=None):
    """What nibabel's ``PARRECArrayProxy`` gives for the whole array (``__array__``), read by medfast.

    Returns None when the result would not be float64 (nibabel's own path then runs).
    """
    name = getattr(proxy.file_like, "name", proxy.file_like)
    if not isinstance(name, str) or proxy._slice_scaling is None:
        return None
    slopes, inters = (np.broadcast_to(v, proxy._shape[:2] + v.shape[2:])[0, 0] for v in proxy._slice_scaling)
    final = np.result_type(proxy._dtype, slopes, inters)
    if dtype is not None:
        final = np.promote_types(final, dtype)
    if final != np.float64:
        return None
    stored = _sorted_slices(name, proxy._rec_shape, proxy._dtype, np.asarray(proxy._slice_indices))
    flat = (np.asarray(v, np.float64).reshape(-1, order="F") for v in (slopes, inters))
    return _volume_order(_scaled(stored, *flat), proxy._shape)
