"""The NIfTI-1 and NIfTI-2 header layouts, type codes and unit codes, as NumPy structured dtypes.

Field names and order are the standard's (``nifti1.h``, ``nifti2.h``); the
first field, ``sizeof_hdr``, tells the version (348 or 540) and, read in
either byte order, the file's endianness. Nothing here imports nibabel: the
writer fills these records directly.
"""
from __future__ import annotations

import numpy as np

_COMMON_TAIL = [("descrip", "S80"), ("aux_file", "S24")]

#: NIfTI-1: 348 bytes (the Analyze 7.5 layout with its unused fields renamed).
NIFTI1 = np.dtype([
    ("sizeof_hdr", "<i4"), ("data_type", "S10"), ("db_name", "S18"), ("extents", "<i4"),
    ("session_error", "<i2"), ("regular", "S1"), ("dim_info", "u1"), ("dim", "<i2", (8,)),
    ("intent_p1", "<f4"), ("intent_p2", "<f4"), ("intent_p3", "<f4"), ("intent_code", "<i2"),
    ("datatype", "<i2"), ("bitpix", "<i2"), ("slice_start", "<i2"), ("pixdim", "<f4", (8,)),
    ("vox_offset", "<f4"), ("scl_slope", "<f4"), ("scl_inter", "<f4"), ("slice_end", "<i2"),
    ("slice_code", "u1"), ("xyzt_units", "u1"), ("cal_max", "<f4"), ("cal_min", "<f4"),
    ("slice_duration", "<f4"), ("toffset", "<f4"), ("glmax", "<i4"), ("glmin", "<i4"),
    *_COMMON_TAIL, ("qform_code", "<i2"), ("sform_code", "<i2"),
    ("quatern_b", "<f4"), ("quatern_c", "<f4"), ("quatern_d", "<f4"),
    ("qoffset_x", "<f4"), ("qoffset_y", "<f4"), ("qoffset_z", "<f4"),
    ("srow_x", "<f4", (4,)), ("srow_y", "<f4", (4,)), ("srow_z", "<f4", (4,)),
    ("intent_name", "S16"), ("magic", "S4"),
])

#: NIfTI-2: 540 bytes, 64-bit sizes and double precision geometry.
NIFTI2 = np.dtype([
    ("sizeof_hdr", "<i4"), ("magic", "S4"), ("eol_check", "u1", (4,)), ("datatype", "<i2"),
    ("bitpix", "<i2"), ("dim", "<i8", (8,)), ("intent_p1", "<f8"), ("intent_p2", "<f8"),
    ("intent_p3", "<f8"), ("pixdim", "<f8", (8,)), ("vox_offset", "<i8"), ("scl_slope", "<f8"),
    ("scl_inter", "<f8"), ("cal_max", "<f8"), ("cal_min", "<f8"), ("slice_duration", "<f8"),
    ("toffset", "<f8"), ("slice_start", "<i8"), ("slice_end", "<i8"), *_COMMON_TAIL,
    ("qform_code", "<i4"), ("sform_code", "<i4"), ("quatern_b", "<f8"), ("quatern_c", "<f8"),
    ("quatern_d", "<f8"), ("qoffset_x", "<f8"), ("qoffset_y", "<f8"), ("qoffset_z", "<f8"),
    ("srow_x", "<f8", (4,)), ("srow_y", "<f8", (4,)), ("srow_z", "<f8", (4,)), ("slice_code", "<i4"),
    ("xyzt_units", "<i4"), ("intent_code", "<i4"), ("intent_name", "S16"), ("dim_info", "u1"),
    ("unused_str", "S15"),
])

assert NIFTI1.itemsize == 348 and NIFTI2.itemsize == 540

#: Colour voxels, one structured item a voxel, as nibabel reads them.
RGB24 = np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1")])
RGBA32 = np.dtype([("R", "u1"), ("G", "u1"), ("B", "u1"), ("A", "u1")])

#: NIfTI ``datatype`` code of each NumPy dtype (native order) a NIfTI file stores.
DATATYPES = {
    np.dtype("u1"): 2, np.dtype("i2"): 4, np.dtype("i4"): 8, np.dtype("f4"): 16, np.dtype("c8"): 32,
    np.dtype("f8"): 64, RGB24: 128, np.dtype("i1"): 256, np.dtype("u2"): 512, np.dtype("u4"): 768,
    np.dtype("i8"): 1024, np.dtype("u8"): 1280, np.dtype("c16"): 1792, RGBA32: 2304,
}
# float128 and complex256 (codes 1536, 2048) are IEEE quad precision, which NumPy's long double is not on x86

#: Dtypes NIfTI does not store, written as the narrowest one that holds every value exactly.
WIDENED = {np.dtype(bool): np.dtype("u1"), np.dtype("f2"): np.dtype("f4")}

#: ``xyzt_units`` codes: the spatial unit in bits 0-2, the temporal one in bits 3-5.
SPATIAL_CODES = {"m": 1, "mm": 2, "um": 3}
TIME_CODES = {"s": 8, "ms": 16, "us": 24, "hz": 32, "ppm": 40, "rad/s": 48}
#: Seconds per unit of the time units that are times.
SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}

#: Scalar fields ``Volume.nifti_fields`` may set, with their defaults.
SCALAR_FIELDS = {
    "dim_info": 0, "intent_p1": 0.0, "intent_p2": 0.0, "intent_p3": 0.0, "intent_code": 0,
    "slice_start": 0, "slice_end": 0, "slice_code": 0, "cal_max": 0.0, "cal_min": 0.0,
    "slice_duration": 0.0, "toffset": 0.0, "qform_code": 1, "sform_code": 1,
}
TEXT_FIELDS = {"descrip": 80, "aux_file": 24, "intent_name": 16}
PIXDIM_FIELDS = {"pixdim5": 5, "pixdim6": 6, "pixdim7": 7}
#: Every key ``Volume.nifti_fields`` may hold (``extensions``: a list of ``(code, bytes)``;
#: ``qform_zooms``: pixdim[1..3] when they are not the affine's column lengths (dcm2niix's placeholder
#: matrix for an image without position keeps the voxel size there; written, never read back).
NIFTI_FIELDS = (*SCALAR_FIELDS, *TEXT_FIELDS, *PIXDIM_FIELDS, "extensions", "qform_zooms")


def quaternion(rotation):
    """(b, c, d) of the unit quaternion (a >= 0) of a 3x3 rotation, by Bar-Itzhack's eigenvector method.

    The method tolerates a matrix that is not exactly orthogonal, and gives
    what nibabel's ``mat2quat`` gives, to the last bit.

    Examples
    --------
    >>> [float(round(q, 6)) for q in quaternion(np.diag([1.0, -1.0, -1.0]))]
    [1.0, 0.0, 0.0]
    """
    (xx, yx, zx), (xy, yy, zy), (xz, yz, zz) = np.asarray(rotation, np.float64).tolist()
    # the symmetric 4x4 whose top eigenvector is the quaternion (x, y, z, w); eigh reads the lower triangle
    k = np.array([
        [xx - yy - zz, 0, 0, 0],
        [yx + xy, yy - xx - zz, 0, 0],
        [zx + xz, zy + yz, zz - xx - yy, 0],
        [yz - zy, zx - xz, xy - yx, xx + yy + zz],
    ]) / 3.0
    values, vectors = np.linalg.eigh(k)
    q = vectors[[3, 0, 1, 2], np.argmax(values)]
    if q[0] < 0:
        q = -q
    return q[1:]
