"""The NIfTI-1 header dcm2niix writes for a DICOM series, built with nibabel.

dcm2niix fills: dims and pixdims from the volume, TR in seconds as pixdim[4],
``xyzt_units`` mm + s, qform and sform from the affine (codes from the reader,
1 = scanner), ``scl_slope``/``scl_inter`` (1/0 when unscaled), ``dim_info``
from the in-plane phase-encoding direction, ``slice_code`` from the slice
acquisition times when they show a plain order, ``aux_file`` from
ImageComments and a ``descrip`` with TE and acquisition time.
"""
from __future__ import annotations

import numpy as np

from ..dicom import siemens
from ..dicom.header import as_header
from ..dicom.values import atof, number, text

# NIfTI slice_code values
SLICE_UNKNOWN, SEQ_INC, SEQ_DEC, ALT_INC, ALT_DEC, ALT_INC2, ALT_DEC2 = range(7)


def slice_order(times):
    """NIfTI ``slice_code`` from slice acquisition times, as dcm2niix's ``checkSliceTimes``.

    Multiband series (several slices at time 0) and orders that fit no NIfTI
    code give 0 (unknown).

    Examples
    --------
    >>> slice_order([0, 1, 2, 3]), slice_order([0, 2, 1, 3]), slice_order([3, 2, 1, 0])
    (1, 3, 2)
    >>> slice_order([0, 1, 0, 1])
    0
    """
    if times is None or len(times) < 3:
        return SLICE_UNKNOWN
    t = np.asarray(times, dtype=np.float64)
    t = t - min(t.min(), 0.0)
    n = len(t)
    zeros = int(np.count_nonzero(t == 0))
    if zeros > 1:
        return SLICE_UNKNOWN
    lo = int(np.argmin(t))
    if lo == 1:
        return ALT_INC2
    if lo == n - 2:
        return ALT_DEC2
    if lo == 0:
        return SEQ_INC if t[1] < t[2] else ALT_INC if t[1] > t[2] else SLICE_UNKNOWN
    if lo == n - 1:
        return SEQ_DEC if t[n - 3] > t[n - 2] else ALT_DEC if t[n - 3] < t[n - 2] else SLICE_UNKNOWN
    return SLICE_UNKNOWN


def _dim_info(phase_dir):
    # "ROW"/"COL", or "COLUMN" in some enhanced files
    if phase_dir.startswith("R"):
        return 2 | (1 << 2) | (3 << 4)
    if phase_dir.startswith("C"):
        return 1 | (2 << 2) | (3 << 4)
    return 3 << 4


def build_header(vol, header=None):
    """A ``nibabel.Nifti1Header`` for ``vol`` filled the way dcm2niix fills it.

    Parameters
    ----------
    vol : Volume
        The series (``stored``, ``affine``, ``slope``, ``inter``, ``meta``).
    header : medfast.dicom.header.Header or pydicom.Dataset, optional
        The series' first header; defaults to ``vol.meta["header"]``.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> v = Volume(np.zeros((4, 4, 3), np.int16), np.diag([-2.0, 2.0, 3.0, 1.0]), {"repetition_time": 2.0})
    >>> h = build_header(v, {})
    >>> [float(x) for x in h["pixdim"][1:5]], int(h["xyzt_units"]), int(h["qform_code"]), int(h["sform_code"])
    ([2.0, 2.0, 3.0, 2.0], 10, 1, 1)
    """
    import nibabel as nib

    meta = vol.meta
    header = as_header(header if header is not None else meta.get("header"))
    get = header.get
    hdr = nib.Nifti1Header()
    hdr.set_data_dtype(vol.stored.dtype)
    hdr.set_data_shape(vol.stored.shape)
    hdr.set_qform(vol.affine, code=int(meta.get("qform_code", 1)))
    hdr.set_sform(vol.affine, code=int(meta.get("sform_code", 1)))
    tr = float(meta.get("repetition_time") or 0.0)
    if not tr:
        tr = number(header.find("RepetitionTime"), 0.0) / 1000.0
    pixdim = hdr["pixdim"]
    pixdim[4] = tr
    hdr["pixdim"] = pixdim
    hdr.set_xyzt_units("mm", "sec")
    hdr["scl_slope"], hdr["scl_inter"] = vol.slope, vol.inter
    hdr["dim_info"] = _dim_info(text(header.find("InPlanePhaseEncodingDirection")).strip())
    # mosaics stored in reverse slice order (protocol's sSliceArray.ucImageNumb) get no slice code
    reversed_mosaic = meta.get("mosaic") and siemens.header_protocol_int(header, "sSliceArray.ucImageNumb") > 0
    if not reversed_mosaic and len(vol.stored.shape) >= 3:
        times = meta.get("slice_times")
        if times is not None and len(times) == vol.stored.shape[2]:
            hdr["slice_code"] = slice_order(times)
    comments = text(get("ImageComments"))
    hdr["aux_file"] = comments[:23].encode("latin-1", "replace")
    hdr["descrip"] = _descrip(meta, get).encode("latin-1", "replace")[:79]
    return hdr


def _descrip(meta, get):
    te = number(meta.get("EchoTime", get("EchoTime")), None)  # a broken value: no TE, as an absent one
    acq = text(get("AcquisitionTime")).replace(":", "")
    parts = []
    if te is not None:
        parts.append(f"TE={te:.2g}")
    if acq:
        parts.append(f"Time={atof(acq):.3f}")  # dcm2niix's atof: the leading number of a broken time
    return ";".join(parts)
