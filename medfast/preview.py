"""A picture of a volume: its middle slices in three orientations, as a greyscale PNG.

Used by ``medfast preview``, the bulk report's thumbnails and the demo. The PNG
encoder is a few lines over zlib, so pictures need no imaging library.
"""
from __future__ import annotations

import argparse
import struct
import sys
import zlib

import numpy as np

from ._atomic import atomic_path
from .errors import MedfastError


def _to_ras(array, affine):
    """Reorder and flip the first three axes so that i, j, k run along R, A, S."""
    from nibabel.orientations import apply_orientation, io_orientation

    ornt = io_orientation(affine)
    zooms = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))[ornt[:, 0].astype(int)]
    return apply_orientation(array, ornt), zooms


def _stretch(plane, zoom_rows, zoom_cols, height):
    """Nearest-neighbour resample of a 2-D plane to ``height`` rows, with square pixels in mm."""
    rows_mm = plane.shape[0] * zoom_rows
    cols_mm = plane.shape[1] * zoom_cols
    width = max(1, int(round(height * cols_mm / rows_mm))) if rows_mm > 0 else plane.shape[1]
    r = np.minimum((np.arange(height) + 0.5) * plane.shape[0] / height, plane.shape[0] - 1).astype(int)
    c = np.minimum((np.arange(width) + 0.5) * plane.shape[1] / width, plane.shape[1] - 1).astype(int)
    return plane[np.ix_(r, c)]


def render(array, affine, height=256):
    """Middle sagittal, coronal and axial slices side by side, as a uint8 image.

    The first volume of a 4-D array is drawn (the middle sample for vectors);
    grey levels span the 1st to 99th percentile, so a few hot voxels do not
    darken the picture. Slices are shown in neurological habit (as nilearn):
    superior up on sagittal and coronal, anterior up on axial, the patient's
    left on the picture's left.

    Parameters
    ----------
    array : numpy.ndarray
        Voxel values indexed i, j, k[, ...].
    affine : numpy.ndarray, shape (4, 4)
        Voxel to RAS+ mm.
    height : int
        Height in pixels of each panel.

    Returns
    -------
    numpy.ndarray of uint8, shape (height, width)

    Examples
    --------
    >>> import numpy as np
    >>> render(np.random.rand(10, 12, 8), np.eye(4), height=32).shape[0]
    32
    """
    data = np.asarray(array)
    while data.ndim > 3:
        data = data[..., data.shape[-1] // 2] if data.ndim > 4 else data[..., 0]
    if data.ndim == 2:
        data = data[:, :, None]
    if np.iscomplexobj(data):
        data = np.abs(data)
    vol, (zx, zy, zz) = _to_ras(data.astype(np.float32, copy=False), affine)
    cx, cy, cz = (s // 2 for s in vol.shape)
    # picture rows run top to bottom, so the axis that points up is reversed
    sag = vol[cx, :, ::-1].T  # rows S to I, columns P to A
    cor = vol[:, cy, ::-1].T  # rows S to I, columns L to R
    axi = vol[:, ::-1, cz].T  # rows A to P, columns L to R
    panels = [
        _stretch(sag, zz, zy, height),
        _stretch(cor, zz, zx, height),
        _stretch(axi, zy, zx, height),
    ]
    finite = np.concatenate([p[np.isfinite(p)].ravel() for p in panels])
    lo, hi = (np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0))
    if hi <= lo:
        hi = lo + 1
    gap = np.full((height, 4), np.nan, np.float32)  # drawn black: NaN maps to the low end
    strip = np.concatenate([x for p in panels for x in (p, gap)][:-1], axis=1)
    scaled = np.clip((np.nan_to_num(strip, nan=lo) - lo) / (hi - lo) * 255.0, 0, 255)
    return scaled.astype(np.uint8)


def encode_png(image):
    """Encode a 2-D uint8 array as greyscale PNG bytes.

    Examples
    --------
    >>> encode_png(np.zeros((2, 3), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    image = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = image.shape

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    rows = np.zeros((height, width + 1), np.uint8)  # filter byte 0 ("none") on each row
    rows[:, 1:] = image
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b"")


def save_preview(volume, path, height=256):
    """Write a volume's three-orientation picture to ``path`` (PNG), atomically.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from medfast import Volume
    >>> out = os.path.join(tempfile.mkdtemp(), "p.png")
    >>> save_preview(Volume(np.random.rand(8, 8, 8), np.eye(4)), out)
    >>> open(out, "rb").read(4)
    b'\\x89PNG'
    """
    png = encode_png(render(volume.array, volume.affine, height))
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(png)


def read_any(path):
    """The first volume of any readable file, or of the first series in a DICOM folder or file."""
    import os

    from .formats import read
    from .dicom import read_dicom

    if os.path.isdir(path):
        vols = read_dicom(path)
        if not vols:
            raise MedfastError(f"{path}: no image series found")
        return vols[0]
    try:
        return read(path)
    except MedfastError:
        vols = read_dicom(path)
        if not vols:
            raise
        return vols[0]


def main(argv):
    """``medfast preview FILE -o out.png``."""
    parser = argparse.ArgumentParser(prog="medfast preview", description="PNG of a volume's middle slices")
    parser.add_argument("path", help="an image file, a DICOM file or a DICOM folder")
    parser.add_argument("-o", "--output", required=True, help="the PNG to write")
    parser.add_argument("--height", type=int, default=256, help="panel height in pixels (default 256)")
    args = parser.parse_args(argv)
    try:
        save_preview(read_any(args.path), args.output, args.height)
    except MedfastError as err:
        print(f"medfast preview: {err}", file=sys.stderr)
        return 1
    print(args.output)
    return 0
