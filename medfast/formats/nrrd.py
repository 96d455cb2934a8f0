"""NRRD: attached ``.nrrd`` and detached ``.nhdr``; raw, gzip, bzip2 and ascii encodings.

pynrrd parses the header (``nrrd.read_header``); medfast moves the data:
straight from the file (or the ISA-L gzip stream) into the output array, byte
swap by the kernel. Axes are in NRRD order (fastest first), which is nibabel's
i, j, k order; axes without a space direction (vectors, time) move after the
spatial ones. The affine is RAS+: LPS and LAS spaces are flipped.
"""
from __future__ import annotations

import bz2
import contextlib
import io
import os

import numpy as np

from .. import _gzip
from ..errors import InvalidFileError, UnsupportedError, file_error
from .. import _io

NAME = "nrrd"
EXTENSIONS = (".nrrd", ".nhdr", ".nrrd.gz")
WRITES = (".nrrd", ".nhdr", ".nrrd.gz")

_TYPES = {}
for _dt, _names in {
    "i1": "signed char, int8, int8_t",
    "u1": "uchar, unsigned char, uint8, uint8_t",
    "i2": "short, short int, signed short, signed short int, int16, int16_t",
    "u2": "ushort, unsigned short, unsigned short int, uint16, uint16_t",
    "i4": "int, signed int, int32, int32_t",
    "u4": "uint, unsigned int, uint32, uint32_t",
    "i8": "longlong, long long, long long int, signed long long, signed long long int, int64, int64_t",
    "u8": "ulonglong, unsigned long long, unsigned long long int, uint64, uint64_t",
    "f4": "float",
    "f8": "double",
}.items():
    _TYPES.update(dict.fromkeys((n.strip() for n in _names.split(",")), _dt))
# numpy kind+size -> the NRRD type name written
_WRITE_TYPES = {
    "i1": "int8", "u1": "uint8", "i2": "int16", "u2": "uint16", "i4": "int32",
    "u4": "uint32", "i8": "int64", "u8": "uint64", "f4": "float", "f8": "double",
}
_ENCODINGS = {"raw": "raw", "gzip": "gzip", "gz": "gzip", "bzip2": "bzip2", "bz2": "bzip2",
              "ascii": "ascii", "text": "ascii", "txt": "ascii"}
# flips from a NRRD space to RAS+
_SPACES = {
    "right-anterior-superior": (1, 1, 1), "ras": (1, 1, 1), "3d-right-handed": (1, 1, 1),
    "left-posterior-superior": (-1, -1, 1), "lps": (-1, -1, 1),
    "left-anterior-superior": (-1, 1, 1), "las": (-1, 1, 1),
}


def sniff(head, path=None):
    """True for the NRRD magic line ``NRRD000x``."""
    return head[:7] == b"NRRD000"


def _header(path, head=None):
    """(pynrrd header dict, offset of the first byte after the header), from the sniffed bytes when they hold it.

    A file gzip-compressed whole (``.nrrd.gz``) is read through the stream:
    the sniffed bytes are already decompressed, and the offset is the stream's.
    """
    import nrrd

    path = os.fspath(path)
    head = _io.sniffed(path, head)
    ends = [i for i in (head.find(b"\n\n"), head.find(b"\n\r\n")) if i >= 0]
    try:
        if ends:
            f = io.BytesIO(head[: min(ends) + 3])
            return nrrd.read_header(f), f.tell()
        with _open_whole(path) as (f, _):
            return nrrd.read_header(f), f.tell()
    except (nrrd.NRRDError, ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError) as err:
        raise InvalidFileError(f"{path}: cannot read NRRD header: {type(err).__name__}: {err}") from err


@contextlib.contextmanager
def _open_whole(path):
    """``(stream, is gzip)``: the file, decompressed when it is gzip as a whole."""
    with open(path, "rb") as raw:
        gz = _gzip.is_gzip(raw.read(2))
        raw.seek(0)
        if not gz:
            yield raw, False
            return
        with _gzip.open_read(raw) as f:
            yield f, True


def _dtype(path, header):
    kind = header.get("type")
    code = _TYPES.get(str(kind).lower())
    if code is None:
        raise file_error(path, "type", kind, "NRRD type not supported", UnsupportedError)
    endian = str(header.get("endian", "little")).lower()
    if endian not in ("little", "big"):
        raise file_error(path, "endian", endian, "must be little or big")
    return np.dtype(("<" if endian == "little" else ">") + code)


def _encoding(path, header):
    enc = str(header.get("encoding", "")).lower()
    if enc not in _ENCODINGS:
        raise file_error(path, "encoding", header.get("encoding"), "NRRD encoding not supported", UnsupportedError)
    return _ENCODINGS[enc]


def _data_file(path, header, offset):
    """(path of the data, offset where line skip starts); a detached data file must exist."""
    name = header.get("data file", header.get("datafile"))
    if name is None:
        return os.fspath(path), offset
    name = str(name)
    if name.upper().startswith("LIST") or len(name.split()) > 1:
        raise file_error(path, "data file", name, "multiple data files are not supported", UnsupportedError)
    folder = os.path.dirname(os.path.abspath(path))
    data_path = os.path.join(folder, name)
    if os.path.isdir(data_path):  # "data file:" left empty, or naming a folder
        raise file_error(path, "data file", data_path, "is a folder")
    if not os.path.exists(data_path):
        raise file_error(path, "data file", data_path, "missing: the .nhdr names it, the voxels are there")
    return data_path, 0


def _skip_lines(f, count, path):
    for _ in range(count):
        if not f.readline():
            raise file_error(path, "line skip", count, "file ends before the data")


def _shape(path, header):
    sizes = header.get("sizes")
    dim = int(header.get("dimension", 0))
    try:
        shape = tuple(int(s) for s in np.atleast_1d(sizes))
    except (TypeError, ValueError) as err:
        raise file_error(path, "sizes", sizes, "must be integers") from err
    if len(shape) != dim or dim < 1 or min(shape) < 1:
        raise file_error(path, "sizes", sizes, f"must be {dim} positive integers (dimension)")
    return shape


def read_data(path, header, offset):
    """The data array of a parsed NRRD header, shaped ``sizes`` in NRRD (Fortran) order.

    ``byte skip: -1`` takes the last bytes of the data (after decompression,
    as pynrrd does: a ``.nii.gz`` can serve as the data file of a ``.nhdr``).
    The data must be exactly ``sizes`` x ``type``, as pynrrd requires.
    """
    dtype = _dtype(path, header)
    encoding = _encoding(path, header)
    shape = _shape(path, header)
    data_path, start = _data_file(path, header, offset)
    line_skip = int(header.get("line skip", header.get("lineskip", 0)))
    byte_skip = int(header.get("byte skip", header.get("byteskip", 0)))
    need = _io.nbytes(shape, dtype)
    size = os.path.getsize(data_path)
    if byte_skip < -1 or line_skip < 0:
        raise file_error(path, "byte skip" if byte_skip < -1 else "line skip", min(byte_skip, line_skip), "negative")
    if byte_skip == -1 and encoding == "ascii":
        raise file_error(path, "byte skip", -1, "not allowed with ascii encoding")
    attached = data_path == os.fspath(path)
    with _data_stream(data_path, start, line_skip, encoding, attached) as (f, whole_gzip):
        ratio = {"raw": 1, "gzip": 1032, "ascii": 1, "bzip2": None}[encoding]
        ratio = None if ratio is None else ratio * (1032 if whole_gzip else 1)
        if ratio is not None and need // (dtype.itemsize if encoding == "ascii" else 1) > (size - start) * ratio:
            raise file_error(path, "sizes", shape, f"need {need} bytes, {data_path} holds {size - start} after "
                             "the header")
        if encoding == "ascii":
            return _read_ascii(f, path, shape, dtype, byte_skip)
        if byte_skip == -1 and encoding == "raw" and not whole_gzip:  # the file's last bytes
            if need > size:
                raise file_error(path, "sizes", shape, f"need {need} bytes, {data_path} holds {size}")
            f.seek(size - need)
        elif byte_skip == -1:  # the last bytes of the decoded stream: measure it, then skip to them
            total = _io.skip(f, None, data_path)
            if total < need:
                raise file_error(path, "sizes", shape, f"need {need} bytes, the data holds {total}")
            return _read_exact(_data_stream(data_path, start, line_skip, encoding, attached), total - need,
                               path, data_path, shape, dtype)
        return _read_exact(contextlib.nullcontext((f, whole_gzip)), max(byte_skip, 0), path, data_path, shape, dtype)


def _read_exact(stream, skip, path, data_path, shape, dtype):
    """``shape`` items of ``dtype`` after ``skip`` bytes of the stream, which must end there."""
    with stream as (f, _):
        _io.skip(f, skip, data_path)
        out = np.empty(shape, dtype.newbyteorder("="), order="F")
        _gzip.readinto_exact(f, out.T, data_path, "NRRD data")
        extra = _io.skip(f, None, data_path)
    if extra:  # as pynrrd: the data must be exactly sizes x type (teem's writers never leave more)
        raise file_error(path, "sizes", shape, f"the data holds {extra} bytes more than {_io.nbytes(shape, dtype)}")
    return _io.to_native(out, dtype)


@contextlib.contextmanager
def _data_stream(data_path, start, line_skip, encoding, attached):
    """``(decoded data bytes, the file is gzip as a whole)`` after ``line skip`` lines.

    Only a file holding its own header can be gzip as a whole; a detached data
    file is read as its encoding says.
    """
    with _open_whole(data_path) if attached else _plain(data_path) as (raw, whole_gzip):
        _io.skip(raw, start, data_path)
        _skip_lines(raw, line_skip, data_path)
        with _decoder(raw, encoding) as f:
            yield f, whole_gzip


@contextlib.contextmanager
def _plain(path):
    with open(path, "rb") as raw:
        yield raw, False


@contextlib.contextmanager
def _decoder(raw, encoding):
    if encoding == "gzip":
        with _gzip.open_read(raw) as f:
            yield f
    elif encoding == "bzip2":
        with bz2.BZ2File(raw) as f:
            yield f
    else:
        yield raw


def _read_ascii(f, path, shape, dtype, byte_skip):
    _io.skip(f, byte_skip, path)
    count = int(np.prod(shape))
    tokens = f.read().split()
    if len(tokens) != count:
        raise file_error(path, "sizes", shape, f"ascii data holds {len(tokens)} values, not {count}")
    try:
        values = np.array([t.decode("ascii") for t in tokens[:count]], dtype=np.float64 if dtype.kind == "f" else object)
        values = values.astype(dtype.newbyteorder("="))
    except (ValueError, OverflowError, UnicodeDecodeError) as err:
        raise file_error(path, "data", "ascii", f"not {dtype.name} values: {err}") from err
    return values.reshape(shape, order="F")


def geometry(header, ndim, path=None):
    """(spatial axes, 4x4 RAS+ affine) from ``space directions``/``space origin`` (or ``spacings``)."""
    dirs = header.get("space directions")
    if dirs is not None:
        dirs = np.asarray(dirs, dtype=np.float64)
        if dirs.ndim != 2 or dirs.shape[0] != ndim or not 1 <= dirs.shape[1] <= 3:
            raise file_error(path, "space directions", header.get("space directions"),
                             f"need {ndim} vectors (or none) of the space's 1 to 3 components")
    origin = header.get("space origin")
    if origin is not None:
        origin = np.asarray(origin, dtype=np.float64).ravel()
        want = dirs.shape[1] if dirs is not None else origin.size
        if origin.size != want or origin.size > 3:
            raise file_error(path, "space origin", header.get("space origin"), f"need {want} components")
    spacings = header.get("spacings")
    if dirs is None and spacings is not None and np.asarray(spacings).size != ndim:
        raise file_error(path, "spacings", spacings, f"need {ndim} values")
    flips = np.array(_SPACES.get(str(header.get("space", "")).lower(), (1, 1, 1)), float)
    affine = np.eye(4)
    if dirs is not None:
        spatial = [i for i in range(ndim) if np.all(np.isfinite(dirs[i]))][:3]
        cols = np.zeros((3, len(spatial)))
        for c, i in enumerate(spatial):
            cols[: dirs.shape[1], c] = dirs[i][:3]
        n = min(3, len(spatial))
        affine[:3, :n] = (flips[:, None] * cols)[:, :n]
    else:
        spacings = np.asarray(spacings if spacings is not None else [1.0] * ndim, dtype=np.float64)
        spatial = [i for i in range(ndim) if np.isfinite(spacings[i])][:3]
        for c, i in enumerate(spatial):
            affine[c, c] = spacings[i]
    if origin is not None and np.all(np.isfinite(origin)):
        affine[: origin.size, 3] = flips[: origin.size] * origin
    return spatial, affine


def _timing(header, others):
    """(step, unit) of the first non-spatial axis with a finite ``spacings`` entry (seconds unless ``units`` says)."""
    spacings = header.get("spacings")
    if spacings is None or not others:
        return None, None
    spacings = np.atleast_1d(np.asarray(spacings, dtype=np.float64))
    axis = others[0]
    if axis >= spacings.size or not np.isfinite(spacings[axis]):
        return None, None
    units = header.get("units") or []
    unit = str(units[axis]).strip() if axis < len(units) else ""
    scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
    return float(spacings[axis]) * scale.get(unit, 1.0), unit if unit in scale else None


def _volume(path, head, pixels):
    from ..volume import Volume

    header, offset = _header(path, head)
    shape = _shape(path, header)
    spatial, affine = geometry(header, len(shape), path)  # checked before the data is read
    if pixels:
        data = read_data(path, header, offset)
    else:
        _data_file(path, header, offset)
        data = _io.placeholder(shape, _dtype(path, header))
    others = [i for i in range(data.ndim) if i not in spatial]
    if others and spatial:
        data = np.transpose(data, spatial + others)
    time_step, time_unit = _timing(header, others)
    meta = {"format": "NRRD", "header": header}
    return Volume(data, affine, meta, time_step=time_step, time_unit=time_unit)


def read(path, head=None):
    """Read a NRRD file (``.nrrd``, ``.nrrd.gz`` or ``.nhdr`` with its data file) into a ``Volume``.

    Axes without a space direction (time, vectors) follow the spatial ones;
    the first one's ``spacings`` entry is the time step.

    Examples
    --------
    >>> import nrrd, numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nrrd")
    >>> nrrd.write(p, np.arange(24, dtype=np.int16).reshape(2, 3, 4))
    >>> v = read(p)
    >>> v.shape, int(v.array[1, 2, 3])
    ((2, 3, 4), 23)
    """
    return _volume(path, head, pixels=True)


def read_header(path, head=None):
    """:func:`read` without the data (``stored`` is a zero-stride placeholder); the data file must exist.

    Examples
    --------
    >>> import nrrd, numpy as np, tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nrrd")
    >>> nrrd.write(p, np.zeros((2, 3, 4, 5), np.float32))
    >>> read_header(p).shape
    (2, 3, 4, 5)
    """
    return _volume(path, head, pixels=False)


def _fmt(vector):
    return "(" + ",".join(repr(float(v)) for v in vector) + ")"


def header_text(vol, data, encoding, data_file=None):
    """The NRRD header written for ``data`` (LPS space, as ITK and Slicer write)."""
    lps = np.diag([-1.0, -1.0, 1.0])
    dirs = lps @ vol.affine[:3, :3]
    origin = lps @ vol.affine[:3, 3]
    ndim = data.ndim
    spatial = min(3, ndim)
    directions = [_fmt(dirs[:, i]) for i in range(spatial)] + ["none"] * (ndim - spatial)
    kinds = ["domain"] * spatial + ["list"] * (ndim - spatial)
    lines = [
        "NRRD0004",
        "# written by medfast",
        f"type: {_WRITE_TYPES[data.dtype.str[1:]]}",
        f"dimension: {ndim}",
        "space: left-posterior-superior",
        "sizes: " + " ".join(str(s) for s in data.shape),
        "space directions: " + " ".join(directions),
        "kinds: " + " ".join(kinds),
        "endian: little",
        f"encoding: {encoding}",
        f"space origin: {_fmt(origin)}",
    ]
    if ndim > spatial and vol.time_step is not None:  # the time step on the first axis after space
        spacings = ["nan"] * spatial + [repr(float(vol.time_step))] + ["nan"] * (ndim - spatial - 1)
        lines.insert(-1, "spacings: " + " ".join(spacings))
    if data_file is not None:
        lines.append(f"data file: {data_file}")
    return ("\n".join(lines) + "\n\n").encode("ascii")


def write(vol, path, *, encoding=None, header=header_text):
    """Write a ``Volume`` as NRRD: ``.nrrd`` attached, ``.nhdr`` detached (data in ``.raw`` or ``.raw.gz``).

    ``encoding`` is ``"raw"`` (default; ``"gzip"`` for a ``.nrrd.gz`` name) or
    ``"gzip"`` (ISA-L); the header stays plain text, as teem reads it. NRRD
    has no scaling fields, so real-world values are written; bool as uint8,
    float16 as float32. A fourth axis gets ``vol.time_step`` (seconds) as its
    ``spacings`` entry. ``header(vol, data, encoding, data_file)`` gives the header bytes
    (default ``header_text``; dcm2niix's ``-e y`` passes its own).

    Examples
    --------
    >>> import numpy as np, tempfile, os, nrrd
    >>> from medfast.volume import Volume
    >>> p = os.path.join(tempfile.mkdtemp(), "a.nhdr")
    >>> write(Volume(np.ones((2, 3, 4), np.uint8), np.eye(4)), p, encoding="gzip")
    >>> nrrd.read(p)[0].shape
    (2, 3, 4)
    """
    path = os.fspath(path)
    encoding = encoding or ("gzip" if path.lower().endswith(".gz") else "raw")
    if encoding not in ("raw", "gzip"):
        raise UnsupportedError(f"{path}: encoding={encoding!r}: medfast writes raw or gzip NRRD")
    data = vol.array
    if data.dtype.kind not in "biuf":
        raise UnsupportedError(f"{path}: dtype={data.dtype}: NRRD has no such type (complex, colour)")
    if data.dtype.str[1:] not in _WRITE_TYPES:  # bool, float16: widen exactly
        data = data.astype(np.uint8 if data.dtype == bool else np.float32 if data.dtype.kind == "f" else np.float64)
    out_dtype = data.dtype.newbyteorder("<")
    gz = encoding == "gzip"
    if path.lower().endswith(".nhdr"):
        stem = os.path.basename(path)[: -len(".nhdr")]
        data_name = stem + (".raw.gz" if gz else ".raw")
        with _io.open_output(os.path.join(os.path.dirname(path), data_name), gz) as f:
            _io.write_fortran(f, data, out_dtype)
            with _io.open_output(path, False) as h:
                h.write(header(vol, data, encoding, data_name))
        return
    with _io.open_output(path, False) as raw:
        raw.write(header(vol, data, encoding))
        if gz:
            with _gzip.open_write(raw) as f:
                _io.write_fortran(f, data, out_dtype)
        else:
            _io.write_fortran(raw, data, out_dtype)
