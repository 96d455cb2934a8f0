# Cython directives: setup.py, the same for every kernel.
"""Rescale ``stored * slope + intercept``, one pair or one pair a frame."""
from libc.stdint cimport int64_t

from _fused cimport int_out_t, int_t, num_t, real_t, scale

__all__ = ["rescale_float", "rescale_int"]


def rescale_float(const num_t[::1] src, real_t[::1] dst, const double[::1] slope,
                  const double[::1] intercept, Py_ssize_t frame_len):
    """``src * slope[f] + intercept[f]`` for each frame f of ``frame_len`` items, in ``dst``'s float type."""
    cdef Py_ssize_t f
    if src.shape[0] == 0:
        return
    cdef const num_t* x = &src[0]
    cdef real_t* y = &dst[0]
    with nogil:
        for f in range(slope.shape[0]):
            scale(x + f * frame_len, y + f * frame_len, frame_len, slope[f], intercept[f])


def rescale_int(const int_t[::1] src, int_out_t[::1] dst, const int64_t[::1] slope,
                const int64_t[::1] intercept, Py_ssize_t frame_len):
    """``src * slope[f] + intercept[f]`` with int64 ``slope``/``intercept``, cast to ``dst``'s integer type."""
    cdef Py_ssize_t f
    if src.shape[0] == 0:
        return
    cdef const int_t* x = &src[0]
    cdef int_out_t* y = &dst[0]
    with nogil:
        for f in range(slope.shape[0]):
            scale(x + f * frame_len, y + f * frame_len, frame_len, <double>slope[f], <double>intercept[f])
