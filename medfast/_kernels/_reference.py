"""The NumPy twin of every compiled kernel: same names, same signatures.

This module defines what each kernel returns. It is written as the most
obvious NumPy, not the fastest; the compiled kernel in ``src/_<topic>.pyx``
must give the same bytes. Each topic has its own section below, in the order
of ``medfast._kernels.TOPICS``; ``__all__`` lists every kernel, and the tests
iterate over it, so a kernel without a twin (or a twin without a kernel) fails.
"""
from __future__ import annotations

import math
import re
import struct

import numpy as np

__all__: list[str] = []


def _kernel(func):
    """Register a twin in ``__all__``."""
    __all__.append(func.__name__)
    return func


# ---- _byteswap ---------------------------------------------------------------

@_kernel
def swap_bytes(src, dst, itemsize):
    """Reverse the bytes of each ``itemsize``-byte item of ``src`` into ``dst`` (which may be ``src``)."""
    dt = np.dtype(f"u{itemsize}")
    swapped = np.frombuffer(src, np.uint8).view(dt).byteswap()
    dst.view(dt)[:] = swapped


# ---- _bits -------------------------------------------------------------------

@_kernel
def unpack_1bit(src, dst, bit_offset):
    """Bits ``bit_offset`` .. ``bit_offset + len(dst)`` of ``src``, least significant bit first, into uint8 ``dst``."""
    bits = np.unpackbits(np.frombuffer(src, np.uint8), bitorder="little")
    dst[:] = bits[bit_offset : bit_offset + len(dst)]


@_kernel
def unpack_12bit(src, dst):
    """Two 12-bit pixels from each three bytes of ``src`` into uint16 ``dst``, as GDCM's Unpacker12Bits."""
    b = np.frombuffer(src, np.uint8).astype(np.uint16)
    pairs = len(dst) // 2
    b0, b1, b2 = b[0 : 3 * pairs : 3], b[1 : 3 * pairs : 3], b[2 : 3 * pairs : 3]
    dst[0 : 2 * pairs : 2] = ((b1 & 0xF) << 8) | b0
    dst[1 : 2 * pairs : 2] = (b1 >> 4) | (b2 << 4)
    if len(dst) % 2:
        dst[-1] = ((b[3 * pairs + 1] & 0xF) << 8) | b[3 * pairs]


@_kernel
def fix_stored_bits(arr, bits_stored, shift, signed):
    """In place on unsigned ``arr``: shift down, keep ``bits_stored`` bits, sign-extend when ``signed``."""
    t = arr.dtype.type
    v = (arr >> t(shift)) & t((1 << bits_stored) - 1)
    if signed:
        sign = t(1 << (bits_stored - 1))
        v = (v ^ sign) - sign  # wraps: the two's complement bits of the negative value
    arr[:] = v


# ---- _rescale ----------------------------------------------------------------

def _scale_float(src, dst, slope, intercept):
    """One frame of ``rescale_float``; the identity is a plain cast (keeps -0.0 and NaN bits)."""
    ft = dst.dtype.type
    dst[:] = src  # the cast; then each operation rounds in dst's type, in place (no temporaries)
    if not (slope == 1 and intercept == 0):
        dst *= ft(slope)
        dst += ft(intercept)


def _scale_int(src, dst, slope, intercept):
    """One frame of ``rescale_int``: int64 arithmetic (wrapping), then a wrapping cast."""
    dst[:] = (src.astype(np.int64) * np.int64(slope) + np.int64(intercept)).astype(dst.dtype)


@_kernel
def rescale_float(src, dst, slope, intercept, frame_len):
    """``src * slope[f] + intercept[f]`` for each frame f of ``frame_len`` items, in ``dst``'s float type."""
    for f in range(len(slope)):
        part = slice(f * frame_len, (f + 1) * frame_len)
        _scale_float(src[part], dst[part], slope[f], intercept[f])


@_kernel
def rescale_int(src, dst, slope, intercept, frame_len):
    """``src * slope[f] + intercept[f]`` with int64 ``slope``/``intercept``, cast to ``dst``'s integer type."""
    for f in range(len(slope)):
        part = slice(f * frame_len, (f + 1) * frame_len)
        _scale_int(src[part], dst[part], slope[f], intercept[f])


# ---- _stack ------------------------------------------------------------------

@_kernel
def place_frame(src, offset, dst, itemsize, k, swap, bits_stored, shift, slope, intercept, row_items=0):
    """Decode ``len(dst)`` stored items of ``src`` at byte ``offset`` into ``dst``, in one pass.

    ``k`` is the stored kind, ``'u'``, ``'i'`` or ``'f'``; the steps are: byte swap when ``swap``,
    stored-bits fix when ``bits_stored`` > 0, then ``rescale_float``/``rescale_int``'s
    arithmetic for one frame. ``row_items`` > 0: the frame's rows (that many items each) land in
    ``dst`` in reverse order.
    """
    if len(dst) and row_items > 0:
        if len(dst) % row_items:
            raise ValueError("place_frame: row_items must divide len(dst)")
        flipped = np.empty_like(dst)
        place_frame(src, offset, flipped, itemsize, k, swap, bits_stored, shift, slope, intercept)
        dst[:] = flipped.reshape(-1, row_items)[::-1].reshape(-1)
        return
    raw = np.frombuffer(src, np.dtype(f"u{itemsize}"), count=len(dst), offset=offset)
    if swap:
        raw = raw.byteswap()
    if bits_stored:
        raw = raw.copy()
        fix_stored_bits(raw, bits_stored, shift, k == "i")
    values = raw.view(np.dtype(f"{k}{itemsize}"))
    if dst.dtype.kind == "f":
        _scale_float(values, dst, slope, intercept)
    elif slope == 1 and intercept == 0:
        dst[:] = values.astype(dst.dtype)
    else:
        _scale_int(values, dst, slope, intercept)


# ---- _rle --------------------------------------------------------------------

def _packbits(segment, limit):
    """Decode one PackBits segment as pydicom does, stopping at ``limit`` bytes."""
    out = bytearray()
    pos = 0
    while pos < len(segment) and len(out) < limit:
        header = segment[pos]
        pos += 1
        if header < 128:  # literal run of header + 1 bytes (fewer if the segment ends)
            out += segment[pos : pos + header + 1]
            pos += header + 1
        elif header > 128:  # one byte repeated 257 - header times
            out += segment[pos : pos + 1] * (257 - header)
            pos += 1
    return out[:limit]


@_kernel
def rle_decode_frame(src, dst, offsets, plane_len, bytes_per_sample):
    """Decode the RLE segments ``src[offsets[i]:offsets[i + 1]]`` into ``dst``.

    ``dst`` gets pydicom's layout: one plane a sample, little-endian items;
    segment i holds byte ``bytes_per_sample - 1 - i % bytes_per_sample`` of sample
    ``i // bytes_per_sample``. Returns the index of the first segment that decodes
    to fewer than ``plane_len`` bytes, or -1.
    """
    data = bytes(src)
    for i in range(len(offsets) - 1):
        seg = _packbits(data[offsets[i] : offsets[i + 1]], plane_len)
        sample, byte = divmod(i, bytes_per_sample)
        start = sample * plane_len * bytes_per_sample + bytes_per_sample - 1 - byte
        dst[start : start + len(seg) * bytes_per_sample : bytes_per_sample] = np.frombuffer(seg, np.uint8)
        if len(seg) < plane_len:  # what was decoded stays in dst
            return i
    return -1


# ---- _photometric ------------------------------------------------------------

@_kernel
def invert_monochrome1(arr, bits_stored, signed):
    """In place on unsigned ``arr``: ``-1 - x`` when ``signed``, else ``2**bits_stored - 1 - x`` (both wrap)."""
    if signed:
        np.invert(arr, out=arr)
    else:
        np.subtract(arr.dtype.type((1 << bits_stored) - 1), arr, out=arr)


# pydicom's YBR_FULL -> RGB matrix, in float32 as pydicom builds it.
_YBR = np.asarray(
    [[1.000, 1.000, 1.000], [0.000, -0.114 * 1.772 / 0.587, 1.772], [1.402, -0.299 * 1.402 / 0.587, 0.000]],
    dtype=np.float32,
)


def _fma32(a, b, c):
    """float32 ``a * b + c`` rounded once. Exact in float64 here: the operands come from 8-bit
    samples, so the product and the sum need fewer than 53 bits."""
    return (a.astype(np.float64) * np.float64(b) + c.astype(np.float64)).astype(np.float32)


@_kernel
def ybr_full_to_rgb(src, dst):
    """Interleaved 8-bit YBR_FULL to RGB: ``floor(y + cb' * m1 + cr' * m2 + 0.5)`` clipped to 0..255.

    The sums are fused multiply-adds, as in pydicom's ``np.matmul`` (OpenBLAS sgemm).
    """
    a = np.frombuffer(src, np.uint8).reshape(-1, 3).astype(np.float32)
    y, cb, cr = a[:, 0], a[:, 1] - np.float32(128), a[:, 2] - np.float32(128)
    out = dst.reshape(-1, 3)
    for j in range(3):
        v = _fma32(cr, _YBR[2, j], _fma32(cb, _YBR[1, j], y))
        out[:, j] = np.clip(np.floor(v + np.float32(0.5)), 0, 255).astype(np.uint8)


@_kernel
def planar_to_interleaved(src, dst, samples):
    """Planes ``src`` (sample-major) to interleaved ``dst`` (pixel-major), ``samples`` a pixel."""
    dst.reshape(-1, samples)[:] = src.reshape(samples, -1).T


@_kernel
def apply_palette(src, dst, luts, nluts, first_map):
    """``dst[p, c] = luts[c, clip(src[p] - first_map, 0, entries - 1)]`` for the ``nluts`` tables in ``luts``."""
    table = luts.reshape(nluts, -1)
    index = np.clip(src.astype(np.int64) - first_map, 0, table.shape[1] - 1)
    dst.reshape(-1, nluts)[:] = table[:, index].T


# ---- _scan -------------------------------------------------------------------

# Status codes and row flags of index_elements (the same in src/_scan.pyx).
SCAN_FOUND_PIXELS, SCAN_END, SCAN_END_OF_GROUP = 0, 1, 2
SCAN_TRUNCATED, SCAN_MALFORMED, SCAN_UNSUPPORTED, SCAN_TABLE_FULL = -1, -2, -3, -4
ROW_CONTAINER, ROW_ITEM, ROW_IMPLICIT, ROW_SPECULATIVE = 1, 2, 4, 8
_SCAN_MAX_DEPTH = 64
_VR_LONG = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_VR_SHORT = {b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO",
             b"LT", b"PN", b"SH", b"SL", b"SS", b"ST", b"TM", b"UI", b"UL", b"US"}
_PIXEL_TAGS = (0x7FE00010, 0x7FE00008, 0x7FE00009)
_UNDEFINED, _ITEM, _ITEM_DELIM, _SEQ_DELIM = 0xFFFFFFFF, 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_VR_SQ, _VR_UN = 0x5351, 0x554E


class _Level:
    """One level of the walk: the data set, a sequence, or an item."""

    def __init__(self, row, seq, implicit, end, limit):
        self.row, self.seq, self.implicit, self.end, self.limit = row, seq, implicit, end, limit


class _Stop(Exception):
    def __init__(self, status, a, b=0, vr=0, tag=0):
        super().__init__(status)
        self.result = (status, a, b, vr, tag)


@_kernel
def index_elements(buf, start, explicit_vr, big_endian, meta_only, table, stop):
    """Walk data elements from ``start``: one row of ``table`` an element or item (tag, VR, value offset, length, parent row, end row, flags); ``stop`` gets where the walk stopped and the row count; return the status."""
    if start < 0 or table.ndim != 2 or table.shape[1] != 7 or stop.shape != (5,):
        raise ValueError("index_elements: start must be >= 0, table of shape (rows, 7), stop of shape (5,)")
    data = bytes(buf)
    n, cap = len(data), table.shape[0]
    stop[:] = (-1, 0, 0, 0, 0)
    levels = [_Level(-1, False, not explicit_vr, -1, n)]
    state = {"count": 0, "pos": int(start)}

    def uint(i, size, big):
        return int.from_bytes(data[i:i + size], "big" if big else "little")

    def past(limit, needed, tag=0):
        """Past the buffer: truncated; past an enclosing length: malformed."""
        return _Stop(SCAN_TRUNCATED if limit == n else SCAN_MALFORMED, needed, 0, 0, tag)

    def add(tag, vr, vpos, length, parent, flags, pos):
        if state["count"] == cap:
            raise _Stop(SCAN_TABLE_FULL, pos, 0, 0, tag)
        row = state["count"]
        state["count"] += 1
        table[row] = (tag, vr, vpos, length, parent, row + 1, flags)
        return row

    def step():
        """One element, item or delimiter; None to go on."""
        pos = state["pos"]
        while len(levels) > 1 and levels[-1].end >= 0 and pos >= levels[-1].end:  # defined lengths used up
            table[levels.pop().row, 5] = state["count"]
        level = levels[-1]
        implicit = level.implicit
        big = bool(big_endian) and not implicit
        limit = level.limit
        if len(levels) == 1 and pos == n:
            raise _Stop(SCAN_END, n)
        if pos + 8 > limit:
            raise past(limit, pos + 8)
        group = uint(pos, 2, big)
        tag = (group << 16) | uint(pos + 2, 2, big)
        if meta_only and len(levels) == 1 and group != 0x0002:
            raise _Stop(SCAN_END_OF_GROUP, pos, 0, 0, tag)
        if group == 0xFFFE:
            length, vpos = uint(pos + 4, 4, big), pos + 8
            if level.seq and tag == _ITEM:
                if state["count"] == cap:
                    raise _Stop(SCAN_TABLE_FULL, pos, 0, 0, tag)
                if len(levels) >= _SCAN_MAX_DEPTH:
                    raise _Stop(SCAN_UNSUPPORTED, pos, 0, 0, tag)
                if length != _UNDEFINED and vpos + length > limit:
                    raise past(limit, vpos + length, tag)
                if not implicit and length != 0 and vpos + 6 > limit:
                    raise past(limit, vpos + 6, tag)
                row = add(tag, 0, vpos, length, level.row, ROW_ITEM, pos)
                # an item of an explicit VR data set may be encoded implicitly: its first VR bytes tell
                item_implicit = implicit or (length != 0 and not all(0x40 < c < 0x5B for c in data[vpos + 4:vpos + 6]))
                end = -1 if length == _UNDEFINED else vpos + length
                levels.append(_Level(row, False, item_implicit, end, limit if end < 0 else end))
                if item_implicit and big_endian:
                    raise _Stop(SCAN_UNSUPPORTED, pos, 0, 0, tag)
                state["pos"] = vpos
            elif (level.seq and tag == _SEQ_DELIM or len(levels) > 1 and not level.seq
                  and tag == _ITEM_DELIM) and level.end < 0:
                table[levels.pop().row, 5] = state["count"]
                state["pos"] = vpos
            else:
                raise _Stop(SCAN_MALFORMED, pos, 0, 0, tag)
            return
        if level.seq:
            raise _Stop(SCAN_MALFORMED, pos, 0, 0, tag)
        if implicit:
            vr, length, vpos = 0, uint(pos + 4, 4, big), pos + 8
        else:
            vr_bytes = data[pos + 4:pos + 6]
            vr = int.from_bytes(vr_bytes, "big")
            if vr_bytes in _VR_LONG:
                if pos + 12 > limit:
                    raise past(limit, pos + 12, tag)
                length, vpos = uint(pos + 8, 4, big), pos + 12
            elif vr_bytes in _VR_SHORT:
                length, vpos = uint(pos + 6, 2, big), pos + 8
            else:
                raise _Stop(SCAN_UNSUPPORTED, pos, 0, vr, tag)
        if len(levels) == 1 and tag in _PIXEL_TAGS:
            raise _Stop(SCAN_FOUND_PIXELS, vpos, length, vr, tag)
        parses_as_items = implicit or (vr == _VR_UN and not big_endian)
        descend = speculative = False
        if length == _UNDEFINED:  # a sequence: SQ, or UN / implicit VR whose value starts with an item
            if len(levels) >= _SCAN_MAX_DEPTH or not (vr == _VR_SQ or parses_as_items):
                raise _Stop(SCAN_UNSUPPORTED, pos, 0, vr, tag)
            if vr != _VR_SQ:
                if vpos + 4 > limit:
                    raise past(limit, vpos + 4, tag)
                if (uint(vpos, 2, big) << 16) | uint(vpos + 2, 2, big) not in (_ITEM, _SEQ_DELIM):
                    raise _Stop(SCAN_UNSUPPORTED, pos, 0, vr, tag)
            descend = True
        else:
            if vpos + length > limit:
                raise past(limit, vpos + length, tag)
            if vr == _VR_SQ and length > 0:
                if len(levels) >= _SCAN_MAX_DEPTH:
                    raise _Stop(SCAN_UNSUPPORTED, pos, 0, vr, tag)
                descend = True
            elif parses_as_items and length >= 8 and len(levels) < _SCAN_MAX_DEPTH \
                    and (uint(vpos, 2, big) << 16) | uint(vpos + 2, 2, big) == _ITEM:
                descend = speculative = True
        flags = (ROW_IMPLICIT if implicit else 0) | (ROW_CONTAINER if descend or vr == _VR_SQ else 0) \
            | (ROW_SPECULATIVE if speculative else 0)
        row = add(tag, vr, vpos, length, level.row, flags, pos)
        if descend:  # the value of an undefined-length UN is implicit VR little endian (PS3.5 6.2.2)
            end = -1 if length == _UNDEFINED else vpos + length
            levels.append(_Level(row, True, implicit or vr == _VR_UN, end, limit if end < 0 else end))
            state["pos"] = vpos
        else:
            state["pos"] = vpos + length

    while True:
        try:
            step()
            continue
        except _Stop as stopped:
            result = stopped.result
        if result[0] in (SCAN_FOUND_PIXELS, SCAN_END, SCAN_END_OF_GROUP, SCAN_TABLE_FULL):
            break
        # an error inside a value taken for a sequence on a guess: that value is plain bytes after all
        guessed = [i for i in range(1, len(levels)) if table[levels[i].row, 6] & ROW_SPECULATIVE]
        if not guessed:
            break
        s = guessed[-1]
        row = levels[s].row
        state["count"] = row + 1
        table[row, 5] = row + 1
        table[row, 6] &= ~(ROW_CONTAINER | ROW_SPECULATIVE)
        state["pos"] = levels[s].end
        del levels[s:]
    stop[:] = (*result[1:], state["count"])
    return result[0]


# decode_values: VR codes, and the count that leaves a value to Python
_VR_DS, _VR_IS = 0x4453, 0x4953
_BINARY = {0x5553: "H", 0x5353: "h", 0x554C: "I", 0x534C: "i", 0x464C: "f", 0x4644: "d"}  # US SS UL SL FL FD
_TEXT = {int.from_bytes(vr, "big") for vr in (b"AS", b"CS", b"DA", b"DT", b"TM", b"UI", b"LO", b"SH", b"LT", b"ST", b"UT")}
_UNSPLIT = {int.from_bytes(vr, "big") for vr in (b"LT", b"ST", b"UT")}
_BLANK_STRIPPED = {int.from_bytes(vr, "big") for vr in (b"LO", b"SH")}
NOT_HERE = -1
_DECIMAL = re.compile(rb" *[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?)(\d+))? *\Z")
_INTEGER = re.compile(rb" *[+-]?(\d+) *\Z")
_TEXT_NUMBER_BYTES = frozenset(b"0123456789+-.eE \\")
_PRINTABLE = frozenset(range(0x20, 0x7F))


def _decimal(item, integer):
    """Python's float() of one DS (IS) item, when it is a plain decimal that Clinger's fast path rounds exactly; else None."""
    m = (_INTEGER if integer else _DECIMAL).match(item)
    if m is None:
        return None
    whole, fraction, exponent = m.group(1), (b"" if integer else m.group(2) or b""), (None if integer else m.group(4))
    if not whole + fraction:
        return None
    significant = (whole + fraction).lstrip(b"0")
    if len(significant) > 19 or int(significant or b"0") > 2**53:
        return None
    e10 = -len(fraction)
    if exponent is not None:
        if len(exponent) > 1 and int(exponent[:-1]) > 10000:
            return None
        e10 += -int(exponent) if m.group(3) == b"-" else int(exponent)
    if significant and not -22 <= e10 <= 22:
        return None
    return float(item)


def _text_numbers(raw, integer, numbers, at, room):
    raw = raw.lstrip(b" ").rstrip(b" \x00")
    if not raw or not set(raw) <= _TEXT_NUMBER_BYTES:
        return NOT_HERE
    n = 0
    for item in raw.split(b"\\"):
        value = None if n == room else _decimal(item, integer)
        if value is None:
            return NOT_HERE
        numbers[at + n] = value
        n += 1
    return n


def _binary_numbers(raw, vr, big, numbers, at, room):
    code = _BINARY[vr]
    size = struct.calcsize(code)
    if len(raw) % size or len(raw) // size > room:
        return NOT_HERE
    for i, (value,) in enumerate(struct.iter_unpack((">" if big else "<") + code, raw)):
        if not math.isfinite(value):
            return NOT_HERE
        numbers[at + i] = value
    return len(raw) // size


def _plain_text(raw, vr, out, room):
    """Printable ASCII less trailing blanks and NULs appended to ``out`` (at most ``room`` bytes): how many values."""
    raw = raw.rstrip(b" \x00")
    if not set(raw) <= _PRINTABLE or (vr in _BLANK_STRIPPED and b" \\" in raw) or len(raw) > room:
        return NOT_HERE
    out += raw
    return 1 if vr in _UNSPLIT else raw.count(b"\\") + 1


def _decode_row(data, table, row, want, big_endian, numbers, at, room, out, cap):
    """The value of table row ``row`` read as VR ``want`` (0: the row's own), as decode_values: its count, or NOT_HERE."""
    _, vr, offset, length, _, _, flags = (int(v) for v in table[row])
    want = want or vr  # 0: the VR the file gives (none in an implicit VR data set)
    if vr not in (0, want) or flags & ROW_CONTAINER or length < 0 or length == _UNDEFINED or offset < 0 \
            or offset + length > len(data):
        return NOT_HERE
    raw = data[offset:offset + length]
    if want in (_VR_DS, _VR_IS):
        return _text_numbers(raw, want == _VR_IS, numbers, at, room) if length else 0
    if want in _BINARY:
        return _binary_numbers(raw, want, big_endian and not flags & ROW_IMPLICIT, numbers, at, room)
    if want in _TEXT:
        return _plain_text(raw, want, out, cap - len(out)) if length else 0
    return NOT_HERE


def _text_entry(want):
    return want == 0 or want in _TEXT


@_kernel
def decode_values(buf, table, big_endian, tags, vrs, first, rows, counts, numbers, text):
    """For each of ``tags`` (ascending) among the top-level rows of ``table``: ``rows`` its row (-1 absent, the last of a repeated tag); ``counts`` its number of values, or -1 where Python decodes it (not VR ``vrs[k]`` in the file, an odd value, a VR not done here); numbers in ``numbers[first[k]:first[k + 1]]``; for a text VR, one NUL-ended entry a tag in ``text`` (its value less trailing blanks, or empty); ``vrs[k]`` 0: the file's VR (explicit VR only), one text entry; return the bytes of ``text`` used."""
    nt = len(tags)
    if len(vrs) != nt or len(first) != nt + 1 or len(rows) != nt or len(counts) != nt or table.shape[1] != 7 \
            or (nt and (first[0] < 0 or first[nt] > len(numbers))) or len(text) < len(buf) + nt:
        raise ValueError("decode_values: tags, vrs, rows, counts of one length, first one longer and inside numbers, "
                         "text at least len(buf) + len(tags)")
    if any(first[k] > first[k + 1] or (k and tags[k - 1] >= tags[k]) for k in range(nt)):
        raise ValueError("decode_values: first must not decrease, tags must ascend")
    data = bytes(buf)
    rows[:] = -1
    counts[:] = NOT_HERE
    where = {int(tag): k for k, tag in enumerate(tags)}
    r = 0
    while 0 <= r < table.shape[0]:
        k = where.get(int(table[r, 0]))
        if k is not None:
            rows[k] = r
        if table[r, 5] <= r:
            break
        r = int(table[r, 5])
    out = bytearray()
    for k in range(nt):
        if rows[k] >= 0:
            counts[k] = _decode_row(data, table, int(rows[k]), int(vrs[k]), big_endian, numbers, int(first[k]),
                                    int(first[k + 1] - first[k]), out, len(text) - (nt - k))
        if _text_entry(int(vrs[k])):  # one entry a text tag or a tag of the file's VR
            out.append(0)
    text[:len(out)] = np.frombuffer(bytes(out), np.uint8)
    return len(out)


def _child(table, parent, tag):
    """The row of the last child of row ``parent`` with ``tag`` (-1: none)."""
    found, r, end = -1, parent + 1, int(table[parent, 5])
    while r < min(end, table.shape[0]):
        if table[r, 0] == tag:
            found = r
        if table[r, 5] <= r:
            break
        r = int(table[r, 5])
    return found


@_kernel
def decode_items(buf, table, big_endian, items, seqs, tags, vrs, first, seq_rows, rows, counts, numbers, text):
    """For each item row ``items[i]`` and each k: ``seq_rows[i, k]`` the row of its sequence ``seqs[k]`` (-1 absent), ``rows[i, k]`` the row of ``tags[k]`` in that sequence's first item (-1 absent); its value as ``decode_values`` reads it into ``counts[i, k]``, ``numbers[i, first[k]:first[k + 1]]`` and one ``text`` entry an (i, k) of a text VR or VR 0; return the bytes of ``text`` used."""
    m, nk, n = len(items), len(tags), table.shape[0]
    if len(seqs) != nk or len(vrs) != nk or len(first) != nk + 1 or table.shape[1] != 7 \
            or seq_rows.shape != (m, nk) or rows.shape != (m, nk) or counts.shape != (m, nk) \
            or numbers.shape[0] != m or (nk and (first[0] < 0 or first[nk] > numbers.shape[1])) \
            or len(text) < len(buf) + m * nk:
        raise ValueError("decode_items: seqs, tags, vrs of one length, first one longer and inside numbers' rows, "
                         "(items, tags) outputs, text at least len(buf) + items x tags")
    if any(first[k] > first[k + 1] for k in range(nk)):
        raise ValueError("decode_items: first must not decrease")
    entries = sum(_text_entry(int(v)) for v in vrs)
    data, out = bytes(buf), bytearray()
    seq_rows[:], rows[:], counts[:] = -1, -1, NOT_HERE
    for i, item in enumerate(int(v) for v in items):
        for k in range(nk):
            if 0 <= item < n:
                seq = _child(table, item, int(seqs[k]))
                seq_rows[i, k] = seq
                # the sequence's first item: the row after it, when the walk took its value for items
                if seq >= 0 and table[seq, 6] & ROW_CONTAINER and seq + 1 < min(n, table[seq, 5]) \
                        and table[seq + 1, 6] & ROW_ITEM:
                    row = _child(table, seq + 1, int(tags[k]))
                    rows[i, k] = row
                    if row >= 0:
                        counts[i, k] = _decode_row(data, table, row, int(vrs[k]), big_endian, numbers[i],
                                                   int(first[k]), int(first[k + 1] - first[k]), out,
                                                   len(text) - (m - i) * entries)
            if _text_entry(int(vrs[k])):
                out.append(0)
    text[:len(out)] = np.frombuffer(bytes(out), np.uint8)
    return len(out)
