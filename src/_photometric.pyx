# Cython directives: setup.py, the same for every kernel.
"""Photometric fixes: MONOCHROME1 inversion, YBR_FULL to RGB, planar to interleaved, palette lookup."""
from libc.stdint cimport int64_t, uint8_t, uint64_t

from _fused cimport index_t, lut_t, uint_t

__all__ = ["invert_monochrome1", "ybr_full_to_rgb", "planar_to_interleaved", "apply_palette"]


def invert_monochrome1(uint_t[::1] arr, int bits_stored, bint signed):
    """In place on unsigned ``arr``: ``-1 - x`` when ``signed``, else ``2**bits_stored - 1 - x`` (both wrap)."""
    cdef Py_ssize_t n = arr.shape[0], i
    if n == 0:
        return
    cdef uint_t* a = &arr[0]
    cdef uint_t top = <uint_t>(((<uint64_t>2) << (bits_stored - 1)) - 1)
    with nogil:
        if signed:
            for i in range(n):
                a[i] = ~a[i]
        else:
            for i in range(n):
                a[i] = <uint_t>(top - a[i])


# pydicom's YBR_FULL -> RGB matrix entries, rounded to float32 as pydicom rounds them.
cdef float M10 = <float>(-0.114 * 1.772 / 0.587), M11 = <float>1.772
cdef float M20 = <float>1.402, M21 = <float>(-0.299 * 1.402 / 0.587)


cdef inline uint8_t _rgb(float y, float cb, float cr, float m1, float m2) noexcept nogil:
    """One channel: ``floor(y + cb * m1 + cr * m2 + 0.5)`` clipped to 0..255, with the sums as
    the fused multiply-adds of the float32 matrix product pydicom's ``np.matmul`` runs
    (OpenBLAS sgemm), so the result is pydicom's to the bit. A float32 fused multiply-add of
    8-bit samples is exact in float64 arithmetic rounded once to float32, which vectorizes
    where a call to ``fmaf`` would not."""
    cdef float t = <float>(<double>cb * m1 + <double>y)
    cdef float v = <float>(<double>cr * m2 + <double>t) + <float>0.5
    # floor, then clip to 0..255: on [0, 256) floor is truncation, so no call to floorf
    return 0 if v < 0 else (255 if v >= 255 else <uint8_t>v)


# Red depends on (y, cr) only and blue on (y, cb) only (their third matrix entry is 0):
# tables of _rgb indexed by (y << 8) | chroma give them without arithmetic.
cdef uint8_t[65536] _RED
cdef uint8_t[65536] _BLUE
cdef int _y, _c
for _y in range(256):
    for _c in range(256):
        _RED[(_y << 8) | _c] = _rgb(_y, 0, <float>_c - 128, 0, M20)
        _BLUE[(_y << 8) | _c] = _rgb(_y, <float>_c - 128, 0, M11, 0)


def ybr_full_to_rgb(const uint8_t[::1] src, uint8_t[::1] dst):
    """Interleaved 8-bit YBR_FULL to RGB, as pydicom's float32 matrix product with fused multiply-adds."""
    cdef Py_ssize_t n = src.shape[0] // 3, i
    cdef uint8_t y, cb, cr
    if n == 0:
        return
    cdef const uint8_t* s = &src[0]
    cdef uint8_t* d = &dst[0]
    with nogil:
        for i in range(n):
            y = s[3 * i]
            cb = s[3 * i + 1]
            cr = s[3 * i + 2]
            d[3 * i] = _RED[(<int>y << 8) | cr]
            d[3 * i + 1] = _rgb(y, <float>cb - 128, <float>cr - 128, M10, M21)
            d[3 * i + 2] = _BLUE[(<int>y << 8) | cb]


def planar_to_interleaved(const uint_t[::1] src, uint_t[::1] dst, int samples):
    """Planes ``src`` (sample-major) to interleaved ``dst`` (pixel-major), ``samples`` a pixel."""
    cdef Py_ssize_t n = src.shape[0] // samples, i, c
    if n == 0:
        return
    cdef const uint_t* s = &src[0]
    cdef uint_t* d = &dst[0]
    with nogil:
        for c in range(samples):
            for i in range(n):
                d[i * samples + c] = s[c * n + i]


def apply_palette(const index_t[::1] src, lut_t[::1] dst, const lut_t[::1] luts, int nluts,
                  int64_t first_map):
    """``dst[p, c] = luts[c, clip(src[p] - first_map, 0, entries - 1)]`` for the ``nluts`` tables in ``luts``."""
    cdef Py_ssize_t n = src.shape[0], entries = luts.shape[0] // nluts, i, c
    cdef int64_t j
    if n == 0:
        return
    cdef const index_t* s = &src[0]
    cdef lut_t* d = &dst[0]
    cdef const lut_t* t = &luts[0]
    with nogil:
        for i in range(n):
            j = <int64_t>s[i] - first_map
            j = 0 if j < 0 else (entries - 1 if j >= entries else j)
            for c in range(nluts):
                d[i * nluts + c] = t[c * entries + j]
