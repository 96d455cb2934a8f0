"""The format registry: every format medfast reads or writes, DICOM included, one module each.

A format module defines ``NAME``; ``EXTENSIONS``, the file names it is known
by; ``WRITES``, the extensions its writer is chosen by (empty when read-only,
or when it is written only on request, as Analyze); ``sniff(head, path)`` over
the first :data:`medfast._io.SNIFF_BYTES` bytes; ``read(path, head)`` and
``read_header(path, head)`` (the same ``Volume`` without its voxels: ``stored``
is a read-only zero-stride placeholder), which take the sniffed bytes so a
header that fits in them is not read twice; and ``write(vol, path, **options)``
where it writes. Heavy parsers (nibabel, pynrrd, h5py, pydicom) are imported
inside those functions only.

The API others call (the bulk converter, ``medfast info``, ``medfast preview``)::

    name = sniff(path)                    # "nifti", "nrrd", "minc2", "minc1", "parrec", "dicom", "analyze"
    vol = read(path)                      # any file, or a DICOM folder holding one series
    vol = read_header(path)               # shape, dtype, affine, timing; no voxels read
    write(vol, "out.mnc")                 # the writer chosen by the extension (or format=)
    writable_extensions()                 # (".nii.gz", ".nii", ".hdr", ..., ".nrrd", ".nhdr", ".mnc")
    split_extension("T1.nii.gz")          # ("T1", ".nii.gz")

Sniffing order: the strongest magic first; DICOM (``DICM`` at byte 128)
before Analyze, which has no magic. A folder is DICOM.
"""
from __future__ import annotations

import dataclasses
import errno
import importlib
import os

from .._io import SNIFF_BYTES, companion_header, head
from ..errors import InvalidArgumentError, UnsupportedError, file_error

_BUILTIN = ("nifti", "nrrd", "minc2", "minc1", "parrec", "dicom", "analyze")


@dataclasses.dataclass(frozen=True)
class Format:
    """One registered format: its name, file names, sniff, readers and writer (None if read-only).

    ``writes``: the extensions that choose this format's writer (the first is its usual one).
    """

    name: str
    extensions: tuple
    sniff: object
    reader: object
    header_reader: object
    writer: object = None
    writes: tuple = ()

    @classmethod
    def from_module(cls, module):
        """The ``Format`` a format module describes (see the module docstring)."""
        return cls(module.NAME, tuple(module.EXTENSIONS), module.sniff, module.read, module.read_header,
                   getattr(module, "write", None), tuple(getattr(module, "WRITES", ())))


REGISTRY: dict = {}
_LOADED = []


def _load():
    """The registry, with the built-in formats loaded on first use (before anything registered later)."""
    if not _LOADED:
        _LOADED.append(True)
        added = dict(REGISTRY)
        REGISTRY.clear()
        for name in _BUILTIN:
            REGISTRY[name] = Format.from_module(importlib.import_module(f"{__name__}.{name}"))
        REGISTRY.update(added)
    return REGISTRY


def register(fmt):
    """Add (or replace, by name) a format; new formats are sniffed after the built-in ones.

    Examples
    --------
    >>> fmt = formats()["nrrd"]
    >>> register(fmt) is fmt and "nifti" in formats()
    True
    """
    _load()[fmt.name] = fmt
    return fmt


def formats():
    """The registry, ``{name: Format}``, in sniffing order.

    Examples
    --------
    >>> list(formats())
    ['nifti', 'nrrd', 'minc2', 'minc1', 'parrec', 'dicom', 'analyze']
    """
    return _load()


FORMATS = formats  # the older name


def writable_extensions():
    """Every extension that chooses a writer, each format's usual one first, longest names first within a format.

    Examples
    --------
    >>> writable_extensions()
    ('.nii.gz', '.nii', '.hdr', '.img', '.hdr.gz', '.img.gz', '.nrrd', '.nhdr', '.nrrd.gz', '.mnc')
    """
    return tuple(ext for fmt in _load().values() if fmt.writer is not None for ext in fmt.writes)


def split_extension(path):
    """``(stem, extension)``: the longest extension any registered format is known by, else ``os.path.splitext``.

    Examples
    --------
    >>> split_extension("sub/T1.nii.gz"), split_extension("scan.PAR"), split_extension("x.tar")
    (('sub/T1', '.nii.gz'), ('scan', '.PAR'), ('x', '.tar'))
    """
    path = os.fspath(path)
    lower = path.lower()
    known = sorted({e for f in _load().values() for e in (*f.extensions, *f.writes)}, key=len, reverse=True)
    for ext in known:
        if lower.endswith(ext) and len(ext) < len(path):
            return path[: len(path) - len(ext)], path[len(path) - len(ext):]
    return os.path.splitext(path)


def _sniffed(path):
    """``(format name, the bytes sniffed)`` of a file (through its header for a data file) or a folder."""
    if os.path.isdir(path):
        return "dicom", None
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "no such file or folder", path)
    header_path = companion_header(path)
    first = head(header_path, SNIFF_BYTES)
    for fmt in _load().values():
        if fmt.sniff(first, header_path):
            return fmt.name, first
    raise file_error(path, "first bytes", first[:16], "not a format medfast reads", UnsupportedError)


def sniff(path):
    """The name of the format of the file (or DICOM folder) at ``path``, from its first bytes.

    ``.img`` and ``.REC`` data files are sniffed through their header file.

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nii.gz")
    >>> nib.save(nib.Nifti1Image(np.zeros((2, 2, 2), np.uint8), np.eye(4)), p)
    >>> sniff(p)
    'nifti'
    """
    return _sniffed(os.fspath(path))[0]


def _chosen(path, format):
    path = os.fspath(path)
    if format is None:
        return (*_sniffed(path), path)
    if format not in _load():
        raise InvalidArgumentError(f"read: format={format!r}: not one of {sorted(_load())}")
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "no such file or folder", path)
    return format, None, path


def read(path, format=None):
    """Read any supported image into a ``Volume``; the format is sniffed from its first bytes.

    Parameters
    ----------
    path : str or os.PathLike
        NIfTI (``.nii``, ``.nii.gz``, ``.hdr/.img``), Analyze, NRRD (``.nrrd``,
        ``.nhdr``), MINC1 or MINC2 (``.mnc``), PAR/REC, a DICOM file, or a
        folder of DICOM files holding one series (``medfast.read_dicom`` reads
        every series; a folder of several raises ``InvalidArgumentError`` that
        says how many).
    format : str, optional
        A registry name, to skip sniffing.

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
    name, first, path = _chosen(path, format)
    return _load()[name].reader(path, first)


def read_header(path, format=None):
    """What :func:`read` gives without reading the voxels: shape, dtype, affine, scaling, timing, meta.

    ``stored`` is a read-only zero-stride placeholder of the shape and dtype
    ``read`` would give (``array`` is not meant to be used); ``medfast info``
    on a 2 GB file reads its header only.

    Examples
    --------
    >>> import nibabel
    >>> v = read_header(os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "example4d.nii.gz"))
    >>> v.shape, v.stored.dtype, v.time_step, v.time_unit  # pixdim[4] and xyzt_units, as the file says
    ((128, 96, 24, 2), dtype('int16'), 2000.0, 's')
    """
    name, first, path = _chosen(path, format)
    return _load()[name].header_reader(path, first)


def format_for(path, format=None):
    """The registry name a path is written as: ``format`` if given, else by extension.

    Examples
    --------
    >>> format_for("t1.nii.gz"), format_for("a.nhdr"), format_for("x.img", "analyze")
    ('nifti', 'nrrd', 'analyze')
    """
    formats_ = _load()
    if format is not None:
        if format not in formats_ or formats_[format].writer is None:
            writable = sorted(n for n, f in formats_.items() if f.writer is not None)
            raise InvalidArgumentError(f"write: format={format!r}: not one of {writable}")
        return format
    lower = os.fspath(path).lower()
    best = None
    for fmt in formats_.values():  # the longest matching extension wins (.nii.gz over .gz)
        for ext in fmt.writes if fmt.writer is not None else ():
            if lower.endswith(ext) and (best is None or len(ext) > len(best[1])):
                best = (fmt.name, ext)
    if best is None:
        raise InvalidArgumentError(
            f"write: path={os.fspath(path)!r}: no writer for this extension (one of {writable_extensions()})"
        )
    return best[0]


def write(vol, path, format=None, **options):
    """Write a ``Volume``; the writer is chosen by the extension, or by ``format``.

    ``.nii``, ``.nii.gz`` and ``.hdr/.img`` (``.gz`` allowed): NIfTI-1
    (``format="analyze"`` for Analyze 7.5); ``.nrrd``/``.nhdr``, gzip-encoded
    when the name ends ``.nrrd.gz`` or with ``encoding="gzip"``; ``.mnc``:
    MINC2. ``options`` go to the format's writer. The file appears
    atomically; ``read`` gives back the same shape, axis order, voxels,
    affine and time step.

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
    """The registry name of what ``path`` is (a file or a DICOM folder), or None when medfast does not read it.

    Examples
    --------
    >>> import nibabel, os
    >>> detect(os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "small.mnc"))
    'minc2'
    >>> detect(os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "0.dcm"))
    'dicom'
    """
    try:
        return sniff(path)
    except (UnsupportedError, OSError, ValueError):  # ValueError: a data file without its header, broken gzip
        return None


def convert(src, out_dir, to=".nii.gz"):
    """Convert one file (or a one-series DICOM folder) to another format in ``out_dir``; return the path written.

    The output is named after the input's stem (``T1.PAR`` -> ``T1.nii.gz``);
    ``to`` is one of :func:`writable_extensions` (the leading dot optional).

    Examples
    --------
    >>> import nibabel, os, tempfile
    >>> par = os.path.join(os.path.dirname(nibabel.__file__), "tests", "data", "phantom_varscale.PAR")
    >>> os.path.basename(convert(par, tempfile.mkdtemp(), "nii.gz"))
    'phantom_varscale.nii.gz'
    """
    ext = to if to.startswith(".") else "." + to
    if ext not in writable_extensions():
        raise InvalidArgumentError(f"convert: to={to!r}: not one of {writable_extensions()}")
    stem = os.path.basename(split_extension(os.path.normpath(os.fspath(src)))[0])
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(os.fspath(out_dir), stem + ext)
    write(read(src), out)
    return out


__all__ = ["FORMATS", "Format", "REGISTRY", "convert", "detect", "format_for", "formats", "read", "read_header",
           "register", "sniff", "split_extension", "writable_extensions", "write"]
