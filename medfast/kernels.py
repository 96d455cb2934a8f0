"""Validated entry points to the pixel kernels: check everything, then run the kernel.

Each function checks dtype, contiguity, lengths against buffer sizes and offsets
inside buffers, raising ``InvalidDtypeError`` or ``InvalidArgumentError`` (or
``InvalidFileError``/``UnsupportedError`` for malformed or unsupported encoded
data) before any kernel runs; the kernel bound in ``medfast._kernels`` (compiled,
or its NumPy twin) then runs with the GIL released, so a thread pool can fill
different frames of one output at once. Inputs may be read-only; outputs are
written in place and returned.

Signatures
----------
swap_bytes(buf, itemsize, out=None) -> out, or buf swapped in place
unpack_1bit(src, count, bit_offset=0, out=None) -> uint8[count]
unpack_12bit(src, count, out=None) -> uint16[count]
fix_stored_bits(arr, bits_stored, high_bit, signed=None) -> arr, fixed in place
rescale(stored, slope, intercept, *, dtype, out=None) -> ndarray of stored.shape
place_frame(src, src_offset, out, index, *, stored_dtype, bits_stored=None, high_bit=None,
            slope=1.0, intercept=0.0) -> out, frame ``index`` filled
rle_decode_frame(src, rows, columns, samples_per_pixel, bits_allocated, out=None)
    -> uint8 bytes in pydicom's layout (planes, little-endian items), or out
invert_monochrome1(arr, bits_stored, signed=None) -> arr, inverted in place
ybr_full_to_rgb(arr, out=None) -> uint8 (..., 3)
planar_to_interleaved(arr, out=None) -> (..., rows, columns, samples)
apply_palette(arr, luts, first_map=0, out=None) -> arr.shape + (len(luts),)

Floating point: float64 results equal pydicom's ``apply_rescale`` (``stored *
slope + intercept`` in float64) and nibabel's read scaling; float32 results equal
``stored.astype(float32) * float32(slope) + float32(intercept)``; slope 1 with
intercept 0 is a plain cast. (nibabel skips adding a zero intercept, so where
``0 * negative slope`` gives -0.0 nibabel keeps -0.0 and pydicom and medfast
give +0.0.)
"""
from __future__ import annotations

import math
import operator
import struct

import numpy as np

from . import _kernels as _k
from .errors import InvalidArgumentError, InvalidDtypeError, InvalidFileError, UnsupportedError

__all__ = [
    "swap_bytes",
    "unpack_1bit",
    "unpack_12bit",
    "fix_stored_bits",
    "rescale",
    "place_frame",
    "rle_decode_frame",
    "invert_monochrome1",
    "ybr_full_to_rgb",
    "planar_to_interleaved",
    "apply_palette",
]

_INT_KINDS = "iu"
# Output dtypes place_frame and rescale write (native byte order).
_OUT_DTYPES = frozenset(np.dtype(t) for t in ("u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"))
_IINFO = {dt: np.iinfo(dt) for dt in _OUT_DTYPES if dt.kind in _INT_KINDS}


# ---- argument checks ---------------------------------------------------------


def _index(value, name, func):
    """``value`` as a Python int, or InvalidArgumentError."""
    try:
        return operator.index(value)
    except TypeError:
        raise InvalidArgumentError(f"{func}: {name}={value!r}: must be an integer") from None


def _nonneg(value, name, func):
    value = _index(value, name, func)
    if value < 0:
        raise InvalidArgumentError(f"{func}: {name}={value}: must not be negative")
    return value


def _readable(buf, name, func):
    """A uint8 view of a bytes-like object or a C-contiguous ndarray (no copy)."""
    if isinstance(buf, np.ndarray):
        if not buf.flags.c_contiguous:
            raise InvalidArgumentError(f"{func}: {name} must be C-contiguous")
        return buf.reshape(-1).view(np.uint8)
    try:
        view = memoryview(buf)
    except TypeError:
        raise InvalidArgumentError(f"{func}: {name} of type {type(buf).__name__} is not a buffer") from None
    if not view.c_contiguous:
        raise InvalidArgumentError(f"{func}: {name} must be C-contiguous")
    return np.frombuffer(view, np.uint8) if view.nbytes else np.empty(0, np.uint8)


def _array(arr, name, func, *, writable=False):
    """``arr`` as a C-contiguous ndarray in native byte order, or an error; never copies."""
    if not isinstance(arr, np.ndarray):
        raise InvalidArgumentError(f"{func}: {name} must be a numpy.ndarray, got {type(arr).__name__}")
    if not arr.flags.c_contiguous:
        raise InvalidArgumentError(f"{func}: {name} must be C-contiguous")
    if writable and not arr.flags.writeable:
        raise InvalidArgumentError(f"{func}: {name} is read-only")
    if not arr.dtype.isnative:
        raise InvalidDtypeError(f"{func}: {name} dtype={arr.dtype.str}: must be in native byte order")
    return arr


def _bytes_of(arr, name, func):
    """The uint8 view of a writable C-contiguous ndarray's memory, whatever its dtype."""
    if not isinstance(arr, np.ndarray):
        raise InvalidArgumentError(f"{func}: {name} must be a numpy.ndarray, got {type(arr).__name__}")
    if not arr.flags.c_contiguous:
        raise InvalidArgumentError(f"{func}: {name} must be C-contiguous")
    if not arr.flags.writeable:
        raise InvalidArgumentError(f"{func}: {name} is read-only")
    return arr.reshape(-1).view(np.uint8)


def _distinct(src, dst, func):
    """Error unless ``dst`` is ``src`` itself or lies apart from it (a kernel reads each item
    before writing it, so only exact aliasing is safe)."""
    if np.may_share_memory(src, dst) and (src.__array_interface__["data"][0] != dst.__array_interface__["data"][0]
                                         or src.nbytes != dst.nbytes):
        raise InvalidArgumentError(f"{func}: out overlaps the input without being it")


def _unsigned(arr):
    """The same memory, as the unsigned integer type of the same width."""
    return arr.reshape(-1).view(np.dtype(f"u{arr.dtype.itemsize}"))


def _int_array(arr, name, func, *, writable=True):
    arr = _array(arr, name, func, writable=writable)
    if arr.dtype.kind not in _INT_KINDS:
        raise InvalidDtypeError(f"{func}: {name} dtype={arr.dtype}: must be an integer type")
    return arr


def _out(out, shape, dtype, func):
    """A new array, or ``out`` checked for shape, dtype, contiguity and writability."""
    if out is None:
        return np.empty(shape, dtype)
    out = _array(out, "out", func, writable=True)
    if out.dtype != dtype:
        raise InvalidDtypeError(f"{func}: out dtype={out.dtype}: must be {np.dtype(dtype)}")
    if out.shape != tuple(shape):
        raise InvalidArgumentError(f"{func}: out shape={out.shape}: must be {tuple(shape)}")
    return out


# ---- byte order and bit depth ------------------------------------------------


def swap_bytes(buf, itemsize, out=None):
    """Reverse the bytes of each ``itemsize``-byte item.

    Parameters
    ----------
    buf : numpy.ndarray or bytes-like
        C-contiguous data; swapped in place when ``out`` is None (then it must
        be a writable ndarray).
    itemsize : {2, 4, 8}
        Bytes an item.
    out : numpy.ndarray, optional
        C-contiguous writable array of the same number of bytes.

    Returns
    -------
    numpy.ndarray
        ``out``, or ``buf`` when swapped in place.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([1, 256], dtype=np.uint16)
    >>> swap_bytes(a, 2).tolist()
    [256, 1]
    """
    func = "swap_bytes"
    itemsize = _index(itemsize, "itemsize", func)
    if itemsize not in (2, 4, 8):
        raise InvalidArgumentError(f"{func}: itemsize={itemsize}: must be 2, 4 or 8")
    if out is None:
        if not isinstance(buf, np.ndarray):
            raise InvalidArgumentError(f"{func}: in-place swapping needs a writable ndarray, got {type(buf).__name__}")
        dst = _bytes_of(buf, "buf", func)
        src, result = dst, buf
    else:
        src = _readable(buf, "buf", func)
        dst = _bytes_of(out, "out", func)
        result = out
        if dst.size != src.size:
            raise InvalidArgumentError(f"{func}: out has {dst.size} bytes, buf has {src.size}")
        _distinct(src, dst, func)
    if src.size % itemsize:
        raise InvalidArgumentError(f"{func}: {src.size} bytes is not a whole number of {itemsize}-byte items")
    _k.swap_bytes(src, dst, itemsize)
    return result


def unpack_1bit(src, count, bit_offset=0, out=None):
    """Unpack ``count`` 1-bit pixels (DICOM bit order: least significant bit first).

    Parameters
    ----------
    src : bytes-like
        The packed bits.
    count : int
        Pixels to unpack.
    bit_offset : int, optional
        Index of the first bit to unpack (frames of a multi-frame 1-bit image
        need not start on a byte boundary).
    out : numpy.ndarray, optional
        uint8 array of shape ``(count,)``.

    Returns
    -------
    numpy.ndarray
        uint8 array of 0 and 1.

    Examples
    --------
    >>> unpack_1bit(b"\\x05", 4).tolist()
    [1, 0, 1, 0]
    """
    func = "unpack_1bit"
    data = _readable(src, "src", func)
    count = _nonneg(count, "count", func)
    bit_offset = _nonneg(bit_offset, "bit_offset", func)
    if bit_offset + count > 8 * data.size:
        raise InvalidArgumentError(
            f"{func}: bits {bit_offset}..{bit_offset + count} run past the {8 * data.size} bits of src"
        )
    out = _out(out, (count,), np.uint8, func)
    _k.unpack_1bit(data, out, bit_offset)
    return out


def unpack_12bit(src, count, out=None):
    """Unpack ``count`` 12-bit pixels, two in three bytes (BitsAllocated 12, as GDCM reads them).

    Examples
    --------
    >>> unpack_12bit(bytes([0x01, 0x23, 0x45]), 2).tolist()
    [769, 1106]
    """
    func = "unpack_12bit"
    data = _readable(src, "src", func)
    count = _nonneg(count, "count", func)
    need = (3 * count + 1) // 2
    if need > data.size:
        raise InvalidArgumentError(f"{func}: count={count} needs {need} bytes, src has {data.size}")
    out = _out(out, (count,), np.uint16, func)
    _k.unpack_12bit(data, out)
    return out


def _stored_bits(width, bits_stored, high_bit, func):
    """Validated (bits_stored, shift) for items of ``width`` bits."""
    bits_stored = _index(bits_stored, "bits_stored", func)
    high_bit = bits_stored - 1 if high_bit is None else _index(high_bit, "high_bit", func)
    if not 1 <= bits_stored <= width:
        raise InvalidArgumentError(f"{func}: bits_stored={bits_stored}: must be 1..{width}")
    if not bits_stored - 1 <= high_bit < width:
        raise InvalidArgumentError(f"{func}: high_bit={high_bit}: must be {bits_stored - 1}..{width - 1}")
    return bits_stored, high_bit - bits_stored + 1


def fix_stored_bits(arr, bits_stored, high_bit, signed=None):
    """Keep only the stored bits of each item, in place.

    Shift down by ``high_bit - bits_stored + 1``, mask to ``bits_stored`` bits,
    and sign-extend when ``signed`` (PixelRepresentation 1; default: the
    dtype's signedness).

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([0x0FFF, 0xF800], dtype=np.uint16).view(np.int16)
    >>> fix_stored_bits(a, 12, 11).tolist()
    [-1, -2048]
    """
    func = "fix_stored_bits"
    arr = _int_array(arr, "arr", func)
    bits_stored, shift = _stored_bits(8 * arr.dtype.itemsize, bits_stored, high_bit, func)
    signed = arr.dtype.kind == "i" if signed is None else bool(signed)
    _k.fix_stored_bits(_unsigned(arr), bits_stored, shift, signed)
    return arr


# ---- rescale -----------------------------------------------------------------


def _pairs(slope, intercept, frames, func):
    """slope and intercept as float64 arrays of equal length (1 or ``frames``)."""
    s = np.atleast_1d(np.asarray(slope, dtype=np.float64))
    i = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    if s.ndim != 1 or i.ndim != 1:
        raise InvalidArgumentError(f"{func}: slope and intercept must be scalars or 1-D")
    n = max(len(s), len(i))
    if {len(s), len(i)} - {1, n} or (n != 1 and n != frames):
        raise InvalidArgumentError(
            f"{func}: {len(s)} slopes and {len(i)} intercepts for {frames} frames (axis 0): need 1 or {frames}"
        )
    if not (np.isfinite(s).all() and np.isfinite(i).all()):
        raise InvalidArgumentError(f"{func}: slope and intercept must be finite")
    return np.ascontiguousarray(np.broadcast_to(s, n)), np.ascontiguousarray(np.broadcast_to(i, n))


def _scalar(value, name, func):
    """``value`` as a finite Python float, or InvalidArgumentError."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{func}: {name}={value!r}: must be a number") from None
    if not math.isfinite(v):
        raise InvalidArgumentError(f"{func}: {name}={v}: must be finite")
    return v


def _fits(slope, inter, lo, hi, dtype, func):
    """Error unless ``slope``/``inter`` are integers and ``v * slope + inter`` fits ``dtype`` for v in [lo, hi]."""
    if not (slope.is_integer() and inter.is_integer()):
        raise InvalidArgumentError(f"{func}: dtype={dtype}: slope={slope:g} and intercept={inter:g} must be integers")
    info = _IINFO[dtype]
    ends = (int(slope) * int(lo) + int(inter), int(slope) * int(hi) + int(inter))
    if min(ends) < info.min or max(ends) > info.max:
        raise InvalidArgumentError(
            f"{func}: dtype={dtype} cannot hold {min(ends)}..{max(ends)} (slope={slope:g}, intercept={inter:g}); "
            "choose a wider or a float dtype"
        )


def _int_pairs(s, i, lo, hi, dtype, func):
    """int64 slope/intercept arrays when every frame's results fit ``dtype`` (see ``_fits``)."""
    for a, b, lo_f, hi_f in zip(s.tolist(), i.tolist(), np.broadcast_to(lo, s.shape).tolist(),
                                np.broadcast_to(hi, s.shape).tolist()):
        _fits(a, b, lo_f, hi_f, dtype, func)
    return s.astype(np.int64), i.astype(np.int64)


def rescale(stored, slope, intercept, *, dtype, out=None):
    """Real-world values ``stored * slope + intercept``.

    Parameters
    ----------
    stored : numpy.ndarray
        Stored values (integers or floats). Copied first when not C-contiguous
        or not in native byte order.
    slope, intercept : float or 1-D array_like
        One pair, or one pair a frame (frames along axis 0).
    dtype : {float32, float64} or an integer dtype
        float64 equals pydicom's ``apply_rescale`` and nibabel's read scaling bit
        for bit; float32 equals ``stored.astype(float32) * float32(slope) +
        float32(intercept)``; an integer dtype needs integer slope and intercept
        and every result in range (checked against each frame's min and max).
        Slope 1 with intercept 0 is a plain cast.
    out : numpy.ndarray, optional
        C-contiguous array of ``stored``'s shape and ``dtype``.

    Returns
    -------
    numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> rescale(np.array([0, 1000], np.uint16), 1, -1024, dtype=np.int16).tolist()
    [-1024, -24]
    >>> rescale(np.array([[1], [1]], np.int16), [0.5, 2.0], 0.0, dtype=np.float64).tolist()
    [[0.5], [2.0]]
    """
    func = "rescale"
    if not isinstance(stored, np.ndarray):
        raise InvalidArgumentError(f"{func}: stored must be a numpy.ndarray, got {type(stored).__name__}")
    if stored.dtype.kind not in "iuf" or stored.dtype.itemsize > 8:
        raise InvalidDtypeError(f"{func}: stored dtype={stored.dtype}: must be an integer or float type")
    dtype = np.dtype(dtype)
    if dtype not in _OUT_DTYPES:
        raise InvalidDtypeError(f"{func}: dtype={dtype}: must be float32, float64 or an integer type")
    # float16 widens exactly to float32; the kernels take native 4- and 8-byte floats.
    native = np.dtype(np.float32) if stored.dtype.kind == "f" and stored.dtype.itemsize < 4 else stored.dtype.newbyteorder("=")
    src = np.ascontiguousarray(stored, dtype=native)
    frames = src.shape[0] if src.ndim else 1
    s, i = _pairs(slope, intercept, frames, func)
    flat = src.reshape(-1)
    frame_len = flat.size if len(s) == 1 else (flat.size // frames if frames else 0)
    out = _out(out, src.shape, dtype, func)
    dst = out.reshape(-1)
    if dtype.kind == "f":
        _k.rescale_float(flat, dst, s, i, frame_len)
        return out
    if src.dtype.kind == "f":
        raise InvalidDtypeError(f"{func}: float stored values need a float dtype, not {dtype}")
    if flat.size:
        per = flat.reshape(len(s), -1)
        lo, hi = per.min(axis=1), per.max(axis=1)
    else:
        lo = hi = np.zeros(len(s), np.int64)
    si, ii = _int_pairs(s, i, lo, hi, dtype, func)
    _k.rescale_int(flat, dst, si, ii, frame_len)
    return out


# ---- frame stacking ----------------------------------------------------------


def place_frame(src, src_offset, out, index, *, stored_dtype, bits_stored=None, high_bit=None,
                slope=1.0, intercept=0.0, flip_rows=False):
    """Decode one frame of raw stored pixels into frame ``index`` of ``out``, in one pass.

    Byte swap (from ``stored_dtype``'s byte order), stored-bits fix (when
    ``bits_stored`` is given: shift down by ``high_bit - bits_stored + 1``,
    mask, sign-extend for a signed ``stored_dtype``), rescale (as
    :func:`rescale` for ``out.dtype``) and, with ``flip_rows``, the rows
    (axis 1 of ``out``) in reverse order are fused. The GIL is released, so
    threads can fill different frames of the same ``out`` at once.

    Parameters
    ----------
    src : bytes-like
        Holds the frame's ``out[index].size`` stored items from byte ``src_offset``.
    src_offset : int
        Byte offset of the frame in ``src``.
    out : numpy.ndarray
        C-contiguous, writable, native byte order; frames along axis 0.
    index : int
        The frame's slot, ``0 <= index < out.shape[0]``.
    stored_dtype : dtype-like
        The stored item with its byte order, e.g. ``'>u2'``, ``'<i2'``, ``'<f4'``.
    bits_stored, high_bit : int, optional
        DICOM BitsStored and HighBit (integer stored types only).
    slope, intercept : float
        For an integer ``out``: integers such that every stored value's result
        fits ``out.dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> vol = np.zeros((2, 2), np.float32)
    >>> _ = place_frame(b"\\x00\\x01\\x00\\x02", 0, vol, 1, stored_dtype=">u2", slope=2, intercept=-1)
    >>> vol.tolist()
    [[0.0, 0.0], [1.0, 3.0]]
    >>> img = np.zeros((1, 2, 2), np.uint8)
    >>> place_frame(b"\\x01\\x02\\x03\\x04", 0, img, 0, stored_dtype="u1", flip_rows=True)[0].tolist()
    [[3, 4], [1, 2]]
    """
    func = "place_frame"
    data = _readable(src, "src", func)
    out = _array(out, "out", func, writable=True)
    if out.dtype not in _OUT_DTYPES:
        raise InvalidDtypeError(f"{func}: out dtype={out.dtype}: must be a native integer or float type")
    if out.ndim < 1:
        raise InvalidArgumentError(f"{func}: out must have a frame axis")
    index = _nonneg(index, "index", func)
    if index >= out.shape[0]:
        raise InvalidArgumentError(f"{func}: index={index}: out has {out.shape[0]} frames")
    stored = np.dtype(stored_dtype)
    if stored.kind not in "iuf" or stored.itemsize not in (1, 2, 4, 8) or stored.kind == "f" and stored.itemsize < 4:
        raise InvalidDtypeError(f"{func}: stored_dtype={stored.str}: must be an integer or float32/float64 type")
    src_offset = _nonneg(src_offset, "src_offset", func)
    dst = out[index].reshape(-1)
    need = dst.size * stored.itemsize
    if src_offset + need > data.size:
        raise InvalidArgumentError(
            f"{func}: src_offset={src_offset}: the frame's {need} bytes run past the {data.size} bytes of src"
        )
    swap = stored.itemsize > 1 and not stored.isnative
    width = 8 * stored.itemsize
    if stored.kind == "f":
        if bits_stored is not None:
            raise InvalidArgumentError(f"{func}: bits_stored applies to integer stored types, not {stored}")
        nbits, shift = 0, 0
    elif bits_stored is None:
        nbits, shift = 0, 0
    else:
        nbits, shift = _stored_bits(width, bits_stored, high_bit, func)
        if nbits == width:  # nothing to mask or extend
            nbits = 0
    slope, intercept = _scalar(slope, "slope", func), _scalar(intercept, "intercept", func)
    if out.dtype.kind != "f":
        if stored.kind == "f":
            raise InvalidDtypeError(f"{func}: float stored values need a float out, not {out.dtype}")
        bits = nbits or width
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if stored.kind == "i" else (0, (1 << bits) - 1)
        _fits(slope, intercept, lo, hi, out.dtype, func)
    row_items = int(np.prod(out.shape[2:], dtype=np.int64)) if flip_rows and out.ndim > 2 else 0
    _k.place_frame(data, src_offset, dst, stored.itemsize, stored.kind, swap, nbits, shift, slope, intercept,
                   row_items)
    return out


# ---- RLE Lossless ------------------------------------------------------------


def rle_decode_frame(src, rows, columns, samples_per_pixel, bits_allocated, out=None):
    """Decode one frame of DICOM RLE Lossless (PS3.5 Annex G).

    Parameters
    ----------
    src : bytes-like
        The frame's encoded bytes, starting with the 64-byte RLE header.
    rows, columns, samples_per_pixel, bits_allocated : int
        From the dataset; ``bits_allocated`` a multiple of 8.
    out : numpy.ndarray, optional
        C-contiguous writable array of ``rows * columns * samples_per_pixel *
        bits_allocated // 8`` bytes, of any dtype (e.g. a frame slot of the volume).

    Returns
    -------
    numpy.ndarray
        ``out``, or a new uint8 array: pydicom's layout, one plane a sample
        (planar configuration 1), little-endian items.

    Examples
    --------
    >>> import struct
    >>> frame = struct.pack("<16I", 1, 64, *[0] * 14) + bytes([0xFD, 7])
    >>> rle_decode_frame(frame, 2, 2, 1, 8).tolist()
    [7, 7, 7, 7]
    """
    func = "rle_decode_frame"
    data = _readable(src, "src", func)
    rows, columns = _nonneg(rows, "rows", func), _nonneg(columns, "columns", func)
    spp, bits = _nonneg(samples_per_pixel, "samples_per_pixel", func), _nonneg(bits_allocated, "bits_allocated", func)
    if bits == 0 or bits % 8:
        raise UnsupportedError(f"{func}: bits_allocated={bits}: RLE needs a multiple of 8")
    bps = bits // 8
    plane = rows * columns
    nbytes = plane * spp * bps
    if out is not None:
        dst = _bytes_of(out, "out", func)
        if dst.size != nbytes:
            raise InvalidArgumentError(f"{func}: out has {dst.size} bytes, the frame needs {nbytes}")
    if data.size < 64:
        raise InvalidFileError(f"<buffer>: RLE header: {data.size} bytes, needs 64")
    header = struct.unpack("<16I", data[:64].tobytes())
    nseg = header[0]
    if nseg != spp * bps or nseg > 15:
        raise InvalidFileError(
            f"<buffer>: RLE number of segments={nseg}: expected {spp * bps} "
            f"({spp} samples of {bps} bytes), at most 15"
        )
    offsets = np.array(list(header[1 : nseg + 1]) + [data.size], np.int64)
    if nseg and (offsets[0] < 64 or np.any(np.diff(offsets) < 0)):
        raise InvalidFileError(f"<buffer>: RLE segment offsets={header[1 : nseg + 1]}: must rise from 64 within {data.size} bytes")
    # a replicate run turns 2 bytes into at most 128: a segment cannot decode to more than 64 times its size
    if nseg and plane > 64 * int(np.diff(offsets).min()):
        raise InvalidFileError(f"<buffer>: RLE frame of {rows}x{columns}: segments of {np.diff(offsets).tolist()} bytes cannot hold it")
    if out is None:
        out = dst = np.empty(nbytes, np.uint8)
    short = _k.rle_decode_frame(data, dst, offsets, plane, bps)
    if short >= 0:
        raise InvalidFileError(f"<buffer>: RLE segment {short + 1}: decodes to fewer than {plane} bytes")
    return out


# ---- photometric -------------------------------------------------------------


def invert_monochrome1(arr, bits_stored, signed=None):
    """Invert MONOCHROME1 to MONOCHROME2 in place over the stored range.

    Unsigned: ``2**bits_stored - 1 - x``; signed: ``-1 - x``. Both map the
    range of ``bits_stored`` bits onto itself, reversed.

    Examples
    --------
    >>> import numpy as np
    >>> invert_monochrome1(np.array([0, 4095], np.uint16), 12).tolist()
    [4095, 0]
    """
    func = "invert_monochrome1"
    arr = _int_array(arr, "arr", func)
    bits_stored, _ = _stored_bits(8 * arr.dtype.itemsize, bits_stored, None, func)
    signed = arr.dtype.kind == "i" if signed is None else bool(signed)
    _k.invert_monochrome1(_unsigned(arr), bits_stored, signed)
    return arr


def _uint8_samples(arr, func):
    arr = _array(arr, "arr", func)
    if arr.dtype != np.uint8:
        raise InvalidDtypeError(f"{func}: arr dtype={arr.dtype}: must be uint8")
    if arr.ndim < 1 or arr.shape[-1] != 3:
        raise InvalidArgumentError(f"{func}: arr shape={arr.shape}: the last axis must hold 3 samples")
    return arr


def ybr_full_to_rgb(arr, out=None):
    """YBR_FULL (or decoded YBR_FULL_422) to RGB, equal to pydicom's ``convert_color_space``.

    Parameters
    ----------
    arr : numpy.ndarray
        uint8, C-contiguous, samples interleaved along the last axis (3).
    out : numpy.ndarray, optional
        Same shape and dtype; may be ``arr`` itself.

    Examples
    --------
    >>> import numpy as np
    >>> ybr_full_to_rgb(np.array([[128, 128, 128]], np.uint8)).tolist()
    [[128, 128, 128]]
    """
    func = "ybr_full_to_rgb"
    arr = _uint8_samples(arr, func)
    out = _out(out, arr.shape, np.uint8, func)
    _distinct(arr, out, func)
    _k.ybr_full_to_rgb(arr.reshape(-1), out.reshape(-1))
    return out


def planar_to_interleaved(arr, out=None):
    """Planar configuration 1 to interleaved: ``(..., samples, rows, columns)`` to ``(..., rows, columns, samples)``.

    Examples
    --------
    >>> import numpy as np
    >>> planar_to_interleaved(np.arange(6, dtype=np.uint8).reshape(3, 1, 2)).tolist()
    [[[0, 2, 4], [1, 3, 5]]]
    """
    func = "planar_to_interleaved"
    arr = _array(arr, "arr", func)
    if arr.ndim < 3:
        raise InvalidArgumentError(f"{func}: arr shape={arr.shape}: needs (..., samples, rows, columns)")
    if arr.dtype.itemsize not in (1, 2, 4, 8):
        raise InvalidDtypeError(f"{func}: arr dtype={arr.dtype}: items must be 1, 2, 4 or 8 bytes")
    *lead, samples, rows, columns = arr.shape
    out = _out(out, (*lead, rows, columns, samples), arr.dtype, func)
    if out.size == 0:
        return out
    if np.may_share_memory(arr, out):
        raise InvalidArgumentError(f"{func}: out must not overlap arr")
    frames = int(np.prod(lead, dtype=np.int64))
    src = _unsigned(arr).reshape(frames, -1)
    dst = _unsigned(out).reshape(frames, -1)
    for f in range(frames):
        _k.planar_to_interleaved(src[f], dst[f], samples)
    return out


def apply_palette(arr, luts, first_map=0, out=None):
    """Palette colour lookup, equal to pydicom's ``apply_color_lut``.

    Parameters
    ----------
    arr : numpy.ndarray
        uint8, uint16 or int16 indices (C-contiguous).
    luts : sequence of 1-D numpy.ndarray
        The red, green, blue (and alpha) tables: same length, all uint8 or all uint16.
    first_map : int
        The value mapped to each table's first entry (LUT descriptor's second value);
        values below it take the first entry, values past the end the last.
    out : numpy.ndarray, optional
        Of shape ``arr.shape + (len(luts),)`` and the tables' dtype.

    Examples
    --------
    >>> import numpy as np
    >>> lut = np.array([10, 20, 30], np.uint8)
    >>> apply_palette(np.array([0, 2, 9], np.uint8), [lut, lut, lut])[:, 0].tolist()
    [10, 30, 30]
    """
    func = "apply_palette"
    arr = _array(arr, "arr", func)
    if arr.dtype not in (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.int16)):
        raise InvalidDtypeError(f"{func}: arr dtype={arr.dtype}: must be uint8, uint16 or int16")
    luts = [_array(np.asarray(t), "luts", func) for t in luts]
    if len(luts) not in (3, 4):
        raise InvalidArgumentError(f"{func}: {len(luts)} tables: need 3 (RGB) or 4 (RGBA)")
    if len({t.shape for t in luts}) != 1 or luts[0].ndim != 1 or luts[0].size == 0:
        raise InvalidArgumentError(f"{func}: tables must be 1-D, non-empty and of one length")
    if len({t.dtype for t in luts}) != 1 or luts[0].dtype not in (np.dtype(np.uint8), np.dtype(np.uint16)):
        raise InvalidDtypeError(f"{func}: tables must all be uint8 or all uint16")
    first_map = _index(first_map, "first_map", func)
    table = np.concatenate(luts)
    out = _out(out, (*arr.shape, len(luts)), table.dtype, func)
    if np.may_share_memory(arr, out):
        raise InvalidArgumentError(f"{func}: out must not overlap arr")
    _k.apply_palette(arr.reshape(-1), out.reshape(-1), table, len(luts), first_map)
    return out
