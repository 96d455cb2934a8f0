"""A picture of a volume: its middle slices in three orientations, as a greyscale PNG.

Used by ``medfast preview``, the bulk report's thumbnails and the demo. The PNG
encoder is a few lines over zlib, so pictures need no imaging library.

What makes the picture readable: each panel carries its orientation letters
(R/L, A/P, S/I, from the affine); all panels share one scale in millimetres, so
a thin slab stays a thin strip; and the grey window shows tissue: a CT window
preset chosen from the Hounsfield values (brain, soft tissue, bone), otherwise
the 1st to 99th percentile of the foreground (the voxels above the volume's
mean: air and noise lie below it), not of a volume that is mostly background.
"""
from __future__ import annotations

import os
import struct
import sys
import zlib

import numpy as np

from ._atomic import atomic_path
from .errors import ConversionError, InvalidArgumentError, MedfastError, NoImageError, OutputFolderError

#: CT window presets: name -> (level, width) in HU, as reading stations name them.
CT_WINDOWS = {"brain": (40, 80), "soft tissue": (50, 400), "bone": (400, 1800)}

MAX_HEIGHT = 4096  # a panel taller than this is a typo, not a preview
_GAP = 4  # black pixels between panels
_SAMPLE = 1 << 20  # voxels looked at to choose the window

# 5 x 7 glyphs of the six orientation letters ("#" lit).
_GLYPHS = {
    "R": ("####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"),
    "L": ("#....", "#....", "#....", "#....", "#....", "#....", "#####"),
    "A": (".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"),
    "P": ("####.", "#...#", "#...#", "####.", "#....", "#....", "#...."),
    "S": (".####", "#....", "#....", ".###.", "....#", "....#", "####."),
    "I": (".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."),
}


def _to_ras(array, affine):
    """Reorder and flip the first three axes so that i, j, k run along R, A, S; also return the zooms."""
    from nibabel.orientations import apply_orientation, io_orientation

    ornt = io_orientation(affine)
    zooms = np.sqrt((affine[:3, :3] ** 2).sum(axis=0))[ornt[:, 0].astype(int)]
    return apply_orientation(array, ornt), zooms


def _as_3d(array):
    """The first volume of a 4-D array (the middle sample for vectors), magnitudes of complex data."""
    data = np.asarray(array)
    while data.ndim > 3:
        data = data[..., data.shape[-1] // 2] if data.ndim > 4 else data[..., 0]
    if data.ndim == 2:
        data = data[:, :, None]
    return np.abs(data) if np.iscomplexobj(data) else data


def _sample(data):
    """At most about ``_SAMPLE`` finite values of ``data``, spread over the whole volume."""
    step = max(1, data.size // _SAMPLE)
    flat = np.asarray(data, np.float64).ravel()[::step] if step > 1 else np.asarray(data, np.float64).ravel()
    return flat[np.isfinite(flat)]


def _looks_like_ct(values, modality):
    """CT by the modality, or (none given) by Hounsfield values: a large share of air near -1000 HU."""
    if modality:
        return str(modality).upper() == "CT"
    air = np.mean((values >= -1100) & (values <= -900))
    return air > 0.1 and values.max() <= 4000 and values.min() >= -3100


def window(array, modality=None):
    """The grey range of a preview: ``(low, high, description)``.

    CT (by ``modality``, or by values in Hounsfield units when no modality is
    given): the brain window when the body is mostly 0-80 HU with little fat,
    the soft-tissue window when it is mostly -160-240 HU, the bone window
    otherwise. Anything else: the 1st to 99th percentile of the voxels above the mean.

    Examples
    --------
    >>> import numpy as np
    >>> head = np.full((20, 20, 20), -1000.0); head[5:15, 5:15, 5:15] = 40; head[5, 5:15, 5:15] = 800
    >>> window(head)[2]
    'CT brain (level 40, width 80 HU)'
    >>> [round(float(x)) for x in window(np.arange(100.0))[:2]]
    [50, 99]
    """
    values = _sample(_as_3d(array))
    if values.size == 0:
        return 0.0, 1.0, "no finite values"
    if _looks_like_ct(values, modality):
        body = values[(values > -500) & (values < 3000)]
        if body.size:
            brain = np.mean((body >= 0) & (body <= 80))
            fat = np.mean((body >= -200) & (body < -20))
            soft = np.mean((body >= -160) & (body <= 240))
            name = "brain" if brain >= 0.5 and fat < 0.1 else "soft tissue" if soft >= 0.5 else "bone"
            level, width = CT_WINDOWS[name]
            return level - width / 2, level + width / 2, f"CT {name} (level {level}, width {width} HU)"
    foreground = values[values > values.mean()]  # background (air, noise) sits below the mean
    if foreground.size < max(1, values.size // 100):  # no clear foreground: the whole volume
        foreground = values
    low, high = np.percentile(foreground, [1, 99])
    if high <= low:
        high = low + 1
    return low, high, "foreground 1-99th percentile"


def _resample(plane, rows, cols):
    """Nearest-neighbour resample of a 2-D plane to ``rows`` x ``cols`` pixels."""
    r = np.minimum((np.arange(rows) + 0.5) * plane.shape[0] / rows, plane.shape[0] - 1).astype(int)
    c = np.minimum((np.arange(cols) + 0.5) * plane.shape[1] / cols, plane.shape[1] - 1).astype(int)
    return plane[np.ix_(r, c)]


def _letter(image, char, top, left, scale):
    """Draw one glyph, white with a black outline, with its top-left corner at (top, left)."""
    mask = np.array([[c == "#" for c in row] for row in _GLYPHS[char]]).repeat(scale, 0).repeat(scale, 1)
    outline = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), bool)
    for dr in range(3):
        for dc in range(3):
            outline[dr:dr + mask.shape[0], dc:dc + mask.shape[1]] |= mask
    box = image[top - 1:top + mask.shape[0] + 1, left - 1:left + mask.shape[1] + 1]
    box[outline[:box.shape[0], :box.shape[1]]] = 0
    image[top:top + mask.shape[0], left:left + mask.shape[1]][mask] = 255


def _label(panel, letters, scale):
    """Put ``letters`` (top, bottom, left, right) at the middle of each edge, where they fit."""
    rows, cols = panel.shape
    gh, gw, pad = 7 * scale, 5 * scale, scale + 1
    top, bottom, left, right = letters
    if rows >= 2 * gh + 4 * pad and cols >= gw + 2 * pad:
        _letter(panel, top, pad, (cols - gw) // 2, scale)
        _letter(panel, bottom, rows - gh - pad, (cols - gw) // 2, scale)
    if cols >= 2 * gw + 4 * pad and rows >= gh + 2 * pad:
        _letter(panel, left, (rows - gh) // 2, pad, scale)
        _letter(panel, right, (rows - gh) // 2, cols - gw - pad, scale)
    return panel


def render(array, affine, height=256, modality=None):
    """Middle sagittal, coronal and axial slices side by side, as a uint8 image.

    The first volume of a 4-D array is drawn (the middle sample for vectors).
    Slices are shown in neurological habit (as nilearn): superior up on
    sagittal and coronal, anterior up on axial, the patient's left on the
    picture's left; each panel has its orientation letters. All panels share one
    scale, set so that the tallest is ``height`` pixels (and none is wider than
    twice that); the grey range is ``window(array, modality)``.

    Parameters
    ----------
    array : numpy.ndarray
        Voxel values indexed i, j, k[, ...].
    affine : numpy.ndarray, shape (4, 4)
        Voxel to RAS+ mm.
    height : int
        Height in pixels of the tallest panel, and of the picture.
    modality : str, optional
        The DICOM Modality ("CT" selects a Hounsfield window); None: guessed from the values.

    Returns
    -------
    numpy.ndarray of uint8, shape (height, width)

    Examples
    --------
    >>> import numpy as np
    >>> render(np.random.rand(10, 12, 8), np.eye(4), height=32).shape
    (32, 94)
    """
    return _render(array, affine, height, modality)[0]


def _render(array, affine, height, modality):
    """``render``'s picture and the description of its grey window."""
    if int(height) < 1:
        raise InvalidArgumentError(f"render: height={height}: must be 1 or more")
    data = _as_3d(array)
    low, high, described = window(data, modality)
    vol, (zx, zy, zz) = _to_ras(data, affine)
    cx, cy, cz = (s // 2 for s in vol.shape)
    # picture rows run top to bottom, so the axis that points up is reversed
    planes = [  # (plane, mm a row, mm a column, letters top, bottom, left, right)
        (vol[cx, :, ::-1].T, zz, zy, "SIPA"),  # sagittal: rows S to I, columns P to A
        (vol[:, cy, ::-1].T, zz, zx, "SILR"),  # coronal: rows S to I, columns L to R
        (vol[:, ::-1, cz].T, zy, zx, "APLR"),  # axial: rows A to P, columns L to R
    ]
    extents = [(p.shape[0] * dr, p.shape[1] * dc) for p, dr, dc, _ in planes]
    tallest = max(e[0] for e in extents) or 1.0
    widest = max(e[1] for e in extents) or 1.0
    mm_per_pixel = max(tallest / height, widest / (2 * height))
    glyph = max(1, height // 128)
    panels = []
    for (plane, _, _, letters), (rows_mm, cols_mm) in zip(planes, extents):
        rows = min(height, max(1, round(rows_mm / mm_per_pixel)))
        cols = max(1, round(cols_mm / mm_per_pixel))
        grey = np.clip((np.asarray(plane, np.float64) - low) / (high - low) * 255.0, 0, 255)
        panel = _label(np.nan_to_num(_resample(grey, rows, cols)).astype(np.uint8), letters, glyph)
        framed = np.zeros((height, cols), np.uint8)  # centred on a black column of the picture's height
        framed[(height - rows) // 2:(height - rows) // 2 + rows] = panel
        panels.append(framed)
    gap = np.zeros((height, _GAP), np.uint8)
    return np.concatenate([x for p in panels for x in (p, gap)][:-1], axis=1), described


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


def check_png_path(path):
    """Refuse an output name that does not end in ``.png`` (the only format written).

    Examples
    --------
    >>> check_png_path("out.jpg")
    Traceback (most recent call last):
    medfast.errors.InvalidArgumentError: out.jpg: output format .jpg: only PNG is written; name the file .png
    """
    ext = os.path.splitext(os.fspath(path))[1]
    if ext.lower() != ".png":
        raise InvalidArgumentError(
            f"{os.fspath(path)}: output format {ext or '(no extension)'}: only PNG is written; name the file .png")


def save_preview(volume, path, height=256):
    """Write a volume's three-orientation picture to ``path`` (PNG), atomically; return the window used.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from medfast import Volume
    >>> out = os.path.join(tempfile.mkdtemp(), "p.png")
    >>> save_preview(Volume(np.random.rand(8, 8, 8), np.eye(4)), out)
    'foreground 1-99th percentile'
    >>> open(out, "rb").read(4)
    b'\\x89PNG'
    """
    check_png_path(path)
    modality = volume.meta.get("Modality") if isinstance(volume.meta, dict) else None
    image, described = _render(volume.array, volume.affine, height, modality)
    write_file(path, encode_png(image))
    return described


def write_file(path, data):
    """Write ``data`` to ``path`` atomically; a failure names ``path``, not a temporary name.

    Examples
    --------
    >>> write_file("/no/such/folder/p.png", b"x")
    Traceback (most recent call last):
    medfast.errors.OutputFolderError: /no/such/folder/p.png: cannot write: /no/such/folder does not exist
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise OutputFolderError(f"{os.fspath(path)}: cannot write: {folder} {what}")
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            f.write(data)
    except (OSError, ConversionError) as err:
        cause = err if isinstance(err, OSError) else err.__cause__
        reason = (getattr(cause, "strerror", None) or str(cause or err)).lower()
        raise ConversionError(f"{os.fspath(path)}: cannot write: {reason}") from err


def read_any(path):
    """The first volume of any readable file, or of the first series in a DICOM folder or file."""
    from .dicom import read_dicom
    from .formats import read

    if not os.path.exists(path):
        raise FileNotFoundError(2, "no such file or folder", os.fspath(path))
    if os.path.isdir(path):
        vols = read_dicom(path)
        if not vols:
            raise NoImageError(f"{path}: no image series found")
        return vols[0]
    try:
        return read(path)
    except MedfastError:
        vols = read_dicom(path)
        if not vols:
            raise
        return vols[0]


def main(argv):
    """``medfast preview PATH -o out.png [--height N]``: exit statuses as ``medfast.exitcodes``."""
    from .cli import CommandParser, positive_int

    parser = CommandParser(prog="medfast preview", description="PNG of a volume's middle slices")
    parser.add_argument("path", help="an image file, a DICOM file or a DICOM folder")
    parser.add_argument("-o", "--output", required=True, help="the PNG to write (.png)")
    parser.add_argument("--height", type=positive_int, default=256,
                        help=f"picture height in pixels, 1 to {MAX_HEIGHT} (default 256)")
    args = parser.parse_args(argv)
    if args.height > MAX_HEIGHT:
        parser.error(f"argument --height: must be at most {MAX_HEIGHT}, not {args.height}")
    check_png_path(args.output)
    described = save_preview(read_any(args.path), args.output, args.height)
    print(f"{args.output}  (window: {described})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
