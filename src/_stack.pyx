# Cython directives: setup.py, the same for every kernel.
"""Frame stacking: one frame of raw stored pixels into its slot, swap, bits fix and rescale fused.

The frame goes through in blocks that stay in L1 cache: copy a block of stored
items out of the (maybe unaligned) source, swap and fix it in place, scale it
into the output. Each step is a simple loop the compiler vectorizes, and the
source and output are each touched once.
"""
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy

from _fused cimport fix_bits, num_t, out_t, scale, swap_items

__all__ = ["place_frame"]

cdef enum:
    BLOCK = 2048  # items a block: 16 KiB at most


cdef inline void _frame(const uint8_t* p, out_t* d, Py_ssize_t n, num_t* kind, bint swap, int bits,
                        int shift, double slope, double intercept) noexcept nogil:
    cdef uint64_t block[BLOCK]
    cdef num_t* b = <num_t*>block
    cdef Py_ssize_t i = 0, m
    cdef bint signed = False
    if num_t is int8_t or num_t is int16_t or num_t is int32_t or num_t is int64_t:
        signed = True
    while i < n:
        m = n - i if n - i < BLOCK else BLOCK
        memcpy(b, p + i * <Py_ssize_t>sizeof(num_t), m * sizeof(num_t))
        # swap and bits fix in one pass over the block; the constant flags give each its own loop
        if sizeof(num_t) == 2:
            if bits:
                if swap:
                    fix_bits(<uint16_t*>b, m, bits, shift, signed, True)
                else:
                    fix_bits(<uint16_t*>b, m, bits, shift, signed, False)
            elif swap:
                swap_items(<uint16_t*>b, m)
        elif sizeof(num_t) == 4:
            if bits:
                if swap:
                    fix_bits(<uint32_t*>b, m, bits, shift, signed, True)
                else:
                    fix_bits(<uint32_t*>b, m, bits, shift, signed, False)
            elif swap:
                swap_items(<uint32_t*>b, m)
        elif sizeof(num_t) == 8:
            if bits:
                if swap:
                    fix_bits(<uint64_t*>b, m, bits, shift, signed, True)
                else:
                    fix_bits(<uint64_t*>b, m, bits, shift, signed, False)
            elif swap:
                swap_items(<uint64_t*>b, m)
        elif bits:
            fix_bits(<uint8_t*>b, m, bits, shift, signed, False)
        scale(b, d + i, m, slope, intercept)
        i += m


cdef inline bint _same(out_t* d, Py_UCS4 kind, int itemsize) noexcept nogil:
    """True when the stored items are already ``out_t``: then a plain copy decodes the frame."""
    if out_t is float or out_t is double:
        return kind == u"f" and itemsize == sizeof(out_t)
    elif out_t is int8_t or out_t is int16_t or out_t is int32_t or out_t is int64_t:
        return kind == u"i" and itemsize == sizeof(out_t)
    else:
        return kind == u"u" and itemsize == sizeof(out_t)


cdef inline void _place(const uint8_t* p, out_t* d, Py_ssize_t n, int itemsize, Py_UCS4 k, bint swap,
                        int bits_stored, int shift, double slope, double intercept) noexcept nogil:
    if not swap and not bits_stored and slope == 1 and intercept == 0 and _same(d, k, itemsize):
        memcpy(d, p, n * sizeof(out_t))
    elif k == u"f":
        if itemsize == 4:
            _frame(p, d, n, <float*>NULL, swap, 0, 0, slope, intercept)
        else:
            _frame(p, d, n, <double*>NULL, swap, 0, 0, slope, intercept)
    elif k == u"i":
        if itemsize == 1:
            _frame(p, d, n, <int8_t*>NULL, swap, bits_stored, shift, slope, intercept)
        elif itemsize == 2:
            _frame(p, d, n, <int16_t*>NULL, swap, bits_stored, shift, slope, intercept)
        elif itemsize == 4:
            _frame(p, d, n, <int32_t*>NULL, swap, bits_stored, shift, slope, intercept)
        else:
            _frame(p, d, n, <int64_t*>NULL, swap, bits_stored, shift, slope, intercept)
    else:
        if itemsize == 1:
            _frame(p, d, n, <uint8_t*>NULL, swap, bits_stored, shift, slope, intercept)
        elif itemsize == 2:
            _frame(p, d, n, <uint16_t*>NULL, swap, bits_stored, shift, slope, intercept)
        elif itemsize == 4:
            _frame(p, d, n, <uint32_t*>NULL, swap, bits_stored, shift, slope, intercept)
        else:
            _frame(p, d, n, <uint64_t*>NULL, swap, bits_stored, shift, slope, intercept)


def place_frame(const uint8_t[::1] src, Py_ssize_t offset, out_t[::1] dst, int itemsize, Py_UCS4 k,
                bint swap, int bits_stored, int shift, double slope, double intercept, Py_ssize_t row_items=0):
    """Decode ``len(dst)`` stored items (kind ``k``: ``'u'``, ``'i'`` or ``'f'``) of ``src`` at byte
    ``offset`` into ``dst``, in one pass; ``row_items`` > 0: rows of that many items, written in reverse order."""
    cdef Py_ssize_t n = dst.shape[0], r, rows = 1, step = n
    if n == 0:
        return
    if row_items > 0:
        if n % row_items:
            raise ValueError("place_frame: row_items must divide len(dst)")
        rows, step = n // row_items, row_items
    cdef const uint8_t* p = &src[offset]
    cdef out_t* d = &dst[0]
    with nogil:
        for r in range(rows):  # one row at a time when they are reversed: each is one block of the loop
            _place(p + r * step * itemsize, d + ((rows - 1 - r) * step if row_items > 0 else 0), step, itemsize, k,
                   swap, bits_stored, shift, slope, intercept)
