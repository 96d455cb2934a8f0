# Cython directives: setup.py, the same for every kernel.
"""Byte swapping of 2-, 4- and 8-byte items, in place or into another buffer."""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t

from _fused cimport uint_t, load, store, swapped

__all__ = ["swap_bytes"]


cdef inline void _swap(const uint8_t* s, uint8_t* d, Py_ssize_t n, uint_t* kind) noexcept nogil:
    cdef Py_ssize_t i
    if <const uint8_t*>d == s:  # one pointer: no aliasing check, so the loop vectorizes
        for i in range(n):
            store(d, i, swapped(load(d, i, kind)))
    else:
        for i in range(n):
            store(d, i, swapped(load(s, i, kind)))


def swap_bytes(const uint8_t[::1] src, uint8_t[::1] dst, int itemsize):
    """Reverse the bytes of each ``itemsize``-byte item of ``src`` into ``dst`` (which may be ``src``)."""
    cdef Py_ssize_t n = src.shape[0] // itemsize
    if n == 0:
        return
    cdef const uint8_t* s = &src[0]
    cdef uint8_t* d = &dst[0]
    with nogil:
        if itemsize == 2:
            _swap(s, d, n, <uint16_t*>NULL)
        elif itemsize == 4:
            _swap(s, d, n, <uint32_t*>NULL)
        else:
            _swap(s, d, n, <uint64_t*>NULL)
