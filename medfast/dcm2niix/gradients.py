"""b-values and b-vectors in dcm2niix's image frame: the ``.bval``/``.bvec`` files.

Each volume's gradient is read from the header of its first frame
(``medfast.dicom.diffusion.frame_gradient``). Siemens, Philips, Canon-enhanced
and UIH give vectors in patient space and are projected on the image axes
(row, column, normal) with the row axis flipped as NIfTI flips it; GE gives
them in the frequency/phase/slice frame and is reoriented the GE way.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..dicom import canon, ge
from ..dicom.diffusion import frame_gradient
from ..dicom.values import floats, strings, text, vendor_key

_EPS = np.finfo(np.float32).eps


class Gradients(NamedTuple):
    """A series' b-values (n,) and vectors (n, 3); ``unweighted``: dcm2niix's zeros of an unweighted diffusion series."""

    bvals: np.ndarray
    bvecs: np.ndarray
    unweighted: bool = False


def to_image_frame(bvals, vecs, orientation, vendor, *, phase="C", slice_dir=3, patient_position="HFS"):
    """Project scanner gradients on the NIfTI image axes as dcm2niix does.

    ``phase`` is the first letter of InPlanePhaseEncodingDirection: GE
    vectors are reoriented for "R" (ROW) or "C" (COL) only, else kept as read.

    Examples
    --------
    >>> b, v = to_image_frame([0, 1000], [[0, 0, 0], [0, 1, 0]], [1, 0, 0, 0, 1, 0], "SI")
    >>> b.tolist(), v.tolist()
    ([0.0, 1000.0], [[0.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
    """
    b = np.asarray(bvals, dtype=np.float64)
    v = np.asarray(vecs, dtype=np.float64).reshape(-1, 3).copy()
    if vendor in ("GE",):
        return _ge(b, v, phase, slice_dir) if phase in ("R", "C") else (b, v)
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


def _ge(b, v, phase, slice_dir):
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
        if 0.03 < length < 0.97:  # b scaled by |g|^2
            nb = ge_scaled_b(b[i], length)
            scale = 0.0 if nb == 0 else math.sqrt(b[i] / nb)
            bout[i] = nb
            out[i] = v[i] * scale
        # dcm2niix's geCorrectBvecs (issue 970): the plane's flips, then y negated, then ROW phase swaps x and y
        for k in range(3):
            if flip[k]:
                out[i][k] = -out[i][k]
        out[i][1] = -out[i][1]
        if phase == "R":
            out[i] = [-out[i][1], out[i][0], out[i][2]]
    out = -out
    out[out == 0] = 0.0
    return bout, out


def ge_scaled_b(b, length):
    """GE's b-value of a gradient shorter than 1 (0.03 to 0.97): ``b * length**2`` rounded to 5, 5 at least.

    Examples
    --------
    >>> ge_scaled_b(1000.0, 0.5), ge_scaled_b(10.0, 0.5)
    (250.0, 5.0)
    """
    scaled = b * length * length
    return 5.0 if 0 < scaled < 5 else float(int((scaled + 2.5) / 5) * 5)


def series_gradients(vol, read_header):
    """The ``Gradients`` of a series (one volume or several), or None when dcm2niix writes no gradients for it.

    ``read_header(path)`` returns the ``Header`` of a file (cached by the caller).
    """
    meta = vol.meta
    shape = vol.stored.shape
    frames = meta.get("frames") or []
    nt = int(np.prod(shape[3:])) if len(shape) > 3 else 1
    positions = meta.get("positions") or [[0.0]]
    if not frames or np.isnan(positions[0][0]):  # dcm2niix: no gradients for images without position
        return None
    first = meta.get("header") or read_header(frames[0][0])
    if len({path for path, _ in frames}) < 2 and not _gradients_in_file(first, meta):
        # dcm2niix reads gradients across files or within an enhanced file; one file
        # (an image, a mosaic) gets at most the zeros of an unweighted diffusion image
        return _unweighted(vol, first, [0.0] * nt)
    bvals, vecs, found, image_frame = _as_read(frames, nt, read_header)
    vendor = vendor_key(first.get("Manufacturer"))
    if not found or not _b_values_vary(bvals, vecs, vendor):
        return _unweighted(vol, first, bvals)
    orient = floats(first.find("ImageOrientationPatient")) or [1, 0, 0, 0, 1, 0]
    if image_frame:
        vendor = "GE"  # Canon/Toshiba image-frame vectors are turned the GE way
    elif vendor == "GE" and world_vectors(first):
        vendor = None  # dcm2niix projects them as world vectors, GE's private values included
    phase = text(first.find("InPlanePhaseEncodingDirection"))[:1].upper()
    return Gradients(*to_image_frame(bvals, vecs, orient, vendor, phase=phase, slice_dir=slice_axis(vol)))


def world_vectors(header):
    """dcm2niix's isBVecWorldCoordinates: the file gives DiffusionGradientOrientation (0018,9089), at any depth.

    Examples
    --------
    >>> from medfast.dicom.header import ValuesHeader
    >>> world_vectors(ValuesHeader({"DiffusionGradientOrientation": [0.0, 1.0, 0.0]})), world_vectors(ValuesHeader({}))
    (True, False)
    """
    from ..dicom.header import as_header

    return as_header(header).last("DiffusionGradientOrientation") is not None


def _as_read(frames, nt, read_header):
    """(b-values, vectors, how many volumes have a gradient, vectors in the image frame) as the headers hold them."""
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
    return bvals, vecs, found, image_frame


def recorded_gradients(vol, read_header):
    """``(b-values, vectors)`` as the headers of a several-volume series record them, or None when none has one.

    What dcm2niix's NRRD export (``-e y``) prints when the series gets no
    ``.bval``/``.bvec`` (its gradients do not vary) but its files carry them.
    """
    frames = vol.meta.get("frames") or []
    shape = vol.stored.shape
    nt = int(np.prod(shape[3:])) if len(shape) > 3 else 1
    positions = vol.meta.get("positions") or [[0.0]]
    if nt < 2 or not frames or np.isnan(positions[0][0]):
        return None
    bvals, vecs, found, _ = _as_read(frames, nt, read_header)
    return (np.array(bvals), np.array(vecs)) if found else None


def slice_axis(vol):
    """dcm2niix's ``sliceDir`` as its GE vector rotation sees it: the world axis (1 x, 2 y, 3 z) the slice axis
    of the NIfTI runs closest to, the later axis on a tie; 0 for a single slice.

    dcm2niix flips a stack stored top down before it rotates the vectors, so the sign is always positive.

    Examples
    --------
    >>> from medfast.volume import Volume
    >>> slice_axis(Volume(np.zeros((2, 2, 3)), np.diag([1.0, 1.0, 1.0, 1.0]))), slice_axis(Volume(np.zeros((2, 2, 1)), np.eye(4)))
    (3, 0)
    """
    shape = vol.stored.shape
    if len(shape) < 3 or shape[2] < 2:
        return 0
    column = np.abs(np.asarray(vol.affine, dtype=np.float64)[:3, 2])
    return 3 - int(np.argmax(column[::-1]))


def _unweighted(vol, first, bvals):
    """dcm2niix's "diffusion image without gradients": zeros for each volume of an unweighted diffusion series.

    dcm2niix (``nii_saveDTI``) writes ``.bval``/``.bvec`` files of zeros for a
    series whose first header ``first`` calls it diffusion, unless it is
    derived, an enhanced file with gradients, or several files of which one
    has a b-value other than 0. A single file gets the zeros whatever its
    b-value. Returns their ``Gradients`` or None.
    """
    from ..dicom.series import derived_image

    meta = vol.meta
    several = len({path for path, _ in meta["frames"]}) > 1
    if not _is_diffusion(first) or derived_image(strings(first.get("ImageType"))) or (several and any(bvals)) \
            or _gradients_in_file(first, meta):
        return None
    return Gradients(np.zeros(len(bvals)), np.zeros((len(bvals), 3)), unweighted=True)


def _gradients_in_file(first, meta):
    """An enhanced file with a gradient for each of its frames (dcm2niix's numDti > 1)."""
    from ..dicom import enhanced

    return bool(meta.get("enhanced")) and len(enhanced.frames(first)) > 1 and frame_gradient(first, 0) is not None


def _is_diffusion(ds):
    """dcm2niix's isDiffusion: ImageType with a DIFFUSION value inside, AcquisitionContrast DIFFUSION, a GE b-value.

    For GE only a spin-echo EPI (epi2) counts: its other sequences can carry b = 0.
    """
    types = "_".join(strings(ds.get("ImageType")))  # case matters, as in dcm2niix's strstr
    found = (len(types) > 12 and "_DIFFUSION_" in types) or text(ds.find("AcquisitionContrast")) == "DIFFUSION"
    if vendor_key(ds.get("Manufacturer")) != "GE":
        return found
    found = found or ds.private((0x0043, 0x1039), nested=False) is not None
    version, internal = ge.epi_versions(ds)
    return found and (version == ge.EPI2 or internal == 2)


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


def derived_volumes(bvals, vecs, vendor, header=None):
    """Which volumes of a diffusion series are the scanner's derived trace/ADC images, as dcm2niix's nii_saveDTI decides.

    Philips stores the isotropic (trace) or ADC image of a DWI series as a
    volume with a b-value but no gradient vector. dcm2niix moves such volumes
    out of the DWI: the NIfTI, ``.bval`` and ``.bvec`` keep the other volumes
    (in their order), and a copy with every volume, the derived ones last,
    is written as ``<name>_ADC``. Two exceptions keep them in: a single
    derived volume beside a single b=0 (a "b=0 + trace" pair), and a series
    with fewer than two other volumes. A series whose every volume is
    derived is isotropic: dcm2niix writes its ``.bval`` but no ``.bvec``.

    GE (``header`` the series' first): such a volume is a trace image only
    when the series says it has no diffusion directions (0019,10E0 of 0, or
    a type that is not DTI, ``ge.diffusion_directions``); otherwise it is a
    b=0 image and its b-value becomes 0 (``bvals`` is changed in place). A
    GE series whose every volume is such is isotropic too.

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
    without_vector = [i for i in range(n) if abs(float(bvals[i])) > _EPS and zero[i]]
    derived = without_vector if vendor == "PH" else []
    isotropic = len(without_vector) == n and vendor in ("PH", "GE")
    if vendor == "GE" and without_vector:
        if ge.diffusion_directions(header) == 0:
            derived = without_vector
        else:
            for i in without_vector:
                bvals[i] = 0.0
    if derived and n - len(derived) < 2:
        derived = []  # b=0 + trace, or an isotropic series: nothing to move out
    kept = [i for i in range(n) if i not in derived]
    return kept, derived, isotropic


def _fmt(x):
    return f"{float(np.float32(x)):g}"


def gradient_files(bvals, bvecs, isotropic=False, *, unweighted=False):
    """``[(".bval", text), (".bvec", text)]`` as dcm2niix writes them (an isotropic series: no ``.bvec``).

    Values as ``%g`` separated by spaces, one line a file for b-values, one a
    vector component; dcm2niix's zeros of an unweighted diffusion series
    (``Gradients.unweighted``) end each line with a space.

    Examples
    --------
    >>> gradient_files([0, 1000.0, 2500], [[0, 0, 0], [1, 0, 0], [0, 1, 0]])[0]
    ('.bval', '0 1000 2500\\n')
    >>> gradient_files([0, 0], [[0, 0, 0], [0, 0, 0]], unweighted=True)[1]
    ('.bvec', '0 0 \\n0 0 \\n0 0 \\n')
    """
    b = np.asarray(bvals, dtype=np.float64).reshape(-1)
    v = np.asarray(bvecs, dtype=np.float64).reshape(-1, 3)
    end = " \n" if unweighted else "\n"
    lines = [b] + ([] if isotropic else [v[:, k] for k in range(3)])
    texts = ["".join(" ".join(_fmt(x) for x in line) + end) for line in lines]
    return [(".bval", texts[0])] + ([] if isotropic else [(".bvec", "".join(texts[1:]))])
