# Cython directives: setup.py, the same for every kernel.
"""Bit-depth unpacking: 1-bit and 12-bit packed pixels, stored-bits correction."""
from libc.stdint cimport uint8_t, uint16_t, uint64_t
from libc.string cimport memcpy

from _fused cimport fix_bits, uint_t

__all__ = ["unpack_1bit", "unpack_12bit", "fix_stored_bits"]


cdef uint64_t[256] _SPREAD  # byte b -> its 8 bits as 8 bytes, least significant bit first
cdef int _b, _t
for _b in range(256):
    _SPREAD[_b] = 0
    for _t in range(8):
        _SPREAD[_b] |= (<uint64_t>((_b >> _t) & 1)) << (8 * _t)


def unpack_1bit(const uint8_t[::1] src, uint8_t[::1] dst, Py_ssize_t bit_offset):
    """Bits ``bit_offset`` .. ``bit_offset + len(dst)`` of ``src``, least significant bit first, into uint8 ``dst``."""
    cdef Py_ssize_t n = dst.shape[0], i = 0, j, whole
    if n == 0:
        return
    cdef const uint8_t* s = &src[0]
    cdef uint8_t* d = &dst[0]
    with nogil:
        while i < n and (bit_offset + i) & 7:  # up to the first byte boundary
            j = bit_offset + i
            d[i] = (s[j >> 3] >> (j & 7)) & 1
            i += 1
        whole = (n - i) >> 3
        s = s + ((bit_offset + i) >> 3)
        for j in range(whole):  # eight pixels a byte, from the table
            memcpy(d + i + 8 * j, &_SPREAD[s[j]], 8)
        i += 8 * whole
        j = 0
        while i < n:
            d[i] = (s[whole] >> j) & 1
            i += 1
            j += 1


def unpack_12bit(const uint8_t[::1] src, uint16_t[::1] dst):
    """Two 12-bit pixels from each three bytes of ``src`` into uint16 ``dst``, as GDCM's Unpacker12Bits."""
    cdef Py_ssize_t n = dst.shape[0], pairs = n // 2, k
    if n == 0:
        return
    cdef const uint8_t* s = &src[0]
    cdef uint16_t* d = &dst[0]
    with nogil:
        for k in range(pairs):
            d[2 * k] = ((s[3 * k + 1] & 0xF) << 8) | s[3 * k]
            d[2 * k + 1] = (s[3 * k + 1] >> 4) | (<uint16_t>s[3 * k + 2] << 4)
        if n & 1:
            d[n - 1] = ((s[3 * pairs + 1] & 0xF) << 8) | s[3 * pairs]


def fix_stored_bits(uint_t[::1] arr, int bits_stored, int shift, bint signed):
    """In place on unsigned ``arr``: shift down, keep ``bits_stored`` bits, sign-extend when ``signed``."""
    if arr.shape[0] == 0:
        return
    with nogil:
        fix_bits(&arr[0], arr.shape[0], bits_stored, shift, signed, False)
