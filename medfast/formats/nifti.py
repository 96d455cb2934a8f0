"""NIfTI-1 and NIfTI-2: ``.nii``, ``.nii.gz`` and ``.hdr/.img`` pairs; the one NIfTI header builder.

Reading: nibabel parses the header (from the bytes the registry sniffed, so
the file is not opened twice for it); medfast moves the voxels (ISA-L gzip,
straight into the output array, byte swap by the kernel).

Writing: :func:`build_header` fills the 348- or 540-byte header from the
``Volume`` alone (geometry, dtype, scaling, the typed timing and units fields,
and ``vol.nifti_fields`` for what only NIfTI holds), with NumPy and no
nibabel; ``Volume.to_nibabel``, ``medfast.write`` and the DICOM converter all
go through it. The bytes equal what nibabel writes for the same fields.
"""
from __future__ import annotations

import io
import os

import numpy as np

from .. import _gzip, _io
from ..errors import InvalidArgumentError, UnsupportedError, file_error
from . import nifti_layout as layout

NAME = "nifti"
EXTENSIONS = (".nii", ".nii.gz", ".hdr", ".img", ".hdr.gz", ".img.gz")
WRITES = (".nii.gz", ".nii", ".hdr", ".img", ".hdr.gz", ".img.gz")
_PAIR_EXTS = (".hdr", ".img", ".hdr.gz", ".img.gz")
_SIZES = {348: 1, 540: 2}
#: Bytes the header and the 4-byte extension flag take in a single file.
_SINGLE_OFFSET = {1: 352, 2: 544}


def _version(head):
    """(1 or 2, byte order) for a NIfTI header in either byte order, else None."""
    if len(head) < 348:
        return None
    for order in ("<", ">"):
        size = int(np.frombuffer(head[:4], order + "i4")[0])
        if size in _SIZES:
            magic = head[344:348] if size == 348 else head[4:8]
            if magic[:3] in (b"n+1", b"ni1", b"n+2", b"ni2"):
                return _SIZES[size], order
    return None


def sniff(head, path=None):
    """True for the first bytes of a NIfTI-1 or NIfTI-2 header (magic ``n+1``/``ni1``/``n+2``/``ni2``)."""
    return _version(head) is not None


def is_pair_name(path):
    """True for ``.hdr``/``.img`` names (optionally ``.gz``)."""
    return os.fspath(path).lower().endswith(_PAIR_EXTS)


# ---- writing ----------------------------------------------------------------------------


def disk_dtype(vol, path=None):
    """The dtype ``vol.stored`` is written as: its own (little-endian), or the narrowest NIfTI type holding it."""
    dtype = vol.stored.dtype
    dtype = layout.WIDENED.get(dtype, dtype)
    native = dtype if dtype.fields else dtype.newbyteorder("=")
    if native not in layout.DATATYPES:
        where = os.fspath(path) if path is not None else "NIfTI"
        raise UnsupportedError(f"{where}: dtype={vol.stored.dtype}: no NIfTI data type holds it")
    return native if native.fields else native.newbyteorder("<")


def _text(value, size, key):
    raw = value.encode("latin-1", "replace") if isinstance(value, str) else bytes(value)
    if len(raw) > size:
        raise InvalidArgumentError(f"nifti_fields[{key!r}]: {len(raw)} bytes, the field holds {size}")
    return raw


def _extensions(fields, order="<"):
    """The extension bytes after the flag: each (size, code, content padded to a multiple of 16)."""
    parts = []
    for code, content in fields.get("extensions") or ():
        content = bytes(content)
        size = -(-(len(content) + 8) // 16) * 16
        parts.append(np.array([size, int(code)], order + "i4").tobytes() + content + b"\x00" * (size - 8 - len(content)))
    return b"".join(parts)


def _geometry(hdr, affine):
    """qform (quaternion, qfac, zooms, offset) and sform from the affine; False when it has no rotation."""
    rzs = affine[:3, :3]
    zooms = np.sqrt(np.sum(rzs * rzs, axis=0))
    hdr["pixdim"][1:4] = zooms
    hdr["srow_x"], hdr["srow_y"], hdr["srow_z"] = affine[0], affine[1], affine[2]
    hdr["qoffset_x"], hdr["qoffset_y"], hdr["qoffset_z"] = affine[:3, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        rotation = rzs / zooms
    if not np.all(np.isfinite(rotation)):  # a zero-length axis: no rotation to store
        return False
    qfac = 1.0 if np.linalg.det(rotation) > 0 else -1.0
    rotation[:, 2] *= qfac
    u, _, vt = np.linalg.svd(rotation)  # the nearest orthogonal matrix: shears are dropped from the qform
    hdr["pixdim"][0] = qfac
    hdr["quatern_b"], hdr["quatern_c"], hdr["quatern_d"] = layout.quaternion(u @ vt)
    return True


def _pixdim4(vol):
    if vol.time_step is None:
        return 1.0
    return vol.time_step / layout.SECONDS.get(vol.time_unit, 1.0)


def build_header(vol, *, nifti2=False, pair=False, path=None):
    """The NIfTI header ``medfast.write`` writes for ``vol``: a 0-d record of ``nifti_layout.NIFTI1`` or ``NIFTI2``.

    Fills ``dim`` and ``datatype``/``bitpix`` from ``vol.stored``; qform
    (quaternion, qfac, zooms, offset) and sform from ``vol.affine``;
    ``scl_slope``/``scl_inter`` from ``vol.slope``/``vol.inter``;
    ``pixdim[4]`` and ``xyzt_units`` from ``vol.time_step``, ``vol.time_unit``
    and ``vol.spatial_unit``; every other field from ``vol.nifti_fields``
    (:data:`medfast.formats.nifti_layout.NIFTI_FIELDS`; qform and sform codes
    default to 1, scanner, as dcm2niix writes). ``vox_offset`` is where the
    voxels start: after the header and the extensions in a single file, 0 in
    a pair's ``.img``.

    Parameters
    ----------
    vol : Volume
    nifti2 : bool
        NIfTI-2 (540 bytes) instead of NIfTI-1.
    pair : bool
        The header of a ``.hdr/.img`` pair (magic ``ni1``/``ni2``).
    path : str, optional
        Named in error messages.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> vol = Volume(np.zeros((4, 4, 3, 5), np.int16), np.diag([-2.0, 2.0, 3.0, 1.0]), time_step=2.0,
    ...              time_unit="s", nifti_fields={"descrip": "TE=30"})
    >>> h = build_header(vol)
    >>> h["pixdim"][:5].tolist(), int(h["xyzt_units"]), int(h["datatype"]), h["descrip"].item()
    ([-1.0, 2.0, 2.0, 3.0, 2.0], 10, 4, b'TE=30')
    """
    fields = vol.nifti_fields
    unknown = set(fields) - set(layout.NIFTI_FIELDS)
    if unknown:
        raise InvalidArgumentError(f"nifti_fields: unknown keys {sorted(unknown)}: not among {layout.NIFTI_FIELDS}")
    version = 2 if nifti2 else 1
    shape = vol.stored.shape
    if len(shape) > 7:
        raise InvalidArgumentError(f"{path or 'NIfTI'}: shape={shape}: NIfTI holds at most 7 axes")
    if version == 1 and max(shape, default=0) > 32767:
        raise InvalidArgumentError(f"{path or 'NIfTI'}: shape={shape}: NIfTI-1 holds at most 32767 a dimension")
    dtype = disk_dtype(vol, path)
    hdr = np.zeros((), layout.NIFTI2 if nifti2 else layout.NIFTI1)
    hdr["sizeof_hdr"] = hdr.dtype.itemsize
    hdr["magic"] = f"{'ni' if pair else 'n+'}{version}".encode()
    if nifti2:
        hdr["eol_check"] = (13, 10, 26, 10)
    hdr["dim"] = [len(shape), *shape] + [1] * (7 - len(shape))
    hdr["pixdim"] = 1.0
    hdr["datatype"] = layout.DATATYPES[dtype.newbyteorder("=") if not dtype.fields else dtype]
    hdr["bitpix"] = dtype.itemsize * 8
    has_qform = _geometry(hdr, vol.affine)
    hdr["pixdim"][4] = _pixdim4(vol)
    hdr["xyzt_units"] = layout.SPATIAL_CODES.get(vol.spatial_unit, 0) | layout.TIME_CODES.get(vol.time_unit, 0)
    hdr["scl_slope"], hdr["scl_inter"] = vol.slope, vol.inter
    for key, default in layout.SCALAR_FIELDS.items():
        hdr[key] = fields.get(key, default)
    if not has_qform:  # a zero-length axis: no rotation to store
        hdr["qform_code"] = 0
    for key, size in layout.TEXT_FIELDS.items():
        hdr[key] = _text(fields.get(key, b""), size, key)
    for key, index in layout.PIXDIM_FIELDS.items():
        if key in fields:
            hdr["pixdim"][index] = fields[key]
    if fields.get("sform") is not None:  # an sform that is not the affine's (see nifti_layout)
        hdr["srow_x"], hdr["srow_y"], hdr["srow_z"] = np.asarray(fields["sform"], np.float64)[:3]
    if fields.get("qform_zooms") is not None:  # the qform's voxel size, not the sform's (see nifti_layout)
        hdr["pixdim"][1:4] = fields["qform_zooms"]
    extensions = _extensions(fields)
    hdr["vox_offset"] = 0 if pair else _SINGLE_OFFSET[version] + len(extensions)
    return hdr


def header_bytes(vol, *, nifti2=False, pair=False, path=None, big_endian=False):
    """What comes before the voxels: the header, the extension flag and the extensions (single file).

    A pair's ``.hdr`` holds the header, and the flag and extensions only when there are extensions.
    ``big_endian``: every number byte-swapped to big-endian (dcm2niix's ``--big-endian y``).

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> len(header_bytes(Volume(np.zeros((2, 2, 2), np.uint8), np.eye(4)))), len(header_bytes(
    ...     Volume(np.zeros((2, 2, 2), np.uint8), np.eye(4)), pair=True))
    (352, 348)
    """
    hdr = build_header(vol, nifti2=nifti2, pair=pair, path=path)
    order = ">" if big_endian else "<"
    hdr = hdr.astype(hdr.dtype.newbyteorder(order))
    extensions = _extensions(vol.nifti_fields, order)
    flag = (b"\x01" if extensions else b"\x00") + b"\x00" * 3
    if pair and not extensions:
        return hdr.tobytes()
    return hdr.tobytes() + flag + extensions


def _needs_nifti2(vol):
    return max(vol.stored.shape, default=0) > 32767


def to_nibabel(vol, nifti2=False, pair=False):
    """The nibabel image of ``vol`` with the header :func:`build_header` makes (stored values, scaling in scl_*).

    ``pair``: a ``Nifti1Pair``/``Nifti2Pair`` (nibabel resets the scaling when it converts an image to a pair).

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> to_nibabel(Volume(np.zeros((2, 2, 2), np.int16), np.eye(4), slope=2)).header.get_slope_inter()
    (2.0, 0.0)
    """
    import nibabel as nib

    nifti2 = nifti2 or _needs_nifti2(vol)
    klass = {(False, False): nib.Nifti1Image, (False, True): nib.Nifti1Pair,
             (True, False): nib.Nifti2Image, (True, True): nib.Nifti2Pair}[(nifti2, pair)]
    header = klass.header_class.from_fileobj(io.BytesIO(header_bytes(vol, nifti2=nifti2, pair=pair)))
    data = vol.stored
    if data.dtype in layout.WIDENED:
        data = data.astype(layout.WIDENED[data.dtype])
    img = klass(data, None, header)
    img.header.set_slope_inter(vol.slope, vol.inter)  # nibabel clears the scaling of an image made from an array
    return img


def write(vol, path, *, nifti2=None, gz_level=_gzip.LEVEL, big_endian=False):
    """Write a ``Volume`` as NIfTI (``.nii``, ``.nii.gz``, or a ``.hdr/.img`` pair, ``.gz`` allowed).

    The header is :func:`build_header`'s; the voxels are ``vol.stored`` in its
    own dtype (bool as uint8, float16 as float32), little-endian, from the
    array's own buffer when it is Fortran-ordered; ``.gz`` by zlib-ng. Each file
    appears atomically.

    Parameters
    ----------
    vol : Volume
    path : str or os.PathLike
    nifti2 : bool, optional
        NIfTI-2; default: only when a dimension exceeds NIfTI-1's 32767.
    gz_level : int
        zlib-ng level (0-9) of a ``.gz`` file; 6, dcm2niix's default.
    big_endian : bool
        Header and voxels big-endian (dcm2niix's ``--big-endian y``); default little-endian.

    Examples
    --------
    >>> import numpy as np, tempfile, os, nibabel as nib
    >>> from medfast.volume import Volume
    >>> out = os.path.join(tempfile.mkdtemp(), "v.nii.gz")
    >>> write(Volume(np.ones((2, 2, 2), np.int16), np.diag([2, 2, 2, 1])), out)
    >>> [float(z) for z in nib.load(out).header.get_zooms()]
    [2.0, 2.0, 2.0]
    """
    path = os.fspath(path)
    nifti2 = _needs_nifti2(vol) if nifti2 is None else bool(nifti2)
    pair = is_pair_name(path)
    head = header_bytes(vol, nifti2=nifti2, pair=pair, path=path, big_endian=big_endian)
    dtype = disk_dtype(vol, path)
    if big_endian and not dtype.fields:
        dtype = dtype.newbyteorder(">")
    if not pair:
        with _io.open_output(path, _io.is_gz_name(path), gz_level) as f:
            f.write(head)
            _io.write_fortran(f, vol.stored, dtype)
        return
    hdr_path, img_path = _io.pair_names(path)
    with _io.open_output(img_path, _io.is_gz_name(img_path), gz_level) as f:
        _io.write_fortran(f, vol.stored, dtype)
        with _io.open_output(hdr_path, _io.is_gz_name(hdr_path), gz_level) as h:
            h.write(head)


# ---- reading ----------------------------------------------------------------------------


def _header_source(head, version, order):
    """The bytes nibabel's header parser reads (header, flag, extensions) when ``head`` holds them, else None."""
    if len(head) < _io.SNIFF_BYTES:  # the whole (header) file
        return io.BytesIO(head)
    size = 348 if version == 1 else 540
    if head[size] == 0:  # the extension flag: none
        return io.BytesIO(head[:size + 4])
    rec = np.frombuffer(head[:size], (layout.NIFTI1 if version == 1 else layout.NIFTI2).newbyteorder(order))[0]
    need = float(rec["vox_offset"])
    if size + 4 <= need <= len(head):
        return io.BytesIO(head[:int(need)])
    return None  # extensions beyond what was sniffed (or a pair's): parse from the file


def _header(path, head):
    """(nibabel header, header file path, data file path) of a NIfTI single file or pair."""
    import contextlib

    import nibabel as nib

    path = os.fspath(path)
    found = _version(head)
    if found is None:
        raise file_error(path, "sizeof_hdr/magic", bytes(head[:4]), "not a NIfTI-1 or NIfTI-2 header")
    version, order = found
    pair = is_pair_name(path)
    hdr_path, data_path = _io.pair_names(path, must_exist=True) if pair else (path, path)
    klass = {(1, False): nib.Nifti1Header, (1, True): nib.nifti1.Nifti1PairHeader,
             (2, False): nib.Nifti2Header, (2, True): nib.nifti2.Nifti2PairHeader}[(version, pair)]
    with _io.parsing(hdr_path, "NIfTI header"), contextlib.ExitStack() as stack:
        source = _header_source(head, version, order)
        if source is None:  # nibabel reads an extension's claimed size in one call: bound it by the file
            if _io.is_gz_name(hdr_path):
                source = _io.ChunkedReader(stack.enter_context(_gzip.open_read(hdr_path)), hdr_path)
            else:
                source = stack.enter_context(_io.BoundedFile(hdr_path))
        header = klass.from_fileobj(source)
    return header, hdr_path, data_path


def _nifti_fields(header):
    """The fields of a parsed header that ``Volume.nifti_fields`` carries (non-default ones, and the codes)."""
    fields = {}
    for key, default in layout.SCALAR_FIELDS.items():
        value = header[key].item()
        if value != default or key in ("qform_code", "sform_code"):
            fields[key] = value
    for key in layout.TEXT_FIELDS:
        text = header[key].item().split(b"\x00")[0]
        if text:
            fields[key] = text.decode("latin-1")
    ndim = int(header["dim"][0])
    for key, index in layout.PIXDIM_FIELDS.items():
        if index <= ndim and float(header["pixdim"][index]) != 1.0:
            fields[key] = float(header["pixdim"][index])
    if len(header.extensions):
        fields["extensions"] = [(int(e.get_code()), bytes(e.content)) for e in header.extensions]
    return fields


def _timing(header):
    """``(time_step, time_unit, spatial_unit)`` from ``pixdim[4]`` and ``xyzt_units``."""
    units = int(header["xyzt_units"])
    spatial = {code: name for name, code in layout.SPATIAL_CODES.items()}.get(units & 0x07)
    time = {code: name for name, code in layout.TIME_CODES.items()}.get(units & 0x38)
    step = float(header["pixdim"][4])
    if int(header["dim"][0]) < 4 and time is None:
        return None, None, spatial
    return step * layout.SECONDS.get(time, 1.0), time, spatial


def _volume(path, head, pixels):
    from ..volume import Volume

    header, hdr_path, data_path = _header(path, head)
    with _io.parsing(hdr_path, "NIfTI header"):
        shape, dtype = header.get_data_shape(), header.get_data_dtype()
        offset = int(header.get_data_offset())
        slope, inter = header.get_slope_inter()
        affine = header.get_best_affine()
        fields = _nifti_fields(header)
    if pixels:
        stored = _io.read_array(data_path, offset, shape, dtype, order="F", what="NIfTI data")
    else:
        stored = _io.placeholder(shape, dtype)
    time_step, time_unit, spatial_unit = _timing(header)
    meta = {"format": f"NIfTI-{1 if header['sizeof_hdr'] == 348 else 2}", "header": header}
    return Volume(stored, affine, meta, slope=1.0 if slope is None else slope, inter=0.0 if inter is None else inter,
                  time_step=time_step, time_unit=time_unit, spatial_unit=spatial_unit, nifti_fields=fields)


def read(path, head=None):
    """Read a NIfTI file (``.nii``, ``.nii.gz``, ``.hdr/.img``) into a ``Volume``.

    The header is nibabel's; the stored values are read straight into the
    output array (ISA-L for gzip) and scaled lazily by ``Volume.array``.
    ``vol.array`` equals ``nibabel.load(path).get_fdata()`` in value; nibabel
    returns float64 always, medfast the narrowest exact dtype (the stored
    integers when ``scl_slope`` is 1 and ``scl_inter`` 0). nibabel applies a
    float32 slope in float32 before widening; medfast scales in float64, so
    scaled values agree to float32 precision. ``pixdim[4]`` and
    ``xyzt_units`` become the typed timing fields; descrip, intent, slice and
    code fields and extensions go to ``vol.nifti_fields``.

    Parameters
    ----------
    path : str or os.PathLike
    head : bytes, optional
        The first bytes of the header file (decompressed), as the registry sniffed them.

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "a.nii")
    >>> nib.save(nib.Nifti1Image(np.arange(8, dtype=np.int16).reshape(2, 2, 2), np.eye(4)), out)
    >>> read(out).array[1, 1, 1]
    np.int16(7)
    """
    return _volume(path, _io.sniffed(path, head), pixels=True)


def read_header(path, head=None):
    """The ``Volume`` of :func:`read` without its voxels: ``stored`` is a read-only zero-stride placeholder.

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "a.nii.gz")
    >>> nib.save(nib.Nifti1Image(np.zeros((20, 30, 40), np.float32), np.eye(4)), out)
    >>> v = read_header(out)
    >>> v.shape, v.stored.dtype, v.stored.strides
    ((20, 30, 40), dtype('float32'), (0, 0, 0))
    """
    return _volume(path, _io.sniffed(path, head), pixels=False)


def save_nifti(img, path):
    """Write a nibabel NIfTI image as ``nibabel.save`` would (the DICOM converter's path until it writes Volumes).

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "a.nii")
    >>> save_nifti(nib.Nifti1Image(np.ones((2, 2, 2), np.uint8), np.eye(4)), out)
    >>> nib.load(out).shape
    (2, 2, 2)
    """
    from ._nibabel_save import save_image

    save_image(img, path)
