"""What dcm2niix says while it saves one series, line for line, at ``-v 0`` and ``-v 1``.

``series_lines`` gives the lines of nii_dicom_batch.cpp's saveDcm2NiiCore
and the functions it calls, in their order, from the first (patient
position, gantry tilt) to the last before the Philips scaling and the
``Convert`` line: slices out of order, uneven spacing, the BIDS guess's
``::autoBids:``, slice-timing checks, GE's protocol block, Siemens mosaics
stored reversed. ``gradient_messages.gradient_lines`` follows for diffusion series,
``packed_volume_lines`` before the outputs of one file of several volumes,
``acquisition_numbers_vary_at`` where the grouping meets files of different
AcquisitionNumber, ``jpeg_line`` where the lossless JPEG decoder speaks.
Each rule is written from dcm2niix v1.0.20260724's source; none calls it.
"""
from __future__ import annotations

from .console import _f32, _g, _text, is_localizer, volume_files

_SLICE_TOLERANCE = 0.2  # mm: dcm2niix's kSliceTolerance
_SAME_GE = 1e-4  # dcm2niix's isSameFloatGE


def sorted_files(vol):
    """``(path, header)`` of a volume's files in dcm2niix's ``dcmSort`` order: series number, then instance number."""
    from ..dicom.reader import header_of

    def key(item):
        try:
            return int(item[1].get("SeriesNumber") or 0), int(item[1].get("InstanceNumber") or 0)
        except (TypeError, ValueError):
            return 0, 0
    return sorted(((path, header_of(path)) for path in volume_files(vol)), key=key)


def _sorted_headers(vol):
    return [header for _, header in sorted_files(vol)]


def _vector(value, n):
    import numpy as np

    try:
        out = np.array([float(v) for v in value], dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return out if out.shape == (n,) else None


def _positions(headers):
    """The ImagePositionPatient of each header as float32 rows, or None when one lacks it."""
    import numpy as np

    rows = [_vector(h.get("ImagePositionPatient"), 3) for h in headers]
    return None if any(r is None for r in rows) else np.array(rows, dtype=np.float32)


def _signed_steps(headers):
    """dcm2niix's intersliceDistanceSigned between neighbours (float32 mm): the distance, scaled by
    cos(gantry tilt), negative against the slice normal; the first header's orientation and tilt."""
    import numpy as np

    f = np.float32
    positions, orient = _positions(headers), _vector(headers[0].get("ImageOrientationPatient"), 6)
    if positions is None or orient is None:
        return None
    steps = np.diff(positions, axis=0).astype(f)
    length = np.sqrt((steps * steps).sum(axis=1, dtype=f)).astype(f)
    tilt = _f32(headers[0].get("GantryDetectorTilt") or 0.0)
    if tilt != 0:
        length = (length * f(np.cos(tilt * np.pi / 180))).astype(f)
    normal = np.cross(orient[:3], orient[3:])
    return np.where(steps.astype(np.float64) @ normal < 0, -length, length)


def _not_spatial(vol, headers):
    """dcm2niix's ensureSequentialSlicePositions finds the instance order not spatial: in instance
    order, a step from slice to slice within a volume is not the volume's first step (0.2 mm).

    It looks in series of one slice a file, three slices or more a volume:
    Philips always, other vendors when the first two files are at different
    places.
    """
    meta = vol.meta
    nz, nt = meta.get("shape_nz_nt") or (1, 1)
    if meta.get("mosaic") or meta.get("enhanced") or nz < 3 or len(headers) != nz * nt:
        return False
    steps = _signed_steps(headers)
    if steps is None:
        return False
    philips = _text(headers[0].get("Manufacturer")).upper().startswith("PHILIPS")
    if not philips and abs(float(steps[0])) < 1e-6:
        return False
    for t in range(nt):
        within = steps[t * nz:(t + 1) * nz - 1]
        if any(abs(float(x) - float(within[0])) > _SLICE_TOLERANCE for x in within):
            return True
    return False


def instance_order_warning(vol, headers=None):
    """``Instance Number (0020,0013) order is not spatial.`` (``_not_spatial``), not for a derived series.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> instance_order_warning(Volume(np.zeros((2, 2, 1)), np.eye(4), {}), [])
    []
    """
    from ..dicom.series import derived_image

    headers = _sorted_headers(vol) if headers is None else headers
    if not _not_spatial(vol, headers) or derived_image(headers[0].get("ImageType")):
        return []
    return ["Warning: Instance Number (0020,0013) order is not spatial."]


def slice_timing_warning(vol, headers):
    """dcm2niix's Issue870 lines for a Siemens mosaic series: the first and second volumes'
    MosaicRefAcqTimes span different ranges (more than 1e-4 ms apart), and the first volume's
    do not settle the question (all equal in a 3-D or single-excitation scan, SBRef, ...)."""
    import numpy as np

    from .slice_timing import _csa_times

    meta = vol.meta
    if not meta.get("mosaic") or len(headers) < 2 or _text(headers[0].get("Modality")) in ("PT", "US", "CT", "SEG"):
        return []
    first, second = _csa_times(headers[0]), _csa_times(headers[1])
    tr = _f32(headers[0].find("RepetitionTime") or 0.0)
    if not first or len(first) < 4 or tr < 0:
        return []
    n = len(first)
    low, high = min(first), max(first)
    if second and len(second) > 3:
        second = list(second[:n]) + [np.float32(-1.0)] * max(0, n - len(second))
        low1, high1 = min(second), max(second)
    else:
        low1 = high1 = np.float32(-1.0)
    if low1 < 0 and high1 < 0:
        return []
    if abs(float(np.float32(high - low)) - float(np.float32(high1 - low1))) <= _SAME_GE:
        return []
    three_d = _text(headers[0].get("MRAcquisitionType")).upper() == "3D"
    if low == high and three_d:
        return []
    if low == high and 1 + sum(1 for t in first[1:] if t == first[0]) == n:
        return []  # every slice excited at once
    if "SBRef" in _text(headers[0].get("SeriesDescription")):
        return []
    return [f"Warning: Issue870: Slice timing range of first volume: range {_g(low)}..{_g(high)} ms, "
            f"TA={_g(np.float32(high - low))} ms, TR={_g(tr)} ms",
            f"Warning: Issue870: Slice timing range of 2nd volume: TA={_g(np.float32(high1 - low1))} ms, TR={_g(tr)} ms"]


def _bogus_slice_times(vol, headers, vendor, tr):
    """``Siemens MoCo? Bogus slice timing``: a Siemens classic 2-D series whose first volume's slices
    share one acquisition time (XA: none has TimeAfterStart), so that dcm2niix finds no usable slice
    times in the first volume nor in the second file (its range printed as -1..-1, the TR in ms though
    the text says seconds). Not for localizers, derived images or single-band references."""
    from ..dicom import siemens
    from ..dicom.series import derived_image
    from .slice_timing import _time_after_start

    meta = vol.meta
    nz, nt = meta.get("shape_nz_nt") or (1, 1)
    first = headers[0]
    if vendor != "SI" or meta.get("mosaic") or meta.get("enhanced") or len(headers) != nz * nt or nz < 2 \
            or _text(first.get("MRAcquisitionType")).upper() == "3D" or _text(first.get("Modality")) != "MR" \
            or is_localizer(first) or derived_image(first.get("ImageType")) \
            or "SBRef" in _text(first.get("SeriesDescription")):
        return []
    if siemens.is_xa(first):
        if any(_time_after_start(h, None) is not None for h in headers):
            return []
    elif len({_text(h.get("AcquisitionTime")).strip() for h in headers[:nz]}) > 1:
        return []
    return [f"Warning: Siemens MoCo? Bogus slice timing (range -1..-1, TR={_g(tr)} seconds)"]


def _protocol_slice_number(header):
    from ..dicom import siemens

    try:
        return int(round(float((siemens.csa_items(header, "ProtocolSliceNumber") or ["0"])[0])))
    except ValueError:
        return 0


def series_lines(vol, *, verbose=0, sidecar=True, images=True, syntaxes=None, ge_rtia=False):
    """The lines dcm2niix prints for a series while it saves it, before Philips scaling and ``Convert``, in its order.

    1. No PatientPosition (0018,5100); the gantry tilt of a CT or tilted stack
       (``_gantry_tilt``); no known manufacturer (``manufacturer_id``).
    2. ``-v 1``: the lossless JPEG decoder's line for the first file
       (``jpeg_line``, ``syntaxes`` giving each file's transfer syntax), then
       ``Converting`` and that file (series number, then instance number).
    3. The tilt note; slices out of spatial order (``instance_order_warning``);
       uneven spacing (``_uneven_lines``); ``-v 1``: the decoder's line for
       every file again when several are stacked and images are written
       (``images``).
    4. A GE MR series without protocol block; ``::autoBids:`` (``auto_bids_lines``).
    5. Slice timing: ``-v 1`` its range when within the TR
       (``_checked_slice_times``); mosaics whose first and second volumes
       disagree (``slice_timing_warning``); a Siemens CSA ProtocolSliceNumber
       above 1; GE's (``_ge_slice_timing_warnings``; with ``ge_rtia``, ``-j y``'s
       comparison with the RTIA timer, ``ge_rtia_comparison``); ``-v 1`` slice times
       reversed with the slices (``_flips_slice_times``).
    6. While the sidecar is written (``sidecar``): a mosaic whose protocol
       holds sSliceArray.ucImageNumb, unless a ProtocolSliceNumber of 2 or
       more was kept (no slice times to flip, or a 3-D scan).

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> series_lines(Volume(np.zeros((2, 2, 1), np.int16), np.eye(4), {}))
    []
    """
    from ..dicom import ge, siemens
    from ..dicom.values import vendor_key

    meta = vol.meta
    if not volume_files(vol):
        return []
    nz, nt = meta.get("shape_nz_nt") or (1, 1)
    files = sorted_files(vol)
    headers = [header for _, header in files]
    first = headers[0]
    vendor = vendor_key(first.get("Manufacturer"))
    three_d = _text(first.get("MRAcquisitionType")).upper() == "3D"
    lines = []
    if len(_text(first.find("PatientPosition")).strip()) < 3:
        lines.append("Warning: Patient Position (0018,5100) not specified (issue 642).")
    tilt, tilt_lines = _gantry_tilt(vol, headers, verbose)
    lines += tilt_lines
    if not manufacturer_id(first):
        lines.append("Warning: Unable to determine manufacturer (0008,0070), so conversion is not tuned for vendor.")
    if verbose:  # the lossless JPEG decoder speaks as each file is loaded: the first, then all again
        jpeg = [jpeg_line(path, (syntaxes or {}).get(path)) for path, _ in files]
        lines += [line for line in jpeg[:1] if line]
        lines.append(f"Converting {files[0][0]}")
    if tilt:
        lines.append(f"Warning: Note these images have gantry tilt of {_g(tilt)} degrees (manufacturer ID = "
                     f"{manufacturer_id(first)})")
    lines += instance_order_warning(vol, headers)
    lines += _uneven_lines(vol, headers, tilt, verbose)
    if verbose and len(files) > 1 and images:
        lines += [line for line in jpeg if line]
    if vendor == "GE" and _text(first.get("Modality")).upper() == "MR" and _ge_block_length(first) < 19:
        lines.append("Warning: Missing GE protocol data block (0025,101B)")  # as its BIDS guess reads the block
    lines += auto_bids_lines(vol, first, verbose)
    if nz < 2:
        return lines
    if vendor == "SI" and siemens.is_xa(first) and nt > 1 and nz <= 1024 and len(files) > nt:
        lines.append("Warning: 4D Siemens XA images should be exported as enhanced not classic DICOM. "
                     "Slice times and other properties may be inaccurate.")
    times = _checked_slice_times(vol, headers, vendor) if verbose else None
    tr = _f32(first.find("RepetitionTime") or 0.0)
    if times and min(times) != max(times) and max(times) <= tr:
        lines.append(f"Slice timing range appears reasonable (range {_g(min(times))}..{_g(max(times))}, TR={_g(tr)} ms)")
    lines += _bogus_slice_times(vol, headers, vendor, tr)
    lines += slice_timing_warning(vol, headers)
    slice_number = _protocol_slice_number(first) if vendor == "SI" else 0
    if slice_number > 1:
        lines.append("Warning: Weird CSA 'ProtocolSliceNumber' (System/Miscellaneous/ImageNumbering reversed): "
                     "VALIDATE SLICETIMING AND BVECS")
    if vendor == "GE" and not three_d and nt > 1 and not is_localizer(first):
        lines += _ge_slice_timing_warnings(first, files[0][0], nz)
        if ge_rtia:
            from .slice_timing import ge_rtia_comparison

            lines += ge_rtia_comparison(vol, headers, three_d, verbose)
    flipped = verbose and _flips_slice_times(vol, vendor, slice_number, three_d)
    if flipped:
        lines.append("Slices were spatially flipped, so slice times are flipped")
    if sidecar and vendor == "SI" and meta.get("mosaic") and siemens.header_protocol_int(first, "sSliceArray.ucImageNumb") > 0:
        if slice_number < 2 or flipped or _flips_slice_times(vol, vendor, slice_number, three_d):
            lines.append("Warning: Assuming mosaics saved in reverse order due to 'sSliceArray.ucImageNumb'")
    return lines


def equalization_lines(vol):
    """dcm2niix's ``-v 1`` lines as it writes an ``_Eq`` file: each evenly spaced slice's place and the
    weights of the two slices it mixes (``resample.equalization_plan``, the distances tilt-corrected).

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> vol = Volume(np.zeros((1, 1, 3), np.int16), np.eye(4), {"positions": [[0, 0, z] for z in (0, 1, 3)]})
    >>> equalization_lines(vol)[1]
    'out 1 @ 1.000 mm: 0.0% slice 0, 100.0% slice 1'
    """
    import numpy as np

    from .resample import equalization_plan, series_tilt, slice_distances

    plan = equalization_plan(slice_distances(vol, series_tilt(vol)))
    hundred = np.float32(100)
    return [f"out {s} @ {float(mm):.3f} mm: {float(lo_w * hundred):.1f}% slice {lo}, {float(hi_w * hundred):.1f}% slice {hi}"
            for s, (mm, lo, hi, lo_w, hi_w) in enumerate(plan[1] if plan else ())]


TILT_CORRECTED = "Gantry Tilt Correction is new: please validate conversions"
IGNORING_DERIVED_DWI = ("Ignoring derived diffusion image(s). Better isotropic and ADC maps can be generated "
                        "later processing.")


def derived_dwi_volumes(vol):
    """The derived (trace/ADC) volumes dcm2niix moves out of a diffusion series (``gradients.derived_volumes``)."""
    from .writer import _gradients

    gradients = _gradients(vol)
    return gradients[2] if gradients is not None else []


def classic_xa_warning(vol):
    """dcm2niix's last word before ``Convert`` for Siemens XA10 to XA31 classic files of one slice each.

    Examples
    --------
    >>> import numpy as np
    >>> from medfast.volume import Volume
    >>> classic_xa_warning(Volume(np.zeros((2, 2, 2)), np.eye(4), {}))
    []
    """
    meta = vol.meta
    nz, nt = meta.get("shape_nz_nt") or (1, 1)
    files = volume_files(vol)
    header = meta.get("header") or {}
    xa10a = any(v in _text(header.get("SoftwareVersions")) for v in ("XA10", "XA11", "XA20", "XA30", "XA31"))
    if xa10a and len(files) > 1 and len(files) == nz * nt and not meta.get("enhanced"):
        return ["Warning: Siemens XA exported as classic not enhanced DICOM (issue 236)"]
    return []
#: dcm2niix's manufacturer numbers (kMANUFACTURER_*), by the first two letters of Manufacturer
_MANUFACTURER_IDS = {"SI": 1, "CP": 1, "GE": 2, "PH": 3, "TO": 4, "UI": 5, "BR": 6, "HI": 7, "CA": 8, "ME": 9,
                     "MR": 10, "HY": 11, "LE": 12}


def manufacturer_id(header):
    """dcm2niix's manufacturer number of a file (0: unknown): from Manufacturer's first two letters;
    Siemens for XA10 to XA31 software (its mosaics omit Manufacturer); Philips for a file with
    DiffusionBValue (0018,9087) and no known manufacturer.

    Examples
    --------
    >>> manufacturer_id({"Manufacturer": "Philips Medical Systems"}), manufacturer_id({})
    (3, 0)
    """
    from ..dicom.header import as_header

    header = as_header(header)
    found = _MANUFACTURER_IDS.get(_text(header.get("Manufacturer"))[:2].upper(), 0)
    if any(v in _text(header.get("SoftwareVersions")) for v in ("XA10", "XA11", "XA20", "XA30", "XA31")):
        return 1
    if not found and header.find("DiffusionBValue") is not None:
        return 3
    return found


def _gantry_tilt(vol, headers, verbose):
    """(tilt, lines): the gantry tilt dcm2niix measures for a CT, X-ray or tilted stack of several files
    (from the first and last file, instance order), and what it says of it: with ``-v 1`` the vectors,
    then ``Gantry Tilt based on 0018,1120 ...`` when the measure is not 0."""
    from ..dicom.geometry import _largest_positive, gantry_tilt_degrees

    if len(headers) < 2 or vol.meta.get("enhanced"):
        return 0.0, []
    first, last = headers[0], headers[-1]
    stated = _f32(first.get("GantryDetectorTilt") or 0.0)
    x_ray = first.find("Exposure") is not None and not _f32(first.find("EchoTime") or 0.0)
    if _text(first.get("Modality")).strip().upper() != "CT" and not x_ray and not stated > 0:
        return 0.0, []
    p, q = _vector(first.get("ImagePositionPatient"), 3), _vector(last.get("ImagePositionPatient"), 3)
    orient = _vector(first.get("ImageOrientationPatient"), 6)
    if p is None or q is None or orient is None:
        return 0.0, []
    tilt = _f32(gantry_tilt_degrees(p, q, orient))
    if tilt == 0:
        return 0.0, []
    lines = []
    if verbose:
        import numpy as np

        f = np.float32
        cross = _largest_positive(np.cross(orient[:3].astype(f), orient[3:].astype(f)).astype(f))
        vectors = (("Read", orient[:3]), ("Phase", orient[3:]), ("CrossReadPhase", cross),
                   ("Slice", _largest_positive((q - p).astype(f))))
        lines.append("Gantry Tilt Parameters (see issue 253)")
        lines += [f" {name} =[{' '.join(_g(x) for x in v)}]" for name, v in vectors]
    lines.append(f"Gantry Tilt based on 0018,1120 {_g(stated)}, estimated from slice vector {_g(tilt)}")
    return tilt, lines


def _uneven_lines(vol, headers, tilt, verbose):
    """``Interslice distance varies in this volume``: a single volume of one-slice files whose steps
    (distance between neighbours, along the bed scaled by cos(tilt)) differ from the first by more
    than 0.2 mm; with ``-v 1`` the dimensions and each slice's distance from the first."""
    import numpy as np

    meta = vol.meta
    nz, nt = meta.get("shape_nz_nt") or (1, 1)
    if nt != 1 or nz < 3 or len(headers) != nz or meta.get("mosaic") or meta.get("enhanced"):
        return []
    positions = _positions(headers)
    if positions is None:
        return []
    f = np.float32
    scale = f(np.cos(float(tilt) * np.pi / 180)) if tilt else f(1)
    if _not_spatial(vol, headers):  # dcm2niix first sorts the slices by position
        positions = positions[np.argsort(np.concatenate([[0], np.cumsum(_signed_steps(headers))]), kind="stable")]

    def gap(a, b):
        d = (b - a).astype(f)
        return f(f(np.sqrt(f((d * d).sum(dtype=f)))) * scale)

    first_step = gap(positions[0], positions[1])
    if all(abs(float(gap(a, b)) - float(first_step)) <= _SLICE_TOLERANCE for a, b in zip(positions, positions[1:])):
        return []
    lines = ["Warning: Interslice distance varies in this volume (incompatible with NIfTI format)."]
    if verbose:
        header = headers[0]
        lines += [f"Dimensions {int(header.get('Columns') or 0)} {int(header.get('Rows') or 0)} {nz} 1 nAcq 1 nConvert {nz}",
                  " Distance from first slice:",
                  "dx=[0" + "".join(f" {_g(gap(positions[0], p))}" for p in positions[1:]) + "]"]
    return lines


def _ge_block_length(header):
    """The length GE's protocol data block declares in its first four bytes (dcm2niix's protocolBlockLengthGE)."""
    import struct

    from ..dicom import ge

    raw = header.raw(ge._TAG) or b""
    return struct.unpack_from("<i", raw)[0] if len(raw) >= 4 else 0


def _ge_slice_timing_warnings(first, path, nz):
    """dcm2niix's warnings as it estimates a GE 2-D series' slice times (its sliceTimingGE), in its order:
    no protocol data block, a SoftwareVersions under 10 characters, several echoes (0019,10A9) outside
    diffusion, a block it cannot decode, a slice count (NOSLC) other than the series', then by sequence
    kind: the pepolar research sequence; epiRT whose group delay (0043,107C) and the block's DELACQNOAV
    differ; multi-phase EPI with variable delays; diffusion it cannot time (cycling, or no cycling mode);
    any other kind."""
    import math

    import numpy as np

    from ..dicom import ge
    from ..dicom.values import number

    length = _ge_block_length(first)
    if length < 10:
        return [f"Warning: Unable to determine GE Slice timing, no Protocol Data Block GE (0025,101B): {path}"]
    if len(_text(first.get("SoftwareVersions"))) < 10:
        return [f"Warning: Unable to determine GE Slice timing, invalid SoftwareVersions (0018,1020): {path}"]
    version, internal = ge.epi_versions(first)
    lines = []
    echoes = number(first.get((0x0019, 0x10A9)))
    if math.isfinite(echoes) and round(echoes) > 0 and internal != 2:
        lines.append(f"Warning: GE sequence with {round(echoes)} echoes. See issue 359")
    if length < 19:
        return lines
    block = ge.protocol_block(first)
    if not block:
        return lines + ["Warning: Unable to estimate slice times: issue decoding GE protocol block."]
    slices = ge.protocol_slice_count(block)
    if slices != nz:
        lines.append(f"Warning: Missing DICOMs, number of slices estimated ({nz}) differs from "
                     f"Protocol Block (0025,101B) report ({slices}).")
    delay_block = float(np.float32(ge.protocol_group_delay(block)) * np.float32(1000.0))
    tag = number(first.get((0x0043, 0x107C)))
    delay_tag = float(np.float32(tag) * np.float32(1000.0)) if math.isfinite(tag) else 0.0
    kind = ge.sequence_kind(version, internal, block)
    if kind == "pepolar":
        lines.append("Warning: GE ABCD pepolar research sequence handling is experimental")
    elif kind == "epirt":
        if abs(delay_block - delay_tag) > 0.0001:
            lines.append(f"Warning: With epiRT (i.e. FMRI option), Group delay reported in private tag "
                         f"(0043,107C = {_g(delay_tag)}) and Protocol Block (0025,101B = {_g(delay_block)}) differ.")
    elif kind == "multiphase":
        if delay_block < -0.5:
            lines.append("Warning: SliceTiming Unsupported: GE Multi-Phase EPI with Variable Delays")
    elif kind == "diffusion":
        cycling = ge.diffusion_cycling(first)[0]
        if cycling not in ("OFF", "SPOFF"):
            suffix = {"ALLTR": ":Cycling", "2TR": ":2TR-Cycling", "3TR": ":3TR-Cyclin"}.get(cycling, "")
            lines.append(f"Warning: Unable to compute slice times for GE Diffusion{suffix}")
    else:
        lines.append("Warning: Unable to compute slice times for this GE dataset")
    return lines


def _checked_slice_times(vol, headers, vendor):
    """The slice times dcm2niix checks (its checkSliceTiming), in its units at that point: a
    mosaic's first file's MosaicRefAcqTimes (ms); Siemens XA times (ms); Siemens classic 2-D and
    UIH acquisition times (seconds from the first), as medfast's ``slice_timing`` finds them."""
    from ..dicom import siemens
    from ..dicom.header import as_header
    from .slice_timing import _csa_times, _time_after_start, slice_timing

    if vendor not in ("SI", "UI") or _text(headers[0].get("Modality")) in ("PT", "US", "CT", "SEG"):
        return None
    if vol.meta.get("mosaic"):
        times = _csa_times(headers[0])
        return [_f32(t) for t in times] if times and len(times) > 3 else None
    ds = as_header(vol.meta.get("header") or headers[0])
    nt = (vol.meta.get("shape_nz_nt") or (1, 1))[1]
    if vol.meta.get("enhanced") and nt == 1 and siemens.is_xa(ds):  # one XA volume: the frames' times as read
        frames = sorted(frame for path, frame in vol.meta.get("frames") or () if path == volume_files(vol)[0])
        times = [_time_after_start(ds, frame) for frame in frames]
        return None if None in times or len(times) < 2 else [_f32(_f32(t) * 1000.0) for t in times]
    found = slice_timing(vol, ds, vendor)
    if not found:
        return None
    xa = vendor == "SI" and siemens.is_xa(ds) and _time_after_start(ds, 0 if vol.meta.get("enhanced") else None) is not None
    if xa:
        return [_f32(t * 1000.0) for t in found]
    if vendor == "SI" and (_text(ds.get("MRAcquisitionType")).upper() == "3D" or siemens.is_xa(ds)):
        return None  # acquisition times are slice times for 2-D series before XA only (XA: TimeAfterStart)
    return [_f32(t) for t in found]


def _flips_slice_times(vol, vendor, slice_number, three_d):
    """dcm2niix's reverseSliceTiming: the slices were stored against the slice direction (a Siemens
    ProtocolSliceNumber above 1; Siemens classic, UIH and GE slices against the instance numbers)
    and the series has slice times to reverse with them."""
    from .slice_timing import _same_instance_order, ge_series_timing, slice_timing

    meta = vol.meta
    nz, _ = meta.get("shape_nz_nt") or (1, 1)
    if three_d or nz < 2 or nz > 1024:
        return False
    against = slice_number > 1 or (vendor in ("SI", "UI", "GE") and not meta.get("mosaic") and not meta.get("enhanced")
                                   and len(meta.get("frames") or ()) >= nz and not _same_instance_order(meta, nz))
    if not against:
        return False
    from ..dicom.header import as_header

    ds = as_header(meta.get("header") or {})
    if vendor == "GE":
        return ge_series_timing(vol, ds)["times"] is not None
    return slice_timing(vol, ds, vendor) is not None


def _no_data_type(rules, s):
    """True when a vendor's BIDS rules find no data type: the guess is empty, or "derived" only
    because the image is derived (its rules, run as for an original image, find none)."""
    import dataclasses

    datatype = rules(s)[0]
    return not datatype or (datatype == "derived" and not rules(dataclasses.replace(s, derived=False))[0])


#: said by dcm2niix's Philips BIDS rules for a spoiled gradient echo they take for a field map, without a
#: line end: the next line printed follows it on the same line
PHILIPS_FIELD_MAPS = ("Warning: Unable to distinguish Philips fieldmaps: phase difference, two phase/magnitude, "
                      "direct fieldmapping.")


def auto_bids_lines(vol, header, verbose=1):
    """What dcm2niix's BIDS guess says: ``PHILIPS_FIELD_MAPS`` where its Philips rules say it, and the
    ``::autoBids:`` line with the sequence names the guess starts from, by vendor.

    Siemens: the protocol's sequence file (else the sequence name), the pulse
    sequence and sequence names; Philips: the pulse sequence, scanning
    sequence and variant; GE: the names, description, scanning sequence,
    procedure step (with the protocol's PSEQ) and the guess of its GE rules.
    Said with ``-v 1``, and for Siemens and GE also at ``-v 0`` when the
    vendor's rules find no data type (before a derived image becomes
    "derived"). Nothing for other vendors, and for CT and PET (no rules run).
    """
    from ..dicom import ge
    from ..dicom.header import as_header
    from . import bids_vendors as rules_of
    from .bids_series import BidsSeries

    ds = as_header(header)
    if _text(ds.find("Modality"))[:2].upper() in ("CT", "PT"):
        return []
    sidecar = {"PhaseEncodingPolarityGE": ge.phase_polarity(ds)}
    number = ds.find("SeriesNumber")
    if number is not None:
        try:
            sidecar["SeriesNumber"] = ge.series_number(ds, int(number))
        except (TypeError, ValueError):
            pass
    s = BidsSeries.read(ds, vol.meta, sidecar, -1)
    lines = []
    if s.vendor == "PH" and s.mr and next((outcome for test, outcome in rules_of._PHILIPS if test(s)), None) \
            is rules_of._philips_field_map:
        lines.append(PHILIPS_FIELD_MAPS)
    rules = {"SI": rules_of.RULES["SI"], "GE": rules_of.RULES["GE"]}.get(s.vendor) if s.mr or s.vendor == "GE" else None
    if not verbose and (rules is None or not _no_data_type(rules, s)):
        return lines
    if s.vendor == "SI" and s.mr:
        lines.append(f"::autoBids:Siemens CSAseqFname:'{rules_of._details(s)}' pulseSeq:'{s.pulse_sequence}' "
                     f"seqName:'{s.sequence_name}'")
    elif s.vendor == "PH" and s.mr:
        lines.append(f"::autoBids:Philips pulseSeq:'{s.pulse_sequence}' scanSeq:'{s.scanning}' seqVariant:'{s.variant}'")
    elif s.vendor == "GE":
        datatype, suffix = rules_of.RULES["GE"](s)
        lines.append(f"::autoBids:GE usedSeqName:'{s.internal_sequence or s.pulse_sequence}' seqName:'{s.pulse_sequence}' "
                     f"internalSeqName:'{s.internal_sequence}' seriesDesc:'{s.description}' scanSeq:'{s.scanning}' "
                     f"stepDesc:'{s.procedure}' bidsData:'{datatype}' bidsSuffix:'{suffix}'")
    return lines


ACQUISITION_NUMBERS_VARY = ("Slices stacked despite varying acquisition numbers "
                            "(if this is not desired recompile with 'mySegmentByAcq')")


def acquisition_numbers_vary_at(ordered, places, merge=2):
    """Where dcm2niix says, once a run at ``-v 1``, that it stacked files of different AcquisitionNumber.

    Its grouping compares the first file of each output with the later files;
    files that stack despite another AcquisitionNumber (never with ``-m y``,
    which stacks before looking) raise the line. Returns the position in
    ``ordered`` (conversion order, ``places`` its ``Place`` list) of the first
    such output converted after the headers, or None.

    Examples
    --------
    >>> acquisition_numbers_vary_at([], [])
    """
    from ..dicom.reader import header_of

    if merge == 1:
        return None
    for n, (vol, place) in enumerate(zip(ordered, places)):
        if place.phase != 1:
            continue
        numbers = set()
        for path in volume_files(vol):
            header = header_of(path)
            number = header.get("AcquisitionNumber")
            numbers.add(_text(number if number is not None else header.find("AcquisitionNumber")).strip())
        if len(numbers) > 1:
            return n
    return None


def packed_volume_lines(vols):
    """dcm2niix's ``-v 1`` table for one file holding several volumes whose parameters vary.

    ``vols``: the outputs made from that file, in conversion order. One line a
    volume, ``i TE= Slope= Inter= PhilipsScale= Phase=`` of its first frame,
    said when the volumes' rescale values or phase flag differ, or their echo
    times differ (a volume with no echo time aside).

    Examples
    --------
    >>> packed_volume_lines([])
    []
    """
    from ..dicom import enhanced
    from ..dicom.reader import header_of

    rows, kinds = [], set()
    for vol in vols:
        nz = (vol.meta.get("shape_nz_nt") or (1, 1))[0] or 1
        frames = vol.meta.get("frames") or ()
        for path, frame in frames[::nz]:
            per_frame = enhanced.frames(header_of(path))
            item = per_frame[frame] if 0 <= (frame or 0) < len(per_frame) else {}
            component = _text(item.get("ComplexImageComponent")).upper()
            rows.append((_f32(item.get("EffectiveEchoTime") or 0.0), _f32(item.get("RescaleSlope") or 1.0),
                         _f32(item.get("RescaleIntercept") or 0.0), _f32(item.get("philips_scale_slope") or 0.0),
                         int(component == "PHASE")))
            kinds.add(component)
    if len(rows) < 2:
        return []
    echo_times = {row[0] for row in rows if row[0] != 0}
    if len(echo_times) < 2 and len({row[1:] for row in rows}) < 2 and len(kinds) < 2:
        return []
    lines = ["Parameters vary across 3D volumes packed in single DICOM file:"]
    lines += [f" {i} TE={_g(te)} Slope={_g(rs)} Inter={_g(ri)} PhilipsScale={_g(ss)} Phase={ph}"
              for i, (te, rs, ri, ss, ph) in enumerate(rows)]
    return lines


#: the transfer syntaxes dcm2niix decodes with its own lossless JPEG decoder, which speaks at -v 1
_JPEG_LOSSLESS = ("1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70")
_SOF = frozenset(range(0xFFC0, 0xFFD0)) - {0xFFC4, 0xFFC8, 0xFFCC}


def jpeg_line(path, syntax):
    """``jpeg ISO 10918-1:1994 T.81 XxY P-bits N components``: what dcm2niix's lossless JPEG decoder
    says of a file's first frame at ``-v 1`` (its start-of-frame header); None for other syntaxes.

    Examples
    --------
    >>> jpeg_line("any.dcm", "1.2.840.10008.1.2.1") is None
    True
    """
    import struct

    if syntax not in _JPEG_LOSSLESS:
        return None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    pos = data.find(b"\xff\xd8\xff")
    if pos < 0:
        return None
    pos += 2
    while pos + 4 <= len(data):
        marker, length = struct.unpack_from(">HH", data, pos)
        if marker in _SOF and pos + 10 <= len(data):
            precision, rows, cols, components = struct.unpack_from(">BHHB", data, pos + 4)
            return f"jpeg ISO 10918-1:1994 T.81 {cols}\u00d7{rows} {precision}-bits {components} components"
        if marker >> 8 != 0xFF:
            return None
        pos += 2 + length
    return None
