"""dcm2niix's ``-x i`` and ``-y n``: a 3-D acquisition left unturned, rows left in DICOM order.

By default dcm2niix turns a one-volume, non-EPI 3-D acquisition with
equidistant slices to the closest RAS+ axes (``nii_setOrtho``) and flips the
rows of every other stack (``nii_flipY``), so that images are not upside down
in viewers that ignore the affine; the reader does both. ``-x i`` skips the
turn (the stack then gets the row flip like any other); ``-y n`` skips the row
flip, and dcm2niix then says so after the ``Convert`` line, negates the y and x
components of the b-vectors (the row flip changed the sign of the
determinant), and turns a column phase-encoding direction ``j-`` into ``j``
and back. A turned stack is not affected by ``-y n`` beyond the b-vectors.
"""
from __future__ import annotations

import numpy as np

from ..dicom.geometry import DEFAULT_ORIENTATION, normal, unflipped

#: printed after the ``Convert`` line of a stack written with its rows in DICOM order (``-y n``)
ROWS_PRESERVED = "DICOM row order preserved: may appear upside down in tools that ignore spatial transforms"
_FLT_EPSILON = 1.1920929e-07


def as_asked(vol, *, rotate_3d=True, flip_y=True):
    """``(volume, rows preserved)``: ``vol`` unturned for ``rotate_3d=False``, rows unflipped for ``flip_y=False``.

    Examples
    --------
    >>> from medfast.volume import Volume
    >>> v = Volume(np.arange(6, dtype=np.int16).reshape(1, 3, 2), np.diag([1.0, 2.0, 3.0, 1.0]))
    >>> w, preserved = as_asked(v, flip_y=False)
    >>> w.stored[0, :, 0].tolist(), w.affine[1].tolist(), preserved
    ([4, 2, 0], [0.0, -2.0, 0.0, 4.0], True)
    """
    turned = bool(vol.meta.get("reoriented"))
    if turned and not rotate_3d:
        vol, turned = _unturned(vol), False
    if turned or flip_y:
        return vol, False
    stored, affine = unflipped(vol.stored, vol.affine)
    return vol.replace(stored=stored, affine=affine), True


def _unturned(vol):
    """The stack as it was before the reader turned it to the closest RAS+ axes (the reader kept that affine)."""
    before = np.asarray(vol.meta["affine_before_turn"], dtype=np.float64)
    # turned index -> index before the turn: a signed permutation (and offsets) of the three spatial axes
    to_before = np.rint(np.linalg.solve(before, vol.affine)[:3, :3]).astype(int)
    stored = vol.stored
    axes = [int(np.argmax(np.abs(row))) for row in to_before]
    stored = stored.transpose(axes + list(range(3, stored.ndim)))
    for axis, row in enumerate(to_before):
        if row[axes[axis]] < 0:
            stored = np.flip(stored, axis)
    meta = dict(vol.meta, reoriented=False)
    del meta["affine_before_turn"]
    # dcm2niix's stack runs along the slice normal (its nii_flipZ); the reader's, when not turned, may not
    if np.dot(before[:3, 2] * [-1, -1, 1], normal(meta.get("orientation") or DEFAULT_ORIENTATION)) < 0:
        before = before.copy()
        before[:3, 3] += (stored.shape[2] - 1) * before[:3, 2]
        before[:3, 2] *= -1
        stored = np.flip(stored, 2)
        meta["positions"] = list(reversed(meta.get("positions") or []))
    return vol.replace(stored=stored, affine=before, meta=meta)


def unflipped_vectors(bvecs):
    """``-y n``'s b-vectors: y and x negated where they are not 0 (an (n, 3) array, a new one).

    Examples
    --------
    >>> unflipped_vectors(np.array([[0.5, 0.5, 0.7], [0.0, 0.0, 1.0]])).tolist()
    [[-0.5, -0.5, 0.7], [0.0, 0.0, 1.0]]
    """
    out = np.array(bvecs, dtype=np.float64)
    for axis in (1, 0):
        column = out[:, axis]
        column[np.abs(column) > _FLT_EPSILON] *= -1
    return out


def unflipped_sidecar(sidecar):
    """``-y n``'s sidecar: the polarity of a column (``j``) phase-encoding direction reversed (in place).

    Examples
    --------
    >>> unflipped_sidecar({"PhaseEncodingDirection": "j-"})
    {'PhaseEncodingDirection': 'j'}
    """
    if sidecar is not None and sidecar.get("PhaseEncodingDirection") in ("j", "j-"):
        sidecar["PhaseEncodingDirection"] = "j" if sidecar["PhaseEncodingDirection"] == "j-" else "j-"
    return sidecar
