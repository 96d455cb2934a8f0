"""Siemens mosaics: the CSA header's ``NumberOfImagesInMosaic``, tile geometry, tile extraction.

The CSA header itself is parsed by ``medfast.dicom.siemens``.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import file_error
from . import values


def is_mosaic(header):
    """True when ImageType says MOSAIC (Siemens' tiled multi-slice layout)."""
    return any(v.upper() == "MOSAIC" for v in values.text(header.get("ImageType")).split("\\"))


def mosaic_layout(header, csa, path):
    """``(n_slices, tiles_per_side, tile_rows, tile_cols)`` of a mosaic, validated.

    As dcm2niix, a grid side that does not divide the image gives tiles of
    the whole number of pixels below (``tile`` says where each one starts).
    """
    items = csa.get("NumberOfImagesInMosaic") or []
    try:
        n = int(float(items[0]))
    except (IndexError, ValueError) as err:
        raise file_error(path, "CSA NumberOfImagesInMosaic", items, "missing or not a number") from err
    rows, cols = values.integer(header.get("Rows"), 0), values.integer(header.get("Columns"), 0)
    side = math.ceil(math.sqrt(n)) if n > 0 else 0
    if n < 1 or rows < side or cols < side:
        raise file_error(path, "CSA NumberOfImagesInMosaic", n, f"does not tile a {rows} x {cols} image")
    return n, side, rows // side, cols // side


def tile_positions(header, csa, layout):
    """Position (LPS mm) of each tile's first voxel: the mosaic's position moved to the tile, then along the normal."""
    n, side, tr, tc = layout
    path = header.path
    iop = np.asarray(values.required_floats(header.get("ImageOrientationPatient"), 6, path, "ImageOrientationPatient"))
    row_dir, col_dir = iop[:3], iop[3:]
    ps = values.required_floats(header.get("PixelSpacing"), 2, path, "PixelSpacing")
    ipp = np.asarray(values.required_floats(header.get("ImagePositionPatient"), 3, path, "ImagePositionPatient"))
    rows, cols = values.integer(header.get("Rows"), 0), values.integer(header.get("Columns"), 0)
    # the mosaic's position is that of its top-left pixel as if it were one big slice
    # (with dcm2niix's fractional tile size when the grid does not divide the image)
    first = ipp + row_dir * ps[1] * (cols - cols / side) / 2 + col_dir * ps[0] * (rows - rows / side) / 2
    normal = np.cross(row_dir, col_dir)
    csa_normal = csa.get("SliceNormalVector")
    if csa_normal and len(csa_normal) == 3:
        normal = np.asarray([float(v) for v in csa_normal], dtype=np.float64)
    step = values.number(header.get("SpacingBetweenSlices"), 0.0) or values.number(header.get("SliceThickness"), 0.0) or 1.0
    return [first + k * step * normal for k in range(n)]


def tile(image, layout, k):
    """Tile ``k`` (row-major in the grid) of a 2-D mosaic image: a view when the grid divides the image.

    Otherwise as dcm2niix's ``nii_demosaic``: grid row ``r`` starts ``r``
    times (rows x columns / side) pixels into the image, not on a whole line.
    """
    _, side, tr, tc = layout
    r, c = divmod(k, side)
    rows, cols = image.shape[:2]
    if rows == tr * side and cols == tc * side:
        return image[r * tr:(r + 1) * tr, c * tc:(c + 1) * tc]
    start = r * (rows * cols // side) + c * tc
    return np.ascontiguousarray(image).reshape((rows * cols,) + image.shape[2:])[
        start + np.arange(tr)[:, None] * cols + np.arange(tc)]
