"""b-values and b-vectors in dcm2niix's image frame: the ``.bval``/``.bvec`` files.

Each volume's gradient is read from the header of its first frame
(``medfast.dicom.diffusion.frame_gradient``). Siemens, Philips, Canon-enhanced
and UIH give vectors in patient space and are projected on the image axes
(row, column, normal) with the row axis flipped as NIfTI flips it; GE gives
them in the frequency/phase/slice frame and is reoriented the GE way.
"""
from __future__ import annotations

import math

import numpy as np

from ..dicom import canon
from ..dicom.diffusion import frame_gradient
from ..dicom.values import floats, text, vendor_key

_EPS = np.finfo(np.float32).eps


def to_image_frame(bvals, vecs, orientation, vendor, *, phase_row=False, slice_dir=3, patient_position="HFS"):
    """Project scanner gradients on the NIfTI image axes as dcm2niix does.

    Examples
    --------
    >>> b, v = to_image_frame([0, 1000], [[0, 0, 0], [0, 1, 0]], [1, 0, 0, 0, 1, 0], "SI")
    >>> b.tolist(), v.tolist()
    ([0.0, 1000.0], [[0.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
    """
    b = np.asarray(bvals, dtype=np.float64)
    v = np.asarray(vecs, dtype=np.float64).reshape(-1, 3).copy()
    if vendor in ("GE",):
        return _ge(b, v, phase_row, slice_dir)
    if vendor == "UI":  # UIH reports image-frame vectors: dcm2niix only negates y
        v[:, 1] = -v[:, 1]
        v[v == 0] = 0.0
        return b, v
    row = np.asarray(orientation[:3], dtype=np.float64)
    col = np.asarray(orientation[3:6], dtype=np.float64)
    normal = np.cross(row, col)
    axes = np.stack([a / np.linalg.norm(a) for a in (row, col, normal)])
    out = v.copy()
    for i in range(len(b)):
        length = np.sqrt((v[i] ** 2).sum())
        if b[i] <= _EPS or length <= _EPS:
            continue  # b=0: dcm2niix keeps what the scanner wrote
        new = axes @ v[i]
        new /= np.linalg.norm(new)
        new[1] = -new[1]
        out[i] = new
    out[out == 0] = 0.0  # no negative zeros in the text files
    return b, out


def _ge(b, v, phase_row, slice_dir):
    flip = {1: [1, 1, 0], 2: [0, 1, 1], 3: [0, 0, 1]}.get(abs(slice_dir), [0, 0, 1])
    if slice_dir < 0:
        flip[2] = 1 - flip[2]
    out = v.copy()
    bout = b.copy()
    for i in range(len(b)):
        length = np.sqrt((v[i] ** 2).sum())
        if b[i] <= _EPS or length <= _EPS:
            out[i] = 0.0
            continue
        if 0.03 < length < 0.97:  # b scaled by |g|^2: round to 5
            scaled = b[i] * length * length
            nb = 5.0 if 0 < scaled < 5 else float(int((scaled + 2.5) / 5) * 5)
            scale = 0.0 if nb == 0 else math.sqrt(b[i] / nb)
            bout[i] = nb
            out[i] = v[i] * scale
        # dcm2niix's geCorrectBvecs (issue 970): the plane's flips, then y negated, then ROW phase swaps x and y
        for k in range(3):
            if flip[k]:
                out[i][k] = -out[i][k]
        out[i][1] = -out[i][1]
        if phase_row:
            out[i] = [-out[i][1], out[i][0], out[i][2]]
    out = -out
    out[out == 0] = 0.0
    return bout, out


def series_gradients(vol, read_header):
    """(bvals, bvecs) of a series (one volume or several), or None when dcm2niix writes no gradients for it.

    ``read_header(path)`` returns the ``Header`` of a file (cached by the caller).
    """
    meta = vol.meta
    shape = vol.stored.shape
    frames = meta.get("frames") or []
    nt = int(np.prod(shape[3:])) if len(shape) > 3 else 1
    if not frames or len(frames) < 2:  # one image: dcm2niix writes no gradients
        return None
    per_volume = len(frames) // nt if len(frames) >= nt else 1
    bvals, vecs, found, image_frame = [], [], 0, False
    for t in range(nt):
        path, frame = frames[min(t * per_volume, len(frames) - 1)]
        ds = read_header(path)
        got = frame_gradient(ds, frame if ds.frames() else None)
        comment = canon.comment_gradient(ds)
        if comment is not None:  # Canon/Toshiba: image-frame vectors in ImageComments, reoriented as GE's
            got, image_frame = comment, True
        if got is None:
            got = (0.0, [0.0, 0.0, 0.0])
        else:
            found += 1
        bvals.append(float(got[0]))
        vecs.append([float(x) for x in got[1]])
    first = meta.get("header") or read_header(frames[0][0])
    vendor = vendor_key(first.get("Manufacturer"))
    if not found or not _b_values_vary(bvals, vecs, vendor):
        return None
    orient = floats(first.find("ImageOrientationPatient")) or [1, 0, 0, 0, 1, 0]
    vendor = "GE" if image_frame else vendor
    phase_row = text(first.find("InPlanePhaseEncodingDirection")).strip() == "ROW"
    return to_image_frame(bvals, vecs, orient, vendor, phase_row=phase_row,
                          slice_dir=int(meta.get("slice_dir", 3)))


def _b_values_vary(bvals, vecs, vendor):
    """dcm2niix writes gradients when b-values vary, the smallest is above its b=0 threshold, or the first has a vector.

    Otherwise only varying vectors count, and then the volumes without a
    vector become b=0 (``bvals`` is changed in place); with none, no files.
    """
    threshold = 50.0 if vendor == "SI" else 6.0  # Siemens' CMRR b=0 volumes carry a small b
    zero = [all(abs(x) <= 1e-4 for x in v) for v in vecs]
    if any(b != bvals[0] for b in bvals) or min(bvals) > threshold or not zero[0]:
        return True
    if all(v == vecs[0] for v in vecs) or not any(zero):
        return False
    for i, z in enumerate(zero):
        if z:
            bvals[i] = 0.0
    return True


def derived_volumes(bvals, vecs, vendor):
    """Which volumes of a diffusion series are the scanner's derived trace/ADC images, as dcm2niix's nii_saveDTI decides.

    Philips stores the isotropic (trace) or ADC image of a DWI series as a
    volume with a b-value but no gradient vector. dcm2niix moves such volumes
    out of the DWI: the NIfTI, ``.bval`` and ``.bvec`` keep the other volumes
    (in their order), and a copy with every volume, the derived ones last,
    is written as ``<name>_ADC``. Two exceptions keep them in: a single
    derived volume beside a single b=0 (a "b=0 + trace" pair), and a series
    with fewer than two other volumes. A series whose every volume is
    derived is isotropic: dcm2niix writes its ``.bval`` but no ``.bvec``.

    Returns ``(kept, derived, isotropic)``: the indices of the volumes the
    DWI keeps and of those moved to the end of ``_ADC``, and the flag.

    Examples
    --------
    >>> derived_volumes([0, 1000, 1000, 1000], [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 0]], "PH")
    ([0, 1, 2], [3], False)
    >>> derived_volumes([0, 1000], [[0, 0, 0], [0, 0, 0]], "PH")  # b=0 + trace: kept
    ([0, 1], [], False)
    """
    n = len(bvals)
    zero = [all(abs(float(x)) <= _EPS for x in v) for v in vecs]
    derived = [i for i in range(n) if vendor == "PH" and abs(float(bvals[i])) > _EPS and zero[i]]
    isotropic = len(derived) == n
    if derived and n - len(derived) < 2:
        derived = []  # b=0 + trace, or an isotropic series: nothing to move out
    kept = [i for i in range(n) if i not in derived]
    return kept, derived, isotropic


def _fmt(x):
    return f"{float(np.float32(x)):g}"


def bval_text(bvals):
    """The ``.bval`` file text: one line, values as ``%g``.

    Examples
    --------
    >>> bval_text([0, 1000.0, 2500])
    '0 1000 2500\\n'
    """
    return " ".join(_fmt(b) for b in bvals) + "\n"


def bvec_text(bvecs):
    """The ``.bvec`` file text: three lines (x, y, z), values as ``%g``."""
    v = np.asarray(bvecs, dtype=np.float64).reshape(-1, 3)
    return "".join(" ".join(_fmt(x) for x in v[:, k]) + "\n" for k in range(3))
