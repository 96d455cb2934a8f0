"""Which images form one output volume: dcm2niix's criteria for splitting a series.

Images are stacked together only when they share the series (SeriesInstanceUID
and SeriesNumber), whether they are derived (dcm2niix's isDerived), the matrix (rows, columns, bits allocated, samples, mosaic
slice count), the echo (number and time), the complex component (magnitude,
phase, real, imaginary, field map), the receive coil and, within 1e-4, the
orientation (ImageOrientationPatient).
"""
from __future__ import annotations

import numpy as np

from ..errors import file_error
from . import philips
from .series import derived_image

_ORIENT_TOL = 1e-4


def x_ray(s):
    """An X-ray image (CT, CR, DX) as dcm2niix flags it: Exposure (0018,1152) and no echo time."""
    return s.ds.get("Exposure") is not None and not s.echo_time


def _key(s):
    if x_ray(s):  # dcm2niix (-m 2) stacks X-ray images of a series whatever their exposure or orientation
        return (s.series_number, s.series_uid, s.rows, s.cols, s.bits, derived_image(s.image_type), "x-ray")
    echo_time = None if s.echo_time is None else round(s.echo_time, 4)
    # dcm2niix splits Philips images by trigger time (cardiac phases); classic files only: a file is one set
    philips_cardiac = not s.enhanced and str(s.ds.get("Manufacturer") or "").upper().startswith("PHILIPS") \
        and not philips.asl_label(s.ds)
    trigger = s.trigger if philips_cardiac else None
    return (s.series_number, s.series_uid, s.rows, s.cols, s.bits, s.mosaic[0] if s.mosaic else 0,
            s.echo_number, echo_time, s.component, bool(s.fieldmap_hz), s.coil, derived_image(s.image_type), trigger)


def conversion_order(series_uid, series_number):
    """dcm2niix's sort key of a series: the CRC-32 of its SeriesInstanceUID (its number when it has none).

    dcm2niix converts series in this order, so when two series get the same
    output name the first converted keeps it and the next ones get ``a``,
    ``b``, ... (images of one series: in the order their first file comes).

    Examples
    --------
    >>> conversion_order("1.2.3", 7) == __import__("zlib").crc32(b"1.2.3"), conversion_order("", 7), conversion_order("", 0)
    (True, 7, 1)
    """
    import zlib

    if series_uid:
        return zlib.crc32(series_uid.encode("latin-1", "replace"))
    return series_number if series_number >= 1 else 1


def group(slices):
    """Split ``Slice`` records into stacks, in dcm2niix's conversion order (``conversion_order``, then first file).

    Examples
    --------
    >>> group([])
    []
    """
    buckets, first = {}, {}
    for s in slices:
        stacks = buckets.setdefault(_key(s), [])
        iop = np.asarray(s.iop)
        for ref, members in stacks:
            if np.all(np.abs(ref - iop) <= _ORIENT_TOL) or x_ray(s):
                members.append(s)
                break
        else:
            stacks.append((iop, [s]))
    out = [members for stacks in buckets.values() for _, members in stacks]
    rank = _ReaddirRank()
    out.sort(key=lambda members: (conversion_order(members[0].series_uid, members[0].series_number),
                                  min(rank(m.path) for m in members)))
    return out


class _ReaddirRank:
    """A file's place in the order dcm2niix finds files: its folder, then the folder's directory-listing order.

    dcm2niix lists folders unsorted (readdir order), so among stacks of one
    series it converts first the one whose file the listing gives first.
    """

    def __init__(self):
        self._folders = {}

    def __call__(self, path):
        import os

        folder, name = os.path.split(os.fspath(path))
        order = self._folders.get(folder)
        if order is None:
            try:
                order = {n: i for i, n in enumerate(os.listdir(folder or "."))}
            except OSError:
                order = {}
            self._folders[folder] = order
        return folder, order.get(name, len(order))


def varies(groups):
    """For each series: whether echo, coil and matrix size take more than one value across its stacks."""
    seen = {}
    for members in groups:
        s = members[0]
        entry = seen.setdefault((s.series_number, s.series_uid), (set(), set(), set()))
        entry[0].add((s.echo_number, None if s.echo_time is None else round(s.echo_time, 4)))
        entry[1].add(s.coil)
        entry[2].add((s.rows, s.cols))
    return {k: tuple(len(v) > 1 for v in entry) for k, entry in seen.items()}


def echo_numbers(groups):
    """Echo number of each stack (by index) where the headers leave echoes ambiguous.

    When a series holds stacks with different echo times under one echo
    number (Philips enhanced files repeat EchoNumbers 1 in every frame), the
    echoes are numbered 1, 2, ... in the order their first image appears, as
    dcm2niix numbers them.
    """
    by_series = {}
    for index, members in enumerate(groups):
        s = members[0]
        by_series.setdefault((s.series_number, s.series_uid), []).append(index)
    out = {}
    for indices in by_series.values():
        times = {}
        for i in indices:
            first = min(groups[i], key=lambda s: (s.path, s.frame))
            key = None if first.echo_time is None else round(first.echo_time, 4)
            times.setdefault(key, (first.path, first.frame))
            times[key] = min(times[key], (first.path, first.frame))
        numbers = {groups[i][0].echo_number for i in indices}
        if len(times) > 1 and len(numbers) < len(times):
            rank = {key: n + 1 for n, key in enumerate(sorted(times, key=times.get))}
            for i in indices:
                out[i] = rank[None if groups[i][0].echo_time is None else round(groups[i][0].echo_time, 4)]
    return out


def check_sizes(groups):
    """Raise ``InvalidFileError`` when images of one series and orientation disagree in size within one stack.

    A series may hold stacks of several matrix sizes (a localizer, a
    reformat): dcm2niix writes one volume each. But when a smaller stack's
    slices lie among a larger stack's slices, with the same orientation, they
    are slices of that stack that disagree in size: an error naming a file.
    """
    from .geometry import normal

    by_series = {}
    for members in groups:
        by_series.setdefault((members[0].series_number, members[0].series_uid), []).append(members)
    for stacks in by_series.values():
        for a in stacks:
            for b in stacks:
                sa, sb = a[0], b[0]
                if len(b) < len(a) or (len(b) == len(a) and id(b) <= id(a)) or (sa.rows, sa.cols) == (sb.rows, sb.cols):
                    continue
                if np.any(np.abs(np.asarray(sa.iop) - np.asarray(sb.iop)) > _ORIENT_TOL) or sa.mosaic or sb.mosaic:
                    continue
                n = normal(sb.iop)
                span = [float(np.dot(s.ipp, n)) for s in b]
                inside = [s for s in a if min(span) < float(np.dot(s.ipp, n)) < max(span)]
                if inside:
                    s = inside[0]
                    raise file_error(s.path, "Rows x Columns", (s.rows, s.cols),
                                     f"differs from the {sb.rows} x {sb.cols} of the other {len(b)} slices "
                                     f"of series {sb.series_number} around it")
