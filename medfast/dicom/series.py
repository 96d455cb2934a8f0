"""One record a 2-D image (a classic file, a frame of an enhanced file, a tile of a mosaic).

Grouping, sorting and geometry work on these records only; the pixel reader
uses ``path``, ``frame`` and ``tile`` to find the pixels again.
"""
from __future__ import annotations

import zlib

import numpy as np

from ..errors import file_error
from . import enhanced, ge, geometry, mosaic, philips, siemens
from .values import atof, integer as _int, number, required_floats as _floats, seconds as _seconds, strings, text, vendor_key

# ImageType value 3 (Siemens, GE, Philips classic) -> complex component
_COMPONENTS = {"M": "MAGNITUDE", "P": "PHASE", "R": "REAL", "I": "IMAGINARY", "PHASE": "PHASE",
               "MAGNITUDE": "MAGNITUDE", "REAL": "REAL", "IMAGINARY": "IMAGINARY"}
_GE_COMPONENTS = {0: "MAGNITUDE", 1: "PHASE", 2: "REAL", 3: "IMAGINARY"}


class Slice:
    """A 2-D image with what grouping, sorting, geometry and scaling need."""

    __slots__ = (
        "path", "frame", "tile", "ds", "rows", "cols", "ipp", "iop", "spacing", "thickness", "between",
        "slope", "inter", "instance", "series_uid", "series_number", "echo_number", "echo_time", "component",
        "fieldmap_hz", "image_type", "coil", "bits", "mosaic", "enhanced", "acq_time", "trigger", "order", "normal",
        "source", "stack_position", "stack_flags",
    )

    def __init__(self, *, path=None, frame=None, tile=None, ds=None, rows=None, cols=None, ipp=None, iop=None,
                 spacing=None, thickness=None, between=None, slope=None, inter=None, instance=None, series_uid=None,
                 series_number=None, echo_number=None, echo_time=None, component=None, fieldmap_hz=None,
                 image_type=None, coil=None, bits=None, mosaic=None, enhanced=None, acq_time=None, trigger=None,
                 order=None, normal=None, source=None, stack_position=None, stack_flags=None):
        # named one by one: a record a file, so binding them in C instead of a loop of setattr counts
        self.path, self.frame, self.tile, self.ds, self.rows, self.cols = path, frame, tile, ds, rows, cols
        self.ipp, self.iop, self.spacing, self.thickness, self.between = ipp, iop, spacing, thickness, between
        self.slope, self.inter, self.instance, self.series_uid = slope, inter, instance, series_uid
        self.series_number, self.echo_number, self.echo_time = series_number, echo_number, echo_time
        self.component, self.fieldmap_hz, self.image_type, self.coil = component, fieldmap_hz, image_type, coil
        self.bits, self.mosaic, self.enhanced, self.acq_time = bits, mosaic, enhanced, acq_time
        self.trigger, self.order, self.normal, self.source = trigger, order, normal, source
        self.stack_position, self.stack_flags = stack_position, stack_flags

    @property
    def derived(self):
        """True for derived images (``derived_image``) and localizers (dcm2niix ``-i y`` drops them)."""
        return derived_image(self.image_type) or "LOCALIZER" in [str(v).upper() for v in self.image_type or ()]


def derived_image(image_type):
    """dcm2niix's isDerived: ImageType names DERIVED anywhere, or an ADC, TRACEW, TRACE or FA value before the last.

    dcm2niix never stacks derived images with original ones, and ``-i y`` skips them.

    Examples
    --------
    >>> derived_image(["ORIGINAL", "PRIMARY", "M"]), derived_image(["DERIVED", "PRIMARY"]), derived_image(["X", "ADC", "M"])
    (False, True, True)
    """
    joined = "_".join(str(v).upper() for v in image_type or ())
    if len(joined) > 6 and "DERIVED" in joined:
        return True
    return len(joined) > 5 and any(f"_{word}_" in joined for word in ("ADC", "TRACEW", "TRACE", "FA"))


def _float(value, default=None):
    x = number(value)
    return default if x != x else x


def _component(image_type, ds, manufacturer):
    if manufacturer.startswith("GE"):
        value = _int(ds.get((0x0043, 0x102F)))
        if value in _GE_COMPONENTS and value != 0:
            return _GE_COMPONENTS[value]
    types = [str(v).upper() for v in image_type or ()]
    for value in types[2:]:
        head = value.split("_")[0]
        if head in _COMPONENTS:
            return _COMPONENTS[head]
    return "MAGNITUDE"


def series_number(ds, manufacturer):
    """dcm2niix's series number: SeriesNumber (GE's rules), else the CRC-32 of the SeriesInstanceUID."""
    number_ = _int(ds.get("SeriesNumber"), 0)
    number_ = ge.series_number(ds, number_) if manufacturer.startswith("GE") else number_
    # dcm2niix numbers a series without a positive number by the CRC-32 of its SeriesInstanceUID
    return number_ if number_ > 0 else zlib.crc32(text(ds.get("SeriesInstanceUID")).encode("latin-1", "replace"))


def _coil(ds, manufacturer):
    if manufacturer.startswith("SIEMENS"):
        value = ds.get((0x0051, 0x100F))
        return text(value).strip() if value is not None else ""
    return ""


def slices_of(path, ds, source=None, *, philips_precise=True, keep_orientation_varies=False):
    """The ``Slice`` records of one file: one, one a frame, or one a mosaic tile.

    ``ds`` is the file's ``medfast.dicom.header.Header``; ``source`` the fast
    scan's record (pixel offset) when the scan read the file.
    A classic image keeps its display scaling (RescaleSlope/Intercept), the
    series decides Philips' (``philips.series_scaling``); ``philips_precise``:
    the frames of a Philips enhanced file scale to their floating-point values
    (dcm2niix's ``-p y``), else to the displayed ones (``-p n``). A
    multi-frame file whose frames change orientation raises
    ``InvalidFileError``; with ``keep_orientation_varies`` (``-i o``) every
    frame takes the last frame's orientation, the one dcm2niix keeps.
    """
    if "Rows" not in ds or "Columns" not in ds:
        return []
    manufacturer = text(ds.get("Manufacturer")).upper()
    rows, cols = _int(ds.get("Rows"), 0), _int(ds.get("Columns"), 0)
    if rows <= 0 or cols <= 0:
        raise file_error(path, "Rows x Columns", (ds.get("Rows"), ds.get("Columns")), "must be positive")
    image_type = strings(ds.get("ImageType"))
    common = dict(
        path=path, ds=ds, series_uid=text(ds.get("SeriesInstanceUID")),
        series_number=series_number(ds, manufacturer), instance=_int(ds.get("InstanceNumber"), 0),
        bits=(_int(ds.get("BitsAllocated"), 16), _int(ds.get("SamplesPerPixel"), 1)),
        coil=_coil(ds, manufacturer), trigger=_float(ds.get("TriggerTime"), 0.0),
        acq_time=_seconds(ds.get("AcquisitionTime")), source=source,
    )
    if enhanced.is_enhanced(ds):
        out = _enhanced_slices(path, ds, common, rows, cols, image_type, manufacturer, philips_precise)
        if keep_orientation_varies:
            geometry.keep_last_orientation(path, out)
        else:
            geometry.one_orientation(path, [s.iop for s in out])
        return out
    iop, ipp = geometry.plane(ds.get("ImageOrientationPatient"), ds.get("ImagePositionPatient"), path)
    spacing = ds.get("PixelSpacing")
    spacing = _floats(spacing, 2, path, "PixelSpacing") if spacing else [1.0, 1.0]
    slope, inter = _float(ds.get("RescaleSlope"), 1.0) or 1.0, _float(ds.get("RescaleIntercept"), 0.0)
    base = dict(
        common, iop=iop, spacing=spacing, thickness=_float(ds.get("SliceThickness")),
        between=_float(ds.get("SpacingBetweenSlices")), slope=slope, inter=inter, image_type=image_type,
        echo_number=_int(ds.get("EchoNumbers")), echo_time=_float(ds.get("EchoTime")),
        component=_component(image_type, ds, manufacturer), fieldmap_hz=False, enhanced=False,
    )
    if manufacturer.startswith("GE") and ge.b0map_hz(ds, common["instance"]):  # GE B0map: the Hz volume
        base.update(component="REAL", fieldmap_hz=True)
    tiled = mosaic.is_mosaic(ds)
    csa = siemens.csa_image_header(ds) if tiled else {}
    if csa or (tiled and manufacturer.startswith("SIEMENS")):  # others' MOSAIC: a plain image
        layout = mosaic.mosaic_layout(ds, csa, path)
        _floats(ds.get("ImagePositionPatient"), 3, path, "ImagePositionPatient")
        positions = mosaic.tile_positions(ds, csa, layout)
        # slices go in tile order, reversed when Siemens numbered the images backwards (as dcm2niix)
        direction = positions[1] - positions[0] if layout[0] > 1 else None
        if direction is not None and _int((csa.get("ProtocolSliceNumber") or ["0"])[0], 0) > 1:
            direction = -direction
        return [Slice(**base, frame=0, tile=k, rows=layout[2], cols=layout[3], ipp=positions[k], mosaic=layout,
                      normal=direction,
                      order=(common["instance"], common["acq_time"] or 0.0, k)) for k in range(layout[0])]
    frames = _int(ds.get("NumberOfFrames"), 1) or 1
    if frames == 1:  # images at one position go to volumes by instance number, then acquisition time
        return [Slice(**base, frame=0, tile=None, rows=rows, cols=cols, ipp=ipp, mosaic=None,
                      order=(common["instance"], common["acq_time"] or 0.0, 0))]
    # a classic multi-frame file (RT dose, NM, old MR): as dcm2niix, frames step along the normal
    # by the slice spacing (1 mm when none is given; GridFrameOffsetVector is not used)
    step = base["between"] or base["thickness"] or 1.0
    n = np.cross(iop[:3], iop[3:])
    return [Slice(**base, frame=f, tile=None, rows=rows, cols=cols, ipp=ipp + n * f * step, mosaic=None,
                  order=(common["instance"], common["acq_time"] or 0.0, f)) for f in range(frames)]


def _enhanced_slices(path, ds, common, rows, cols, image_type, manufacturer, philips_precise):
    out = []
    top_slope, top_inter = _float(ds.get("RescaleSlope"), 1.0) or 1.0, _float(ds.get("RescaleIntercept"), 0.0)
    count = _int(ds.get("NumberOfFrames"), 1) or 1  # dcm2niix: per-frame items beyond it are not images
    for i, f in enumerate(enhanced.frames(ds)[:count]):
        field = f"frame {i + 1}: "
        iop, ipp = geometry.plane(f.get("ImageOrientationPatient"), f.get("ImagePositionPatient"), path, field)
        spacing = _floats(f.get("PixelSpacing"), 2, path, field + "PixelSpacing") if f.get("PixelSpacing") else [1.0, 1.0]
        slope = _float(f.get("RescaleSlope"), top_slope) or 1.0
        inter = _float(f.get("RescaleIntercept"), top_inter)
        if manufacturer.startswith("PHILIPS") and philips_precise:
            slope, inter = philips.precise_scale(slope, inter, f.get("philips_scale_slope"))
        component = text(f.get("ComplexImageComponent")).upper()
        if component not in ("MAGNITUDE", "PHASE", "REAL", "IMAGINARY"):
            component = _component(strings(f.get("FrameType")) or image_type, ds, manufacturer)
        frame_type = strings(f.get("FrameType")) or image_type
        fieldmap_hz = text(f.get("philips_image_type")).upper() == "B0" or "FIELD_MAP" in [v.upper() for v in frame_type]
        echo_time = _float(f.get("EffectiveEchoTime"), _float(ds.get("EchoTime")))
        out.append(Slice(
            **common, frame=i, tile=None, rows=rows, cols=cols, ipp=ipp, iop=iop, spacing=spacing,
            thickness=_float(f.get("SliceThickness")), between=_float(f.get("SpacingBetweenSlices")),
            slope=slope, inter=inter, image_type=image_type, mosaic=None, enhanced=True,
            echo_number=_int(f.get("philips_EchoNumbers"), _int(ds.get("EchoNumbers"))), echo_time=echo_time,
            component=component, fieldmap_hz=fieldmap_hz,
            order=(common["instance"], _int(f.get("TemporalPositionIndex"), 0), i),  # same length as classic
            stack_position=_int(f.get("InStackPositionNumber"), i),
        ))
    return out


# ---------------------------------------------------------------------------
# Volume.meta: the contract the sidecar and naming code relies on.
#
#   frames            list of (path, frame_index) in array order: entry t * nz + k
#                     (frame_index: frame of a multi-frame file; tile index of a mosaic)
#   header            medfast.dicom.header.Header (no pixels) of the first file of the series
#   Modality, Manufacturer, SeriesNumber, SeriesInstanceUID, ProtocolName,
#   SeriesDescription, EchoNumber, EchoTime (ms), ImageType (list of str)
#   image_component   'MAGNITUDE' | 'PHASE' | 'REAL' | 'IMAGINARY'
#   is_phase, is_real, is_imaginary, is_magnitude, real_is_fieldmap_hz   bools
#   multi_echo, coil_varies, coil_name
#   slice_spacing (mm along the normal), uneven_spacing, missing_slices, gantry_tilt (degrees)
#   warnings          list of str
#   slice_times       seconds from the first slice, one per slice k, where known
#   repetition_time   seconds, where known
#   mosaic, enhanced  bools
#   scaling           {'slope', 'inter', 'varies'}: varies -> the array is float32 real-world values
#   qform_code, sform_code   1 and 1 (scanner anatomical), as dcm2niix writes
#   files             number of files; non_dicom_files: files skipped in the same call;
#                     duplicate_files: files skipped because their SOPInstanceUID was read already
#   positions         ImagePositionPatient (LPS mm) of each slice k of the first volume, in array order
#   orientation       ImageOrientationPatient of the first slice (6 floats)
#   reoriented        True when a 3-D acquisition was turned to the closest RAS+ axes (as dcm2niix)
#   affine_before_turn  with reoriented: the stack's affine before the turn
#   shape_nz_nt       (slices, volumes) before any split or reorientation
#   EchoNumber        from the headers; numbered 1, 2, ... by first appearance when a series holds
#                     several echo times under one number (Philips enhanced, Siemens XA)
# ---------------------------------------------------------------------------


def _slice_times(first_volume, s0):
    """Slice acquisition times (s), relative to the first acquired slice, per slice k."""
    ds = s0.ds
    if s0.mosaic:
        times = siemens.csa_items(ds, "MosaicRefAcqTimes")
        if len(times) >= s0.mosaic[0]:
            values = [atof(times[s.tile]) / 1000.0 for s in first_volume]  # as dcm2niix: a broken one atof's
            return values
        return None
    times = [s.acq_time for s in first_volume]
    if None in times or len(set(times)) < 2:
        return None
    start = min(times)
    return [round(t - start, 6) for t in times]


def _trigger_delay(ordered, asl=False):
    """dcm2niix's trigger delay of a series: last minus first image's TriggerTime (instance order) when positive
    and not ASL, else the first's."""
    by_instance = sorted(ordered, key=lambda s: s.instance or 0)
    first, last = by_instance[0].trigger or 0.0, by_instance[-1].trigger or 0.0
    return last - first if last - first > 0 and not asl else first


def _estimated_tr(ordered, tr_ms):
    """dcm2niix's TR from acquisition times (issue 560): ``(TR s, excitation TR s, inversion TR s)`` or None.

    For a stack of single-slice files (not GE, not PET), the volumes are the
    images at the first instance's position; when their acquisition times
    step by a mean that differs from the header's TR by more than 50 ms
    (after dividing by NumberOfAverages), that mean becomes the TR and the
    header's TR is kept as RepetitionTimeInversion (inversion recovery, not
    Philips) or RepetitionTimeExcitation.
    """
    s0 = ordered[0]
    ds = s0.ds
    vendor = vendor_key(ds.get("Manufacturer"))
    if s0.mosaic or s0.enhanced or len({s.path for s in ordered}) < 2 or vendor == "GE" \
            or text(ds.get("Modality")).upper() == "PT" or any(s.frame for s in ordered):
        return None
    by_instance = sorted(ordered, key=_by_instance)
    first = by_instance[0]
    eps = float(np.finfo(np.float32).eps)
    volumes = [s for s in by_instance if np.all(np.abs(np.float32(s.ipp) - np.float32(first.ipp)) <= eps)]
    dates = {text(s.ds.get("AcquisitionDate")) for s in volumes}
    if len(volumes) < 2 or len(dates) > 1 or any(s.acq_time is None for s in volumes):
        return None
    span = max(s.acq_time - first.acq_time for s in volumes)
    if span <= 0:
        return None
    header_tr = (tr_ms or 0.0) / 1000.0
    tr = span / (len(volumes) - 1)
    if abs(tr - header_tr) <= 0.05:
        return None
    averages = _float(ds.get("NumberOfAverages"), 0.0)
    if averages > 1:
        tr /= averages
    if abs(tr - header_tr) <= 0.05:
        return None
    inversion = (text(ds.get("InversionRecovery")).upper().startswith("Y")
                 or "IR" in text(ds.get("ScanningSequence")).upper()) and vendor != "PH"
    return tr, (0.0 if inversion else header_tr), (header_tr if inversion else 0.0)


def _by_instance(s):
    return s.instance, s.path, s.frame or 0


def volume_meta(ordered, nz, nt, geometry_report, *, multi_echo=False, coil_varies=False, scaling=None):
    """The ``Volume.meta`` dict of a stack (see the contract above)."""
    s0 = ordered[0]
    first = geometry.described_by(sorted(ordered, key=_by_instance), nz)  # dcm2niix's first image, not the lowest
    ds = first.ds
    tr = _float(ds.get("RepetitionTime"))
    component = s0.component
    meta = {
        "frames": [(s.path, s.tile if s.mosaic else s.frame) for s in ordered],
        "header": ds,
        "Modality": text(ds.get("Modality")),
        "Manufacturer": text(ds.get("Manufacturer")),
        "SeriesNumber": s0.series_number,
        "SeriesInstanceUID": s0.series_uid,
        "ProtocolName": text(ds.get("ProtocolName")),
        "SeriesDescription": text(ds.get("SeriesDescription")),
        "EchoNumber": s0.echo_number,
        "EchoTime": s0.echo_time,
        "ImageType": [str(v) for v in s0.image_type or ()],
        "image_component": component,
        "is_phase": component == "PHASE",
        "is_real": component == "REAL" or bool(s0.fieldmap_hz),
        "is_imaginary": component == "IMAGINARY",
        "is_magnitude": component == "MAGNITUDE",
        "real_is_fieldmap_hz": bool(s0.fieldmap_hz),
        "multi_echo": multi_echo,
        "coil_varies": coil_varies,
        "coil_name": s0.coil,
        "slice_times": _slice_times(ordered[:nz], s0),
        "repetition_time": tr / 1000.0 if tr else None,
        "mosaic": bool(s0.mosaic),
        "enhanced": bool(s0.enhanced),
        "scaling": scaling or {"slope": 1.0, "inter": 0.0, "varies": False},
        "qform_code": 1,
        "sform_code": 1,
        "files": len({s.path for s in ordered}),
        "shape_nz_nt": (nz, nt),
        # trigger times of the first and last image in instance order (dcm2niix's TriggerDelayTime span)
        "trigger_span": tuple(s.trigger for s in (min(ordered, key=_by_instance), max(ordered, key=_by_instance))),
        "positions": [[float(v) for v in s.ipp] for s in ordered[:nz]],
        "orientation": [float(v) for v in first.iop],
    }
    if text(ds.get("Manufacturer")).upper().startswith("PHILIPS"):
        meta["trigger_delay_time"] = _trigger_delay(ordered, philips.asl_label(ds))
        meta["asl"] = meta.get("asl") or philips.asl_label(ds)
    estimated = _estimated_tr(ordered, tr)
    if estimated:
        meta["repetition_time"], meta["repetition_time_excitation"], meta["repetition_time_inversion"] = estimated
    if s0.stack_flags is not None:  # the set's own flags (grouping.group), as dcm2niix names it
        meta["multi_echo"], meta["non_parallel_slices"], meta["coil_varies"] = s0.stack_flags
    meta.update(geometry_report)
    meta["warnings"] = list(geometry_report.get("warnings", []))
    return meta
