"""What dcm2niix says as it saves a diffusion series' gradients (its nii_saveDTI, geCorrectBvecs and
siemensPhilipsCorrectBvecs), line for line, at ``-v 0`` and ``-v 1``.

Written from dcm2niix v1.0.20260724's source; none of it calls dcm2niix.
"""
from __future__ import annotations

from .console import _g, _text
from .series_messages import _vector


def _volume_notes(bvals, vecs, vendor, derived_series):
    """nii_saveDTI's notes on a series' b-values: no b=0 volume, b=0 not first, Philips derived
    (trace/ADC: a b-value without vector) volumes moved out, or kept when too few others remain.
    Returns (lines, the volumes kept in the DWI's order)."""
    import numpy as np

    n, lines = len(bvals), []
    b = np.asarray(bvals, dtype=np.float32)
    if not derived_series:
        if float(b.min()) > 50:
            lines.append("Warning: This diffusion series does not have a B0 (reference) volume")
        if int(np.argmin(b)) > 0:
            lines.append(f"Note: B0 not the first volume in the series (FSL eddy reference volume is {int(np.argmin(b))})")
    adc = [i for i in range(n) if vendor == "PH" and abs(float(b[i])) > 1e-6 and not np.any(np.abs(vecs[i]) > 1e-6)]
    if adc and len(adc) == 1 and n - 1 < 2:
        lines.append("Note: this appears to be a b=0+trace DWI; ADC/trace removal has been disabled.")
        adc = []
    elif adc and n - len(adc) < 2:
        lines.append("Warning: Isotropic DWI series, all bvecs are zero (issue 405)")
        adc = []
    elif adc:
        lines.append(f"Note: {len(adc)} volumes appear to be ADC or trace images that will be removed to allow processing")
    kept = [i for i in range(n) if i not in adc]
    if adc and any(i > min(adc) for i in kept):  # a derived volume before a kept one: the order changes
        lines.append("DTI volumes re-ordered by ascending b-value")
    return lines, kept


def gradient_lines(vol, verbose=0):
    """dcm2niix's lines as it saves a diffusion series' gradients (its nii_saveDTI, siemensPhilipsCorrectBvecs).

    First ``_volume_notes``. Then, for vectors turned to the image frame
    (Siemens, Philips, Toshiba, Hitachi, Bruker, Mediso; any vendor but UIH
    whose first file gives (0018,9089)): a volume with a b-value above the
    b=0 threshold (Siemens 50, others 6) but no vector, in a series not
    derived; ``Check bvecs`` when the patient position is not HFS; a
    warning for a Siemens mosaic whose slice normal makes a negative
    determinant, and for a Philips series whose slice orientation
    (2001,100B) is not reported; with ``-v 1`` ``Saving N DTI gradients.
    Validate vectors.`` (not for Philips sagittal or coronal slices). With
    ``-v 1``, one line a volume, ``i B= b Vec= x y z``, the values of the
    .bval and .bvec written.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> gradient_lines(Volume(np.zeros((2, 2, 2)), np.eye(4), {}), verbose=1)
    []
    """
    import numpy as np

    from ..dicom import siemens
    from ..dicom.reader import header_of
    from ..dicom.series import derived_image
    from ..dicom.values import vendor_key
    from .gradients import _fmt, series_gradients, world_vectors
    from .writer import _gradients

    raw = series_gradients(vol, header_of)
    if raw is None:
        return []
    header = vol.meta.get("header") or {}
    vendor = vendor_key(vol.meta.get("Manufacturer") or header.get("Manufacturer"))
    derived_series = derived_image(header.get("ImageType"))
    vecs = np.asarray(raw[1], dtype=np.float64).reshape(-1, 3)
    lines, kept = _volume_notes(raw[0], vecs, vendor, derived_series)
    (bvals, bvecs) = _gradients(vol)[0]
    n = len(bvals)
    if vendor == "GE" and not world_vectors(header) or vendor in ("TO", "CA") and _comment_vectors(vol):
        lines += _ge_rotation_lines(vol, header, n, verbose)
    if vendor in _IMAGE_FRAME_VENDORS or (vendor != "UI" and world_vectors(header)):
        threshold = 50.0 if vendor == "SI" else 6.0
        for k, i in enumerate(kept):
            b = float(np.float32(raw[0][i]))
            if (b <= 1.1920929e-07 or not np.any(np.abs(vecs[i]) > 1.1920929e-07)) and b > threshold and not derived_series:
                lines.append(f"Warning: Volume {k} appears to be derived image ADC/Isotropic "
                             "(non-zero b-value with zero vector length)")
        position = _text(header.get("PatientPosition")).strip()
        if position[:3].upper() != "HFS":
            lines.append(f"Check bvecs: expected Patient Position (0018,5100) to be 'HFS' not '{position}'")
        orient = _vector(header.get("ImageOrientationPatient"), 6)
        normal = _vector(siemens.csa_items(header, "SliceNormalVector"), 3) if vol.meta.get("mosaic") else None
        slices = _text(header.get((0x2001, 0x100B))).strip()[:1].upper()
        if orient is not None and normal is not None and np.linalg.det(np.stack([orient[:3], orient[3:], normal])) < 0:
            lines.append(f"Warning: Saving {n} DTI gradients. Validate vectors (matrix had a negative determinant).")
        elif vendor != "PH" or slices not in ("", "S", "C"):
            if verbose:
                lines.append(f"Saving {n} DTI gradients. Validate vectors.")
        elif not slices:
            lines.append(f"Warning: Saving {n} DTI gradients. Validate vectors "
                         "(image slice orientation not reported, e.g. 2001,100B).")
    if verbose:
        lines += [f"{i}\tB=\t{_fmt(b)}\tVec=\t" + "\t".join(_fmt(x) for x in v) for i, (b, v) in enumerate(zip(bvals, bvecs))]
    return lines


#: vendors whose vectors dcm2niix turns to the image frame (siemensPhilipsCorrectBvecs); others when their
#: vectors are in world coordinates (0018,9089), UIH never
_IMAGE_FRAME_VENDORS = ("SI", "PH", "TO", "HI", "BR", "ME")


def _comment_vectors(vol):
    """True when a Canon/Toshiba series gives its vectors in ImageComments (the image frame)."""
    from ..dicom import canon
    from ..dicom.reader import header_of

    return any(canon.comment_gradient(header_of(path)) is not None for path, _ in vol.meta.get("frames") or ())


def _ge_rotation_lines(vol, header, n, verbose):
    """geCorrectBvecs' lines as it turns GE (and Canon image-frame) vectors: its notes on a patient not
    head first supine and on slices not axial, the ``GE Reorienting`` line (``-v 1``, or always for ROW
    phase encoding) and the first b-value it scales by the gradient's length.

    dcm2niix's texts for a phase axis neither ROW nor COL, and for one slice, end without a line break
    and run into its next line; they are not said.
    """
    import numpy as np

    from ..dicom.grouping import protocol_name
    from ..dicom.header import as_header
    from ..dicom.reader import header_of
    from ..dicom.values import dcm_str, strings
    from .gradients import ge_scaled_b, recorded_gradients, slice_axis

    recorded = recorded_gradients(vol, header_of)
    if recorded is None:
        return []
    header = as_header(header)
    lines = []
    if _text(header.get("PatientPosition")).strip()[:3].upper() != "HFS":
        lines.append("Warning: Limited validation for non-HFS (Head first supine) GE DTI: "
                     "confirm gradient vector transformation")
    phase = _text(header.find("InPlanePhaseEncodingDirection"))[:1].upper()
    axis = slice_axis(vol)
    if phase not in ("R", "C") or axis == 0:
        return lines
    if axis != 3:
        lines.append("Warning: Limited validation for non-Axial DTI: confirm gradient vector transformation.")
    flip = {1: (1, 1, 0), 2: (0, 1, 1), 3: (0, 0, 1)}[axis]
    if verbose or phase == "R":
        protocol = dcm_str(protocol_name(header, strings(header.find("ImageType"))))
        lines.append(f"Saving {n} DTI gradients. GE Reorienting {protocol} : please validate. "
                     f"isCol={int(phase == 'C')} sliceDir={axis} flp={flip[0]} {flip[1]} {flip[2]}")
        if phase == "R":
            lines.append("Warning: Reorienting for ROW phase-encoding untested.")
    eps = 1.1920929e-07
    for b, v in zip(*recorded):
        b, length = float(np.float32(b)), float(np.sqrt(np.sum(np.square(np.asarray(v, np.float32)))))
        if b > eps and length > eps and 0.03 < length < 0.97:
            lines.append(f"GE BVal scaling (e.g. {_g(b)} -> {_g(ge_scaled_b(b, length))} s/mm^2)")
            break
    return lines
