"""Moving voxel bytes between files and arrays: the part every format shares.

Headers are parsed elsewhere (nibabel, pynrrd, h5py); these functions take
what a header says (offset, shape, dtype, order) and move the data, reading
straight into the output array and checking the file can hold what the header
claims before anything is allocated.
"""
from __future__ import annotations

import contextlib
import io
import os

import numpy as np

from . import _gzip
from .errors import InvalidArgumentError, InvalidFileError, file_error, reading

# Deflate cannot expand data more than 1032 to 1 (RFC 1951 maximum ratio).
_DEFLATE_MAX_RATIO = 1032
#: Elements per chunk for chunked conversion: the intermediates stay in cache.
CHUNK = 1 << 18


def nbytes(shape, dtype):
    """Bytes an array of ``shape`` and ``dtype`` needs (Python int, no overflow)."""
    n = np.dtype(dtype).itemsize
    for s in shape:
        n *= int(s)
    return n


def head(path, size=512):
    """The first ``size`` bytes of a file, decompressed when it is gzip."""
    with open(path, "rb") as f:
        first = f.read(size)
        if not _gzip.is_gzip(first):
            return first
        from isal import isal_zlib

        f.seek(0)
        try:
            with _gzip.open_read(f) as g:
                return g.read(size)
        except (EOFError, OSError, isal_zlib.error) as err:
            raise file_error(path, "gzip stream", first[:4], f"cannot decompress the header: {err}") from err


@contextlib.contextmanager
def open_data(path, offset, need, what="data"):
    """Open ``path`` positioned at ``offset``, after checking it can hold ``need`` bytes.

    Gzip files are opened decompressing (ISA-L); their size bound is deflate's
    maximum ratio, so a header claiming more than the file could hold fails
    before the output is allocated.
    """
    if offset < 0 or offset != int(offset):
        raise file_error(path, "data offset", offset, "must be a whole number of bytes, not negative")
    offset = int(offset)
    size = os.path.getsize(path)
    with open(path, "rb") as raw:
        gz = _gzip.is_gzip(raw.read(2))
        raw.seek(0)
        limit = size * _DEFLATE_MAX_RATIO if gz else size
        if offset + need > limit:
            raise file_error(
                path, what, f"{need} bytes at offset {offset}",
                f"the file holds {'at most ' if gz else ''}{limit} bytes",
            )
        if not gz:
            raw.seek(offset)
            yield raw
            return
        with _gzip.open_read(raw) as f:
            skip(f, offset, path)
            yield f


def skip(f, count, path):
    """Advance a (possibly non-seekable, gzip) stream by ``count`` bytes, or to its end (``None``): the bytes passed.

    Examples
    --------
    >>> import io
    >>> f = io.BytesIO(b"abcdef")
    >>> skip(f, 2, "x"), f.read(1), skip(f, None, "x")
    (2, b'c', 3)
    """
    from isal import isal_zlib

    left, passed = count, 0
    while left is None or left > 0:
        try:
            got = len(f.read(1 << 20 if left is None else min(left, 1 << 20)))
        except (EOFError, OSError, isal_zlib.error) as err:
            raise file_error(path, "data", f"offset {passed}", f"cannot decompress: {err}") from err
        if not got:
            if left is None:
                break
            raise file_error(path, "offset", count, "file ends before the data starts")
        passed += got
        left = None if left is None else left - got
    return passed


def read_array(path, offset, shape, dtype, order="F", what="data"):
    """Read an array of ``dtype`` (byte order included) at ``offset``; return it in native order.

    The data go straight from the file (or the gzip stream) into the output
    array; non-native byte order is swapped in place by the kernel.

    Examples
    --------
    >>> import tempfile, os, numpy as np
    >>> p = os.path.join(tempfile.mkdtemp(), "a.raw")
    >>> np.arange(6, dtype=">i2").tofile(p)
    >>> read_array(p, 0, (2, 3), ">i2", order="C").tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    dtype = np.dtype(dtype)
    shape = tuple(int(n) for n in shape)
    if any(n < 0 for n in shape):
        raise file_error(path, "shape", shape, "dimensions must not be negative")
    need = nbytes(shape, dtype)
    with open_data(path, offset, need, what) as f:
        try:
            out = np.empty(shape, dtype.newbyteorder("="), order=order)
        except ValueError as err:  # sizes whose product overflows, even when one of them is 0
            raise file_error(path, "shape", shape, str(err)) from err
        _gzip.readinto_exact(f, _flat(out), path, what)
    return to_native(out, dtype)


def _flat(arr):
    """A 1-D view of a C- or F-contiguous array in its memory order."""
    return arr.reshape(-1, order="F" if not arr.flags.c_contiguous else "C")


def to_native(arr, file_dtype):
    """Swap ``arr`` (holding bytes of ``file_dtype``) in place into native order."""
    file_dtype = np.dtype(file_dtype)
    # complex numbers swap each of their two parts
    unit = file_dtype.itemsize // 2 if file_dtype.kind == "c" else file_dtype.itemsize
    if unit > 1 and not file_dtype.isnative and file_dtype.kind != "V":
        from .kernels import swap_bytes

        swap_bytes(_flat(arr).view(np.uint8), unit)
    return arr


def write_fortran(f, data, out_dtype):
    """Write ``data`` in Fortran order as ``out_dtype`` (byte order included), copying only when needed.

    An F-contiguous array already in ``out_dtype`` is written from its own
    buffer; anything else is converted in slabs along the last axis, so the
    extra memory is one slab, not a second volume.
    """
    out_dtype = np.dtype(out_dtype)
    if data.dtype == out_dtype and data.flags.f_contiguous:
        _gzip.write_buffer(f, data.T)
        return
    if data.ndim == 0:
        _gzip.write_buffer(f, np.asarray(data, out_dtype).reshape(1))
        return
    per_slab = max(1, nbytes(data.shape[:-1], out_dtype))
    step = max(1, (8 << 20) // per_slab)
    for k in range(0, data.shape[-1], step):
        slab = np.asarray(data[..., k : k + step], dtype=out_dtype, order="F")
        _gzip.write_buffer(f, slab.T)


@contextlib.contextmanager
def open_output(path, compress, level=_gzip.LEVEL):
    """A binary writer on a temporary file renamed to ``path`` when the block ends (gzip at ``level``)."""
    from ._atomic import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        if compress:
            with _gzip.open_write(raw, level=level) as f:
                yield f
        else:
            yield raw


def is_gz_name(path):
    """True when the file name ends in ``.gz``."""
    return os.fspath(path).lower().endswith(".gz")



#: Bytes the format registry sniffs, and hands to the reader, so a header that fits is not read twice.
SNIFF_BYTES = 4096
# data file of a header/data pair -> its header file
_PAIRS = ((".img.gz", ".hdr.gz"), (".img", ".hdr"), (".rec", ".par"))


def _with_suffix(stem, suffix, like):
    """``stem + suffix`` in the case of ``like`` (the suffix the user wrote): A.HDR goes with A.IMG."""
    return stem + (suffix.upper() if like.isupper() else suffix)


def _existing(candidates):
    return next((c for c in candidates if os.path.exists(c)), None)


def companion_header(path):
    """For a data file of a header/data pair (``.img``, ``.REC``), the header file that describes it.

    Any other path is returned unchanged. A data file whose header is missing
    raises ``InvalidFileError`` naming the header it looked for.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> open(os.path.join(folder, "a.IMG"), "wb").close()
    >>> companion_header(os.path.join(folder, "a.IMG"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    medfast.errors.InvalidFileError: .../a.IMG: header file=.../a.HDR': missing: ...
    """
    path = os.fspath(path)
    lower = path.lower()
    for data, hdr in _PAIRS:
        if lower.endswith(data):
            stem, given = path[: len(path) - len(data)], path[len(path) - len(data):]
            want = _with_suffix(stem, hdr, given)
            found = _existing([want, stem + hdr, stem + hdr.upper()])
            if found is None:
                raise file_error(path, "header file", want, "missing: a data file is read through its header")
            return found
    return path


def pair_names(path, must_exist=False):
    """``(header, data)`` file names of a ``.hdr/.img`` pair named by either (``.gz`` allowed).

    ``must_exist``: the data file must be there; else ``InvalidFileError`` names it.

    Examples
    --------
    >>> pair_names("a/T1.hdr"), pair_names("T1.IMG.gz")
    (('a/T1.hdr', 'a/T1.img'), ('T1.HDR.gz', 'T1.IMG.gz'))
    """
    path = os.fspath(path)
    lower = path.lower()
    for ext in (".hdr.gz", ".img.gz", ".hdr", ".img"):
        if lower.endswith(ext):
            stem, given = path[: len(path) - len(ext)], path[len(path) - len(ext): len(path) - len(ext) + 4]
            gz = path[len(path) - 3:] if ext.endswith(".gz") else ""
            hdr, img = _with_suffix(stem, ".hdr", given) + gz, _with_suffix(stem, ".img", given) + gz
            break
    else:
        raise file_error(path, "name", os.path.basename(path), "not a .hdr/.img pair name", InvalidArgumentError)
    if must_exist:
        found = _existing([img, stem + ".img" + gz, stem + ".IMG" + gz])
        if found is None:
            raise file_error(hdr, "data file", img, "missing: the .hdr names the header, the voxels are in the .img")
        img = found
    return hdr, img


def sniffed(path, given=None):
    """The first bytes the registry hands a reader, or, when called directly, those of the (header) file."""
    return given if given is not None else head(companion_header(path), SNIFF_BYTES)


def placeholder(shape, dtype):
    """A read-only zero-stride array of ``shape`` and ``dtype``: what a header-only ``Volume`` holds."""
    dtype = np.dtype(dtype)
    return np.broadcast_to(np.zeros((), dtype if dtype.fields else dtype.newbyteorder("=")), tuple(shape))


@contextlib.contextmanager
def parsing(path, what):
    """``errors.reading`` that also turns nibabel's own header exceptions into ``InvalidFileError``."""
    from nibabel.filebasedimages import ImageFileError
    from nibabel.minc1 import MincError
    from nibabel.parrec import PARRECError
    from nibabel.spatialimages import HeaderDataError, HeaderTypeError

    with reading(path, what):
        try:
            yield
        except (HeaderDataError, HeaderTypeError, ImageFileError, MincError, PARRECError) as err:
            raise InvalidFileError(f"{os.fspath(path)}: cannot read {what}: {type(err).__name__}: {err}") from err


class BoundedFile(io.BufferedReader):
    """A file opened for reading whose ``read(n)`` asks for at most the bytes left.

    A buffered ``read(n)`` allocates ``n`` bytes first: a parser that reads a
    length the file claims (nibabel's netCDF reader) would allocate 4 GB for a
    4 GB claim in a 1 kB file.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as t:
    ...     _ = t.write(b"abc")
    >>> with BoundedFile(t.name) as f:
    ...     f.read(2**40)
    b'abc'
    """

    def __init__(self, path):
        super().__init__(io.FileIO(os.fspath(path), "rb"))
        self._size = os.fstat(self.fileno()).st_size

    def read(self, size=-1):
        if size is not None and size > 0:
            size = min(size, max(self._size - self.tell(), 0))
        return super().read(size)


class ChunkedReader:
    """A stream (a gzip file) whose ``read(n)`` takes memory for what it reads, not for ``n``.

    Examples
    --------
    >>> import io
    >>> ChunkedReader(io.BytesIO(b"abc"), "x").read(2**40)
    b'abc'
    """

    def __init__(self, f, name):
        self._f, self.name = f, name

    def read(self, size=-1):
        if size is None or size < 0:
            return self._f.read()
        parts = []
        while size > 0:
            chunk = self._f.read(min(size, 1 << 20))
            if not chunk:
                break
            parts.append(chunk)
            size -= len(chunk)
        return b"".join(parts)

    def __getattr__(self, name):  # seek, tell, closed ...
        return getattr(self._f, name)
