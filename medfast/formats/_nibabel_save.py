"""Writing a nibabel image (NIfTI or Analyze) exactly as ``nibabel.save`` would, with medfast moving the voxels.

The Analyze writer builds a nibabel ``Spm2AnalyzeImage`` and saves it here; the
DICOM converter saves its nibabel NIfTI images here until it writes through
``medfast.formats.nifti.write``. Volumes go through ``nifti.write``, which
builds the NIfTI header itself.
"""
from __future__ import annotations

import io
import os

import numpy as np

from .. import _io
from .nifti import is_pair_name


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
