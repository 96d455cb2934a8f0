"""Geometry of a stack: sort by position along the slice normal, slice spacing, the NIfTI affine.

The affine is the one dcm2niix writes: columns i along the DICOM row direction,
rows j reversed (dcm2niix flips the row order so that the image is not upside
down in tools that ignore the affine), k along the sorted slice positions, in
RAS+ millimetres.
"""
from __future__ import annotations

import numpy as np

from ..errors import file_error
from .values import number, required_floats, text, vendor_key

_SAME_POSITION_MM = 1e-3
_UNEVEN_TOL = 0.01  # relative deviation from the mean spacing that counts as uneven (1 %)


#: dcm2niix's stand-in for a missing ImageOrientationPatient: an axial image
DEFAULT_ORIENTATION = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def plane(orientation, position, path, where=""):
    """``(ImageOrientationPatient, ImagePositionPatient)`` of an image as arrays, with dcm2niix's stand-ins.

    dcm2niix converts images whose header places them nowhere (secondary
    captures, CR, ultrasound, screenshots): a missing orientation is read as
    axial (``DEFAULT_ORIENTATION``), a missing position as NaN, which
    ``affine`` turns into dcm2niix's placeholder matrix. A value present but
    malformed still raises ``InvalidFileError`` naming ``where`` + the field.

    Examples
    --------
    >>> iop, ipp = plane(None, None, "sc.dcm")
    >>> iop.tolist(), bool(np.isnan(ipp).all())
    ([1.0, 0.0, 0.0, 0.0, 1.0, 0.0], True)
    """
    def read(value, n, field, default):
        if value is None or value == "" or (isinstance(value, (list, tuple)) and not value):
            return default
        return required_floats(value, n, path, where + field)

    iop = read(orientation, 6, "ImageOrientationPatient", DEFAULT_ORIENTATION)
    ipp = read(position, 3, "ImagePositionPatient", (np.nan, np.nan, np.nan))
    return np.asarray(iop, dtype=np.float64), np.asarray(ipp, dtype=np.float64)


#: The reason a multi-frame file whose frames change orientation is left out (as dcm2niix, its issue 894).
ORIENTATION_VARIES = "the slice orientation varies between frames: not one volume (dcm2niix refuses it, issue 894)"


def one_orientation(path, orientations):
    """Raise ``InvalidFileError`` when the frames of one file change orientation (by more than 1e-4).

    dcm2niix compares each ImageOrientationPatient it reads in a file with
    the one before and refuses the whole file when one differs.
    """
    if len(orientations) < 2:
        return
    values = np.asarray(orientations, np.float32)  # one array: an enhanced file has thousands of frames
    changes = np.flatnonzero(np.any(np.abs(values[1:] - values[:-1]) > 1e-4, axis=1))
    if changes.size:
        raise file_error(path, "ImageOrientationPatient", list(orientations[changes[0] + 1]), ORIENTATION_VARIES)


def keep_last_orientation(path, slices):
    """dcm2niix's ``-i o`` for a multi-frame file whose frames change orientation: the last frame's for all.

    dcm2niix keeps the orientation it read last and stacks the frames by
    their in-stack positions. Raises ``InvalidFileError`` when the frames'
    positions along that orientation's normal do not separate those stack
    positions (its volume would not have medfast's shape).
    """
    last = np.asarray(slices[-1].iop, np.float32)
    if all(np.all(np.abs(np.asarray(s.iop, np.float32) - last) <= 1e-4) for s in slices):
        return
    for s in slices:
        s.iop = slices[-1].iop
    dist = sorted(float(np.dot(s.ipp, normal(s.iop))) for s in slices)
    places = 1 + sum(b - a > _SAME_POSITION_MM for a, b in zip(dist, dist[1:]))
    if places != len({s.stack_position for s in slices}):
        raise file_error(path, "ImageOrientationPatient", list(slices[-1].iop),
                         f"{ORIENTATION_VARIES}; -i o: its {len(dist)} frames lie at {places} places along the last "
                         "frame's normal, not at their in-stack positions")


def placed(slices):
    """False when the first image has no position (``plane``'s NaN): dcm2niix writes a placeholder matrix."""
    return not np.isnan(np.asarray(slices[0].ipp, dtype=np.float64)).any()


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
    if not all(placed([s]) for s in slices):  # no positions: dcm2niix keeps its instance order, one volume
        return sorted(slices, key=lambda s: (s.order, s.path)), len(slices), 1
    n = slices[0].normal if slices[0].normal is not None else normal(slices[0].iop)
    if slices[0].mosaic:  # dcm2niix stacks mosaics file by file: each a volume, whatever its position
        return _arrange_mosaics(slices, n)
    slices = siemens_ct_cut(slices)
    if views_vary(slices) and len({tuple(np.float32(s.ipp)) for s in slices}) == len(slices):
        # X-ray views stacked whatever their plane, each at its own place: dcm2niix's instance order
        ordered = sorted(slices, key=lambda s: (s.order, s.path))
        return (ordered[::-1] if views_step(ordered)[1] else ordered), len(ordered), 1
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


def siemens_ct_cut(slices):
    """The images dcm2niix keeps of a Siemens series without RepetitionTime (its ``siemensCtKludge``).

    Siemens CT appends drawn graphics as images anywhere in a series, so
    dcm2niix walks the images in instance order and stops at the first whose
    distance from the first image (times the cosine of the gantry tilt) is
    not 0 and is less than the one before: that image and all after it are
    left out. Enhanced files and mosaics are not concerned.
    """
    by_instance = sorted(slices, key=lambda s: (s.order, s.path))
    first = by_instance[0]
    ds = first.ds
    if len(by_instance) < 2 or first.enhanced or vendor_key(ds.get("Manufacturer")) != "SI" \
            or number(ds.get("RepetitionTime"), 0.0):
        return slices
    f = np.float32
    stated = number(ds.get("GantryDetectorTilt"), 0.0)
    x_ray = ds.get("Exposure") is not None and not number(ds.get("EchoTime"), 0.0)
    measured = text(ds.get("Modality")).strip().upper() == "CT" or x_ray or stated > 0
    tilt = gantry_tilt_degrees(first.ipp, by_instance[-1].ipp, first.iop) if measured else stated
    cos = f(np.cos(float(f(tilt)) * np.pi / 180)) if tilt else f(1)
    before = f(0)
    for i, s in enumerate(by_instance[1:], 1):
        diff = (np.asarray(s.ipp, np.float64) - np.asarray(first.ipp, np.float64)).astype(f)
        distance = f(f(np.sqrt(f((diff * diff).sum(dtype=f)))) * cos)
        if abs(float(distance)) > 1e-6 and distance < before:
            return by_instance[:i]
        before = distance
    return slices


def views_vary(slices):
    """True when a stack's images lie in different planes (views of an X-ray localizer stacked as one)."""
    iop = np.asarray([s.iop for s in slices], dtype=np.float64)
    return bool(np.any(np.abs(iop - iop[0]) > 1e-4))


def views_step(by_instance):
    """``(slice column LPS, reversed, spacing)`` of views of different planes stacked as dcm2niix stacks them.

    dcm2niix builds the frame of the first instance: its normal times the
    distance to the second image measured as for a tilted stack (the length
    between the positions times the cosine of the tilt, which is negative
    past 90 degrees). It reverses the slices when the second image does not
    lie on the side of the first that column points to along its largest
    axis (``verify_slice_dir``). The NIfTI's slice spacing is that distance
    when positive, else the header's (SpacingBetweenSlices or SliceThickness).
    """
    f = np.float32
    first, second = by_instance[0], by_instance[1]
    tilt = gantry_tilt_degrees(first.ipp, by_instance[-1].ipp, first.iop)
    diff = (np.asarray(second.ipp, np.float64) - np.asarray(first.ipp, np.float64)).astype(f)
    distance = f(np.sqrt(f((diff * diff).sum(dtype=f))))
    if tilt:
        distance = f(distance * f(np.cos(float(f(tilt)) * np.pi / 180)))
    iop = np.asarray(first.iop, dtype=np.float64)
    column = normal(np.concatenate([_unit(iop[:3]), _unit(iop[3:])])) * float(distance)
    axis = 0
    for i in (1, 2):  # the largest component, a later one on ties
        if abs(column[i]) >= max(abs(column[j]) for j in range(3) if j != i):
            axis = i
    last = float(first.ipp[axis]) + column[axis] * (len(by_instance) - 1)
    start, there = float(first.ipp[axis]), float(second.ipp[axis])
    if np.float32(there) == np.float32(start):  # no position to tell: dcm2niix's guess from the normal
        flip = float(normal(iop).sum()) < 0
    else:
        flip = (there > start) != (last > start)
    header = first.between or first.thickness or 1.0
    spacing = float(distance) if distance > 0 and abs(float(distance) - header) > 1e-4 else header
    return column, flip, spacing


def _arrange_mosaics(slices, n):
    """``arrange`` for mosaics: files in acquisition order, each file's tiles along its direction ``n``."""
    files = {}
    for s in slices:
        files.setdefault(s.path, []).append(s)
    volumes = sorted(files.values(), key=lambda tiles: (min(s.order for s in tiles), tiles[0].path))
    nz = len(volumes[0])
    for tiles in volumes:
        if len(tiles) != nz:
            raise file_error(tiles[0].path, "CSA NumberOfImagesInMosaic", len(tiles),
                             f"differs from the {nz} tiles of {volumes[0][0].path}")
    ordered = [s for tiles in volumes for s in sorted(tiles, key=lambda s: float(np.dot(s.ipp, n)))]
    return ordered, nz, len(volumes)


def described_by(by_instance, nz):
    """The slice whose header dcm2niix describes a stack by (sidecar, names): its first, in instance order or in space.

    dcm2niix stacks images in instance-number order and keeps that order
    while it is spatially sequential: in each volume (``nz`` images in
    instance order), every step along the normal equals the first within
    0.2 mm; with fewer than 3 slices, or the first two instances at one
    position, too. Otherwise it sorts by volume and position, and the lowest
    slice of the first volume comes first.

    ``by_instance``: the stack's slices in instance order.
    """
    first = by_instance[0]
    if nz < 3 or not placed(by_instance):
        return first
    n = first.normal if first.normal is not None else normal(first.iop)
    along = np.array([float(np.dot(s.ipp, n)) for s in by_instance], dtype=np.float32)
    if along[1] == along[0]:
        return first
    for start in range(0, len(along) - 1, nz):
        steps = np.diff(along[start:start + nz])
        if len(steps) and np.any(np.abs(steps - steps[0]) > 0.2):
            return min(by_instance[:nz], key=lambda s: float(np.dot(s.ipp, n)))
    return first


def spacing_report(first_volume):
    """Slice spacing and its irregularities: spacing, uneven, missing slices, gantry tilt, warnings."""
    s0 = first_volume[0]
    nz = len(first_volume)
    out = {"slice_spacing": None, "uneven_spacing": False, "missing_slices": 0, "gantry_tilt": 0.0, "warnings": []}
    if not placed(first_volume):  # dcm2niix's placeholder matrix: codes 0, the voxel size kept in the qform
        out["slice_spacing"] = s0.between or s0.thickness or 1.0
        out.update(qform_code=0, sform_code=0, qform_zooms=(s0.spacing[1], s0.spacing[0], out["slice_spacing"]))
        return out
    if nz < 2:
        out["slice_spacing"] = s0.between or s0.thickness or 1.0
        return out
    if views_vary(first_volume):  # X-ray views: dcm2niix's spacing, kept in pixdim when it is not the column's
        by_instance = sorted(first_volume, key=lambda s: (s.order, s.path))
        column, _, spacing = views_step(by_instance)
        out["slice_spacing"] = spacing
        if abs(float(np.linalg.norm(column)) - spacing) > 1e-4:
            first = by_instance[0]
            out["qform_zooms"] = (first.spacing[1], first.spacing[0], spacing)
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


def gantry_tilt_degrees(first_ipp, last_ipp, iop):
    """Signed gantry tilt (degrees) from the first and last slice positions, in float32 as dcm2niix.

    Examples
    --------
    >>> round(gantry_tilt_degrees([0, 0, 0], [0, 3.5, 14], [1, 0, 0, 0, 1, 0]), 4)
    -14.0362
    """
    f = np.float32
    sv = (np.asarray(last_ipp, np.float64) - np.asarray(first_ipp, np.float64)).astype(f)
    length = f(np.sqrt(f(sv[0] * sv[0] + sv[1] * sv[1] + sv[2] * sv[2])))
    if length == 0:
        return 0.0
    sv = _largest_positive(sv)
    n = _largest_positive(np.cross(np.asarray(iop[:3], f), np.asarray(iop[3:6], f)).astype(f))
    len90 = f(np.sqrt(f(n[0] * n[0] + n[1] * n[1] + n[2] * n[2])))
    cos_x = f(f(n[0] * sv[0] + n[1] * sv[1] + n[2] * sv[2]) / f(length * len90))
    deg = f(np.degrees(np.arccos(np.clip(float(cos_x), -1.0, 1.0))))
    if abs(float(cos_x) - 1.0) <= 1e-4 or abs(float(deg)) <= 1e-4:
        return 0.0
    sign = _largest(np.cross(sv, n).astype(f))
    return float(-deg if sign > 0 else deg)


def _largest(v):
    """The component of largest magnitude (the first of ties), signed."""
    big = v[0]
    for x in v[1:]:
        if abs(x) > abs(big):
            big = x
    return big


def _largest_positive(v):
    return v if _largest(v) >= 0 else -v


def tilt_frame(first_volume):
    """``(tilt degrees, slice step mm, origin LPS)`` of a sheared (gantry-tilted) stack, as dcm2niix builds it.

    dcm2niix keeps the images in instance-number order when the steps
    between them agree within 0.2 mm: the tilt is then measured from the
    first and last instance, the step is their first distance times
    cos(tilt), and a stack numbered against the normal is flipped with its
    origin moved from the first instance along the normal, not to the
    lowest slice's own position (the two differ by the shear). Otherwise it
    sorts the images by position, and unless the lowest slice is also the
    first instance, takes the tilt from its GantryDetectorTilt (0018,1120),
    0 without one. The tilt is measured only
    for CT, X-ray images or a header tilt; the step's axis is the normal.
    """
    s0 = first_volume[0]
    f = np.float32
    n = normal(s0.iop)
    ds = s0.ds
    modality = str(ds.get("Modality") or "").strip().upper()
    x_ray = ds.get("Exposure") is not None and not number(ds.get("EchoTime"), 0.0)
    header_tilt = number(ds.get("GantryDetectorTilt"), 0.0)
    by_instance = sorted(first_volume, key=lambda s: s.instance or 0)
    measured = 0.0
    if modality == "CT" or x_ray or header_tilt > 0:
        measured = gantry_tilt_degrees(by_instance[0].ipp, by_instance[-1].ipp, s0.iop)
    along = [float(np.dot(s.ipp, n)) for s in by_instance]
    steps = np.diff(along)  # dcm2niix's intersliceDistanceSigned: the distance times cos(tilt), signed
    sequential = len(steps) < 2 or bool(np.all(np.abs(steps - steps[0]) <= 0.2))
    if sequential:
        first, second, deg = by_instance[0], by_instance[1], measured
    else:  # the lowest slice keeps the measured tilt only when it is the first instance too
        first, second = s0, first_volume[1]
        deg = measured if s0 is by_instance[0] else float(f(number(s0.ds.get("GantryDetectorTilt"), 0.0)))
    diff = (np.asarray(second.ipp, f) - np.asarray(first.ipp, f)).astype(f)
    dz = f(np.sqrt(f((diff * diff).sum(dtype=f))))
    if deg:
        dz = f(f(np.cos(float(f(deg)) * np.pi / 180)) * dz)  # cos in double, as C's float * M_PI
    nominal = f(first.between or first.thickness or 0.0)  # dcm2niix keeps the header's spacing within 1e-4
    if dz > 0 and abs(float(dz) - float(nominal)) <= 1e-4:
        dz = nominal
    origin = np.asarray(s0.ipp, np.float64)
    if sequential and first is not s0:  # flipped: from the first instance, (nz - 1) steps down the normal
        origin = np.asarray(first.ipp, np.float64) - (len(first_volume) - 1) * float(dz) * n
    return deg, float(dz), origin


def affine(first_volume, rows):
    """The voxel-to-RAS+ affine of the stored layout (i = column, j = reversed row, k = sorted slice).

    An image without position gets dcm2niix's placeholder: the identity with
    y reversed (its ``noNaN``), then the rows flipped as every image.
    """
    s0 = first_volume[0]
    if not placed(first_volume):
        m = np.diag([1.0, -1.0, 1.0, 1.0])
        m[:3, 3] += (rows - 1) * m[:3, 1]
        m[:3, 1] *= -1
        return m
    iop = np.asarray(s0.iop, dtype=np.float64)
    iop = np.concatenate([_unit(iop[:3]), _unit(iop[3:])])  # as dcm2niix: direction cosines made unit
    row_spacing, col_spacing = s0.spacing
    m = np.eye(4)
    m[:3, 0] = iop[:3] * col_spacing
    m[:3, 1] = iop[3:] * row_spacing
    nz = len(first_volume)
    step = s0.between or s0.thickness
    origin = s0.ipp
    if nz > 1 and s0.enhanced and step:
        # enhanced: the normal, signed by the frame order, times the nominal spacing
        n = normal(iop)
        m[:3, 2] = n * step * np.sign(np.dot(first_volume[-1].ipp - s0.ipp, n) or 1.0)
    elif nz > 1 and views_vary(first_volume):  # X-ray views: the first instance's frame (views_step)
        by_instance = sorted(first_volume, key=lambda s: (s.order, s.path))
        first = by_instance[0]
        iop = np.asarray(first.iop, dtype=np.float64)
        iop = np.concatenate([_unit(iop[:3]), _unit(iop[3:])])
        m[:3, 0] = iop[:3] * first.spacing[1]
        m[:3, 1] = iop[3:] * first.spacing[0]
        column, flip, _ = views_step(by_instance)
        m[:3, 2] = column
        origin = np.asarray(first.ipp, np.float64) - (nz - 1) * column if flip else first.ipp
    elif nz > 1 and s0.mosaic:
        m[:3, 2] = (first_volume[-1].ipp - s0.ipp) / (nz - 1)
    elif nz > 1:
        # dcm2niix: the step from the first slice to the second; with gantry tilt, along the normal (tilt_frame)
        step = first_volume[1].ipp - s0.ipp
        n = normal(iop)
        along = float(np.dot(step, n))
        tilted = np.linalg.norm(step - along * n) > 1e-3 * max(abs(along), 1e-6)
        m[:3, 2] = step
        if tilted:
            _, dz, origin = tilt_frame(first_volume)
            m[:3, 2] = n * dz
    else:
        m[:3, 2] = normal(iop) * (s0.between or s0.thickness or 1.0)
    m[:3, 3] = origin
    m[:2] *= -1  # LPS -> RAS
    m[:3, 3] += (rows - 1) * m[:3, 1]
    m[:3, 1] *= -1
    if not (np.all(np.isfinite(m)) and np.all(np.linalg.norm(m[:3, :3], axis=0) > 0)):  # no NIfTI holds it
        raise file_error(s0.path, "PixelSpacing x ImageOrientationPatient x ImagePositionPatient",
                         None, "give a voxel of size 0 along an axis")
    return m


def rotates_to_canonical(first_volume):
    """True when dcm2niix turns this one-volume stack to the closest RAS+ axes (its ``nii_setOrtho``).

    It does so for a 3-D acquisition that is not echo-planar (``is_3d_not_epi``)
    of several slices whose slices are equidistant: each step within 10% of the first.
    """
    if len(first_volume) < 2 or not is_3d_not_epi(first_volume[0].ds):
        return False
    if not placed(first_volume):  # no positions to compare: dcm2niix finds the slices equidistant
        return True
    n = normal(first_volume[0].iop)
    along = np.array([float(np.dot(s.ipp, n)) for s in first_volume])
    steps = np.diff(along)
    return bool(np.all(np.abs(steps - steps[0]) <= abs(steps[0]) * 0.1))


def is_3d_not_epi(h):
    """dcm2niix's ``is3DAcq && !isEPI`` for a header: the acquisitions it turns (and with ``-x y`` crops).

    Philips' private (2005,106F) read after MRAcquisitionType and so winning,
    else MRAcquisitionType '3D'; echo-planar: EchoPlanarPulseSequence 'Y' or
    EP in ScanningSequence.
    """
    acquisition = text(h.get((0x2005, 0x106F))) or text(h.get("MRAcquisitionType"))
    if not acquisition.upper().startswith("3D"):
        return False
    return not (text(h.get("EchoPlanarPulseSequence")).upper().startswith("Y") or "EP" in text(h.get("ScanningSequence")))


def closest_axes(aff):
    """For each voxel axis, the world axis it runs closest to and the direction: nibabel's ``io_orientation``.

    The columns of the rotation part, scaled to unit length, are replaced by
    the nearest orthonormal matrix (SVD); then, from the voxel axis whose best
    match is strongest to the weakest, each takes the world axis with its
    largest component (which no other voxel axis may take afterwards), with
    that component's sign. Returns a (3, 2) array of (world axis, +1 or -1);
    NaN for an axis the affine collapses.

    Examples
    --------
    >>> closest_axes(np.diag([-2.0, 2.0, 3.0, 1.0])).tolist()
    [[0.0, -1.0], [1.0, 1.0], [2.0, 1.0]]
    """
    rzs = np.asarray(aff, dtype=np.float64)[:3, :3]
    lengths = np.sqrt(np.sum(rzs * rzs, axis=0))
    lengths[lengths == 0] = 1
    left, values, right = np.linalg.svd(rzs / lengths, full_matrices=False)
    keep = values > values.max() * 3 * np.finfo(values.dtype).eps
    rotation = np.dot(left[:, keep], right[keep])
    out = np.full((3, 2), np.nan)
    for axis in np.argsort(np.min(-(rotation ** 2), axis=0), kind="stable"):
        column = rotation[:, axis]
        if np.allclose(column, 0):
            continue
        world = int(np.argmax(np.abs(column)))
        out[axis] = world, -1.0 if column[world] < 0 else 1.0
        rotation[world, :] = 0
    return out


def unflipped(stored, aff):
    """The stack in DICOM row order, as dcm2niix leaves a 3-D acquisition without position.

    Its turn to RAS+ stands in for the row flip, and with sform and qform
    codes 0 it turns nothing: the rows stay as stored in the file.
    """
    out = aff.copy()
    out[:3, 3] += (stored.shape[1] - 1) * aff[:3, 1]
    out[:3, 1] *= -1
    return stored[:, ::-1], out


def to_closest_canonical(stored, aff):
    """Reorder axes and flip so the affine is closest to RAS+ (dcm2niix does this for 3-D acquisitions).

    Returns the reordered view of the first three axes and the matching
    affine: ``aff`` times the map from new voxel indices to old ones (the
    flips' offsets are the axis lengths less one), the affine nibabel's
    ``as_closest_canonical`` gives.

    Examples
    --------
    >>> arr, aff = to_closest_canonical(np.arange(24).reshape(2, 3, 4), np.diag([-2.0, 2.0, 3.0, 1.0]))
    >>> arr.shape, arr[0, 0, 0], aff[0].tolist()
    ((2, 3, 4), 12, [2.0, 0.0, 0.0, -2.0])
    """
    axes = closest_axes(aff)
    if np.isnan(axes).any() or (axes == [[0, 1], [1, 1], [2, 1]]).all():
        return stored, aff
    arr = stored
    for axis, (_, flip) in enumerate(axes):
        if flip < 0:
            arr = np.flip(arr, axis)
    order = np.argsort(axes[:, 0]).tolist()
    arr = arr.transpose(order + list(range(3, arr.ndim)))
    # new voxel index -> old: a row a column of a reordering, then the flips about the axes' centres
    reorder = np.eye(4)[[int(v) for v in axes[:, 0]] + [3], :]
    flips = np.diag(list(axes[:, 1]) + [1.0])
    centre = -(np.array(stored.shape[:3]) - 1) / 2.0
    flips[:3, 3] = axes[:, 1] * centre - centre
    return arr, aff @ np.dot(flips, reorder)
