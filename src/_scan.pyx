# Cython directives: setup.py, the same for every kernel.
"""DICOM data element indexer: one walk over a data set's bytes, one table row per element.

Every element gets a row, nested ones too (sequences, items, the functional
groups of enhanced files, private sequences): no Python objects in the walk,
every read checked against the buffer and the enclosing lengths, nesting
followed on a fixed stack (no recursion) up to MAX_DEPTH levels, each step
moving forward by at least 8 bytes or closing a level, so the walk always ends.
"""
from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy

__all__ = ["index_elements", "decode_values", "decode_items"]

# Status codes, mirrored in medfast/_kernels/_reference.py.
cdef enum:
    FOUND_PIXELS = 0    # stopped at top-level (7FE0,0010/0008/0009): stop = value offset, length, VR, tag
    END = 1             # walked to exactly the end of the buffer: stop = (len, 0, 0, 0)
    END_OF_GROUP = 2    # meta_only: first top-level element outside group 0002: stop = (its offset, 0, 0, tag)
    TRUNCATED = -1      # the next step needs bytes past the end of the buffer: stop = (bytes needed, 0, 0, 0)
    MALFORMED = -2      # an item or element where none may be, or crossing its container: stop = offset
    UNSUPPORTED = -3    # unknown VR, undefined length the walk cannot follow, too deep: stop = offset
    TABLE_FULL = -4     # the table has no row left: stop = offset of the element that needed one
    MAX_DEPTH = 64      # stack levels: the data set, then one a sequence and one an item
    # row flags
    CONTAINER = 1       # the rows up to column 5 are its children (a sequence, or a value that parses as one)
    ITEM = 2            # an item (FFFE,E000) of the sequence in column 4
    IMPLICIT = 4        # read as implicit VR: column 1 is 0 and the VR comes from the dictionary
    SPECULATIVE = 8     # an implicit or UN value of defined length whose bytes parse as items
    VR_SQ = 0x5351
    VR_UN = 0x554E

cdef const uint32_t UNDEFINED = 0xFFFFFFFF
cdef const uint32_t ITEM_TAG = 0xFFFEE000
cdef const uint32_t ITEM_DELIM = 0xFFFEE00D
cdef const uint32_t SEQ_DELIM = 0xFFFEE0DD


cdef inline uint32_t _u16(const uint8_t[::1] b, int64_t i, bint big) noexcept nogil:
    if big:
        return (<uint32_t>b[i] << 8) | b[i + 1]
    return (<uint32_t>b[i + 1] << 8) | b[i]


cdef inline uint32_t _u32(const uint8_t[::1] b, int64_t i, bint big) noexcept nogil:
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


cdef inline bint _upper(uint8_t c) noexcept nogil:
    return 0x40 < c < 0x5B


cdef int _walk(const uint8_t[::1] buf, int64_t start, bint explicit_vr, bint big_endian, bint meta_only,
               int64_t[:, ::1] table, int64_t[::1] stop) noexcept nogil:
    cdef int64_t n = buf.shape[0], cap = table.shape[0], count = 0
    cdef int64_t pos = start, vpos, end, limit, row, a = 0, b = 0
    cdef int64_t lv_end[MAX_DEPTH]     # end offset of a defined-length level, -1 when undefined
    cdef int64_t lv_limit[MAX_DEPTH]   # nearest defined end of this level or an enclosing one (n at most)
    cdef int64_t lv_row[MAX_DEPTH]     # the row of the sequence or item (-1: the data set)
    cdef bint lv_seq[MAX_DEPTH]        # a sequence level (items expected) rather than a data set or item
    cdef bint lv_implicit[MAX_DEPTH]
    cdef uint32_t group, tag, vr, length, nxt
    cdef int depth = 0, kind, status = 0, s
    cdef bint implicit, big, descend, speculative
    stop[0] = -1
    stop[1] = 0
    stop[2] = 0
    stop[3] = 0
    stop[4] = 0
    lv_end[0] = -1
    lv_limit[0] = n
    lv_row[0] = -1
    lv_seq[0] = False
    lv_implicit[0] = not explicit_vr
    while True:
        while depth > 0 and lv_end[depth] >= 0 and pos >= lv_end[depth]:  # defined lengths used up
            table[lv_row[depth], 5] = count
            depth -= 1
        implicit = lv_implicit[depth]
        big = big_endian and not implicit
        limit = lv_limit[depth]
        if depth == 0 and pos == n:
            status, a, b, vr, tag = END, n, 0, 0, 0
            break
        if pos + 8 > limit:
            status, a, b, vr, tag = (TRUNCATED if limit == n else MALFORMED), pos + 8, 0, 0, 0
        else:
            group = _u16(buf, pos, big)
            tag = (group << 16) | _u16(buf, pos + 2, big)
            if meta_only and depth == 0 and group != 0x0002:
                status, a, b, vr = END_OF_GROUP, pos, 0, 0
                break
            status = 1  # 1: go on
            if group == 0xFFFE:  # item or delimiter: tag and 4-byte length, never a VR
                length = _u32(buf, pos + 4, big)
                vpos = pos + 8
                if lv_seq[depth] and tag == ITEM_TAG:
                    if count == cap:
                        status, a, b, vr = TABLE_FULL, pos, 0, 0
                        break
                    if depth + 1 >= MAX_DEPTH:
                        status, a, b, vr = UNSUPPORTED, pos, 0, 0
                    elif length != UNDEFINED and vpos + length > limit:
                        status, a, b, vr = (TRUNCATED if limit == n else MALFORMED), vpos + length, 0, 0
                    elif not implicit and length != 0 and vpos + 6 > limit:
                        status, a, b, vr = (TRUNCATED if limit == n else MALFORMED), vpos + 6, 0, 0
                    else:
                        row = count
                        count += 1
                        table[row, 0] = tag
                        table[row, 1] = 0
                        table[row, 2] = vpos
                        table[row, 3] = length
                        table[row, 4] = lv_row[depth]
                        table[row, 5] = count
                        table[row, 6] = ITEM
                        depth += 1
                        lv_row[depth] = row
                        lv_seq[depth] = False
                        # as pydicom: an item of an explicit VR data set may be encoded implicitly,
                        # which its first element's VR bytes tell
                        lv_implicit[depth] = implicit or (length != 0 and not (
                            _upper(buf[vpos + 4]) and _upper(buf[vpos + 5])))
                        if lv_implicit[depth] and big_endian:
                            status, a, b, vr = UNSUPPORTED, pos, 0, 0
                        lv_end[depth] = -1 if length == UNDEFINED else vpos + length
                        lv_limit[depth] = limit if length == UNDEFINED else vpos + length
                        pos = vpos
                elif lv_seq[depth] and tag == SEQ_DELIM and lv_end[depth] < 0:
                    table[lv_row[depth], 5] = count
                    depth -= 1
                    pos = vpos
                elif depth > 0 and not lv_seq[depth] and tag == ITEM_DELIM and lv_end[depth] < 0:
                    table[lv_row[depth], 5] = count
                    depth -= 1
                    pos = vpos
                else:
                    status, a, b, vr = MALFORMED, pos, 0, 0
            elif lv_seq[depth]:  # a data element where an item must be
                status, a, b, vr = MALFORMED, pos, 0, 0
            else:
                if not implicit:
                    vr = (<uint32_t>buf[pos + 4] << 8) | buf[pos + 5]
                    kind = _vr_kind(vr)
                    if kind == 0:
                        status, a, b = UNSUPPORTED, pos, 0
                    elif kind == 2:
                        if pos + 12 > limit:
                            status, a, b, vr = (TRUNCATED if limit == n else MALFORMED), pos + 12, 0, 0
                        else:
                            length = _u32(buf, pos + 8, big)
                            vpos = pos + 12
                    else:
                        length = _u16(buf, pos + 6, big)
                        vpos = pos + 8
                else:
                    vr = 0
                    length = _u32(buf, pos + 4, big)
                    vpos = pos + 8
                if status == 1 and depth == 0 and (tag == 0x7FE00010 or tag == 0x7FE00008 or tag == 0x7FE00009):
                    status, a, b = FOUND_PIXELS, vpos, length
                    break
                if status == 1:
                    descend = False
                    speculative = False
                    if length == UNDEFINED:
                        # a sequence: SQ, or UN / implicit VR whose value starts with an item or the delimiter
                        if depth + 1 >= MAX_DEPTH or not (vr == VR_SQ or implicit or vr == VR_UN and not big_endian):
                            status, a, b = UNSUPPORTED, pos, 0
                        elif vr == VR_SQ:
                            descend = True
                        elif vpos + 4 > limit:
                            status, a, b, vr = (TRUNCATED if limit == n else MALFORMED), vpos + 4, 0, 0
                        else:
                            nxt = (_u16(buf, vpos, big) << 16) | _u16(buf, vpos + 2, big)
                            if nxt == ITEM_TAG or nxt == SEQ_DELIM:
                                descend = True
                            else:
                                status, a, b = UNSUPPORTED, pos, 0
                    else:
                        end = vpos + length
                        if end > limit:
                            status, a, b, vr = (TRUNCATED if limit == n else MALFORMED), end, 0, 0
                        elif vr == VR_SQ and length > 0:
                            descend = depth + 1 < MAX_DEPTH
                            if not descend:
                                status, a, b = UNSUPPORTED, pos, 0
                        elif (implicit or vr == VR_UN and not big_endian) and length >= 8 and \
                                depth + 1 < MAX_DEPTH and ((_u16(buf, vpos, big) << 16) | _u16(buf, vpos + 2, big)) == ITEM_TAG:
                            descend = True
                            speculative = True
                    if status == 1:
                        if count == cap:
                            status, a, b, vr = TABLE_FULL, pos, 0, 0
                            break
                        row = count
                        count += 1
                        table[row, 0] = tag
                        table[row, 1] = vr
                        table[row, 2] = vpos
                        table[row, 3] = length
                        table[row, 4] = lv_row[depth]
                        table[row, 5] = count
                        table[row, 6] = (IMPLICIT if implicit else 0) | (CONTAINER if descend or vr == VR_SQ else 0) \
                            | (SPECULATIVE if speculative else 0)
                        if descend:
                            # the value of an undefined-length UN is implicit VR little endian (PS3.5 6.2.2)
                            depth += 1
                            lv_row[depth] = row
                            lv_seq[depth] = True
                            lv_implicit[depth] = implicit or vr == VR_UN
                            lv_end[depth] = -1 if length == UNDEFINED else vpos + length
                            lv_limit[depth] = limit if length == UNDEFINED else vpos + length
                            pos = vpos
                        else:
                            pos = vpos + length
        if status == 1:
            continue
        # an error: inside a value taken for a sequence on a guess, that value is plain bytes after all
        s = depth
        while s > 0 and not (table[lv_row[s], 6] & SPECULATIVE):
            s -= 1
        if s == 0:
            break
        row = lv_row[s]
        count = row + 1
        table[row, 5] = count
        table[row, 6] &= ~(CONTAINER | SPECULATIVE)
        pos = lv_end[s]
        depth = s - 1
    stop[0] = a
    stop[1] = b
    stop[2] = vr
    stop[3] = tag
    stop[4] = count
    return status


def index_elements(const uint8_t[::1] buf, Py_ssize_t start, bint explicit_vr, bint big_endian,
                   bint meta_only, int64_t[:, ::1] table, int64_t[::1] stop):
    """Walk data elements from ``start``: one row of ``table`` an element or item (tag, VR, value offset, length, parent row, end row, flags); ``stop`` gets where the walk stopped and the row count; return the status."""
    cdef int status
    if start < 0 or table.shape[1] != 7 or stop.shape[0] != 5:
        raise ValueError("index_elements: start must be >= 0, table of shape (rows, 7), stop of shape (5,)")
    with nogil:
        status = _walk(buf, start, explicit_vr, big_endian, meta_only, table, stop)
    return status


# ---- decode_values: chosen top-level values, as medfast.dicom.scanned (pydicom's rules) decodes them ----------

cdef enum:
    NOT_HERE = -1       # counts: Python decodes this element (another VR in the file, an odd value, a VR not done here)
    VR_DS = 0x4453
    VR_IS = 0x4953
    VR_US = 0x5553
    VR_SS = 0x5353
    VR_UL = 0x554C
    VR_SL = 0x534C
    VR_FL = 0x464C
    VR_FD = 0x4644
    VR_AS = 0x4153
    VR_CS = 0x4353
    VR_DA = 0x4441
    VR_DT = 0x4454
    VR_TM = 0x544D
    VR_UI = 0x5549
    VR_LO = 0x4C4F
    VR_SH = 0x5348
    VR_LT = 0x4C54
    VR_ST = 0x5354
    VR_UT = 0x5554

# 10**0 .. 10**22: every one exact in a double
cdef double POW10[23]
POW10[:] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
            1e17, 1e18, 1e19, 1e20, 1e21, 1e22]
cdef const uint64_t EXACT = 9007199254740992  # 2**53: every integer up to here is exact in a double


cdef inline bint _digit(uint8_t c) noexcept nogil:
    return 0x30 <= c <= 0x39


cdef inline bint _is_text(uint32_t vr) noexcept nogil:
    return vr in (VR_AS, VR_CS, VR_DA, VR_DT, VR_TM, VR_UI, VR_LO, VR_SH, VR_LT, VR_ST, VR_UT)


cdef int _decimal(const uint8_t[::1] b, int64_t s, int64_t e, bint integer, double* out) noexcept nogil:
    """One DS (or, with ``integer``, IS) item in b[s:e], spaces around it: 1 and the value, or 0 when Python must read it.

    Only plain decimals whose value Clinger's fast path gives exactly (an integer significand up
    to 2**53, a power of ten up to 22): the double is then the correctly rounded one, Python's float().
    """
    cdef uint64_t m = 0
    cdef int64_t e10 = 0, x = 0
    cdef int digits = 0, mantissa = 0
    cdef bint negative = False, point = False, xneg = False
    cdef double v
    while s < e and b[s] == 0x20:
        s += 1
    while e > s and b[e - 1] == 0x20:
        e -= 1
    if s < e and (b[s] == 0x2B or b[s] == 0x2D):
        negative = b[s] == 0x2D
        s += 1
    while s < e:
        if _digit(b[s]):
            mantissa += 1
            if m or b[s] != 0x30:
                digits += 1
                if digits > 19:
                    return 0
                m = m * 10 + (b[s] - 0x30)
            if point:
                e10 -= 1
        elif b[s] == 0x2E and not point and not integer:
            point = True
        else:
            break
        s += 1
    if mantissa == 0:
        return 0
    if s < e:  # an exponent, or something Python must judge
        if integer or not (b[s] == 0x45 or b[s] == 0x65):
            return 0
        s += 1
        if s < e and (b[s] == 0x2B or b[s] == 0x2D):
            xneg = b[s] == 0x2D
            s += 1
        if s == e:
            return 0
        while s < e:
            if not _digit(b[s]) or x > 10000:
                return 0
            x = x * 10 + (b[s] - 0x30)
            s += 1
        e10 += -x if xneg else x
    if m > EXACT:
        return 0
    if m == 0:
        v = 0.0
    elif 0 <= e10 <= 22:
        v = <double>m * POW10[e10]
    elif -22 <= e10 < 0:
        v = <double>m / POW10[-e10]
    else:
        return 0
    out[0] = -v if negative else v
    return 1


cdef int64_t _text_numbers(const uint8_t[::1] b, int64_t s, int64_t e, bint integer, double[::1] numbers,
                           int64_t at, int64_t room) noexcept nogil:
    """The backslash-separated DS or IS values in b[s:e] into numbers[at:]: how many, or NOT_HERE."""
    cdef int64_t n = 0, i
    cdef uint8_t c
    cdef double v
    while s < e and b[s] == 0x20:
        s += 1
    while e > s and (b[e - 1] == 0x20 or b[e - 1] == 0):
        e -= 1
    if s == e:
        return NOT_HERE  # only blanks: pydicom gives ''
    for i in range(s, e):
        c = b[i]
        if not (_digit(c) or c == 0x20 or c == 0x2B or c == 0x2D or c == 0x2E or c == 0x45 or c == 0x65 or c == 0x5C):
            return NOT_HERE
    i = s
    while True:
        while i < e and b[i] != 0x5C:
            i += 1
        if n == room or not _decimal(b, s, i, integer, &v):
            return NOT_HERE
        numbers[at + n] = v
        n += 1
        if i == e:
            return n
        i += 1
        s = i


cdef int64_t _binary_numbers(const uint8_t[::1] b, int64_t s, int64_t length, uint32_t vr, bint big,
                             double[::1] numbers, int64_t at, int64_t room) noexcept nogil:
    """US SS UL SL FL FD values into numbers[at:]: how many, or NOT_HERE (a length that is no whole number of
    values, more than ``room``, a NaN or an infinity)."""
    cdef int64_t size = 2 if vr == VR_US or vr == VR_SS else (8 if vr == VR_FD else 4)
    cdef int64_t n = length // size, i, j
    cdef uint64_t u
    cdef double v
    cdef float f32
    if length % size or n > room:
        return NOT_HERE
    for i in range(n):
        u = 0
        for j in range(size):
            u |= (<uint64_t>b[s + i * size + (size - 1 - j if big else j)]) << (8 * j)
        if vr == VR_US or vr == VR_UL:
            v = <double>u
        elif vr == VR_SS:
            v = <double><int16_t>u
        elif vr == VR_SL:
            v = <double><int32_t>u
        elif vr == VR_FL:
            memcpy(&f32, &u, 4)
            v = f32
        else:
            memcpy(&v, &u, 8)
        if v != v or v - v != 0:  # NaN, infinity
            return NOT_HERE
        numbers[at + i] = v
    return n


cdef int64_t _plain_text(const uint8_t[::1] b, int64_t s, int64_t e, uint32_t vr, uint8_t[::1] text,
                         int64_t* used, int64_t cap) noexcept nogil:
    """Printable ASCII b[s:e] less its trailing spaces and NULs onto text[used[0]:cap]: how many values (backslashes
    + 1; 1 for LT ST UT), or NOT_HERE, writing nothing (another byte, a LO or SH value with a blank before a
    backslash, which pydicom strips, or no room)."""
    cdef int64_t i, n = 1
    cdef bint split = not (vr == VR_LT or vr == VR_ST or vr == VR_UT)
    while e > s and (b[e - 1] == 0x20 or b[e - 1] == 0):
        e -= 1
    for i in range(s, e):
        if not 0x20 <= b[i] <= 0x7E:
            return NOT_HERE
        if b[i] == 0x5C and split:
            n += 1
            if (vr == VR_LO or vr == VR_SH) and i > s and b[i - 1] == 0x20:
                return NOT_HERE
    if used[0] + e - s > cap:
        return NOT_HERE
    for i in range(s, e):
        text[used[0] + i - s] = b[i]
    used[0] += e - s
    return n


cdef int64_t _decode_row(const uint8_t[::1] buf, const int64_t[:, ::1] table, int64_t row, uint32_t want,
                         bint big_endian, double[::1] numbers, int64_t at, int64_t room, uint8_t[::1] text,
                         int64_t* used, int64_t cap) noexcept nogil:
    """The value of table row ``row`` read as VR ``want`` (0: the row's own): its count, or NOT_HERE."""
    cdef uint32_t vr = want if want else <uint32_t>table[row, 1]  # no VR in an implicit VR data set
    cdef int64_t length = table[row, 3], offset = table[row, 2]
    if (table[row, 1] != 0 and table[row, 1] != vr) or table[row, 6] & CONTAINER or length < 0 \
            or length == UNDEFINED or offset < 0 or offset + length > buf.shape[0]:
        return NOT_HERE
    if vr == VR_DS or vr == VR_IS:
        return 0 if length == 0 else _text_numbers(buf, offset, offset + length, vr == VR_IS, numbers, at, room)
    if vr in (VR_US, VR_SS, VR_UL, VR_SL, VR_FL, VR_FD):
        return _binary_numbers(buf, offset, length, vr, big_endian and not table[row, 6] & IMPLICIT, numbers, at,
                               room)
    if _is_text(vr):
        return 0 if length == 0 else _plain_text(buf, offset, offset + length, vr, text, used, cap)
    return NOT_HERE


cdef inline bint _has_text_entry(int64_t want) noexcept nogil:
    return want == 0 or _is_text(<uint32_t>want)


def decode_values(const uint8_t[::1] buf, const int64_t[:, ::1] table, bint big_endian, const int64_t[::1] tags,
                  const int64_t[::1] vrs, const int64_t[::1] first, int64_t[::1] rows, int64_t[::1] counts,
                  double[::1] numbers, uint8_t[::1] text):
    """For each of ``tags`` (ascending) among the top-level rows of ``table``: ``rows`` its row (-1 absent, the last of a repeated tag); ``counts`` its number of values, or -1 where Python decodes it (not VR ``vrs[k]`` in the file, an odd value, a VR not done here); numbers in ``numbers[first[k]:first[k + 1]]``; for a text VR, one NUL-ended entry a tag in ``text`` (its value less trailing blanks, or empty); ``vrs[k]`` 0: the file's VR (explicit VR only), one text entry; return the bytes of ``text`` used."""
    cdef int64_t k, n = table.shape[0], r = 0, lo, hi, mid, tag, nt = tags.shape[0], used = 0
    if vrs.shape[0] != nt or first.shape[0] != nt + 1 or rows.shape[0] != nt or counts.shape[0] != nt \
            or table.shape[1] != 7 or (nt and (first[0] < 0 or first[nt] > numbers.shape[0])) \
            or text.shape[0] < buf.shape[0] + nt:
        raise ValueError("decode_values: tags, vrs, rows, counts of one length, first one longer and inside numbers, "
                         "text at least len(buf) + len(tags)")
    for k in range(nt):
        if first[k] > first[k + 1] or (k and tags[k - 1] >= tags[k]):
            raise ValueError("decode_values: first must not decrease, tags must ascend")
    with nogil:
        for k in range(nt):
            rows[k] = -1
            counts[k] = NOT_HERE
        while 0 <= r < n:
            tag = table[r, 0]
            lo, hi = 0, nt
            while lo < hi:
                mid = (lo + hi) >> 1
                if tags[mid] < tag:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < nt and tags[lo] == tag:
                rows[lo] = r
            if table[r, 5] <= r:
                break
            r = table[r, 5]
        for k in range(nt):
            if rows[k] >= 0:
                counts[k] = _decode_row(buf, table, rows[k], <uint32_t>vrs[k], big_endian, numbers, first[k],
                                        first[k + 1] - first[k], text, &used, text.shape[0] - (nt - k))
            if _has_text_entry(vrs[k]):  # one entry a text tag or a tag of the file's VR
                text[used] = 0
                used += 1
    return used


cdef int64_t _child(const int64_t[:, ::1] table, int64_t parent, int64_t tag) noexcept nogil:
    """The row of the last child of row ``parent`` with ``tag`` (-1: none)."""
    cdef int64_t n = table.shape[0], r = parent + 1, end = table[parent, 5], found = -1
    while r < end and r < n:
        if table[r, 0] == tag:
            found = r
        if table[r, 5] <= r:
            break
        r = table[r, 5]
    return found


def decode_items(const uint8_t[::1] buf, const int64_t[:, ::1] table, bint big_endian, const int64_t[::1] items,
                 const int64_t[::1] seqs, const int64_t[::1] tags, const int64_t[::1] vrs, const int64_t[::1] first,
                 int64_t[:, ::1] seq_rows, int64_t[:, ::1] rows, int64_t[:, ::1] counts, double[:, ::1] numbers,
                 uint8_t[::1] text):
    """For each item row ``items[i]`` and each k: ``seq_rows[i, k]`` the row of its sequence ``seqs[k]`` (-1 absent), ``rows[i, k]`` the row of ``tags[k]`` in that sequence's first item (-1 absent); its value as ``decode_values`` reads it into ``counts[i, k]``, ``numbers[i, first[k]:first[k + 1]]`` and one ``text`` entry an (i, k) of a text VR or VR 0; return the bytes of ``text`` used."""
    cdef int64_t i, k, n = table.shape[0], m = items.shape[0], nk = tags.shape[0], used = 0, item, seq, row, entries = 0
    if seqs.shape[0] != nk or vrs.shape[0] != nk or first.shape[0] != nk + 1 or table.shape[1] != 7 \
            or seq_rows.shape[0] != m or seq_rows.shape[1] != nk or rows.shape[0] != m or rows.shape[1] != nk \
            or counts.shape[0] != m or counts.shape[1] != nk or numbers.shape[0] != m \
            or (nk and (first[0] < 0 or first[nk] > numbers.shape[1])) or text.shape[0] < buf.shape[0] + m * nk:
        raise ValueError("decode_items: seqs, tags, vrs of one length, first one longer and inside numbers' rows, "
                         "(items, tags) outputs, text at least len(buf) + items x tags")
    for k in range(nk):
        if first[k] > first[k + 1]:
            raise ValueError("decode_items: first must not decrease")
        entries += _has_text_entry(vrs[k])
    with nogil:
        for i in range(m):
            item = items[i]
            for k in range(nk):
                seq_rows[i, k] = -1
                rows[i, k] = -1
                counts[i, k] = NOT_HERE
                if 0 <= item < n:
                    seq = _child(table, item, seqs[k])
                    seq_rows[i, k] = seq
                    # the sequence's first item: the row after it, when the walk took its value for items
                    if seq >= 0 and table[seq, 6] & CONTAINER and seq + 1 < n and seq + 1 < table[seq, 5] \
                            and table[seq + 1, 6] & ITEM:
                        row = _child(table, seq + 1, tags[k])
                        rows[i, k] = row
                        if row >= 0:
                            counts[i, k] = _decode_row(buf, table, row, <uint32_t>vrs[k], big_endian, numbers[i],
                                                       first[k], first[k + 1] - first[k], text, &used,
                                                       text.shape[0] - (m - i) * entries)
                if _has_text_entry(vrs[k]):
                    text[used] = 0
                    used += 1
    return used
