"""Argument sets for every kernel: the matrix the compiled kernels are compared on.

``CASES[name]`` is a list of ``(label, make)``; ``make()`` builds fresh
arguments, so the compiled kernel and its twin each get their own buffers. The
matrix covers every dtype a kernel takes, both byte orders where bytes are
decoded, sizes 0, 1, odd and large, read-only inputs (``bytes`` or read-only
arrays), unaligned offsets and data that ends exactly at the end of its buffer.
"""
from __future__ import annotations

import struct

import numpy as np

SIZES = (0, 1, 7, 1001, 65_539)
UINTS = ("u1", "u2", "u4", "u8")
INTS = ("u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8")
NUMS = (*INTS, "f4", "f8")


def rng(seed=0):
    return np.random.default_rng(seed)


def random_values(dtype, n, seed=0):
    """Random items of ``dtype``, over its whole range (floats: mixed magnitudes, -0.0, inf, nan)."""
    dtype = np.dtype(dtype)
    raw = rng(seed).integers(0, 256, n * dtype.itemsize, dtype=np.uint8)
    if dtype.kind != "f":
        return raw.view(dtype.newbyteorder("=")).astype(dtype)
    vals = rng(seed).standard_normal(n) * 10.0 ** rng(seed + 1).integers(-3, 6, n)
    if n > 4:
        vals[:4] = (-0.0, np.inf, -np.inf, np.nan)
    return vals.astype(dtype)


def readonly(arr):
    arr = np.ascontiguousarray(arr)
    arr.flags.writeable = False
    return arr


def at_end(data, offset=3):
    """``data`` as a read-only view that starts at an odd offset and ends at its buffer's end."""
    buf = np.empty(offset + len(data), np.uint8)
    buf[offset:] = np.frombuffer(bytes(data), np.uint8)
    return readonly(buf[offset:])


# ---- _byteswap ---------------------------------------------------------------


def _swap_cases():
    cases = []
    for itemsize in (2, 4, 8):
        for n in SIZES:
            data = random_values("u1", n * itemsize, seed=n)
            cases.append((f"copy-bytes-{itemsize}x{n}", lambda d=data, s=itemsize: (d.tobytes(), np.zeros(d.size, np.uint8), s)))
            cases.append((f"copy-end-{itemsize}x{n}", lambda d=data, s=itemsize: (at_end(d), np.zeros(d.size, np.uint8), s)))

            def inplace(d=data, s=itemsize):
                buf = d.copy()
                return buf, buf, s

            cases.append((f"inplace-{itemsize}x{n}", inplace))
    return cases


# ---- _bits -------------------------------------------------------------------


def _unpack_1bit_cases():
    cases = []
    for n in SIZES:
        for offset in (0, 3, 8, 13):
            nbytes = (offset + n + 7) // 8
            data = random_values("u1", nbytes, seed=n + offset)
            cases.append((f"{n}@{offset}", lambda d=data, n=n, o=offset: (at_end(d), np.zeros(n, np.uint8), o)))
    return cases


def _unpack_12bit_cases():
    return [
        (f"{n}", lambda n=n: (at_end(random_values("u1", (3 * n + 1) // 2, seed=n)), np.zeros(n, np.uint16)))
        for n in SIZES
    ]


def _bit_settings(width):
    for bits in sorted({1, width // 2 + 1, width - 4 if width > 8 else 7, width}):
        for shift in sorted({0, width - bits}):
            for signed in (False, True):
                yield bits, shift, signed


def _fix_stored_bits_cases():
    cases = []
    for dt in UINTS:
        width = 8 * np.dtype(dt).itemsize
        for bits, shift, signed in _bit_settings(width):
            for n in (0, 1, 1001):
                cases.append(
                    (f"{dt}-{bits}>>{shift}-{signed}-{n}", lambda dt=dt, n=n, b=bits, s=shift, g=signed: (random_values(dt, n, seed=n), b, s, g))
                )
    return cases


# ---- _rescale ----------------------------------------------------------------

PAIRS = {
    "identity": ([1.0], [0.0]),
    "ct": ([1.0], [-1024.0]),
    "half": ([0.5], [-1024.25]),
    "negative": ([-2.5], [0.0]),
    "tiny": ([1e-7], [3.0e5]),
    "frames": ([0.5, 1.0, -3.25], [7.0, 0.0, -0.125]),
}


def _rescale_float_cases():
    cases = []
    for src_dt in NUMS:
        for dst_dt in ("f4", "f8"):
            for label, (slope, inter) in PAIRS.items():
                for n in (0, 1, 333, 65_541):
                    frames = len(slope)
                    total = n * frames

                    def make(src_dt=src_dt, dst_dt=dst_dt, slope=slope, inter=inter, total=total, n=n):
                        return (readonly(random_values(src_dt, total, seed=n)), np.zeros(total, dst_dt),
                                np.array(slope), np.array(inter), n)

                    cases.append((f"{src_dt}->{dst_dt}-{label}-{n}", make))
    return cases


def _rescale_int_cases():
    cases = []
    for src_dt in INTS:
        for dst_dt in INTS:
            for slope, inter in (([1], [0]), ([1], [-1024]), ([3, -2], [5, 1 << 40])):
                for n in (0, 1, 333):
                    total = n * len(slope)

                    def make(src_dt=src_dt, dst_dt=dst_dt, slope=slope, inter=inter, total=total, n=n):
                        return (readonly(random_values(src_dt, total, seed=n)), np.zeros(total, dst_dt),
                                np.array(slope, np.int64), np.array(inter, np.int64), n)

                    cases.append((f"{src_dt}->{dst_dt}-{slope}-{n}", make))
    return cases


# ---- _stack ------------------------------------------------------------------


def _place_frame_cases():
    cases = []
    settings = []
    for stored in NUMS:
        sdt = np.dtype(stored)
        width = 8 * sdt.itemsize
        outs = ("f4", "f8") if sdt.kind == "f" else (stored, "i4", "i8", "f4", "f8")
        bits_list = [(0, 0)] if sdt.kind == "f" else [(0, 0), (width - 4 if width > 8 else 7, 2 if width > 8 else 1), (1, 0)]
        for out in outs:
            for bits, shift in bits_list:
                pairs = [(1.0, 0.0), (1.0, -1024.0), (3.0, 5.0)] if np.dtype(out).kind != "f" else [(1.0, 0.0), (0.5, -1024.25), (-1.5, 0.0)]
                for slope, inter in pairs:
                    settings.append((stored, out, bits, shift, slope, inter))
    for stored, out, bits, shift, slope, inter in settings:
        for order in "<>":
            for n in (0, 1, 1001, 65_539) if order == ">" else (0, 1, 1001):
                for where in ("end", "offset"):
                    def make(stored=stored, out=out, bits=bits, shift=shift, slope=slope, inter=inter, order=order, n=n, where=where):
                        sdt = np.dtype(stored).newbyteorder(order)
                        data = random_values(stored, n, seed=n).astype(sdt).tobytes()
                        if where == "end":  # unaligned, and the frame ends where the buffer does
                            src, offset = at_end(data), 0
                        else:  # an odd offset into a longer buffer
                            src, offset = b"\1\2\3" + data + b"\0" * 5, 3
                        return (src, offset, np.zeros(n, out), sdt.itemsize, sdt.kind, order == ">" and sdt.itemsize > 1,
                                bits, shift, slope, inter)

                    cases.append((f"{order}{stored}->{out}-b{bits}>>{shift}-{slope}x+{inter}-{n}-{where}", make))
    # rows written in reverse order (the reader's NIfTI row order): 1001 items as 7 x 143 and 143 x 7, one row, none
    for stored, out, bits, shift, slope, inter in settings[::3]:
        for n, row_items in ((1001, 7), (1001, 143), (1001, 1001), (0, 5)):
            def make(stored=stored, out=out, bits=bits, shift=shift, slope=slope, inter=inter, n=n, row_items=row_items):
                sdt = np.dtype(stored).newbyteorder(">")
                data = random_values(stored, n, seed=n).astype(sdt).tobytes()
                return (at_end(data), 0, np.zeros(n, out), sdt.itemsize, sdt.kind, sdt.itemsize > 1, bits, shift,
                        slope, inter, row_items)

            cases.append((f">{stored}->{out}-b{bits}-{n} rows of {row_items} reversed", make))
    return cases


# ---- _rle --------------------------------------------------------------------


def packbits(data, seed=0):
    """PackBits-encode ``data`` with literal and replicate runs of random lengths."""
    r = rng(seed)
    out = bytearray()
    i = 0
    while i < len(data):
        run = 1
        while i + run < len(data) and data[i + run] == data[i] and run < 128:
            run += 1
        if run >= 2:
            out += bytes([257 - run, data[i]])
            i += run
        else:
            k = min(int(r.integers(1, 129)), len(data) - i)
            out += bytes([k - 1]) + bytes(data[i : i + k])
            i += k
    return bytes(out)


def rle_frame(planes, seed=0, tail=b""):
    """An RLE frame (64-byte header, then segments) from a list of byte planes."""
    segments = [packbits(p, seed + k) + (tail if k == len(planes) - 1 else b"") for k, p in enumerate(planes)]
    offsets, pos = [], 64
    for seg in segments:
        offsets.append(pos)
        pos += len(seg)
    return struct.pack("<16I", len(segments), *offsets, *[0] * (15 - len(segments))) + b"".join(segments)


def _runny(n, seed):
    """Bytes with runs in them, so both kinds of PackBits run occur."""
    r = rng(seed)
    vals = r.integers(0, 256, max(n // 4, 1), dtype=np.uint8)
    return np.repeat(vals, r.integers(1, 9, vals.size))[:n].tobytes().ljust(n, b"\x07")


def _rle_cases():
    cases = []
    for spp in (1, 3):
        for bps in (1, 2, 4):
            for rows, cols in ((1, 1), (7, 9), (256, 256)):
                plane = rows * cols
                planes = [_runny(plane, seed=k) for k in range(spp * bps)]
                good = rle_frame(planes)
                padded = rle_frame(planes, tail=b"\x00\x05")  # decodes past the plane: ignored
                short = rle_frame([p[:-1] for p in planes])  # one byte short: reported
                for label, frame in (("good", good), ("padded", padded), ("short", short)):
                    def make(frame=frame, spp=spp, bps=bps, plane=plane):
                        header = struct.unpack("<16I", frame[:64])
                        offsets = np.array([*header[1 : header[0] + 1], len(frame)], np.int64)
                        return at_end(frame), np.zeros(plane * spp * bps, np.uint8), offsets, plane, bps

                    cases.append((f"{spp}x{bps}-{rows}x{cols}-{label}", make))
    # a literal run cut by the segment's end, and a replicate run without its byte
    for label, seg in (("cut-literal", b"\x05\x01\x02"), ("lone-replicate", b"\x01\x01\x02\xfe")):
        def make(seg=seg):
            frame = struct.pack("<16I", 1, 64, *[0] * 14) + seg
            return frame, np.zeros(3, np.uint8), np.array([64, len(frame)], np.int64), 3, 1

        cases.append((label, make))
    return cases


# ---- _photometric ------------------------------------------------------------


def _invert_cases():
    cases = []
    for dt in UINTS:
        width = 8 * np.dtype(dt).itemsize
        for bits in sorted({1, width - 4 if width > 8 else 7, width}):
            for signed in (False, True):
                for n in (0, 1, 1001):
                    cases.append((f"{dt}-{bits}-{signed}-{n}", lambda dt=dt, n=n, b=bits, s=signed: (random_values(dt, n, seed=n), b, s)))
    return cases


def _ybr_cases():
    cases = []
    for n in SIZES:
        cases.append((f"copy-{n}", lambda n=n: (readonly(random_values("u1", 3 * n, seed=n)), np.zeros(3 * n, np.uint8))))

        def inplace(n=n):
            buf = random_values("u1", 3 * n, seed=n)
            return buf, buf

        cases.append((f"inplace-{n}", inplace))
    return cases


def _planar_cases():
    return [
        (f"{dt}-{s}-{n}", lambda dt=dt, s=s, n=n: (readonly(random_values(dt, s * n, seed=n)), np.zeros(s * n, dt), s))
        for dt in UINTS
        for s in (1, 3, 4)
        for n in SIZES
    ]


def _palette_cases():
    cases = []
    for idx in ("u1", "u2", "i2"):
        for lut in ("u1", "u2"):
            for nluts in (3, 4):
                for entries, first in ((256, 0), (4096, 100), (1, 0), (65536, -32768)):
                    for n in (0, 1, 1001):
                        def make(idx=idx, lut=lut, nluts=nluts, entries=entries, first=first, n=n):
                            return (readonly(random_values(idx, n, seed=n)), np.zeros(n * nluts, lut),
                                    readonly(random_values(lut, entries * nluts, seed=entries)), nluts, first)

                        cases.append((f"{idx}->{lut}x{nluts}-{entries}@{first}-{n}", make))
    return cases


# ---- _scan -------------------------------------------------------------------


def _element(tag, vr, value, big=False, length=None):
    """One data element: explicit VR when ``vr``, implicit (little endian) when ``vr`` is None."""
    order = ">" if big else "<"
    length = len(value) if length is None else length
    if vr is None:
        return struct.pack("<HHI", tag >> 16, tag & 0xFFFF, length) + value
    if vr in (b"OB", b"OW", b"SQ", b"UN", b"UT", b"UC"):
        return struct.pack(f"{order}HH2sHI", tag >> 16, tag & 0xFFFF, vr, 0, length) + value
    return struct.pack(f"{order}HH2sH", tag >> 16, tag & 0xFFFF, vr, length) + value


def _item(body, defined=True, big=False):
    order = ">" if big else "<"
    if defined:
        return struct.pack(f"{order}HHI", 0xFFFE, 0xE000, len(body)) + body
    return struct.pack(f"{order}HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + body + struct.pack(f"{order}HHI", 0xFFFE, 0xE00D, 0)


def _sequence(tag, items, vr=b"SQ", defined=True, big=False):
    body = b"".join(items)
    if defined:
        return _element(tag, vr, body, big)
    order = ">" if big else "<"
    return _element(tag, vr, body + struct.pack(f"{order}HHI", 0xFFFE, 0xE0DD, 0), big, 0xFFFFFFFF)


def _scan_datasets():
    """Data sets with every way of nesting: (label, bytes, explicit_vr, big_endian)."""
    implicit_inner = _element(0x00080100, None, b"X1") + _element(0x00291010, None, b"\x01\x02")
    out = []
    for big in (False, True):
        inner = _element(0x00080100, b"SH", b"X1", big) + _element(0x00080102, b"SH", b"DCM ", big)
        explicit = (
            _element(0x00080060, b"CS", b"MR", big)
            + _sequence(0x00081140, [_item(inner, True, big), _item(inner, False, big)], big=big)
            + _sequence(0x52009230, [_item(_sequence(0x00209111, [_item(inner, big=big)], big=big), False, big)],
                        defined=False, big=big)
            + _sequence(0x00081150, [], big=big)
            + _element(0x00291010, b"OB", b"\x00" * 6, big)
        )
        out.append((f"explicit {'BE' if big else 'LE'}", explicit, True, big))
    # UN values: undefined length (implicit items inside), and defined length that parses as items, or does not
    un = (_element(0x00080060, b"CS", b"MR")
          + _sequence(0x00291020, [_item(implicit_inner, False)], vr=b"UN", defined=False)
          + _element(0x00291030, b"UN", _item(implicit_inner))
          + _element(0x00291040, b"UN", struct.pack("<HHI", 0xFFFE, 0xE000, 4) + b"\xff" * 8)
          + _element(0x00291050, b"UN", b"\x00" * 3))
    out.append(("UN", un, True, False))
    implicit = (_element(0x00080060, None, b"MR")
                + _element(0x00081140, None, _item(implicit_inner) + _item(implicit_inner, False))
                + _element(0x00291010, None, _item(implicit_inner)[:-2] + b"\x00\x00")
                + _sequence(0x00291020, [_item(implicit_inner, False)], vr=None, defined=False))
    out.append(("implicit", implicit, False, False))
    # an item of an explicit data set encoded as implicit VR (pydicom follows the bytes)
    inner = _element(0x00080100, b"SH", b"X1")
    out.append(("implicit item", _element(0x00080060, b"CS", b"MR")
                + _sequence(0x00081140, [_item(implicit_inner, False)], defined=False), True, False))
    pixels = _element(0x00280010, b"US", b"\x04\x00") + _element(0x7FE00010, b"OW", b"\x00" * 8)
    out.append(("pixels", pixels, True, False))
    meta = _element(0x00020010, b"UI", b"1.2.840.10008.1.2\x00") + _element(0x00080060, None, b"MR")
    out.append(("meta", meta, True, False))
    deep = (_sequence(0x00081140, [], defined=False)[:-20]
            + (_element(0x00081140, b"SQ", b"", length=0xFFFFFFFF) + struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF)) * 40)
    out.append(("deep", deep, True, False))
    out.append(("bad item", _element(0x00080060, b"CS", b"MR") + struct.pack("<HHI", 0xFFFE, 0xE000, 0), True, False))
    out.append(("unknown VR", _element(0x00080060, b"CS", b"MR") + _element(0x00080070, b"ZZ", b"ab"), True, False))
    return out


def _index_cases():
    cases = []
    for label, data, explicit_vr, big in _scan_datasets():
        for cut in sorted({len(data), len(data) - 1, len(data) // 2, 9, 0}):
            for rows in (2, 256):
                for meta_only in (False, True):
                    def make(data=data[:cut], explicit_vr=explicit_vr, big=big, rows=rows, meta_only=meta_only):
                        return (at_end(data), 0, explicit_vr, big, meta_only,
                                np.full((rows, 7), 7, np.int64), np.full(5, 7, np.int64))

                    cases.append((f"{label}[:{cut}] rows={rows} meta_only={meta_only}", make))
    return cases


# text values decode_values reads or leaves to Python: every branch of the DS and IS grammar
DECIMALS = [
    b"1", b"-1", b"+1", b"0", b"-0", b"0.0", b"-0.0", b".5", b"5.", b"1.5e3", b"1.5E-3", b"-1e+22", b"1e23",
    b"1e-22", b"1e-23", b"0e99999", b"0e999999", b"1e", b"1e+", b"e5", b".", b"+", b"-", b"1.2.3", b"1-2",
    b"  2.5  ", b"2.5 \x00", b"\x002.5", b"2.5\x00\x00 ", b"\t2.5", b"1_0", b"inf", b"nan", b"0x10",
    b"9007199254740992", b"9007199254740993", b"1234567890123456789", b"12345678901234567890",
    b"0.00000000000000000001", b"000000000000000000000001.5", b"1.50000000000000000000", b"-229.95\\-229.95\\355",
    b"1\\", b"\\1", b"1\\\\2", b"1 \\ 2", b"1\\2\\3\\4", b" ", b"", b"0.661468\\0.661468",
    b"4.9406564584124654e-324", b"1.7976931348623157e308", b"123456789012345.6", b"0.1\\0.2\\0.3",
]


def _random_decimals(n, seed):
    """Decimal strings of 1 to 20 digits, a point anywhere and exponents around the fast path's edges."""
    r = rng(seed)
    out = []
    for _ in range(n):
        digits = "".join(map(str, r.integers(0, 10, r.integers(1, 21))))
        point = int(r.integers(0, len(digits) + 1))
        text = (("-" if r.random() < 0.3 else "") + digits[:point] + "." + digits[point:]) if r.random() < 0.8 else digits
        if r.random() < 0.4:
            text += "e" + str(int(r.integers(-30, 31)))
        out.append(text.encode())
    return out


def _numbers_dataset(values, vr, big=False, implicit=False):
    """One element a value, tags 0x00110010 + 2k: (bytes, tags)."""
    tags = [0x00110010 + 2 * k for k in range(len(values))]
    data = b"".join(_element(tag, None if implicit else vr, value, big) for tag, value in zip(tags, values))
    return data, tags


def _numbers_case(data, tags, vrs, widths, big=False, implicit=False, rows=None, text_room=0):
    from medfast._kernels import _reference

    table = np.zeros((len(data) // 8 + 2, 7), np.int64)
    stop = np.zeros(5, np.int64)
    _reference.index_elements(data, 0, not implicit, big, False, table, stop)
    table = table[:int(stop[4])] if rows is None else table[:rows]
    first = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)

    def make():
        return (at_end(data), readonly(table), big, readonly(np.array(tags, np.int64)),
                readonly(np.array(vrs, np.int64)), readonly(first), np.full(len(tags), 7, np.int64),
                np.full(len(tags), 7, np.int64), np.full(int(first[-1]), 7.0),
                np.full(len(data) + len(tags) + text_room, 7, np.uint8))

    return make


TEXTS = [b"MR", b"MR ", b"MR\x00", b"ORIGINAL\\PRIMARY\\M\\ND", b"A \\B", b" A\\B ", b"", b"  ", b"\\",
         b"1.2.840.10008.5.1.4.1.1.4\x00", b"caf\xe9", b"tab\there", b"\x1b$B", b"~}|{", b"a\x00b"]


def _numbers_cases():
    ds, is_ = 0x4453, 0x4953
    cases = []
    for label, values in (("decimals", DECIMALS), ("random", _random_decimals(3000, 5))):
        for vr in (ds, is_):
            for widths in (1, 3):
                data, tags = _numbers_dataset(values, vr.to_bytes(2, "big"))
                cases.append((f"{label} {vr.to_bytes(2, 'big').decode()} x{widths}",
                              _numbers_case(data, tags, [vr] * len(tags), [widths] * len(tags))))
    binary = {b"US": "H", b"SS": "h", b"UL": "I", b"SL": "i", b"FL": "f", b"FD": "d"}
    for vr, code in binary.items():
        for big in (False, True):
            for implicit in ((False, True) if not big else (False,)):
                items = [random_values(np.dtype(code), n, seed=n).astype(np.dtype(code).newbyteorder(">" if big else "<"))
                         .tobytes() for n in (0, 1, 2, 3, 9)] + [b"\x01"]
                data, tags = _numbers_dataset(items, vr, big, implicit)
                for widths in (1, 3, 9):
                    cases.append((f"{vr.decode()} big={big} implicit={implicit} x{widths}",
                                  _numbers_case(data, tags, [int.from_bytes(vr, "big")] * len(tags), [widths] * len(tags),
                                                big, implicit)))
    for vr in (b"CS", b"UI", b"LO", b"SH", b"LT", b"DA", b"AE", b"PN"):
        for implicit in (False, True):
            data, tags = _numbers_dataset(TEXTS, vr, implicit=implicit)
            cases.append((f"text {vr.decode()} implicit={implicit}",
                          _numbers_case(data, tags, [int.from_bytes(vr, "big")] * len(tags), [0] * len(tags),
                                        implicit=implicit)))
    # the file's VR differs from the one asked; a tag asked that is absent; a repeated tag; nesting
    mixed = (_element(0x00080060, b"CS", b"MR") + _element(0x00180050, b"DS", b"2.5")
             + _sequence(0x00189117, [_item(_element(0x00180050, b"DS", b"9"))])
             + _element(0x00200013, b"IS", b"7") + _element(0x00200013, b"IS", b"8")
             + _element(0x00280010, b"US", b"\x00\x02") + _element(0x00280030, b"FD", struct.pack("<d", 0.5)))
    tags = [0x00080060, 0x00180050, 0x00189117, 0x00200013, 0x00200014, 0x00280010, 0x00280030]
    vrs = [0x4353, ds, ds, is_, is_, 0x5353, ds]
    cases.append(("mixed", _numbers_case(mixed, tags, vrs, [2] * len(tags))))
    cases.append(("mixed, the file's VRs", _numbers_case(mixed, tags, [0] * len(tags), [2] * len(tags))))
    cases.append(("mixed, table cut", _numbers_case(mixed, tags, vrs, [2] * len(tags), rows=3)))
    cases.append(("no tags", _numbers_case(mixed, [], [], [])))
    data, tags = _numbers_dataset([b"1.5", b"\x02\x00", b"LO text", b"7"], None, implicit=True)
    cases.append(("implicit, the file's VRs", _numbers_case(data, tags, [0, 0, 0, is_], [1] * 4, implicit=True)))
    # a table whose rows claim the same bytes again and again: the text room runs out, the kernel stays inside it
    data, tags = b"ABCDEFGH" * 8, [0x00110010 + 2 * k for k in range(4)]
    table = np.array([(tag, 0x4C4F, 0, len(data), -1, r + 1, 0) for r, tag in enumerate(tags)], np.int64)
    cases.append(("text room", lambda: (at_end(data), readonly(table), False, readonly(np.array(tags, np.int64)),
                                        readonly(np.full(4, 0x4C4F, np.int64)), readonly(np.zeros(5, np.int64)),
                                        np.zeros(4, np.int64), np.zeros(4, np.int64), np.zeros(0),
                                        np.zeros(len(data) + 4, np.uint8))))
    return cases


def _items_cases():
    """Functional-group-like nesting: frames of group sequences holding values; a group missing, one empty, text."""
    from medfast._kernels import _reference

    cases = []
    for big, implicit in ((False, False), (True, False), (False, True)):
        vr = (lambda v: None) if implicit else (lambda v: v)

        def group(seq, *elements, empty=False):
            body = b"".join(_element(t, vr(v), value, big) for t, v, value in elements)
            return _sequence(seq, [] if empty else [_item(body, big=big)], vr=vr(b"SQ"), big=big)

        frames = []
        for f in range(4):
            position = group(0x00209113, (0x00200032, b"DS", f"1\\2\\{f}.5".encode() + b" "))
            measures = group(0x00289110, (0x00280030, b"DS", b"0.5\\0.5 "), (0x00180050, b"DS", b"2"),
                             empty=f == 2)
            content = group(0x00209111, (0x00209157, b"UL", struct.pack(">II" if big else "<II", 1, f)),
                            (0x00209128, b"UL", struct.pack(">I" if big else "<I", f)))
            frame_type = group(0x00189226, (0x00089007, b"CS", b"ORIGINAL\\PRIMARY\\M\\NONE"))
            frames.append(_item(position + (b"" if f == 1 else measures) + content + (frame_type if f != 3 else b""),
                                big=big))
        data = _element(0x00080060, vr(b"CS"), b"MR", big) + _sequence(0x52009230, frames, vr=vr(b"SQ"), big=big)
        table = np.zeros((len(data) // 8 + 2, 7), np.int64)
        stop = np.zeros(5, np.int64)
        _reference.index_elements(data, 0, not implicit, big, False, table, stop)
        table = table[:int(stop[4])]
        items = np.flatnonzero((table[:, 0] == 0xFFFEE000) & (table[:, 4] == 1))  # the frames: items of row 1
        pairs = [(0x00209113, 0x00200032, 0x4453), (0x00289110, 0x00280030, 0x4453), (0x00289110, 0x00180050, 0x4453),
                 (0x00209111, 0x00209157, 0x554C), (0x00209111, 0x00209128, 0), (0x00189226, 0x00089007, 0x4353),
                 (0x00189226, 0x00080008, 0x4353), (0x00209116, 0x00200037, 0x4453)]
        for width in (1, 3):
            for picked in (items, items[::-1][:2], np.array([0, 10**6, -1], np.int64)):
                def make(data=data, table=table, picked=picked, width=width, big=big):
                    m, nk = len(picked), len(pairs)
                    first = np.arange(nk + 1, dtype=np.int64) * width
                    return (at_end(data), readonly(table), big, readonly(np.array(picked, np.int64)),
                            readonly(np.array([p[0] for p in pairs], np.int64)),
                            readonly(np.array([p[1] for p in pairs], np.int64)),
                            readonly(np.array([p[2] for p in pairs], np.int64)), readonly(first),
                            np.full((m, nk), 7, np.int64), np.full((m, nk), 7, np.int64), np.full((m, nk), 7, np.int64),
                            np.full((m, int(first[-1])), 7.0), np.full(len(data) + m * nk, 7, np.uint8))

                cases.append((f"big={big} implicit={implicit} x{width} items {list(picked)}", make))
    return cases


CASES = {
    "swap_bytes": _swap_cases(),
    "unpack_1bit": _unpack_1bit_cases(),
    "unpack_12bit": _unpack_12bit_cases(),
    "fix_stored_bits": _fix_stored_bits_cases(),
    "rescale_float": _rescale_float_cases(),
    "rescale_int": _rescale_int_cases(),
    "place_frame": _place_frame_cases(),
    "rle_decode_frame": _rle_cases(),
    "invert_monochrome1": _invert_cases(),
    "ybr_full_to_rgb": _ybr_cases(),
    "planar_to_interleaved": _planar_cases(),
    "apply_palette": _palette_cases(),
    "index_elements": _index_cases(),
    "decode_values": _numbers_cases(),
    "decode_items": _items_cases(),
}
