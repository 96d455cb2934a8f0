"""dcm2niix's ``-e o``: FreeSurfer's MGH (``.mgh``; ``.mgz`` with ``-z y``) in place of NIfTI, as its ``nii_saveMGH``.

A 284-byte header (version 1, the three sizes and the volume count, the
voxel type, goodRASFlag 1, the voxel sizes, the direction cosines, which are
the NIfTI sform's columns over the voxel sizes, and the RAS of the voxel at
half of each size), the voxels, and a footer of TR, flip angle, TE and TI
(ms, degrees), every number big-endian. The geometry is the NIfTI header's
that dcm2niix would have written. MGH has no scaling: unsigned 16-bit voxels
become float32 real-world values, and the other 16-bit ones go through the
same ``removeSclSlopeInter`` as NRRD. MGH holds uint8, int16, int32 and float32.

dcm2niix byte-swaps only where the compiler defines ``__LITTLE_ENDIAN__``
(its macOS builds); its GCC Linux build (the PyPI package) leaves header and
voxels little-endian, which FreeSurfer and nibabel cannot read. medfast
writes the format as the source means it, big-endian, the values the same.
"""
from __future__ import annotations

import numpy as np

from ..dicom.header import as_header
from ..dicom.values import number
from ..errors import UnsupportedError
from .nrrd_export import remove_scaling

# numpy kind+size -> MGH voxel type
_TYPES = {"u1": 0, "i4": 1, "f4": 3, "i2": 4}
_PAD = 97  # int16 zeros that fill the header to 284 bytes


#: the file extension by ``-z``: ``.mgz`` with ``-z y``, else ``.mgh``
EXTENSION = {True: ".mgz", False: ".mgh"}


def voxels(stored, slope, inter):
    """The voxels dcm2niix writes: uint16 as float32 ``slope * v + inter``, else ``remove_scaling``'s.

    Examples
    --------
    >>> voxels(np.array([1, 2], np.uint16), 0.5, 1.0).tolist()
    [1.5, 2.0]
    """
    if stored.dtype == np.uint16:
        return np.float32(slope) * stored.astype(np.float32) + np.float32(inter)
    return remove_scaling(stored, slope, inter)[0]


def header_bytes(hdr, dtype):
    """The 284-byte MGH header for a NIfTI header ``hdr`` (``medfast.formats.nifti.build_header``'s) and voxel type."""
    kind = np.dtype(dtype).str[1:]
    if kind not in _TYPES:
        raise UnsupportedError(f"MGH format does not support voxels of type {np.dtype(dtype)}")
    dims = [int(v) for v in hdr["dim"][1:5]]
    rows = np.array([hdr["srow_x"], hdr["srow_y"], hdr["srow_z"]], dtype=np.float32)
    zooms = [z if z > 0 else np.float32(1.0) for z in np.asarray(hdr["pixdim"][1:4], dtype=np.float32)]
    cosines = [rows[r, c] / zooms[c] for c in range(3) for r in range(3)]  # xr xa xs yr ya ys zr za zs
    half = [np.float32(d * 0.5) for d in dims[:3]]
    centre = [rows[r, 0] * half[0] + rows[r, 1] * half[1] + rows[r, 2] * half[2] + rows[r, 3] for r in range(3)]
    ints = np.array([1, dims[0], dims[1], dims[2], max(dims[3], 1), _TYPES[kind], 0], ">i4")
    floats = np.array(zooms + cosines + centre, ">f4")
    return ints.tobytes() + np.array([1], ">i2").tobytes() + floats.tobytes() + bytes(2 * _PAD)


def footer_bytes(vol, sidecar):
    """TR, flip angle, TE and TI (ms, degrees) as four big-endian floats."""
    sidecar = sidecar or {}
    header = as_header(vol.meta.get("header") or {})
    tr = number(sidecar.get("RepetitionTime"), 0.0) * 1000.0
    echo = number(vol.meta.get("EchoTime", header.get("EchoTime")), 0.0)
    inversion = number(sidecar.get("InversionTime"), 0.0) * 1000.0
    values = [tr, number(sidecar.get("FlipAngle"), 0.0), echo, inversion]
    return np.array([0.0 if v != v else v for v in values], ">f4").tobytes()


def write(vol, path, sidecar=None, gz_level=6):
    """Write ``vol`` (its ``nifti_fields`` as dcm2niix's NIfTI header would hold them) as dcm2niix's MGH; the paths.

    Examples
    --------
    >>> import os, tempfile, nibabel
    >>> from medfast.volume import Volume
    >>> path = os.path.join(tempfile.mkdtemp(), "a.mgh")
    >>> write(Volume(np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.diag([2.0, 2.0, 3.0, 1.0])), path) == [path]
    True
    >>> img = nibabel.load(path)
    >>> [int(n) for n in img.shape], int(img.get_fdata()[1, 2, 3]), [float(z) for z in img.header.get_zooms()]
    ([2, 3, 4], 23, [2.0, 2.0, 3.0])
    """
    from .. import _io
    from ..formats import nifti

    hdr = nifti.build_header(vol)
    data = voxels(vol.stored, float(hdr["scl_slope"]), float(hdr["scl_inter"]))
    head = header_bytes(hdr, data.dtype)
    with _io.open_output(path, path.endswith(".mgz"), gz_level) as f:
        f.write(head)
        _io.write_fortran(f, data, data.dtype.newbyteorder(">"))
        f.write(footer_bytes(vol, sidecar))
    return [path]
