"""The format registry: one entry a format, ``read`` by sniffing, ``write`` by extension.

Each format module defines ``NAME``, ``EXTENSIONS``, ``sniff(head, path)``
over the first bytes of the file, ``read(path) -> Volume`` and, where it
writes, ``write(vol, path)``. The modules import their heavy parsers (nibabel,
pynrrd, h5py) only inside those functions.
"""
from __future__ import annotations

import dataclasses
import importlib
import os

from ..errors import InvalidArgumentError, UnsupportedError

# Sniff order: the strongest magic first; Analyze (no magic) after NIfTI.
_MODULES = ("nifti", "nrrd", "minc2", "minc1", "parrec", "analyze")
_HEAD = 1024


@dataclasses.dataclass(frozen=True)
class Format:
    """One registered format: its name, extensions, sniff, reader and writer (None if read-only)."""

    name: str
    extensions: tuple
    sniff: object
    reader: object
    writer: object = None


REGISTRY: dict = {}


def register(fmt):
    """Add (or replace) a format in the registry.

    Examples
    --------
    >>> fmt = FORMATS()["nrrd"]
    >>> register(fmt) is fmt
    True
    """
    REGISTRY[fmt.name] = fmt
    return fmt


def _load():
    if not REGISTRY:
        for name in _MODULES:
            mod = importlib.import_module(f"{__name__}.{name}")
            register(Format(mod.NAME, mod.EXTENSIONS, mod.sniff, mod.read, getattr(mod, "write", None)))
    return REGISTRY


def FORMATS():  # noqa: N802 - reads as the registry itself
    """The registry, ``{name: Format}``, in sniff order.

    Examples
    --------
    >>> sorted(FORMATS())
    ['analyze', 'minc1', 'minc2', 'nifti', 'nrrd', 'parrec']
    """
    return _load()


def _lower(path):
    return os.fspath(path).lower()


def sniff(path):
    """The name of the format of the file at ``path``, from its first bytes.

    ``.img`` and ``.REC`` data files are sniffed through their header file.

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nii.gz")
    >>> nib.save(nib.Nifti1Image(np.zeros((2, 2, 2), np.uint8), np.eye(4)), p)
    >>> sniff(p)
    'nifti'
    """
    from .._io import companion_header, head

    path = companion_header(os.fspath(path))
    first = head(path, _HEAD)
    for fmt in _load().values():
        if fmt.sniff(first, path):
            return fmt.name
    raise UnsupportedError(f"{path}: format: first bytes {first[:16]!r}: not a format medfast reads")


def read(path, format=None):
    """Read any supported image file into a ``Volume``; the format is sniffed from its first bytes.

    Parameters
    ----------
    path : str or os.PathLike
        NIfTI (``.nii``, ``.nii.gz``, ``.hdr/.img``), Analyze, NRRD
        (``.nrrd``, ``.nhdr``), MINC1 or MINC2 (``.mnc``), PAR/REC.
    format : str, optional
        A registry name to skip sniffing.

    Returns
    -------
    Volume

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nii")
    >>> nib.save(nib.Nifti1Image(np.arange(8, dtype=np.uint8).reshape(2, 2, 2), np.eye(4)), p)
    >>> read(p).array.max()
    np.uint8(7)
    """
    if not os.path.exists(path):
        raise FileNotFoundError(path)
    name = sniff(path) if format is None else format
    fmt = _load().get(name)
    if fmt is None:
        raise InvalidArgumentError(f"read: format={format!r}: not one of {sorted(_load())}")
    return fmt.reader(path)


def format_for(path, format=None):
    """The registry name a path is written as: ``format`` if given, else by extension.

    Examples
    --------
    >>> format_for("t1.nii.gz"), format_for("a.nhdr"), format_for("x.img", "analyze")
    ('nifti', 'nrrd', 'analyze')
    """
    formats = _load()
    if format is not None:
        if format not in formats or formats[format].writer is None:
            writable = sorted(n for n, f in formats.items() if f.writer is not None)
            raise InvalidArgumentError(f"write: format={format!r}: not one of {writable}")
        return format
    lower = _lower(path)
    best = None
    for fmt in formats.values():  # the longest matching extension wins (.nii.gz over .gz)
        if fmt.writer is None:
            continue
        for ext in fmt.extensions:
            if lower.endswith(ext) and (best is None or len(ext) > len(best[1])):
                best = (fmt.name, ext)
    if best is None:
        raise InvalidArgumentError(f"write: path={os.fspath(path)!r}: no writer for this extension")
    return best[0]


def write(vol, path, format=None, **options):
    """Write a ``Volume``; the writer is chosen by the extension, or by ``format``.

    ``.nii``, ``.nii.gz`` and ``.hdr/.img``: NIfTI-1 (``format="analyze"`` for
    Analyze 7.5); ``.nrrd``/``.nhdr`` (``.gz`` in the name: gzip encoding);
    ``.mnc``: MINC2. ``options`` go to the format's writer (e.g.
    ``encoding="gzip"`` for NRRD). The file appears atomically.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from medfast.volume import Volume
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nrrd")
    >>> write(Volume(np.zeros((2, 3, 4), np.int16), np.eye(4)), p)
    >>> read(p).shape
    (2, 3, 4)
    """
    _load()[format_for(path, format)].writer(vol, path, **options)


def detect(path):
    """The registry name of a file medfast reads, or None (DICOM, folders, anything else).

    Examples
    --------
    >>> import nibabel, os
    >>> detect(os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "small.mnc"))
    'minc2'
    >>> detect(os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "0.dcm")) is None
    True
    """
    if not os.path.isfile(path):
        return None
    try:
        return sniff(path)
    except (UnsupportedError, OSError):
        return None


_SUFFIXES = {"nii.gz": ".nii.gz", "nii": ".nii", "nrrd": ".nrrd", "nhdr": ".nhdr", "mnc": ".mnc", "img": ".img"}


def convert(src, out_dir, to="nii.gz"):
    """Convert one non-DICOM file to another format in ``out_dir``; return the path written.

    The output is named after the input's stem (``T1.PAR`` -> ``T1.nii.gz``).

    Examples
    --------
    >>> import nibabel, os, tempfile
    >>> par = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "phantom_varscale.PAR")
    >>> os.path.basename(convert(par, tempfile.mkdtemp(), "nii.gz"))
    'phantom_varscale.nii.gz'
    """
    if to not in _SUFFIXES:
        raise InvalidArgumentError(f"convert: to={to!r}: not one of {sorted(_SUFFIXES)}")
    name = os.path.basename(os.fspath(src))
    lower = name.lower()
    for ext in sorted((e for f in _load().values() for e in f.extensions), key=len, reverse=True):
        if lower.endswith(ext):
            name = name[: len(name) - len(ext)]
            break
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(os.fspath(out_dir), name + _SUFFIXES[to])
    write(read(src), out)
    return out


__all__ = ["FORMATS", "Format", "REGISTRY", "convert", "detect", "format_for", "read", "register", "sniff", "write"]
