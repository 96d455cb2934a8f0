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
from ..errors import file_error

NAME = "parrec"
EXTENSIONS = (".par", ".rec")
_MAGIC = b"# === DATA DESCRIPTION FILE"


def sniff(head, path=None):
    """True for a PAR header: its first line is ``# === DATA DESCRIPTION FILE ...``."""
    return head.lstrip(b"\r\n").startswith(_MAGIC)


def _rec_path(path):
    """The ``.REC`` beside a ``.PAR`` (either case), or ``InvalidFileError`` naming the one expected."""
    path = os.fspath(path)
    stem, ext = path[:-4], path[-4:]
    want = stem + (".REC" if ext.isupper() else ".rec")
    for candidate in (want, stem + ".REC", stem + ".rec"):
        if os.path.exists(candidate):
            return candidate
    raise file_error(path, "data file", want, "missing: the .PAR names the header, the voxels are in the .REC")


def _volume(path, scaling, pixels):
    import nibabel as nib

    from ..volume import Volume

    path = _io.companion_header(path)
    rec = _rec_path(path) if path.lower().endswith(".par") else None
    with _io.parsing(path, "PAR header"):
        img = nib.parrec.load(os.fspath(path), scaling=scaling)
        hdr = img.header
        rec = rec or img.file_map["image"].filename
        order = np.asarray(hdr.get_sorted_slice_indices())
        slopes, inters = (np.asarray(v, np.float64).reshape(-1, order="F") for v in hdr.get_data_scaling(scaling))
        zooms = hdr.get_zooms()
    meta = {"format": "PARREC", "header": hdr}
    timing = {"time_step": float(zooms[3]), "time_unit": "s"} if len(zooms) > 3 else {}
    uniform = np.all(slopes == slopes[0]) and np.all(inters == inters[0])
    if not pixels:
        stored = _io.placeholder(img.shape, hdr.get_data_dtype() if uniform else np.float64)
    else:
        stored = _sorted_slices(rec, hdr.get_rec_shape(), hdr.get_data_dtype(), order)
        stored = _volume_order(stored if uniform else _scaled(stored, slopes, inters), img.shape)
    if uniform:
        return Volume(stored, img.affine, meta, slope=slopes[0], inter=inters[0], **timing)
    return Volume(stored, img.affine, meta, **timing)


def read(path, head=None, scaling="dv"):
    """Read a PAR/REC pair into a ``Volume`` with nibabel's shape, volume order, scaling and affine.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.PAR`` (or ``.REC``) file.
    head : bytes, optional
        The sniffed first bytes (unused: nibabel parses the PAR text).
    scaling : {"dv", "fp"}
        nibabel's scaling: displayed values (default, as ``nibabel.load``) or floating point.

    Examples
    --------
    >>> import nibabel, os
    >>> par = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "phantom_EPI_asc_CLEAR_2_1.PAR")
    >>> v = read(par)
    >>> v.shape, v.time_step
    ((64, 64, 9, 3), 2.0)
    """
    return _volume(path, scaling, pixels=True)


def read_header(path, head=None, scaling="dv"):
    """:func:`read` without the voxels: the PAR text alone (``stored`` is a zero-stride placeholder).

    Examples
    --------
    >>> import nibabel, os
    >>> par = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "phantom_varscale.PAR")
    >>> read_header(par).stored.dtype
    dtype('float64')
    """
    return _volume(path, scaling, pixels=False)


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
