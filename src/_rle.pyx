# Cython directives: setup.py, the same for every kernel.
"""RLE Lossless (DICOM PS3.5 Annex G): PackBits segments straight into the output frame."""
from libc.stdint cimport int64_t, uint8_t
from libc.string cimport memcpy, memset

__all__ = ["rle_decode_frame"]


cdef Py_ssize_t _segment(const uint8_t* s, Py_ssize_t pos, Py_ssize_t end, uint8_t* d,
                         Py_ssize_t stride, Py_ssize_t limit) noexcept nogil:
    """Decode ``s[pos:end]`` into every ``stride``-th byte of ``d``, at most ``limit`` bytes;
    return how many were written. A run cut short by the segment's end is kept, as pydicom does."""
    cdef Py_ssize_t k = 0, cnt, t
    cdef uint8_t h, b
    while pos < end and k < limit:
        h = s[pos]
        pos += 1
        if h < 128:  # literal run of h + 1 bytes
            cnt = h + 1
            if cnt > end - pos:
                cnt = end - pos
            if cnt > limit - k:
                cnt = limit - k
            if stride == 1:
                memcpy(d + k, s + pos, cnt)
            else:
                for t in range(cnt):
                    d[(k + t) * stride] = s[pos + t]
            pos += h + 1
            k += cnt
        elif h > 128:  # the next byte 257 - h times
            if pos >= end:
                break
            b = s[pos]
            pos += 1
            cnt = 257 - h
            if cnt > limit - k:
                cnt = limit - k
            if stride == 1:
                memset(d + k, b, cnt)
            else:
                for t in range(cnt):
                    d[(k + t) * stride] = b
            k += cnt
    return k


def rle_decode_frame(const uint8_t[::1] src, uint8_t[::1] dst, const int64_t[::1] offsets,
                     Py_ssize_t plane_len, int bytes_per_sample):
    """Decode the RLE segments ``src[offsets[i]:offsets[i + 1]]`` into ``dst`` (pydicom's layout);
    return the index of the first segment that decodes to fewer than ``plane_len`` bytes, or -1."""
    cdef Py_ssize_t nseg = offsets.shape[0] - 1, i, sample, byte
    cdef int result = -1
    if nseg <= 0 or plane_len == 0:
        return -1
    cdef const uint8_t* s = &src[0]
    cdef uint8_t* d = &dst[0]
    with nogil:
        for i in range(nseg):
            sample = i // bytes_per_sample
            byte = bytes_per_sample - 1 - i % bytes_per_sample  # segment 0 holds the most significant byte
            if _segment(s, offsets[i], offsets[i + 1], d + sample * plane_len * bytes_per_sample + byte,
                        bytes_per_sample, plane_len) < plane_len:
                result = i
                break
    return result
