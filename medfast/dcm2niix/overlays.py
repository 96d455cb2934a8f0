"""Overlay planes (60xx,3000) written as ``<name>_ROI<n>`` volumes, as dcm2niix writes them.

dcm2niix writes each of the 16 overlay groups that any file of a series
holds as a 0/1 uint8 volume with the series' geometry: the overlay bits of
the one file (as many as the volume has voxels), or of each file in its
slice's place when the series has one file a slice; another series gets an
empty volume. A file whose overlays are not 1-bit at bit 0, start elsewhere
than row 1 column 1, or differ in size from the image, has none.
"""
from __future__ import annotations

import numpy as np

from ..dicom.header import as_header
from ..dicom.values import floats, integer
from ..volume import Volume

GROUPS = 16  # overlay groups 6000, 6002, ... 601E


def _overlays(header):
    """{group index: packed bits} of one file's usable overlays ({} when dcm2niix would take none)."""
    header = as_header(header)
    rows, cols = integer(header.get("Rows"), 0), integer(header.get("Columns"), 0)
    found = {}
    for j in range(GROUPS):
        group = 0x6000 + 2 * j
        data = header.get((group, 0x3000))
        if data is None:
            continue
        size = (integer(header.get((group, 0x0010)), 0), integer(header.get((group, 0x0011)), 0))
        origin = floats(header.get((group, 0x0050)))
        bits, position = header.get((group, 0x0100)), header.get((group, 0x0102))
        if (size[0] and size[0] != rows) or (size[1] and size[1] != cols) or (origin and origin != [1.0, 1.0]) \
                or (bits is not None and integer(bits) != 1) or (position is not None and integer(position) != 0):
            return {}  # dcm2niix's one overlayOK flag: the file keeps no overlay
        found[j] = bytes(data)
    return found


def _unpack(packed, count):
    """The first ``count`` overlay bits, least significant bit first (dcm2niix's loadOverlay); None if too few."""
    if len(packed) < (count + 7) // 8:
        return None  # dcm2niix: "File not large enough to store overlay", the plane stays empty
    return np.unpackbits(np.frombuffer(packed, np.uint8, (count + 7) // 8), bitorder="little")[:count]


def overlay_volumes(vol, header_of):
    """``[(suffix, Volume)]``: the ``_ROI<n>`` volumes of a series, as dcm2niix writes them beside it.

    ``header_of(path)`` gives a file's header. A series dcm2niix turns to
    RAS+ (a 3-D acquisition) gets none here.
    """
    meta = vol.meta
    frames = meta.get("frames") or []
    if not frames or meta.get("reoriented") or len(vol.stored.shape) < 2:
        return []
    paths = list(dict.fromkeys(path for path, _ in frames))
    per_file = {path: _overlays(header_of(path)) for path in paths}
    groups = sorted({j for found in per_file.values() for j in found})
    if not groups:
        return []
    cols, rows = vol.stored.shape[:2]
    nz = vol.stored.shape[2] if len(vol.stored.shape) > 2 else 1
    out = []
    for j in groups:
        planes = np.zeros((nz, rows, cols), np.uint8)  # file order: row by row, as read
        if len(paths) == 1 and j in per_file[paths[0]]:
            bits = _unpack(per_file[paths[0]][j], rows * cols * nz)
            if bits is not None:  # the file's planes in frame order, put where the series put each frame
                order = [frame for _, frame in frames[:nz]]
                in_file = bits.reshape(nz, rows, cols)
                planes[:] = in_file[order] if max(order) < nz else in_file
        elif len(paths) == nz:
            for k, (path, _) in enumerate(frames[:nz]):
                bits = _unpack(per_file[path][j], rows * cols) if j in per_file[path] else None
                if bits is not None:
                    planes[k] = bits.reshape(rows, cols)
        stored = planes[:, ::-1].transpose(2, 1, 0)  # NIfTI: i along the row, rows bottom-up, k the slice
        out.append((f"_ROI{j + 1}", Volume(stored, vol.affine, meta)))
    return out
