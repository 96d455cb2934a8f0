"""Structured mutations of real files: flips, truncation, extreme integers, deleted and repeated chunks.

Binary formats keep their header integers in the first bytes, so most binary
mutations land there; text headers (NRRD, PAR, the NRRD detached header) get
their numbers replaced by extremes and their lines deleted or repeated. A
DICOM file (``DICM`` in its first bytes) also gets element-wise mutations
anywhere in its header, nested elements included: a length, VR, tag or value
of one element replaced, or the element deleted or repeated. Its elements are
found by the NumPy twin of the scanner's kernel (``_reference.index_elements``),
not by the compiled code under test.
"""
from __future__ import annotations

import functools
import re
import struct

EXTREMES = (0, -1, 2**31 - 1, 2**32 - 1, 2**15, 2**16 - 1, -(2**31))
TEXT_EXTREMES = (b"0", b"-1", b"2147483647", b"4294967295", b"18446744073709551616", b"1e308", b"nan",
                 b"-2147483648", b"", b"x")
_HEAD = 4096
_NUMBER = re.compile(rb"-?\d+(\.\d+)?")


def _is_text(data):
    head = data[:512]
    return head[:4] in (b"NRRD", b"# ==") or (head and sum(32 <= c < 127 or c in b"\r\n\t" for c in head) > 0.97 * len(head))


def _position(rng, data):
    """Mostly in the header region, sometimes anywhere."""
    end = len(data) if rng.random() < 0.2 else min(len(data), _HEAD)
    return rng.randrange(max(end, 1))


def flip(rng, data):
    out = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 4, 8))):
        if out:
            out[_position(rng, out)] ^= 1 << rng.randrange(8)
    return bytes(out)


def random_bytes(rng, data):
    out = bytearray(data)
    pos = _position(rng, out)
    n = rng.choice((1, 2, 4, 16))
    out[pos:pos + n] = bytes(rng.randrange(256) for _ in range(n))
    return bytes(out)


def truncate(rng, data):
    return data[: rng.randrange(max(len(data), 1))]


def extreme(rng, data):
    """An integer field set to an extreme: a random width, byte order and alignment in the header."""
    out = bytearray(data)
    width = rng.choice((2, 4, 4, 8))
    pos = _position(rng, out) // 2 * 2
    value = rng.choice(EXTREMES) % (1 << (8 * width))
    out[pos:pos + width] = value.to_bytes(width, rng.choice(("little", "big")))
    return bytes(out)


def delete_chunk(rng, data):
    pos = _position(rng, data)
    return data[:pos] + data[pos + rng.choice((1, 2, 4, 8, 64, 512)):]


def repeat_chunk(rng, data):
    pos = _position(rng, data)
    chunk = data[pos:pos + rng.choice((1, 4, 8, 64, 512))]
    return data[:pos] + chunk * rng.choice((2, 3, 50)) + data[pos:]


def text_number(rng, data):
    """A number of a text header replaced by an extreme."""
    numbers = list(_NUMBER.finditer(data[:_HEAD * 4]))
    if not numbers:
        return flip(rng, data)
    m = rng.choice(numbers)
    return data[: m.start()] + rng.choice(TEXT_EXTREMES) + data[m.end():]


def text_line(rng, data):
    """A line of a text header deleted or repeated."""
    head_end = data.find(b"\n\n")
    head_end = len(data) if head_end < 0 else head_end + 1
    lines = data[:head_end].split(b"\n")
    i = rng.randrange(len(lines))
    if rng.random() < 0.5:
        del lines[i]
    else:
        lines.insert(i, lines[i])
    return b"\n".join(lines) + data[head_end:]


# ---- DICOM elements ---------------------------------------------------------

_VRS = (b"SQ", b"UN", b"OB", b"OW", b"UT", b"US", b"UL", b"SS", b"FD", b"FL", b"DS", b"IS", b"CS", b"LO", b"SH",
        b"PN", b"UI", b"AT", b"SV", b"UV", b"OD", b"\0\0", b"xx", b"ox")
_TAGS = (0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD, 0x7FE00010, 0x00280010, 0x00280011, 0x00280100, 0x00280103,
         0x00080005, 0x00020010, 0x52009230, 0x52009229, 0x00291010, 0x0025101B, 0x00291000, 0x00190010,
         0x00200032, 0x00200037, 0x00280030, 0x00180050, 0x00081030, 0x00000000, 0x00090010, 0x00091001)
_TEXT_VALUES = (b"\\", b"1e400", b"nan", b"-0", b"1.5\\x", b"ISO 2022 IR 100\\ISO 2022 IR 87", b"\x1b$B",
                b"ISO_IR 192", b"\xff\xfe", b"9" * 40, b" ", b"\0", b"-2147483649", b"1\\2\\3\\4\\5\\6\\7")


def _walk(buf, start, explicit, big, meta_only):
    import numpy as np

    from medfast._kernels._reference import index_elements

    table, stop = np.zeros((min(len(buf) // 8 + 2, 4096), 7), np.int64), np.zeros(5, np.int64)
    index_elements(buf, start, explicit, big, meta_only, table, stop)
    return [tuple(int(c) for c in r) for r in table[:stop[4]]], int(stop[0])


def layout(data):
    """``(base, start, explicit VR, big endian)`` of a DICOM file: where its preamble and its data set start, and
    its encoding from the transfer syntax; None without 'DICM'."""
    base = data.find(b"DICM", 0, 512) - 128
    if base < 0:
        return None
    meta, start = _walk(data[base:], 132, True, False, True)
    ts = next((data[base + r[2]:base + r[2] + r[3]] for r in meta if r[0] == 0x00020010), b"").rstrip(b"\0 ")
    return base, start, ts != b"1.2.840.10008.1.2", ts == b"1.2.840.10008.1.2.2"


@functools.lru_cache(maxsize=150)  # every DICOM seed: its bytes are shared, not copied
def _elements(data):
    """``(rows, little)`` of a DICOM file's elements: (header start, value offset, length, explicit, long VR) each."""
    found = layout(data)
    if found is None:
        return (), True
    base, start, explicit, big = found
    buf = data[base:]
    rows = []
    for tag, vr, vpos, length, _, _, flags in _walk(buf, 132, True, False, True)[0] + \
            _walk(buf, start, explicit, big, False)[0]:
        implicit = vr == 0 or flags & 4
        long_vr = not implicit and bytes((vr >> 8, vr & 0xFF)) in (b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ",
                                                                     b"SV", b"UC", b"UN", b"UR", b"UT", b"UV")
        head = 8 if implicit or tag >> 16 == 0xFFFE else 12 if long_vr else 8
        rows.append((base + vpos - head, base + vpos, length, not implicit and tag >> 16 != 0xFFFE, long_vr))
    return tuple(rows), not big


def dicom_element(rng, data):
    """One element of a DICOM file (nested ones too) gets a new length, VR, tag or value, or is deleted or repeated."""
    rows, little = _elements(data)
    if not rows:
        return flip(rng, data)
    start, vpos, length, explicit, long_vr = rng.choice(rows)
    size = 0 if length == 0xFFFFFFFF else length
    order = "<" if little else ">"
    what = rng.randrange(6)
    if what == 0:  # the length
        value = rng.choice((0, 1, 2, 3, 7, 0xFFFF, 0xFFFFFFFF, 0x7FFFFFFF, size + 1, size + 2, max(size - 1, 0),
                            size * 2 + 8, len(data)))
        if explicit and not long_vr:
            return data[:vpos - 2] + struct.pack(order + "H", value & 0xFFFF) + data[vpos:]
        return data[:vpos - 4] + struct.pack(order + "I", value & 0xFFFFFFFF) + data[vpos:]
    if what == 1 and explicit:  # the VR (the length field keeps its width)
        return data[:start + 4] + rng.choice(_VRS) + data[start + 6:]
    if what == 2:  # the tag
        tag = rng.choice(_TAGS)
        return data[:start] + struct.pack(order + "HH", tag >> 16, tag & 0xFFFF) + data[start + 4:]
    if what == 3 and size:  # the value, keeping its length
        value = rng.choice((*_TEXT_VALUES, *(struct.pack(order + "I", v & 0xFFFFFFFF) for v in EXTREMES)))
        at = vpos + rng.randrange(size)
        return data[:at] + value[:vpos + size - at] + data[at + len(value[:vpos + size - at]):]
    if what == 4:  # deleted
        return data[:start] + data[vpos + size:]
    return data[:start] + data[start:vpos + size] * rng.choice((2, 3)) + data[start:]  # repeated


BINARY = (flip, random_bytes, truncate, extreme, extreme, delete_chunk, repeat_chunk)
DICOM = (*BINARY, dicom_element, dicom_element, dicom_element, dicom_element, dicom_element)
TEXT = (text_number, text_number, text_line, truncate, flip, delete_chunk)


def mutate(rng, data):
    """One mutant of ``data`` (one to three mutations), and the names of the mutations applied."""
    names = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.choice(TEXT if _is_text(data) else DICOM if b"DICM" in data[:512] else BINARY)
        data = op(rng, data)
        names.append(op.__name__)
    return data, names
