"""Geometry of a stack: sort by position along the slice normal, slice spacing, the NIfTI affine.

The affine is the one dcm2niix writes: columns i along the DICOM row direction,
rows j reversed (dcm2niix flips the row order so that the image is not upside
down in tools that ignore the affine), k along the sorted slice positions, in
RAS+ millimetres.
"""
from __future__ import annotations

import numpy as np

from ..errors import file_error
from .values import text

_SAME_POSITION_MM = 1e-3
_UNEVEN_TOL = 0.01  # relative deviation from the mean spacing that counts as uneven (1 %)


def _unit(v):
    length = np.linalg.norm(v)
    return v / length if length > 0 else v


def normal(iop):
    """Unit slice normal: DICOM row direction x column direction."""
    iop = np.asarray(iop, dtype=np.float64)
    n = np.cross(iop[:3], iop[3:])
    length = np.linalg.norm(n)
    return n / length if length > 0 else n


def arrange(slices):
    """Sort a stack: ``(ordered, nz, nt)`` with ``ordered[t * nz + k]``.

    Slices are sorted by their distance along the normal (ascending; for a
    mosaic the CSA SliceNormalVector, the order of its tiles); images at
    the same position go to successive volumes in acquisition order (instance
    number, then frame). Raises ``InvalidFileError`` when positions repeat
    unequally (an incomplete 4-D series), naming a file of the short position.
    """
    n = slices[0].normal if slices[0].normal is not None else normal(slices[0].iop)
    dist = np.array([float(np.dot(s.ipp, n)) for s in slices])
    order = np.argsort(dist, kind="stable")
    positions = []  # list of lists of indices
    for i in order:
        if positions and abs(dist[i] - dist[positions[-1][0]]) <= _SAME_POSITION_MM:
            positions[-1].append(i)
        else:
            positions.append([i])
    if slices[0].enhanced:
        # dcm2niix keeps an enhanced file's slice direction: from in-stack position 1 onwards
        first = min(range(len(slices)), key=lambda i: (slices[i].path, slices[i].stack_position, slices[i].frame))
        if first in positions[-1] and len(positions) > 1:
            positions.reverse()
    nt = len(positions[0])
    for members in positions:
        if len(members) != nt:
            short = min(positions, key=len)
            s = slices[short[0]]
            raise file_error(s.path, "ImagePositionPatient", list(np.round(s.ipp, 4)),
                             f"{len(short)} images at this position but {max(map(len, positions))} at another: "
                             "the series is incomplete")
    nz = len(positions)
    ordered = [None] * (nz * nt)
    for k, members in enumerate(positions):
        members.sort(key=lambda i: (slices[i].order, slices[i].path))
        for t, i in enumerate(members):
            ordered[t * nz + k] = slices[i]
    return ordered, nz, nt


def spacing_report(first_volume):
    """Slice spacing and its irregularities: spacing, uneven, missing slices, gantry tilt, warnings."""
    s0 = first_volume[0]
    nz = len(first_volume)
    out = {"slice_spacing": None, "uneven_spacing": False, "missing_slices": 0, "gantry_tilt": 0.0, "warnings": []}
    if nz < 2:
        out["slice_spacing"] = s0.between or s0.thickness or 1.0
        return out
    n = normal(s0.iop)
    pos = np.array([s.ipp for s in first_volume])
    steps = np.diff(pos @ n)
    span = pos[-1] - pos[0]
    spacing = float(np.linalg.norm(span)) / (nz - 1)
    along = abs(float(np.dot(span, n))) / (nz - 1)
    out["slice_spacing"] = along
    tilt = float(np.degrees(np.arccos(min(1.0, along / spacing)))) if spacing > 0 else 0.0
    if tilt > 0.01:
        out["gantry_tilt"] = round(tilt, 4)
        out["warnings"].append(f"gantry tilt of {tilt:.3g} degrees: slices are sheared, not orthogonal")
    low = float(steps.min())
    if np.abs(steps - steps.mean()).max() > _UNEVEN_TOL * max(abs(steps.mean()), 1e-6):
        out["uneven_spacing"] = True
        ratios = steps / low if low > 0 else steps
        multiples = low > 0 and bool(np.all(np.abs(ratios - ratios.round()) < 0.1))
        missing = int(ratios.round().sum()) - (nz - 1) if multiples else 0
        out["missing_slices"] = max(missing, 0)
        text = f"uneven slice spacing ({low:.4g} to {float(steps.max()):.4g} mm)"
        if missing > 0:
            text += f": {missing} slice(s) appear to be missing"
        out["warnings"].append(text)
    return out


def affine(first_volume, rows):
    """The voxel-to-RAS+ affine of the stored layout (i = column, j = reversed row, k = sorted slice)."""
    s0 = first_volume[0]
    iop = np.asarray(s0.iop, dtype=np.float64)
    iop = np.concatenate([_unit(iop[:3]), _unit(iop[3:])])  # as dcm2niix: direction cosines made unit
    row_spacing, col_spacing = s0.spacing
    m = np.eye(4)
    m[:3, 0] = iop[:3] * col_spacing
    m[:3, 1] = iop[3:] * row_spacing
    nz = len(first_volume)
    step = s0.between or s0.thickness
    if nz > 1 and s0.enhanced and step:
        # enhanced: the normal, signed by the frame order, times the nominal spacing
        n = normal(iop)
        m[:3, 2] = n * step * np.sign(np.dot(first_volume[-1].ipp - s0.ipp, n) or 1.0)
    elif nz > 1 and s0.mosaic:
        m[:3, 2] = (first_volume[-1].ipp - s0.ipp) / (nz - 1)
    elif nz > 1:
        # dcm2niix: the step from the first slice to the second; with gantry tilt, its projection on the normal
        step = first_volume[1].ipp - s0.ipp
        n = normal(iop)
        along = float(np.dot(step, n))
        tilted = np.linalg.norm(step - along * n) > 1e-3 * max(abs(along), 1e-6)
        m[:3, 2] = n * along if tilted else step
    else:
        m[:3, 2] = normal(iop) * (s0.between or s0.thickness or 1.0)
    m[:3, 3] = s0.ipp
    m[:2] *= -1  # LPS -> RAS
    m[:3, 3] += (rows - 1) * m[:3, 1]
    m[:3, 1] *= -1
    if not (np.all(np.isfinite(m)) and np.all(np.linalg.norm(m[:3, :3], axis=0) > 0)):  # no NIfTI holds it
        raise file_error(s0.path, "PixelSpacing x ImageOrientationPatient x ImagePositionPatient",
                         None, "give a voxel of size 0 along an axis")
    return m


def rotates_to_canonical(first_volume):
    """True when dcm2niix turns this one-volume stack to the closest RAS+ axes (its ``nii_setOrtho``).

    It does so for a 3-D acquisition (Philips' private (2005,106F), read
    after MRAcquisitionType and so winning, else MRAcquisitionType: '3D') of
    several slices that is not echo-planar
    (EchoPlanarPulseSequence 'Y', or EP in ScanningSequence) and whose slices
    are equidistant: each step within 10% of the first.
    """
    if len(first_volume) < 2:
        return False
    h = first_volume[0].ds
    acquisition = text(h.get((0x2005, 0x106F))) or text(h.get("MRAcquisitionType"))
    if not acquisition.upper().startswith("3D"):
        return False
    if text(h.get("EchoPlanarPulseSequence")).upper().startswith("Y") or "EP" in text(h.get("ScanningSequence")):
        return False
    n = normal(first_volume[0].iop)
    along = np.array([float(np.dot(s.ipp, n)) for s in first_volume])
    steps = np.diff(along)
    return bool(np.all(np.abs(steps - steps[0]) <= abs(steps[0]) * 0.1))


def to_closest_canonical(stored, aff):
    """Reorder axes and flip so the affine is closest to RAS+ (dcm2niix does this for 3-D acquisitions).

    Returns the reordered view of the first three axes and the matching affine.
    """
    from nibabel.orientations import inv_ornt_aff, io_orientation

    ornt = io_orientation(aff)
    if (ornt == [[0, 1], [1, 1], [2, 1]]).all():
        return stored, aff
    arr = stored
    for axis, (_, flip) in enumerate(ornt):
        if flip < 0:
            arr = np.flip(arr, axis)
    order = np.argsort(ornt[:, 0]).tolist()
    arr = arr.transpose(order + list(range(3, arr.ndim)))
    return arr, aff @ inv_ornt_aff(ornt, stored.shape[:3])
