"""NIfTI-1 and NIfTI-2: ``.nii``, ``.nii.gz`` and ``.hdr/.img`` pairs.

nibabel parses and builds the headers; medfast moves the voxels: ISA-L gzip,
reads straight into the output array, writes straight from the array's buffer,
byte swap by the kernel. ``save_image`` is also the Analyze writer, since
nibabel's header classes share one layout logic.
"""
from __future__ import annotations

import contextlib
import io
import os

import numpy as np

from .. import _gzip
from .. import _io

NAME = "nifti"
EXTENSIONS = (".nii", ".nii.gz", ".hdr", ".img", ".hdr.gz", ".img.gz")
_PAIR_EXTS = (".hdr", ".img", ".hdr.gz", ".img.gz")
_SIZES = {348: 1, 540: 2}


def _version(head):
    """1 or 2 for a NIfTI header in either byte order, else None."""
    if len(head) < 348:
        return None
    for order in ("<", ">"):
        size = int(np.frombuffer(head[:4], order + "i4")[0])
        if size in _SIZES:
            magic = head[344:348] if size == 348 else head[4:8]
            if magic[:3] in (b"n+1", b"ni1", b"n+2", b"ni2"):
                return _SIZES[size]
    return None


def sniff(head, path=None):
    """True for the first bytes of a NIfTI-1 or NIfTI-2 header (magic ``n+1``/``ni1``/``n+2``/``ni2``)."""
    return _version(head) is not None


def is_pair_name(path):
    """True for ``.hdr``/``.img`` names (optionally ``.gz``)."""
    return os.fspath(path).lower().endswith(_PAIR_EXTS)


def _as_output_class(img, path):
    """Convert singles to pairs and back by extension, as ``nibabel.save`` does."""
    import nibabel as nib

    pair = is_pair_name(path)
    swaps = {
        (nib.Nifti1Image, True): nib.Nifti1Pair,
        (nib.Nifti2Image, True): nib.Nifti2Pair,
        (nib.Nifti1Pair, False): nib.Nifti1Image,
        (nib.Nifti2Pair, False): nib.Nifti2Image,
        (nib.AnalyzeImage, False): nib.Nifti1Image,
        (nib.Spm99AnalyzeImage, False): nib.Nifti1Image,
        (nib.Spm2AnalyzeImage, False): nib.Nifti1Image,
    }
    klass = swaps.get((type(img), pair))
    return img if klass is None else klass.from_image(img)


def _plan(img):
    """The header to write and the array writer, chosen exactly as nibabel's ``to_file_map``.

    Returns ``(header, data, writer, raw)``: ``raw`` is True when the writer
    would copy the values unchanged (same dtype kind and size, no scaling), so
    medfast can write the array's own buffer instead.
    """
    import nibabel as nib
    from nibabel.arraywriters import ArrayWriter, get_slope_inter, make_array_writer

    data = np.asanyarray(img.dataobj)
    declared = img.get_data_dtype()
    if isinstance(img, nib.Nifti1Pair):  # resolve alias dtypes ("compat", "smallest") as nibabel does
        img.get_data_dtype(finalize=True)
    try:
        img.update_header()
        hdr = img.header.copy()
    finally:
        img.set_data_dtype(declared)
    out_dtype = hdr.get_data_dtype()
    slope = hdr["scl_slope"].item() if hdr.has_data_slope else np.nan
    inter = hdr["scl_inter"].item() if hdr.has_data_intercept else np.nan
    if np.all(np.isnan((slope, inter))):
        writer = make_array_writer(data, out_dtype, hdr.has_data_slope, hdr.has_data_intercept)
        hdr.set_slope_inter(*get_slope_inter(writer))
    else:
        writer = ArrayWriter(data, out_dtype, check_scaling=False)
    raw = get_slope_inter(writer) == (1.0, 0.0) and data.dtype.newbyteorder("=") == out_dtype.newbyteorder("=")
    return hdr, data, writer, raw


def _header_bytes(hdr):
    buf = io.BytesIO()
    hdr.write_to(buf)  # sets vox_offset for single files, appends extensions
    return buf.getvalue()


def _write_data(f, data, writer, raw, out_dtype):
    if raw:
        _io.write_fortran(f, data, out_dtype)
    else:  # scaling or a dtype change: nibabel's writer decides the values
        writer.to_fileobj(f)


def save_image(img, path):
    """Write a nibabel NIfTI or Analyze image exactly as ``nibabel.save`` would.

    The header bytes are nibabel's (``img.header`` harmonised with the data
    and affine, ``vox_offset``, extensions); the voxels are written from the
    array's own buffer when they are already in the on-disk dtype, and
    ``.gz`` outputs are compressed by ISA-L on all cores. The file appears
    atomically (temporary name, then rename). Uncompressed output is byte
    identical to ``nibabel.save``; compressed output decompresses to the same
    bytes.

    Parameters
    ----------
    img : nibabel.Nifti1Image, Nifti2Image, Nifti1Pair, Nifti2Pair or AnalyzeImage
        The image; singles and pairs are converted by extension as nibabel does.
    path : str or os.PathLike
        ``.nii``, ``.nii.gz``, or ``.hdr``/``.img`` (``.gz`` allowed) for a pair.

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> img = nib.Nifti1Image(np.arange(24, dtype=np.int16).reshape(2, 3, 4), np.eye(4))
    >>> out = os.path.join(tempfile.mkdtemp(), "a.nii.gz")
    >>> save_image(img, out)
    >>> int(nib.load(out).get_fdata()[1, 2, 3])
    23
    """
    img = _as_output_class(img, path)
    hdr, data, writer, raw = _plan(img)
    out_dtype = hdr.get_data_dtype()
    if not is_pair_name(path):
        head = _header_bytes(hdr)
        pad = max(0, int(hdr.get_data_offset()) - len(head))
        with _io.open_output(path, _io.is_gz_name(path)) as f:
            f.write(head + b"\x00" * pad)
            _write_data(f, data, writer, raw, out_dtype)
        return
    files = img.filespec_to_file_map(os.fspath(path))
    hdr_path, img_path = files["header"].filename, files["image"].filename
    head = _header_bytes(hdr)
    offset = int(hdr.get_data_offset())
    with _io.open_output(img_path, _io.is_gz_name(img_path)) as f:
        f.write(b"\x00" * offset)
        _write_data(f, data, writer, raw, out_dtype)
        with _io.open_output(hdr_path, _io.is_gz_name(hdr_path)) as h:
            h.write(head)


def save_nifti(img, path):
    """Write a nibabel ``Nifti1Image``/``Nifti2Image`` (or pair) as ``nibabel.save`` would, fast.

    See :func:`save_image`; this is the name the DICOM-to-NIfTI writer calls.

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> img = nib.Nifti1Image(np.ones((2, 2, 2), np.uint8), np.eye(4))
    >>> out = os.path.join(tempfile.mkdtemp(), "a.nii")
    >>> save_nifti(img, out)
    >>> nib.load(out).shape
    (2, 2, 2)
    """
    save_image(img, path)


def read(path):
    """Read a NIfTI file (``.nii``, ``.nii.gz``, ``.hdr/.img``) into a ``Volume``.

    The header is nibabel's; the stored values are read straight into the
    output array (ISA-L for gzip) and scaled lazily by ``Volume.array``.
    ``vol.array`` equals ``nibabel.load(path).get_fdata()`` in value; nibabel
    returns float64 always, medfast the narrowest exact dtype (the stored
    integers when ``scl_slope`` is 1 and ``scl_inter`` 0). nibabel applies a
    float32 slope in float32 before widening; medfast scales in float64, so
    scaled values agree to float32 precision.

    Examples
    --------
    >>> import nibabel as nib, numpy as np, tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "a.nii")
    >>> nib.save(nib.Nifti1Image(np.arange(8, dtype=np.int16).reshape(2, 2, 2), np.eye(4)), out)
    >>> read(out).array[1, 1, 1]
    np.int16(7)
    """
    import nibabel as nib

    path = os.fspath(path)
    with _io.parsing(path, "NIfTI header"), contextlib.ExitStack() as stack:
        version = _version(_io.head(_io.companion_header(path), 540))
        pair = is_pair_name(path)
        klass = {(1, False): nib.Nifti1Image, (1, True): nib.Nifti1Pair,
                 (2, False): nib.Nifti2Image, (2, True): nib.Nifti2Pair}.get((version, pair))
        if klass is None:
            raise ValueError("not a NIfTI-1 or NIfTI-2 header (sizeof_hdr/magic)")
        # by class, not nibabel.load: a CIFTI-2 file is read as the NIfTI-2 it is
        files = klass.filespec_to_file_map(path)
        holder = files["header"] if "header" in files else files["image"]
        # nibabel reads an extension's claimed size in one call: bound it by what the file holds
        if _io.is_gz_name(holder.filename):
            holder.fileobj = _io.ChunkedReader(stack.enter_context(_gzip.open_read(holder.filename)), holder.filename)
        else:
            holder.fileobj = stack.enter_context(_io.BoundedFile(holder.filename))
        img = klass.from_file_map(files)
    return volume_from_image(img, path)


def volume_from_image(img, path):
    """A ``Volume`` from a nibabel image whose data sit in a file (NIfTI, Analyze)."""
    from ..volume import Volume

    proxy = img.dataobj
    stored = _io.read_array(
        getattr(proxy.file_like, "name", proxy.file_like), proxy.offset, proxy.shape, proxy.dtype, order=proxy.order,
        what=f"{type(img).__name__} data",
    )
    slope, inter = float(proxy.slope), float(proxy.inter)
    meta = {"format": type(img).__name__, "header": img.header}
    codes = getattr(img.header, "get_qform", None)
    if codes is not None:
        meta["qform_code"] = int(img.header["qform_code"])
        meta["sform_code"] = int(img.header["sform_code"])
    return Volume(stored, img.affine, meta, slope=slope, inter=inter)


def to_image(vol, klass=None):
    """The nibabel image a ``Volume`` is written as: stored values plus scl_slope/scl_inter.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> to_image(Volume(np.zeros((2, 2, 2), np.int16), np.eye(4), slope=2)).header.get_slope_inter()
    (2.0, 0.0)
    """
    import nibabel as nib

    klass = nib.Nifti1Image if klass is None else klass
    header = vol.meta.get("header")
    if isinstance(header, klass.header_class):
        img = klass(vol.stored, vol.affine, header=header.copy())
    else:
        img = klass(vol.stored, vol.affine)
        img.header.set_qform(vol.affine, code=int(vol.meta.get("qform_code", 1)))
        img.header.set_sform(vol.affine, code=int(vol.meta.get("sform_code", 1)))
    img.set_data_dtype(vol.stored.dtype)
    if vol.is_scaled:
        img.header.set_slope_inter(vol.slope, vol.inter)
    elif hasattr(img.header, "set_slope_inter"):
        img.header.set_slope_inter(1.0, 0.0)
    return img


def write(vol, path):
    """Write a ``Volume`` as NIfTI-1 (``.nii``, ``.nii.gz``, or a ``.hdr/.img`` pair).

    Examples
    --------
    >>> import numpy as np, tempfile, os, nibabel as nib
    >>> from medfast.volume import Volume
    >>> out = os.path.join(tempfile.mkdtemp(), "v.nii.gz")
    >>> write(Volume(np.ones((2, 2, 2), np.int16), np.diag([2, 2, 2, 1])), out)
    >>> [float(z) for z in nib.load(out).header.get_zooms()]
    [2.0, 2.0, 2.0]
    """
    import nibabel as nib

    # the pair class directly: converting an image by from_image resets its scl_slope/scl_inter
    save_image(to_image(vol, nib.Nifti1Pair if is_pair_name(path) else nib.Nifti1Image), path)
