# cython: language_level=3
"""Fused types and byte-level helpers shared by the kernel topics (declared once here)."""
from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcpy

# Unsigned items of every width: bit operations run on these (the wrapper views signed data).
ctypedef fused uint_t:
    uint8_t
    uint16_t
    uint32_t
    uint64_t

# Integer stored values.
ctypedef fused int_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    uint64_t
    int64_t

# A second, independent integer type for outputs.
ctypedef fused int_out_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    uint64_t
    int64_t

# Stored values of any kind.
ctypedef fused num_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    uint64_t
    int64_t
    float
    double

# Anything a frame can be decoded into.
ctypedef fused out_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    uint64_t
    int64_t
    float
    double

ctypedef fused real_t:
    float
    double

# Palette indices and palette entries.
ctypedef fused index_t:
    uint8_t
    uint16_t
    int16_t

ctypedef fused lut_t:
    uint8_t
    uint16_t

cdef extern from *:
    uint16_t bswap16 "__builtin_bswap16"(uint16_t) nogil
    uint32_t bswap32 "__builtin_bswap32"(uint32_t) nogil
    uint64_t bswap64 "__builtin_bswap64"(uint64_t) nogil


cdef inline uint_t swapped(uint_t v) noexcept nogil:
    """``v`` with its bytes reversed."""
    if uint_t is uint8_t:
        return v
    elif uint_t is uint16_t:
        return bswap16(v)
    elif uint_t is uint32_t:
        return bswap32(v)
    else:
        return bswap64(v)


cdef inline uint_t load(const uint8_t* p, Py_ssize_t i, uint_t* kind) noexcept nogil:
    """Item ``i`` of an unaligned byte buffer (``kind`` only selects the type)."""
    cdef uint_t v
    memcpy(&v, p + i * <Py_ssize_t>sizeof(uint_t), sizeof(uint_t))
    return v


cdef inline void store(uint8_t* p, Py_ssize_t i, uint_t v) noexcept nogil:
    """Write item ``i`` of an unaligned byte buffer."""
    memcpy(p + i * <Py_ssize_t>sizeof(uint_t), &v, sizeof(uint_t))


cdef inline void swap_items(uint_t* a, Py_ssize_t n) noexcept nogil:
    """Reverse the bytes of each of ``a[:n]``, in place."""
    cdef Py_ssize_t i
    for i in range(n):
        a[i] = swapped(a[i])


cdef inline void fix_bits(uint_t* a, Py_ssize_t n, int bits, int shift, bint signed,
                          bint swap) noexcept nogil:
    """In place: (swap the bytes when ``swap``, in the same pass,) shift down by ``shift``, keep
    ``bits`` bits, sign-extend when ``signed``."""
    cdef Py_ssize_t i
    cdef uint_t v
    # 2 << (bits - 1) - 1 rather than 1 << bits: bits may be the full width
    cdef uint_t mask = <uint_t>(((<uint64_t>2) << (bits - 1)) - 1)
    cdef uint_t sign = <uint_t>((<uint64_t>1) << (bits - 1))
    if signed:
        for i in range(n):
            v = swapped(a[i]) if swap else a[i]
            a[i] = <uint_t>((((v >> shift) & mask) ^ sign) - sign)
    else:
        for i in range(n):
            v = swapped(a[i]) if swap else a[i]
            a[i] = (v >> shift) & mask


cdef inline void scale(const num_t* x, out_t* y, Py_ssize_t n, double slope, double intercept) noexcept nogil:
    """``y = x * slope + intercept`` in ``out_t``'s arithmetic: float32 for float32, float64 for
    float64, wrapping int64 for integers (then a wrapping cast); slope 1 with intercept 0 is a
    plain cast, which keeps -0.0 and NaN bits."""
    cdef Py_ssize_t k
    cdef float fs = <float>slope, fb = <float>intercept
    cdef uint64_t us, ub
    cdef uint32_t us32, ub32
    if slope == 1 and intercept == 0:
        for k in range(n):
            y[k] = <out_t>x[k]
    elif out_t is float:
        for k in range(n):
            y[k] = <float>x[k] * fs + fb
    elif out_t is double:
        for k in range(n):
            y[k] = <double>x[k] * slope + intercept
    elif num_t is not float and num_t is not double:
        # Unsigned arithmetic wraps as NumPy's int64 does (signed overflow is undefined in C).
        # The result is kept modulo 2**bits of out_t, so 32-bit arithmetic gives the same bits
        # for outputs up to 32 bits, and vectorizes where 64-bit multiplies do not.
        if sizeof(out_t) <= 4:
            us32 = <uint32_t><int64_t>slope
            ub32 = <uint32_t><int64_t>intercept
            if us32 == 1:
                for k in range(n):
                    y[k] = <out_t>(<uint32_t>x[k] + ub32)
            else:
                for k in range(n):
                    y[k] = <out_t>(<uint32_t>x[k] * us32 + ub32)
        else:
            us = <uint64_t><int64_t>slope
            ub = <uint64_t><int64_t>intercept
            for k in range(n):
                y[k] = <out_t>(<uint64_t>x[k] * us + ub)
