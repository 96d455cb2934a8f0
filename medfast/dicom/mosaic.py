"""Siemens mosaics: the CSA header's ``NumberOfImagesInMosaic``, tile geometry, tile extraction.

pydicom does not decode Siemens CSA headers (private tags (0029,xx10) and
(0029,xx20)), so this module parses the few fields a mosaic needs, checking
every length against the buffer: a malformed header raises ``InvalidFileError``
instead of reading past its end.
"""
from __future__ import annotations

import math
import struct

import numpy as np

from ..errors import file_error

_MAX_TAGS = 1000
_MAX_ITEMS = 1000


def parse_csa(raw, path=None):
    """Parse a Siemens CSA1 or CSA2 header into ``{name: [item strings]}``.

    Examples
    --------
    >>> import struct
    >>> item = b"36\\0\\0"
    >>> tag = b"NumberOfImagesInMosaic".ljust(64, b"\\0") + struct.pack("<i4siii", 1, b"US\\0\\0", 3, 1, 77)
    >>> tag += struct.pack("<4i", 4, 4, 77, 4) + item
    >>> raw = b"SV10\\4\\3\\2\\1" + struct.pack("<2I", 1, 77) + tag
    >>> parse_csa(raw)["NumberOfImagesInMosaic"]
    ['36']
    """
    raw = bytes(raw)
    csa2 = raw[:4] == b"SV10"
    pos = 8 if csa2 else 0
    if len(raw) < pos + 8:
        raise file_error(path, "CSA header", len(raw), "shorter than its 8-byte preamble")
    n_tags = struct.unpack_from("<I", raw, pos)[0]
    if not 0 < n_tags <= _MAX_TAGS:
        raise file_error(path, "CSA header", n_tags, f"tag count must be 1..{_MAX_TAGS}")
    pos += 8
    out = {}
    for _ in range(n_tags):
        if pos + 84 > len(raw):
            raise file_error(path, "CSA header", pos, "tag runs past the end of the header")
        name = raw[pos:pos + 64].split(b"\0", 1)[0].decode("latin-1")
        n_items = struct.unpack_from("<i", raw, pos + 76)[0]
        pos += 84
        if not 0 <= n_items <= _MAX_ITEMS:
            raise file_error(path, f"CSA {name}", n_items, f"item count must be 0..{_MAX_ITEMS}")
        items = []
        for _ in range(n_items):
            if pos + 16 > len(raw):
                raise file_error(path, f"CSA {name}", pos, "item runs past the end of the header")
            x0, x1 = struct.unpack_from("<2i", raw, pos)
            length = x1 if csa2 else x0
            pos += 16
            if length < 0 or pos + length > len(raw):
                raise file_error(path, f"CSA {name}", length, "item length runs past the end of the header")
            text = raw[pos:pos + length].split(b"\0", 1)[0].decode("latin-1").strip()
            if text:
                items.append(text)
            pos += (length + 3) // 4 * 4
        out[name] = items
    return out


def csa_image_header(ds):
    """The CSA image header of a Siemens dataset (``{}`` when absent)."""
    for block in range(0x10, 0x100):
        creator = ds.get((0x0029, block))
        if creator is not None and str(creator.value).strip().upper() == "SIEMENS CSA HEADER":
            elem = ds.get((0x0029, (block << 8) | 0x10))
            if elem is None or not elem.value:
                return {}
            return parse_csa(elem.value, getattr(ds, "filename", None))
    return {}


def is_mosaic(ds):
    """True when ImageType says MOSAIC (Siemens' tiled multi-slice layout)."""
    image_type = ds.get("ImageType") or []
    if isinstance(image_type, str):
        image_type = image_type.split("\\")
    return any(str(v).upper() == "MOSAIC" for v in image_type)


def mosaic_layout(ds, csa, path):
    """``(n_slices, tiles_per_side, tile_rows, tile_cols)`` of a mosaic, validated."""
    items = csa.get("NumberOfImagesInMosaic") or []
    try:
        n = int(float(items[0]))
    except (IndexError, ValueError) as err:
        raise file_error(path, "CSA NumberOfImagesInMosaic", items, "missing or not a number") from err
    rows, cols = int(ds.Rows), int(ds.Columns)
    side = math.ceil(math.sqrt(n)) if n > 0 else 0
    if n < 1 or rows % side or cols % side:
        raise file_error(path, "CSA NumberOfImagesInMosaic", n, f"does not tile a {rows} x {cols} image")
    return n, side, rows // side, cols // side


def tile_positions(ds, csa, layout):
    """Position (LPS mm) of each tile's first voxel: the mosaic's position moved to the tile, then along the normal."""
    n, side, tr, tc = layout
    iop = np.asarray([float(v) for v in ds.ImageOrientationPatient], dtype=np.float64)
    row_dir, col_dir = iop[:3], iop[3:]
    ps = [float(v) for v in ds.PixelSpacing]
    ipp = np.asarray([float(v) for v in ds.ImagePositionPatient], dtype=np.float64)
    # the mosaic's position is that of its top-left pixel as if it were one big slice
    first = ipp + row_dir * ps[1] * (int(ds.Columns) - tc) / 2 + col_dir * ps[0] * (int(ds.Rows) - tr) / 2
    normal = np.cross(row_dir, col_dir)
    csa_normal = csa.get("SliceNormalVector")
    if csa_normal and len(csa_normal) == 3:
        normal = np.asarray([float(v) for v in csa_normal], dtype=np.float64)
    step = float(ds.get("SpacingBetweenSlices") or ds.get("SliceThickness") or 1.0)
    return [first + k * step * normal for k in range(n)]


def tile(image, layout, k):
    """Tile ``k`` (row-major in the grid) of a 2-D mosaic image, as a view."""
    _, side, tr, tc = layout
    r, c = divmod(k, side)
    return image[r * tr:(r + 1) * tr, c * tc:(c + 1) * tc]
