"""Compressed Pixel Data of a one-frame monochrome file, decoded without importing pydicom.

Importing pydicom and its decoder framework costs 0.2-0.4 s (it brings in
requests, GDCM and Pillow): more than converting a small series. For the
common case -- one frame, one sample, MONOCHROME1 or MONOCHROME2, 8 or 16 bits
allocated, JPEG Lossless, JPEG-LS, JPEG 2000 or RLE Lossless -- ``decode_frame``
calls the decoder medfast's pydicom path calls (libjpeg or OpenJPEG through
their pylibjpeg plugin functions; medfast's RLE kernel) and then applies what
pydicom 3 applies after it:

- JPEG-LS and JPEG 2000 values are read at the width of the precision the
  codestream states (8 bits up to 8, 16 up to 16), then widened to Bits
  Allocated;
- JPEG-LS values of a signed image, and JPEG 2000 values whose signedness
  differs from Pixel Representation, are sign-extended (or masked) from that
  precision;
- JPEG Lossless and RLE values are sign-extended or masked from Bits Stored.

Anything else -- several frames, colour, an Extended Offset Table, a Basic
Offset Table of more than one frame, an item that does not parse, a codestream
whose header does not, a decoded size that does not fit -- gives None, and
pydicom decodes the file as before. ``tests/dicom/test_encapsulated.py`` holds
the result equal to pydicom's ``pixel_array`` on every such file of the corpus
and of pydicom's test data.
"""
from __future__ import annotations

import functools
import sys

import numpy as np

from .. import kernels

JPEG_LOSSLESS = frozenset(("1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"))
JPEG_LS = frozenset(("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"))
JPEG_2000 = frozenset(("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"))
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
#: The transfer syntaxes ``decode_frame`` may decode (each through a library medfast depends on).
SYNTAXES = JPEG_LOSSLESS | JPEG_LS | JPEG_2000 | {RLE_LOSSLESS}

_ITEM, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE0DD
# JPEG start-of-frame markers (SOF0-SOF15 but DHT, JPG, DAC; SOF55 of JPEG-LS), where pydicom reads the precision
_SOF = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF, 0xF7))


def one_frame(data):
    """The frame of one-frame encapsulated Pixel Data (``data`` from its first item): its fragments joined.

    None when the items do not parse to the sequence delimiter, or the Basic
    Offset Table lists more than one frame.

    Examples
    --------
    >>> item = lambda value: b"\\xfe\\xff\\x00\\xe0" + len(value).to_bytes(4, "little") + value
    >>> one_frame(item(b"") + item(b"ab") + item(b"cd") + b"\\xfe\\xff\\xdd\\xe0\\0\\0\\0\\0")
    b'abcd'
    """
    pos, n, fragments = 0, len(data), []
    while pos + 8 <= n:
        tag = int.from_bytes(data[pos:pos + 2], "little") << 16 | int.from_bytes(data[pos + 2:pos + 4], "little")
        length = int.from_bytes(data[pos + 4:pos + 8], "little")
        if tag == _SEQUENCE_END:
            return b"".join(fragments[1:]) if len(fragments) > 1 and len(fragments[0]) in (0, 4) else None
        if tag != _ITEM or pos + 8 + length > n:
            return None
        fragments.append(data[pos + 8:pos + 8 + length])
        pos += 8 + length
    return None


def jpeg_precision(frame):
    """The precision of a JPEG or JPEG-LS codestream's start of frame, as pydicom reads it; None if not found."""
    pos, n = 2, len(frame)
    if frame[:2] != b"\xff\xd8":
        return None
    while pos + 4 < n:
        if frame[pos] == 0xFF and frame[pos + 1] in _SOF:
            return frame[pos + 4]
        pos += int.from_bytes(frame[pos + 2:pos + 4], "big") + 2  # pydicom skips by the length, marker or not
    return None


def j2k_precision(frame):
    """``(precision, signed)`` of the first component of a JPEG 2000 codestream (SOC then SIZ); None otherwise."""
    if frame[:4] != b"\xff\x4f\xff\x51" or len(frame) <= 42:
        return None
    ssiz = frame[42]  # SIZ: Lsiz Rsiz, 8 sizes of 4 bytes, Csiz, then Ssiz of the first component
    return (ssiz & 0x7F) + 1, bool(ssiz & 0x80)


def _width(precision):
    return 8 if precision <= 8 else 16 if precision <= 16 else 0


def decode_frame(frame, syntax, rows, columns, bits_allocated, bits_stored, signed):
    """The stored values of one monochrome frame, shaped (rows, columns), as pydicom decodes it; None to leave it to pydicom.

    Examples
    --------
    >>> import struct
    >>> rle = struct.pack("<16I", 1, 64, *[0] * 14) + bytes([0xFF, 9])  # one segment: two 9s
    >>> decode_frame(rle, RLE_LOSSLESS, 1, 2, 8, 8, False)
    array([[9, 9]], dtype=uint8)
    """
    if sys.byteorder != "little" or bits_allocated not in (8, 16) or not 0 < bits_stored <= bits_allocated:
        return None
    dtype = np.dtype(f"{'iu'[not signed]}{bits_allocated // 8}")
    width, shift = bits_allocated, bits_allocated - bits_stored  # JPEG Lossless and RLE: from Bits Stored
    if syntax == RLE_LOSSLESS:
        decode = functools.partial(kernels.rle_decode_frame, rows=rows, columns=columns, samples_per_pixel=1,
                                   bits_allocated=bits_allocated)
    elif syntax in JPEG_LOSSLESS or syntax in JPEG_LS:
        precision = jpeg_precision(frame) if syntax in JPEG_LS else bits_stored
        if precision is None or not 0 < precision <= bits_allocated:
            return None
        from libjpeg import decode_pixel_data

        decode = functools.partial(decode_pixel_data, version=2)
        if syntax in JPEG_LS:
            width, shift = _width(precision), (bits_allocated - precision if signed else 0)
    elif syntax in JPEG_2000:
        found = j2k_precision(frame)
        if found is None or not 0 < found[0] <= bits_allocated:
            return None
        from openjpeg import decode_pixel_data

        decode = functools.partial(decode_pixel_data, version=2)
        width, shift = _width(found[0]), (bits_allocated - found[0] if found[1] != signed else 0)
    else:
        return None
    try:
        raw = decode(frame)
    except (RuntimeError, ValueError):  # a stream the decoder refuses: pydicom tries its other plugins, and words the error
        return None
    values = np.frombuffer(raw, f"{'iu'[not signed]}{width // 8}")
    if values.size != rows * columns:
        return None
    out = values.astype(dtype).reshape(rows, columns)
    if shift:
        np.left_shift(out, shift, out=out)
        np.right_shift(out, shift, out=out)
    return out


_PIXEL_MODULE = ("Rows", "Columns", "BitsAllocated", "BitsStored", "PixelRepresentation", "SamplesPerPixel")
_EXTENDED_OFFSET_TABLE = 0x7FE00001


def decode_file(path, header, pixel_offset, syntax):
    """``(1, rows, columns)`` stored values of a one-frame monochrome compressed file; None to leave it to pydicom.

    ``header`` is the file's ``Header``, ``pixel_offset`` where the value of
    its (encapsulated) Pixel Data starts.
    """
    if syntax not in SYNTAXES or header.get(_EXTENDED_OFFSET_TABLE) is not None:
        return None
    rows, columns, allocated, stored, representation, samples = (header.get(k) for k in _PIXEL_MODULE)
    if any(type(v) is not int for v in (rows, columns, allocated, stored, representation, samples)):
        return None  # absent or odd: pydicom's path reports it
    if samples != 1 or representation not in (0, 1) or not (0 < rows < 65536 and 0 < columns < 65536) \
            or header.get("NumberOfFrames") not in (None, "", 0, 1) \
            or header.get("PhotometricInterpretation") not in ("MONOCHROME1", "MONOCHROME2"):
        return None
    with open(path, "rb") as f:  # the file's length bounds the read
        f.seek(pixel_offset)
        frame = one_frame(f.read())
    if frame is None:
        return None
    out = decode_frame(frame, syntax, rows, columns, allocated, stored, representation == 1)
    return None if out is None else out[np.newaxis]
