"""``read_dicom``: files -> records -> stacks -> volumes with their pixels in place."""
from __future__ import annotations

import os

import numpy as np

from ..errors import file_error, reading
from ..volume import Volume
from . import geometry, grouping, mosaic, series, walk


def _header(path):
    import pydicom

    with reading(path):
        ds = pydicom.dcmread(path, defer_size=1024)
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        return None  # not an image: DICOMDIR, presentation state, report, raw data
    for keyword in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"):
        if keyword in ds:
            del ds[keyword]
    return ds


def _stored_dtype(s0, decoded_dtype):
    """dcm2niix keeps the stored integers, but writes unsigned 16-bit data with < 16 bits stored as int16."""
    dtype = np.dtype(decoded_dtype).newbyteorder("=")
    bits_stored = int(s0.ds.get("BitsStored") or dtype.itemsize * 8)
    if dtype == np.uint16 and bits_stored < 16:
        return np.dtype(np.int16)
    return dtype


def _decode(path):
    """All frames of a file as an array (frames, rows, cols) of stored values (pydicom's decoders)."""
    import pydicom

    with reading(path, "pixel data"):
        ds = pydicom.dcmread(path)
        if "PixelData" not in ds:
            raise file_error(path, "PixelData", None, "missing")
        arr = ds.pixel_array
    frames = int(ds.get("NumberOfFrames") or 1)
    return arr.reshape((frames,) + arr.shape[-2:]) if arr.ndim == 2 or frames > 1 else arr[None]


def _fill(ordered, varies):
    """Decode every file once and place each slice in its slot: returns ``out[t * nz + k, row, col]``."""
    s0 = ordered[0]
    by_file = {}
    for index, s in enumerate(ordered):
        by_file.setdefault(s.path, []).append((index, s))
    out = None
    for path, items in by_file.items():
        frames = _decode(path)
        if out is None:
            dtype = np.float32 if varies else _stored_dtype(s0, frames.dtype)
            out = np.empty((len(ordered), s0.rows, s0.cols), dtype=dtype)
        for index, s in items:
            if s.frame >= frames.shape[0]:
                raise file_error(path, "NumberOfFrames", frames.shape[0], f"frame {s.frame + 1} is missing")
            image = frames[s.frame]
            if s.mosaic:
                image = mosaic.tile(image, s.mosaic, s.tile)
            if image.shape != (s.rows, s.cols):
                raise file_error(path, "Rows x Columns", image.shape, f"differs from the series' {(s.rows, s.cols)}")
            if varies:
                out[index] = image.astype(np.float32) * np.float32(s.slope) + np.float32(s.inter)
            else:
                out[index] = image
    return out


def _to_nifti_layout(out, nz, nt):
    """(t*nz, rows, cols) C order -> view indexed (i=col, j=reversed row, k[, t])."""
    rows, cols = out.shape[1:]
    arr = out.reshape(nt, nz, rows, cols).transpose(3, 2, 1, 0)[:, ::-1]
    return arr[..., 0] if nt == 1 else arr


def _is_ge_b0map(s0):
    if not str(s0.ds.get("Manufacturer") or "").upper().startswith("GE"):
        return False
    names = [s0.ds.get(tag) for tag in ((0x0019, 0x109C), (0x0019, 0x109E))]
    return any(name is not None and "B0MAP" in str(name.value).upper() for name in names)


def _build(ordered, nz, nt, flags, skipped):
    s0 = ordered[0]
    report = geometry.spacing_report(ordered[:nz])
    aff = geometry.affine(ordered[:nz], s0.rows)
    scales = {(s.slope, s.inter) for s in ordered}
    varies = len(scales) > 1
    slope, inter = (1.0, 0.0) if varies else scales.pop()
    out = _fill(ordered, varies)
    scaling = {"slope": slope, "inter": inter, "varies": varies}
    parts = [(ordered, out, nt, {})]
    if nt == 2 and _is_ge_b0map(s0):
        # GE's B0map series holds the field map in Hz, then the magnitude, as two volumes
        parts = [(ordered[:nz], out[:nz], 1, {"is_real": True, "is_magnitude": False, "real_is_fieldmap_hz": True,
                                              "image_component": "REAL"}),
                 (ordered[nz:], out[nz:], 1, {})]
    vols = []
    for part, pixels, part_nt, extra in parts:
        meta = series.volume_meta(part, nz, part_nt, report, multi_echo=flags[0], coil_varies=flags[1],
                                  scaling=scaling)
        meta.update(extra)
        meta["non_dicom_files"] = skipped
        stored, part_aff = _to_nifti_layout(pixels, nz, part_nt), aff
        if part_nt == 1 and nz > 1 and str(s0.ds.get("MRAcquisitionType") or "").upper() == "3D":
            stored, part_aff = geometry.to_closest_canonical(stored, aff)
            meta["reoriented"] = True
        vols.append(Volume(stored, part_aff, meta, slope=slope, inter=inter))
    return vols


def read_dicom(path_or_paths, *, ignore_derived=False):
    """Read every DICOM series under files or folders into volumes, as dcm2niix would convert them.

    Parameters
    ----------
    path_or_paths : path or list of paths
        Files, folders (walked recursively) or a DICOMDIR.
    ignore_derived : bool
        Drop derived images, localizers and single-slice (2-D) series, as
        dcm2niix's ``-i y`` does.

    Returns
    -------
    list of medfast.Volume
        One per output volume: ``array`` indexed i, j, k[, t] with the values
        and layout of the NIfTI dcm2niix writes, ``affine`` voxel to RAS+ mm,
        ``meta`` as documented in ``medfast.dicom.series``.

    Examples
    --------
    >>> import tempfile, medfast
    >>> from medfast.synth import write_ct_series
    >>> folder = tempfile.mkdtemp()
    >>> _ = write_ct_series(folder, shape=(16, 16, 4))
    >>> [vol] = medfast.read_dicom(folder)
    >>> vol.shape, vol.array.dtype
    ((16, 16, 4), dtype('int16'))
    """
    files, skipped = walk.dicom_files(path_or_paths)
    slices = []
    for path in files:
        ds = _header(path)
        if ds is not None:
            slices += series.slices_of(path, ds)
    groups = grouping.group(slices)
    flags = grouping.varies(groups)
    vols = []
    for members in groups:
        if ignore_derived and members[0].derived:
            continue
        ordered, nz, nt = geometry.arrange(members)
        if ignore_derived and nz == 1:
            continue
        s0 = ordered[0]
        vols += _build(ordered, nz, nt, flags[(s0.series_number, s0.series_uid)], skipped)
    return vols
