# Cython directives: setup.py, the same for every kernel.
"""DICOM data element scanner: walk a dataset's bytes, note where the wanted tags are.

No Python objects in the walk; every read is checked against the buffer's
length; nesting is followed with a counter (no recursion) up to MAX_DEPTH;
each step moves forward by at least 8 bytes, so the walk always ends.
"""
from libc.stdint cimport int64_t, uint8_t, uint32_t

__all__ = ["scan_elements"]

# Status codes, mirrored in medfast/_kernels/_reference.py.
cdef enum:
    FOUND_PIXELS = 0    # stopped at top-level (7FE0,0010/0008/0009): stop row = value offset, length, VR, tag
    END = 1             # walked to exactly the end of the buffer: stop row = (len, 0, 0, 0)
    END_OF_GROUP = 2    # meta_only: first top-level element outside group 0002: stop row = header offset
    TRUNCATED = -1      # the next step needs bytes past the end: stop row = bytes needed
    MALFORMED = -2      # an item or delimiter where none may be: stop row = header offset
    UNSUPPORTED = -3    # unknown VR, undefined length outside a sequence, too deep: stop row = header offset
    MAX_DEPTH = 64      # sequence plus item levels (32 nested sequences)
    VR_SQ = 0x5351
    VR_UN = 0x554E

cdef const uint32_t UNDEFINED = 0xFFFFFFFF
cdef const uint32_t ITEM = 0xFFFEE000
cdef const uint32_t ITEM_DELIM = 0xFFFEE00D
cdef const uint32_t SEQ_DELIM = 0xFFFEE0DD


cdef inline uint32_t _u16(const uint8_t[::1] b, Py_ssize_t i, bint big) noexcept nogil:
    if big:
        return (<uint32_t>b[i] << 8) | b[i + 1]
    return (<uint32_t>b[i + 1] << 8) | b[i]


cdef inline uint32_t _u32(const uint8_t[::1] b, Py_ssize_t i, bint big) noexcept nogil:
    if big:
        return (<uint32_t>b[i] << 24) | (<uint32_t>b[i + 1] << 16) | (<uint32_t>b[i + 2] << 8) | b[i + 3]
    return (<uint32_t>b[i + 3] << 24) | (<uint32_t>b[i + 2] << 16) | (<uint32_t>b[i + 1] << 8) | b[i]


cdef inline int _vr_kind(uint32_t vr) noexcept nogil:
    """2: 4-byte length after two reserved bytes; 1: 2-byte length; 0: not a VR."""
    if vr in (0x4F42, 0x4F44, 0x4F46, 0x4F4C, 0x4F56, 0x4F57,   # OB OD OF OL OV OW
              0x5351, 0x5356, 0x5543, 0x554E, 0x5552, 0x5554, 0x5556):  # SQ SV UC UN UR UT UV
        return 2
    if vr in (0x4145, 0x4153, 0x4154, 0x4353, 0x4441, 0x4453, 0x4454,  # AE AS AT CS DA DS DT
              0x4644, 0x464C, 0x4953, 0x4C4F, 0x4C54, 0x504E, 0x5348,  # FD FL IS LO LT PN SH
              0x534C, 0x5353, 0x5354, 0x544D, 0x5549, 0x554C, 0x5553):  # SL SS ST TM UI UL US
        return 1
    return 0


cdef inline Py_ssize_t _find(const uint32_t[::1] wanted, uint32_t tag) noexcept nogil:
    """Index of tag in the ascending ``wanted``, or -1."""
    cdef Py_ssize_t lo = 0, hi = wanted.shape[0], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if wanted[mid] < tag:
            lo = mid + 1
        else:
            hi = mid
    if lo < wanted.shape[0] and wanted[lo] == tag:
        return lo
    return -1


cdef inline int _stop(int64_t[:, ::1] out, Py_ssize_t row, int64_t a, int64_t b, int64_t c,
                      int64_t d, int status) noexcept nogil:
    out[row, 0] = a
    out[row, 1] = b
    out[row, 2] = c
    out[row, 3] = d
    return status


cdef int _walk(const uint8_t[::1] buf, Py_ssize_t start, bint explicit_vr, bint big_endian,
               bint meta_only, const uint32_t[::1] wanted, int64_t[:, ::1] out) noexcept nogil:
    cdef Py_ssize_t n = buf.shape[0], nw = wanted.shape[0], i
    cdef int64_t pos = start, vpos, end
    cdef uint32_t group, tag, vr, length, nxt
    cdef int depth = 0, implicit_from = 0, kind
    cdef bint expl, big
    for i in range(nw + 1):
        out[i, 0] = -1
        out[i, 1] = 0
        out[i, 2] = 0
        out[i, 3] = 0
    while True:
        # Inside an undefined-length UN the content is implicit VR little endian (PS3.5 6.2.2).
        expl = explicit_vr and (implicit_from == 0 or depth < implicit_from)
        big = big_endian and expl
        if depth == 0 and pos == n:
            return _stop(out, nw, n, 0, 0, 0, END)
        if pos + 8 > n:
            return _stop(out, nw, pos + 8, 0, 0, 0, TRUNCATED)
        group = _u16(buf, pos, big)
        tag = (group << 16) | _u16(buf, pos + 2, big)
        if meta_only and depth == 0 and group != 0x0002:
            return _stop(out, nw, pos, 0, 0, tag, END_OF_GROUP)
        if group == 0xFFFE:  # item or delimiter: tag and 4-byte length, never a VR
            length = _u32(buf, pos + 4, big)
            vpos = pos + 8
            if depth & 1:  # sequence level: items or the sequence delimiter
                if tag == ITEM and length == UNDEFINED:
                    if depth >= MAX_DEPTH:
                        return _stop(out, nw, pos, 0, 0, tag, UNSUPPORTED)
                    depth += 1
                    pos = vpos
                elif tag == ITEM:
                    pos = vpos + length
                elif tag == SEQ_DELIM:
                    depth -= 1
                    if depth < implicit_from:
                        implicit_from = 0
                    pos = vpos
                else:
                    return _stop(out, nw, pos, 0, 0, tag, MALFORMED)
            elif depth > 0 and tag == ITEM_DELIM:
                depth -= 1
                pos = vpos
            else:
                return _stop(out, nw, pos, 0, 0, tag, MALFORMED)
            continue
        if depth & 1:  # a data element where an item must be
            return _stop(out, nw, pos, 0, 0, tag, MALFORMED)
        if expl:
            vr = (<uint32_t>buf[pos + 4] << 8) | buf[pos + 5]
            kind = _vr_kind(vr)
            if kind == 0:
                return _stop(out, nw, pos, 0, vr, tag, UNSUPPORTED)
            if kind == 2:
                if pos + 12 > n:
                    return _stop(out, nw, pos + 12, 0, 0, 0, TRUNCATED)
                length = _u32(buf, pos + 8, big)
                vpos = pos + 12
            else:
                length = _u16(buf, pos + 6, big)
                vpos = pos + 8
        else:
            vr = 0
            length = _u32(buf, pos + 4, big)
            vpos = pos + 8
        i = -1
        if depth == 0:
            if tag == 0x7FE00010 or tag == 0x7FE00008 or tag == 0x7FE00009:
                return _stop(out, nw, vpos, length, vr, tag, FOUND_PIXELS)
            i = _find(wanted, tag)
        if length == UNDEFINED:
            if i >= 0 or depth >= MAX_DEPTH:
                return _stop(out, nw, pos, 0, vr, tag, UNSUPPORTED)
            if expl:
                if vr == VR_UN and not big_endian:
                    if implicit_from == 0:
                        implicit_from = depth + 1
                elif vr != VR_SQ:
                    return _stop(out, nw, pos, 0, vr, tag, UNSUPPORTED)
            else:  # implicit VR: a sequence only if an item or the delimiter follows
                if vpos + 4 > n:
                    return _stop(out, nw, vpos + 4, 0, 0, 0, TRUNCATED)
                nxt = (_u16(buf, vpos, big) << 16) | _u16(buf, vpos + 2, big)
                if nxt != ITEM and nxt != SEQ_DELIM:
                    return _stop(out, nw, pos, 0, vr, tag, UNSUPPORTED)
            depth += 1
            pos = vpos
            continue
        end = vpos + length
        if i >= 0:
            if end > n:
                return _stop(out, nw, end, 0, 0, 0, TRUNCATED)
            out[i, 0] = vpos
            out[i, 1] = length
            out[i, 2] = vr
            out[i, 3] = tag
        pos = end


def scan_elements(const uint8_t[::1] buf, Py_ssize_t start, bint explicit_vr, bint big_endian,
                  bint meta_only, const uint32_t[::1] wanted, int64_t[:, ::1] out):
    """Walk data elements from ``start``; rows of ``out`` get (value offset, length, VR, tag) of each wanted tag, the last row where the walk stopped; return the status."""
    cdef int status
    cdef Py_ssize_t i
    if start < 0 or out.shape[0] != wanted.shape[0] + 1 or out.shape[1] != 4:
        raise ValueError("scan_elements: start must be >= 0 and out of shape (len(wanted) + 1, 4)")
    for i in range(1, wanted.shape[0]):
        if wanted[i] <= wanted[i - 1]:
            raise ValueError("scan_elements: wanted must be strictly ascending")
    with nogil:
        status = _walk(buf, start, explicit_vr, big_endian, meta_only, wanted, out)
    return status
